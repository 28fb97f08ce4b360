"""gdfo.Optimizer, gdfo.Refiner and gdfo.train (include/gdfo/optimizer.h, learn.h).

A tiny policy model is trained once per module through gdfo.train (seconds),
never a shipped file.
"""
import os
import re
import threading

import pytest

from conftest import EXAMPLES, RETAIL, ROOT

import gdfo

TPCH = os.path.join(EXAMPLES, "tpch_q5.json")
TINY = dict(warm=128, ppo=32, batch=16, seed=1)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(model path, the TrainProgress records of its training)."""
    path = str(tmp_path_factory.mktemp("model") / "tiny.gdfonn")
    seen = []
    assert gdfo.train(path, progress=seen.append, **TINY) == path
    return path, seen


@pytest.fixture(scope="module")
def model(trained):
    return trained[0]


def test_train_reports_progress_and_writes_the_model(trained):
    path, seen = trained
    assert os.path.getsize(path) > 1000
    assert seen and all(isinstance(p, gdfo.TrainProgress) for p in seen)
    assert [p.phase for p in seen][0] == "warm" and seen[-1].phase == "ppo"
    assert {p.phase for p in seen} == {"warm", "ppo"}
    updates = [p.update for p in seen]
    assert updates == sorted(updates) and len(set(updates)) == len(updates)
    assert seen[-1].episode == seen[-1].episodes_total == TINY["warm"] + TINY["ppo"]
    assert not os.path.exists(path + ".state")       # no checkpoint was asked for


def test_train_cancel_by_false_and_by_exception(tmp_path):
    calls = []
    out = tmp_path / "stopped.gdfonn"
    with pytest.raises(gdfo.GdfoError) as e:
        gdfo.train(out, progress=lambda p: calls.append(p) or False, **TINY)
    assert e.value.status == gdfo.ECANCELED and e.value.status_name == "GDFO_ECANCELED"
    assert "stopped by the progress callback" in str(e.value)
    assert len(calls) == 1 and not out.exists()

    def boom(p):
        raise ValueError("enough")
    with pytest.raises(gdfo.GdfoError) as e:
        gdfo.train(out, progress=boom, **TINY)
    assert e.value.status == gdfo.ECANCELED
    assert isinstance(e.value.__cause__, ValueError) and "ValueError: enough" in str(e.value)
    assert not out.exists()


def test_train_options_are_checked(tmp_path):
    out = tmp_path / "m.gdfonn"
    with pytest.raises(TypeError, match="unknown option 'warm_up'"):
        gdfo.train(out, warm_up=1)
    with pytest.raises(TypeError, match="option batch must be an int"):
        gdfo.train(out, batch=1.5)
    with pytest.raises(gdfo.GdfoError) as e:
        gdfo.train(out, seed=-1)
    assert e.value.status == gdfo.EINVAL and "seed" in str(e.value)
    with pytest.raises(gdfo.GdfoError) as e:
        gdfo.train(out, batch=0)
    assert e.value.status == gdfo.EINVAL and "batch" in str(e.value)
    with pytest.raises(TypeError):
        gdfo.train(out, pipeline=RETAIL)
    assert gdfo.default_train_options()["warm"] == 4096 and not out.exists()


def test_train_on_one_pipeline_with_its_objective(tmp_path):
    out = tmp_path / "one.gdfonn"
    seen = []
    with gdfo.Graph.load(RETAIL) as g:
        gdfo.train(out, pipeline=g, objective=gdfo.Objective(0, 1, 0), progress=seen.append,
                   warm=16, ppo=16, batch=8, checkpoint=tmp_path / "ck.gdfonn")
    assert out.exists() and (tmp_path / "ck.gdfonn.state").exists()
    assert seen[-1].episode == 32
    with gdfo.Optimizer(model=out) as opt:
        assert opt.model == str(out)


def test_plan_with_a_trained_model(model):
    with gdfo.Optimizer(model=model) as opt:
        assert opt.model == model and model in repr(opt)
        for name in sorted(os.listdir(EXAMPLES)):
            with gdfo.Graph.load(os.path.join(EXAMPLES, name)) as g, opt.plan(g) as plan:
                assert plan.source in ("learned", "rules", "input"), name
                assert any(n.startswith("learned optimizer: model %s;" % model) for n in plan.notes), \
                    plan.notes
                assert "model %s" % model in plan.explain()
                for c in plan.changes():
                    assert 0 <= c.confidence <= 1 and c.what and c.why
                if plan.source == "learned":
                    assert plan.changes() and all(c.attended_ids for c in plan.changes())
                p = plan.prediction
                assert p.latency_ms > 0 and p.baseline_latency_ms > 0
                with plan.graph() as out:
                    out.validate()


def test_the_objective_reaches_the_planner(model):
    with gdfo.Optimizer(model=model) as opt, gdfo.Graph.load(TPCH) as g:
        with opt.plan(g, objective=gdfo.Objective(0, 1, 0)) as lat, \
                opt.plan(g, objective=gdfo.Objective(0, 0, 1)) as cost, \
                opt.plan(g, objective=gdfo.Objective(0, 1, 0)) as lat2:
            assert lat.to_json() == lat2.to_json()       # deterministic
            assert lat.to_json() != cost.to_json()
            reward = re.compile(r"won with predicted reward (-?[0-9.]+)")
            rl = [reward.search(n).group(1) for n in lat.notes if reward.search(n)]
            rc = [reward.search(n).group(1) for n in cost.notes if reward.search(n)]
            assert rl and rc and rl != rc
        with pytest.raises(gdfo.GdfoError) as e:
            opt.plan(g, objective=gdfo.Objective(latency_weight=-1))
        assert e.value.status == gdfo.EINVAL and "latency_weight is -1" in str(e.value)
        with pytest.raises(TypeError):
            opt.plan(g, objective={"latency_weight": 1})
        with pytest.raises(TypeError):
            opt.plan(TPCH)


def test_no_model_plans_with_the_rules():
    with gdfo.Optimizer(model="") as opt, gdfo.Graph.load(RETAIL) as g:
        assert opt.model is None and "rules" in repr(opt)
        with opt.plan(g) as plan, gdfo.optimize_rules(g) as rules:
            assert plan.source == "rules"
            assert any("no policy model is loaded" in n for n in plan.notes), plan.notes
            assert [c.what for c in plan] == [c.what for c in rules]


def test_a_bad_model_is_refused_naming_it(model, tmp_path):
    garbage = tmp_path / "garbage.gdfonn"
    garbage.write_bytes(b"not a model\n")
    with pytest.raises(gdfo.GdfoError) as e:
        gdfo.Optimizer(model=garbage)
    assert e.value.status == gdfo.EFORMAT and str(garbage) in str(e.value)

    data = bytearray(open(model, "rb").read())
    data[len(data) // 2] ^= 0xFF
    damaged = tmp_path / "damaged.gdfonn"
    damaged.write_bytes(bytes(data))
    with pytest.raises(gdfo.GdfoError) as e:
        gdfo.Optimizer(model=damaged)
    assert e.value.status == gdfo.ECHECKSUM and str(damaged) in str(e.value)

    missing = tmp_path / "missing.gdfonn"
    with pytest.raises(FileNotFoundError) as e:
        gdfo.Optimizer(model=missing)
    assert isinstance(e.value, gdfo.GdfoFileNotFoundError) and str(missing) in str(e.value)


def test_options_are_checked():
    with pytest.raises(TypeError, match="unknown option 'canditates'"):
        gdfo.Optimizer(model="", canditates=3)
    with pytest.raises(TypeError, match="use_rules must be a bool"):
        gdfo.Optimizer(model="", use_rules=1)
    for bad in (-1, 1025, 2**32 + 8):
        with pytest.raises(gdfo.GdfoError) as e:
            gdfo.Optimizer(model="", candidates=bad)
        assert e.value.status == gdfo.EINVAL and "candidates" in str(e.value)
    d = gdfo.default_optimizer_options()
    assert d["candidates"] == 8 and d["structural_steps"] == 4 and d["use_rules"] is True
    with pytest.raises(gdfo.GdfoError) as e:
        gdfo.Optimizer(model="", cluster={"executors": -3})
    assert "executors" in str(e.value)


def test_candidates_and_seed_change_what_is_scored(model):
    notes = []
    with gdfo.Graph.load(TPCH) as g:
        for k in (0, 3):
            with gdfo.Optimizer(model=model, candidates=k) as opt, opt.plan(g) as plan:
                notes.append([n for n in plan.notes if n.startswith("learned optimizer")][0])
    # the input, the greedy plan, the rules plan, the sampled plans not drawn
    # before, and the resource search's plan when it found a better one
    counts = [int(re.search(r"; (\d+) candidates scored", n).group(1)) for n in notes]
    assert 3 <= counts[0] <= 4 and 4 <= counts[1] <= 7, notes


def test_refiner_loop_with_the_judge(model):
    with gdfo.Optimizer(model=model) as opt, gdfo.Graph.load(TPCH) as g, \
            gdfo.Judge(g, runs=2) as judge, opt.refiner(g) as r:
        with pytest.raises(gdfo.GdfoError) as e:
            r.best()
        assert e.value.status == gdfo.EINVAL
        rewards = []
        for i in range(3):
            plan = r.next()
            assert plan is not None and plan.source == "learned+q"
            with plan:
                if i == 0:
                    with pytest.raises(gdfo.GdfoError) as e:
                        r.next()
                    assert "not observed yet" in str(e.value)
                rw, _ = judge.judge(plan)
                rewards.append(rw.reward)
                r.observe(rw.reward)
        assert judge.count == 3
        best, reward = r.best()
        with best:
            assert reward == max(rewards)
            assert judge.judge(best)[0].reward == pytest.approx(reward)
        with pytest.raises(gdfo.GdfoError):
            r.observe(1.0)                           # nothing awaits a reward
        with pytest.raises(TypeError):
            r.observe("1")


def test_closing_the_optimizer_closes_its_refiners(model):
    opt = gdfo.Optimizer(model=model)
    with gdfo.Graph.load(RETAIL) as g:
        r = opt.refiner(g)
        r.next().close()
    opt.close()
    opt.close()
    assert r.closed and opt.closed
    with pytest.raises(gdfo.GdfoError, match="is closed"):
        r.observe(0.0)
    with pytest.raises(gdfo.GdfoError, match="this Optimizer is closed"):
        opt.model


def test_plans_from_several_threads_agree(model):
    with gdfo.Optimizer(model=model) as opt, gdfo.Graph.load(TPCH) as g:
        with opt.plan(g) as plan:
            want = plan.to_json()
        got = []

        def work():
            for _ in range(3):
                with opt.plan(g) as p:
                    got.append(p.to_json())
        threads = [threading.Thread(target=work) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert got == [want] * 9


def test_status_constants_match_the_header():
    with open(os.path.join(ROOT, "include", "gdfo", "common.h"), encoding="utf-8") as f:
        found = dict(re.findall(r"\bGDFO_(E[A-Z]+)\s*=\s*(-\d+)", f.read()))
    assert "ECANCELED" in found
    for name, value in found.items():
        assert getattr(gdfo, name) == int(value), name
        assert name in gdfo.__all__
        assert gdfo.status_name(int(value)) == "GDFO_" + name


def test_telemetry_calibrates_the_planner(model):
    with gdfo.Optimizer(model=model) as opt, gdfo.Graph.load(TPCH) as g, gdfo.Simulator() as sim:
        sim.run(g)
        with sim.telemetry(g) as t, opt.plan(g, t) as measured, opt.plan(g) as plain:
            note = [n for n in measured.notes if n.startswith("learned optimizer")][0]
            assert "(calibrated to the telemetry)" in note, note
            note = [n for n in plain.notes if n.startswith("learned optimizer")][0]
            assert "(uncalibrated)" in note, note
        with pytest.raises(TypeError):
            opt.plan(g, "telemetry.json")
