"""The decision space, the judge and the reward through the Python binding
(gdfo.Space, gdfo.Judge, gdfo.reward): every sampled point applies to a
valid plan, masked choices are never produced, the JSON export round-trips,
the judge is deterministic, and errors are GdfoError/TypeError with the
library's message."""
import ctypes
import json
import os
import subprocess

import pytest

from conftest import EVENTS, EXAMPLES, RETAIL, ROOT, cli_path

import gdfo
from gdfo import _sim_cluster

DATAPROC = os.path.join(ROOT, "examples", "clusters", "dataproc-8x16.json")


def generated(tmp_path, family, seed, scale=1e10):
    out = tmp_path / ("%s-%d.json" % (family, seed))
    subprocess.run([cli_path(), "generate", family, "--seed", str(seed), "--scale-bytes",
                    str(int(scale)), "--out", str(out)], check=True)
    return str(out)


@pytest.fixture(scope="module")
def pipelines(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("space")
    paths = [os.path.join(EXAMPLES, f) for f in sorted(os.listdir(EXAMPLES)) if f.endswith(".json")]
    paths += [generated(tmp, fam, seed) for fam, seed in
              (("tpch", 3), ("tpcds", 4), ("random", 5), ("iot-streaming", 6))]
    return paths


@pytest.fixture
def retail():
    with gdfo.Graph.load(RETAIL) as g:
        yield g


@pytest.fixture
def space(retail):
    with gdfo.Space(retail) as s:
        yield s


def masked(space):
    return {(d.index, c) for d in space.decisions for c, ch in enumerate(space.decisions[d.index].choices)
            if not ch.legal}


# ------------------------------------------------------------------ the space


def test_decisions_describe_the_space(space):
    ds = space.decisions
    assert space.dim == len(space) == len(ds) > 0
    kinds = {d.kind for d in ds}
    assert {"push_filter", "partitions", "executors"} <= kinds
    for i, d in enumerate(ds):
        assert d.index == i and d.name
        assert d.choices[0].label == "keep" and d.choices[0].legal and d.choices[0].value == 0
        assert d.legal[0] == 0 and len(d.legal) >= 1
        assert (d.stage_id is None) == (d.kind in ("executors", "cores", "memory", "priority_policy"))
    assert space.decisions == ds          # copies, equal each time
    ds[0].choices.clear()
    assert space.decisions[0].choices


def test_every_sampled_point_applies_to_a_valid_plan(pipelines):
    for path in pipelines:
        with gdfo.Graph.load(path) as g, gdfo.Space(g) as s:
            rng = gdfo.RngState(11)
            for _ in range(25):
                p = s.sample(rng)
                assert len(p) == s.dim
                s.check(p)
                with s.apply(p, "test") as plan:
                    assert plan.source == "test"
                    with plan.graph() as pg:
                        pg.validate()
                        assert pg.fingerprint() is not None
            zero = [0] * s.dim
            with s.apply(zero) as plan:
                assert len(plan) == 0, path          # the input itself: no change
            assert s.point_of(g) == zero


def test_masked_choices_are_never_sampled_nor_neighbours(pipelines):
    seen_masked = 0
    for path in pipelines:
        with gdfo.Graph.load(path) as g, gdfo.Space(g) as s:
            bad = masked(s)
            seen_masked += len(bad)
            rng = gdfo.RngState(5)
            for _ in range(60):
                p = s.sample(rng)
                assert not {(i, c) for i, c in enumerate(p)} & bad
                for q in s.neighbours(p):
                    assert not {(i, c) for i, c in enumerate(q)} & bad, (path, q)
                    diff = [i for i in range(s.dim) if q[i] != p[i]]
                    assert len(diff) == 1
                    s.check(q)
    assert seen_masked > 0     # the test must see masks to mean anything


def test_a_masked_choice_is_refused_by_name(pipelines):
    for path in pipelines:
        with gdfo.Graph.load(path) as g, gdfo.Space(g) as s:
            bad = sorted(masked(s))
            if not bad:
                continue
            i, c = bad[0]
            p = [0] * s.dim
            p[i] = c
            d = s.decisions[i]
            want = "point[%d] = %d: choice '%s' of decision '%s' is masked" % (i, c, d.choices[c].label,
                                                                              d.name)
            for call in (s.check, s.apply, s.neighbours):
                with pytest.raises(gdfo.GdfoError) as e:
                    call(p)
                assert e.value.status == gdfo.EINVAL and want in str(e.value)
            return
    pytest.fail("no pipeline has a masked choice")


def test_sample_is_the_cli_sample(space):
    r = subprocess.run([cli_path(), "space", RETAIL, "--sample", "3", "--seed", "7"], check=True,
                       capture_output=True, text=True)
    want = [[int(x) for x in line.split(",")] for line in r.stdout.split()]
    rng = gdfo.RngState(7)
    assert [space.sample(rng) for _ in range(3)] == want
    assert space.sample(7) == want[0]           # an int seed is a fresh state
    assert space.sample(7) == want[0]


def test_neighbours_of_the_input(space):
    zero = [0] * space.dim
    ns = space.neighbours(zero)
    assert ns and all(n != zero for n in ns)
    assert len({tuple(n) for n in ns}) == len(ns)
    # every decision with more than keep offers at least one neighbour
    moved = {next(i for i in range(space.dim) if n[i]) for n in ns}
    assert moved == {d.index for d in space.decisions if len(d.legal) > 1}


def test_apply_explains_its_changes(space):
    p = space.sample(3)
    with space.apply(p, "random") as plan:
        changes = plan.changes()
        assert 0 < len(changes) <= sum(1 for c in p if c)
        assert all("random" in c.why for c in changes)


def test_apply_says_what_it_set(space, retail):
    d = next(d for d in space.decisions if d.kind == "executors")
    before = retail.knobs.executors
    for i, ch in enumerate(d.choices):
        if i == 0 or not ch.legal:
            continue
        p = [0] * space.dim
        p[d.index] = i
        with space.apply(p) as plan:
            (c,) = plan.changes()
            assert (c.kind, c.field) == ("resources", "executors")
            assert (c.old, c.new) == (before, ch.value)
            assert (c.old_label, c.new_label) == (str(before), str(ch.value))
    # every change of a sampled point names its field
    with space.apply(space.sample(5)) as plan:
        assert all(c.field for c in plan.changes())


def test_point_of_a_rules_plan(space, retail):
    with gdfo.optimize_rules(retail) as plan, plan.graph() as pg:
        p = space.point_of(pg)
    space.check(p)
    assert any(p)


def test_switches_leave_decisions_out(retail):
    with gdfo.Space(retail, structural=False, reorder_joins=False, priorities=False,
                    resources=False) as s:
        kinds = {d.kind for d in s.decisions}
    assert kinds and not kinds & {"push_filter", "fuse", "reorder_joins", "priority", "executors",
                                  "cores", "memory"}
    with gdfo.Space(retail, stage_knobs=False, priorities=False, resources=False) as s:
        assert {d.kind for d in s.decisions} <= {"push_filter", "fuse", "reorder_joins"}


def test_cluster_bounds_the_resources(retail):
    def executor_grid(space):
        d = next(d for d in space.decisions if d.kind == "executors")
        return max(c.value for c in d.choices if c.legal)

    with gdfo.Space(retail, max_executors=6) as s:
        assert executor_grid(s) <= 6
    with open(DATAPROC, encoding="utf-8") as f:
        text = f.read()
    # the same cluster as a path, JSON text and a dict gives the same space
    with gdfo.Space(retail, cluster=DATAPROC) as a, gdfo.Space(retail, cluster=text) as b, \
            gdfo.Space(retail, cluster=json.loads(text)) as c:
        assert a.to_json() == b.to_json() == c.to_json()
        assert '"executors": 8' in a.to_json()


def test_json_round_trip(space, retail):
    text = space.to_json()
    doc = json.loads(text)
    assert doc["format"] == "gdfo-space/1" and doc["dim"] == space.dim
    assert [d["name"] for d in doc["decisions"]] == [d.name for d in space.decisions]
    with gdfo.Space.from_json(retail, text) as back:
        assert back.decisions == space.decisions
        assert back.to_json() == text
        p = space.sample(9)
        with space.apply(p) as a, back.apply(p) as b:
            assert a.to_json() == b.to_json()


def test_json_of_another_pipeline_is_refused(space):
    with gdfo.Graph.load(os.path.join(EXAMPLES, "tpch_q5.json")) as other:
        with pytest.raises(gdfo.GdfoError) as e:
            gdfo.Space.from_json(other, space.to_json())
    assert e.value.status == gdfo.EINVAL and "the space is of pipeline" in str(e.value)


def test_bad_json_is_a_format_error(retail, space):
    with pytest.raises(gdfo.GdfoError) as e:
        gdfo.Space.from_json(retail, '{"format": "gdfo-plan/1"}')
    assert e.value.status == gdfo.EFORMAT and str(e.value)
    doc = json.loads(space.to_json())
    doc["decisions"][0]["choices"][0]["legal"] = "yes"
    with pytest.raises(gdfo.GdfoError) as e:
        gdfo.Space.from_json(retail, json.dumps(doc))
    assert e.value.status == gdfo.EFORMAT and "legal" in str(e.value)


def test_point_errors(space):
    with pytest.raises(gdfo.GdfoError) as e:
        space.check([0, 0, 0])
    assert e.value.status == gdfo.EINVAL
    assert str(e.value) == "point has 3 entries, the space %d decisions" % space.dim
    p = [0] * space.dim
    p[0] = 99
    with pytest.raises(gdfo.GdfoError) as e:
        space.apply(p)
    assert "point[0] = 99: decision '%s' has choices 0..%d" % (
        space.decisions[0].name, len(space.decisions[0].choices) - 1) in str(e.value)
    p[0] = 2**40
    with pytest.raises(gdfo.GdfoError) as e:
        space.check(p)
    assert e.value.status == gdfo.EINVAL and "point[0]" in str(e.value)
    with pytest.raises(TypeError, match=r"point\[1\] must be an int, not str"):
        space.check([0, "1"] + [0] * (space.dim - 2))
    with pytest.raises(TypeError, match="point\\[0\\] must be an int, not bool"):
        space.check([True] + [0] * (space.dim - 1))
    with pytest.raises(TypeError, match="point must be a sequence of ints"):
        space.check("0,1")
    with pytest.raises(gdfo.GdfoError) as e:
        space.apply([0] * space.dim, source="")
    assert e.value.status == gdfo.EINVAL


def test_argument_errors(retail, tmp_path):
    with pytest.raises(TypeError, match="graph must be a gdfo.Graph, not str"):
        gdfo.Space(RETAIL)
    with pytest.raises(TypeError, match="structural must be a bool"):
        gdfo.Space(retail, structural=1)
    with pytest.raises(TypeError, match="cluster must be None, a path"):
        gdfo.Space(retail, cluster=8)
    with pytest.raises(gdfo.GdfoFileNotFoundError):
        gdfo.Space(retail, cluster=str(tmp_path / "missing.json"))
    with pytest.raises(gdfo.GdfoError) as e:
        gdfo.Space(retail, cluster={"format": "gdfo-cluster/1", "executor": 4})
    assert e.value.status == gdfo.EFORMAT and "executor" in str(e.value)
    with pytest.raises(TypeError):
        gdfo.RngState("1")


def test_closed_space(retail):
    s = gdfo.Space(retail)
    s.close()
    s.close()
    with pytest.raises(gdfo.GdfoError, match="this Space is closed"):
        s.sample(1)


def test_the_space_outlives_its_graph():
    g = gdfo.Graph.load(RETAIL)
    s = gdfo.Space(g)
    g.close()
    with s.apply(s.sample(1)) as plan, plan.graph() as pg, s.graph() as input_:
        pg.validate()
        assert input_.name == "retail_etl"
    s.close()


def test_cluster_loader():
    c = _sim_cluster.load(DATAPROC)
    assert c.version == gdfo._lib.GDFO_SIM_CLUSTER_VERSION and c.executors == 8 and c.cores_per_executor == 16
    assert _sim_cluster.load({"executors": 3}).executors == 3
    assert _sim_cluster.load(None) is None


# ------------------------------------------------------------- the reward


def test_reward_worked_example():
    base = gdfo.Outcome(success=True, latency_ms=1000, throughput=100, cost=2.0)
    run = gdfo.Outcome(success=True, latency_ms=800, throughput=125, cost=2.2)
    r = gdfo.reward(run, base, gdfo.Objective(1, 1, 1))
    assert r.throughput_gain == pytest.approx(0.25)
    assert r.latency_increase == pytest.approx(-0.2)
    assert r.cost_overhead == pytest.approx(0.1)
    assert r.reward == pytest.approx(0.25 + 0.2 - 0.1)
    assert not r.penalized
    slo = gdfo.reward(run, base, gdfo.Objective(0, 0, 1, slo_ms=700, failure_penalty=1))
    assert slo.slo_missed and slo.penalized and slo.reward == pytest.approx(-0.1 - 1)
    assert gdfo.reward(base, base).reward == 0


def test_reward_errors():
    base = gdfo.Outcome(True, 1000, 100, 2.0)
    with pytest.raises(gdfo.GdfoError) as e:
        gdfo.reward(gdfo.Outcome(True, -1, 100, 2.0), base)
    assert e.value.status == gdfo.EINVAL and "latency" in str(e.value)
    with pytest.raises(gdfo.GdfoError) as e:
        gdfo.reward(base, base, gdfo.Objective(0, 0, 0))
    assert e.value.status == gdfo.EINVAL and "weight" in str(e.value)
    with pytest.raises(TypeError, match="run must be a gdfo.Outcome"):
        gdfo.reward({"latency_ms": 1}, base)
    with pytest.raises(TypeError, match="latency_weight must be a number"):
        gdfo.reward(base, base, gdfo.Objective(latency_weight="1"))


def test_objective_defaults_are_the_library_s():
    o = gdfo.Objective()
    assert (o.throughput_weight, o.latency_weight, o.cost_weight) == (1, 1, 1)
    assert o.slo_ms == 0 and o.cost_ceiling == 0 and o.failure_penalty == 1
    o.validate()
    with pytest.raises(gdfo.GdfoError, match="slo_ms"):
        gdfo.Objective(slo_ms=-1).validate()


# --------------------------------------------------------------- the judge


def test_judge_is_deterministic(retail, space):
    p = space.sample(21)
    with space.apply(p) as plan:
        with gdfo.Judge(retail, cluster=DATAPROC, seed=3) as a, \
                gdfo.Judge(retail, cluster=DATAPROC, seed=3) as b:
            assert a.baseline == b.baseline
            ra, oa = a.judge(plan)
            rb, ob = b.judge(plan)
            assert (ra, oa) == (rb, ob)
            assert a.judge(plan) == (ra, oa)       # the same draws every time
            assert a.count == 2 and b.count == 1
            base = a.baseline
        with gdfo.Judge(retail, cluster=DATAPROC, seed=4) as c:
            assert c.baseline != base             # another seed, other noise
            assert c.judge(plan)[1] != oa


def test_judging_the_input_scores_zero(retail):
    with gdfo.Judge(retail, objective=gdfo.Objective(1, 1, 1)) as j:
        r, o = j.judge(retail)
        assert r.reward == 0 and o == j.baseline and o.success
        assert j.baseline.latency_ms > 0 and j.baseline.cost > 0


def test_judge_objective_and_slo(retail, space):
    with gdfo.Judge(retail) as j0:
        base = j0.baseline.latency_ms
    obj = gdfo.Objective(0, 0, 1, slo_ms=base * 0.5, failure_penalty=1)
    with gdfo.Judge(retail, objective=obj) as j:
        assert j.objective == obj
        r, o = j.judge(retail)
        assert r.slo_missed and r.reward == -1


def test_judge_with_a_plan_or_its_graph(retail, space):
    with space.apply(space.sample(2)) as plan, plan.graph() as pg, gdfo.Judge(retail) as j:
        assert j.judge(plan) == j.judge(pg)


def test_judge_errors(retail):
    with pytest.raises(gdfo.GdfoError) as e:
        gdfo.Judge(retail, runs=0)
    assert e.value.status == gdfo.EINVAL and str(e.value) == "gdfo_judge_create: runs 0 is outside 1..1000"
    with pytest.raises(gdfo.GdfoError) as e:
        gdfo.Judge(retail, objective=gdfo.Objective(0, 0, 0))
    assert e.value.status == gdfo.EINVAL and "objective" in str(e.value)
    with pytest.raises(TypeError, match="objective must be a gdfo.Objective"):
        gdfo.Judge(retail, objective={"latency_weight": 1})
    with pytest.raises(TypeError, match="runs must be an int"):
        gdfo.Judge(retail, runs=2.0)
    with pytest.raises(gdfo.GdfoError) as e:
        gdfo.Judge(retail, cluster='{"format": "gdfo-cluster/1", "executors": -3}')
    assert e.value.status == gdfo.EFORMAT and "executors" in str(e.value)
    with gdfo.Judge(retail, runs=1) as j:
        with pytest.raises(TypeError, match="must be a gdfo.Graph or gdfo.Plan"):
            j.judge(RETAIL)
    j.close()
    with pytest.raises(gdfo.GdfoError, match="this Judge is closed"):
        j.judge(retail)


@pytest.mark.skipif(not os.path.isdir(EVENTS), reason="../shared/data is absent")
def test_judge_calibrated_to_telemetry():
    log = os.path.join(EVENTS, "dr-elephant", "event_log_1")
    with gdfo.EventLog.read(log) as ev, ev.graph() as g, ev.telemetry() as t:
        with gdfo.Judge(g, telemetry=t, runs=2) as cal, gdfo.Judge(g, runs=2) as raw:
            assert cal.baseline != raw.baseline
            with gdfo.Space(g) as s, s.apply(s.sample(1)) as plan:
                r, o = cal.judge(plan)
                assert cal.count == 1 and o.latency_ms > 0


def test_typed():
    import typing
    for fn in (gdfo.Space.__init__, gdfo.Space.from_json, gdfo.Space.sample, gdfo.Space.neighbours,
               gdfo.Space.check, gdfo.Space.apply, gdfo.Space.point_of, gdfo.Space.to_json,
               gdfo.Judge.__init__, gdfo.Judge.judge, gdfo.reward):
        hints = typing.get_type_hints(fn)
        assert "return" in hints, fn.__qualname__
    assert typing.get_type_hints(gdfo.Space.apply)["return"] is gdfo.Plan
    assert typing.get_type_hints(gdfo.reward)["return"] is gdfo.Reward
    assert typing.get_type_hints(gdfo.Judge.__init__)["objective"] == typing.Optional[gdfo.Objective]
