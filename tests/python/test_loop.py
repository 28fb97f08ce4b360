"""The closed loop through the Python binding (include/gdfo/loop.h): gdfo.Optimizer
opened with a state directory, Plan.id and Plan.loop, feedback, approve, stats,
audit and check_policy.

The engine is the task-level simulator (task noise 0.1, stragglers 0.01, a seed
per run), as `gdfo loop` runs it; the optimizer plans with the rules (model="")
so the loop does not depend on a model file, and a simulated clock makes the
audit log's times known. Nothing is mocked: what the tests expect of the steps
follows lib/loop/state.c (a candidate better on confirm_runs = 2 runs becomes
known-good; a run worse than the known-good runs by more than the rollback
margin makes the next plan the known-good one, step "rollback").
"""
import re

import pytest

from conftest import RETAIL

import gdfo

ID = re.compile(r"^([0-9a-f]{16})-([1-9][0-9]*)$")
START = 1.7e9
HOUR = 3600.0


class Clock:
    """A simulated clock: seconds since the epoch, moved by the test."""

    def __init__(self):
        self.t = START

    def __call__(self):
        return self.t


def simulated_run(plan, seed):
    """Runs plan on the simulator as an engine would; its telemetry."""
    with gdfo.Simulator() as sim:
        sim.run(plan, noise_sigma=0.1, straggler_prob=0.01, seed=seed)
        return sim.telemetry(plan)


def slow_run(latency_ms, like):
    """Telemetry built by hand: a successful run of latency_ms with like's cost and records."""
    t = gdfo.Telemetry()
    r = like.run
    t.run = gdfo.RunTelemetry(success=True, latency_ms=latency_ms, cost=r.cost, records=r.records)
    return t


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    """Ten runs of retail_etl through the loop; what each run planned and was told."""
    state = str(tmp_path_factory.mktemp("loop") / "state")
    clock = Clock()
    runs = []
    forced = None
    with gdfo.Optimizer(model="", state_dir=state, clock=clock) as opt, \
            gdfo.Graph.load(RETAIL) as g:
        for k in range(10):
            clock.t += HOUR
            plan = opt.plan(g)
            info = plan.loop
            approved = False
            if info.needs_approval:
                opt.approve(plan, "ops@example.com", "run %d looks safe" % k)
                approved = True
            tel = simulated_run(plan, 1000 + k)
            known_good = [r["latency_ms"] for r in runs if r["feedback"].known_good]
            if forced is None and info.step == "explore" and known_good:
                # a regression: three times the known-good runs' latency
                tel = slow_run(3 * max(known_good), tel)
                forced = k
            fb = opt.feedback(plan, tel)
            runs.append(dict(id=plan.id, loop=info, feedback=fb, approved=approved,
                             latency_ms=tel.run.latency_ms, ts=clock.t, plan=plan, telemetry=tel))
        stats = opt.stats()
        fp = runs[0]["loop"].fingerprint
        # the error paths, on the open handle
        errors = {}
        with pytest.raises(gdfo.GdfoError) as e:
            opt.feedback("%s-999" % fp, runs[0]["telemetry"])
        errors["unknown"] = e.value
        with pytest.raises(gdfo.GdfoError) as e:
            opt.feedback(runs[0]["plan"], runs[0]["telemetry"])
        errors["again"] = e.value
        with pytest.raises(gdfo.GdfoError) as e:
            gdfo.Optimizer(model="", state_dir=state)
        errors["second_open"] = e.value
        audit = opt.audit()
    yield dict(state=state, runs=runs, stats=stats, forced=forced, errors=errors, audit=audit,
               clock=clock)
    for r in runs:
        r["plan"].close()
        r["telemetry"].close()


def test_plans_have_ids_of_the_documented_form(loop):
    ids = [r["id"] for r in loop["runs"]]
    assert len(set(ids)) == len(ids) == 10
    for r in loop["runs"]:
        m = ID.match(r["id"])
        assert m, r["id"]
        assert len(r["id"]) <= 40                       # GDFO_PLAN_ID_MAX
        assert m.group(1) == r["loop"].fingerprint
    seqs = [int(ID.match(i).group(2)) for i in ids]
    assert seqs == sorted(seqs)


def test_plan_loop_says_what_the_loop_did(loop):
    runs = loop["runs"]
    steps = [r["loop"].step for r in runs]
    assert set(steps) <= {"known_good", "explore", "confirm", "rollback"}
    assert steps[0] == "explore"                        # a new pipeline: the optimizer's plan
    for k, r in enumerate(runs):
        info = r["loop"]
        assert info.runs == k                           # feedback before this plan
        assert info.forecast_scale == pytest.approx(1.0)
        assert ("explore" in info.events) == (info.step == "explore")
        assert not info.needs_approval or "approval" in info.events
        assert isinstance(info.predicted_regret, float)
    assert len({r["loop"].fingerprint for r in runs}) == 1


def test_a_candidate_becomes_known_good(loop):
    events = [e for r in loop["runs"] for e in r["feedback"].events]
    assert "known_good" in events
    k = next(i for i, r in enumerate(loop["runs"]) if "known_good" in r["feedback"].events)
    assert loop["runs"][k]["feedback"].known_good
    assert loop["runs"][k]["loop"].step == "confirm"    # confirm_runs 2: better twice
    fb = loop["runs"][k + 1]["feedback"]
    assert fb.baseline_measured                         # measured known-good runs now


def test_feedback_values(loop):
    for k, r in enumerate(loop["runs"]):
        fb = r["feedback"]
        assert isinstance(fb, gdfo.Feedback)
        assert fb.runs == k + 1
        assert fb.baseline_latency_ms > 0 and fb.baseline_cost >= 0
        assert fb.exploring in (True, False)
        assert set(fb.events) <= {"rollback", "known_good", "drift", "auto_off", "gate",
                                  "approval", "forecast", "explore", "failed"}
        if r["loop"].step in ("known_good", "rollback"):
            assert fb.known_good
    assert not loop["runs"][0]["feedback"].baseline_measured


def test_a_regression_rolls_back(loop):
    k = loop["forced"]
    assert k is not None, "no exploration after a known-good plan in 10 runs"
    fb = loop["runs"][k]["feedback"]
    assert "rollback" in fb.events
    assert fb.baseline_measured and fb.reward < -0.05     # the policy's rollback margin
    assert fb.residual > 1.0                             # ln 3 above what was predicted
    assert not fb.known_good
    assert "drift" not in fb.events
    nxt = loop["runs"][k + 1]["loop"]
    assert nxt.step == "rollback"
    assert loop["runs"][k + 1]["feedback"].known_good
    assert any(e["event"] == "rollback" and e["plan"] == loop["runs"][k]["id"]
               for e in loop["audit"])


def test_approval_is_recorded(loop):
    approved = [r for r in loop["runs"] if r["approved"]]
    assert approved, "no plan needed approval in 10 runs"
    for r in approved:
        assert r["loop"].needs_approval and "approval" in r["loop"].events
    records = [e for e in loop["audit"] if e["event"] == "approval"]
    assert [e["plan"] for e in records] == [r["id"] for r in approved]
    first = records[0]
    assert first["who"] == "ops@example.com"
    assert first["note"] == "run %d looks safe" % loop["runs"].index(approved[0])
    assert first["pipeline"] == approved[0]["loop"].fingerprint


def test_feedback_errors(loop):
    e = loop["errors"]
    assert e["unknown"].status == gdfo.ENOTFOUND
    assert "-999" in str(e["unknown"])
    assert e["again"].status == gdfo.EEXISTS
    assert e["second_open"].status == gdfo.EIO
    assert "open in another handle" in str(e["second_open"])


def test_stats_survive_reopening(loop):
    s = loop["stats"]
    assert s == gdfo.LoopStats(pipelines=1, records=s.records, plans=10, feedback=10, torn=0)
    approvals = sum(r["approved"] for r in loop["runs"])
    assert s.records == 10 + 10 + approvals              # plan, feedback, approval records
    with gdfo.Optimizer(model="", state_dir=loop["state"]) as opt:
        assert opt.stats() == s
        assert opt.state_dir == loop["state"]
        assert "state " + loop["state"] in repr(opt)
        # the plans of the journal are known again: a second feedback is still refused
        with pytest.raises(gdfo.GdfoError) as e:
            opt.feedback(loop["runs"][-1]["id"], loop["runs"][-1]["telemetry"])
        assert e.value.status == gdfo.EEXISTS


def test_audit_uses_the_clock_and_filters(loop):
    audit = loop["audit"]
    runs = loop["runs"]
    assert audit[0]["event"] == "open" and audit[0]["ts"] == START
    plans = [e for e in audit if e["event"] == "plan"]
    assert [e["plan"] for e in plans] == [r["id"] for r in runs]
    assert [e["ts"] for e in plans] == [r["ts"] for r in runs]
    assert len([e for e in audit if e["event"] == "feedback"]) == 10
    fp = runs[0]["loop"].fingerprint
    mine = gdfo.audit(loop["state"], pipeline=fp)
    assert mine and all(e["pipeline"] == fp for e in mine)
    assert len(mine) == len([e for e in audit if e.get("pipeline") == fp])
    assert gdfo.audit(loop["state"], pipeline=int(fp, 16)) == mine
    assert gdfo.audit(loop["state"], pipeline="0123456789abcdef") == []
    late = gdfo.audit(loop["state"], since=runs[5]["ts"])
    assert late and all(e["ts"] >= runs[5]["ts"] for e in late)
    assert [e["plan"] for e in late if e["event"] == "plan"] == [r["id"] for r in runs[5:]]


def test_audit_of_a_missing_state(tmp_path):
    with pytest.raises(gdfo.GdfoError) as e:
        gdfo.audit(tmp_path / "nothing")
    assert e.value.status == gdfo.EIO


def test_group_commit_and_sync(tmp_path, retail_json):
    with gdfo.Optimizer(model="", state_dir=tmp_path / "s", sync_every=5) as opt, \
            gdfo.Graph.from_json(retail_json) as g, opt.plan(g) as plan:
        with simulated_run(plan, 7) as tel:
            fb = opt.feedback(plan.id, tel)
        assert fb.runs == 1
        opt.sync()
        assert opt.stats().records == 2
    with pytest.raises(gdfo.GdfoError) as e:
        gdfo.Optimizer(model="", state_dir=tmp_path / "t", sync_every=0)
    assert e.value.status == gdfo.EINVAL and "sync_every" in str(e.value)
    assert gdfo.default_optimizer_options()["sync_every"] == 1


def test_a_clock_that_fails_gives_the_wall_clock(tmp_path):
    import time

    def broken():
        raise RuntimeError("no time")
    before = time.time()
    with gdfo.Optimizer(model="", state_dir=tmp_path / "s", clock=broken) as opt:
        (opened,) = opt.audit()
    assert before - 5 <= opened["ts"] <= time.time() + 5
    with pytest.raises(TypeError):
        gdfo.Optimizer(model="", state_dir=tmp_path / "s", clock=12)


def test_without_a_state_directory(retail_json):
    with gdfo.Optimizer(model="") as opt, gdfo.Graph.from_json(retail_json) as g, \
            opt.plan(g) as plan:
        assert plan.id is None and plan.loop is None
        assert opt.state_dir is None
        for call in (lambda: opt.stats(), lambda: opt.sync(), lambda: opt.audit(),
                     lambda: opt.approve("0123456789abcdef-1", "me")):
            with pytest.raises(gdfo.GdfoError) as e:
                call()
            assert e.value.status == gdfo.EINVAL
        with gdfo.Telemetry() as t:
            with pytest.raises(gdfo.GdfoError) as e:
                opt.feedback(plan, t)               # a plan without an id
            assert e.value.status == gdfo.EINVAL and "no id" in str(e.value)


def test_bad_arguments(tmp_path, retail_json):
    with gdfo.Optimizer(model="", state_dir=tmp_path / "s") as opt, \
            gdfo.Graph.from_json(retail_json) as g, opt.plan(g) as plan:
        with pytest.raises(TypeError):
            opt.feedback(12, gdfo.Telemetry())
        with pytest.raises(TypeError):
            opt.feedback(plan, "telemetry")
        with gdfo.Telemetry() as t:                     # no run latency
            with pytest.raises(gdfo.GdfoError) as e:
                opt.feedback(plan, t)
            assert e.value.status == gdfo.EINVAL and "latency" in str(e.value)
        with pytest.raises(gdfo.GdfoError) as e:
            opt.approve("not-an-id", "me")
        assert e.value.status == gdfo.EINVAL
        with pytest.raises(gdfo.GdfoError) as e:
            opt.approve(plan, "")
        assert e.value.status == gdfo.EINVAL
        opt.approve(plan, "me")
        with pytest.raises(gdfo.GdfoError) as e:
            opt.approve(plan, "me")
        assert e.value.status == gdfo.EEXISTS
        with pytest.raises(TypeError):
            opt.audit(pipeline=1.5)


def test_check_policy_accepts_a_policy():
    gdfo.check_policy('{"format": "gdfo-policy/1"}')
    gdfo.check_policy(b'{"format": "gdfo-policy/1"}')
    with pytest.raises(TypeError):
        gdfo.check_policy(12)


def test_check_policy_refuses_a_bad_policy():
    with pytest.raises(gdfo.GdfoError) as e:
        gdfo.check_policy('{"format": "gdfo-policy/1", "exploration": {"max_regret": -1}}')
    assert e.value.status == gdfo.EFORMAT and "max_regret" in str(e.value)


def test_set_policy(tmp_path):
    p = tmp_path / "policy.json"
    p.write_text('{"format": "gdfo-policy/1"}')
    with gdfo.Optimizer(model="", state_dir=tmp_path / "s") as opt:
        opt.set_policy(p)
        assert (tmp_path / "s" / "policy.json").read_text() == p.read_text()
        assert [e["event"] for e in opt.audit()] == ["open", "policy"]
        with pytest.raises(gdfo.GdfoFileNotFoundError):
            opt.set_policy(tmp_path / "missing.json")


def test_the_cli_plans_reports_and_audits(tmp_path):
    """gdfo optimize --state gives a plan an id; gdfo feedback reports its run
    (once); gdfo loop runs the loop; gdfo audit shows all of it."""
    import json
    import subprocess

    from conftest import cli_path

    cli, state = cli_path(), str(tmp_path / "state")

    def run(*args):
        return subprocess.run([cli] + list(args), capture_output=True, text=True)

    r = run("optimize", "--rules", "--state", state, "-o", str(tmp_path / "plan.json"), RETAIL)
    assert r.returncode == 0, r.stderr
    plan = json.loads(r.stdout)
    assert re.fullmatch(r"[0-9a-f]{16}-1", plan["id"])
    assert plan["loop"]["step"] == "explore"
    tel = tmp_path / "t.json"
    tel.write_text(json.dumps({"format": "gdfo-telemetry/1", "stages": [],
                               "run": {"success": True, "latency_ms": 25000, "cost": 0.05}}))
    r = run("feedback", "--json", state, plan["id"], str(tel))
    assert r.returncode == 0, r.stderr
    fb = json.loads(r.stdout)
    assert fb["runs"] == 1 and fb["baseline_measured"] is False
    r = run("feedback", state, plan["id"], str(tel))
    assert r.returncode == 2 and "feedback already" in r.stderr
    assert r.stderr.count("\n") == 1
    r = run("loop", "--rules", "--runs", "3", "--json", "--quiet", "--state", state, RETAIL)
    assert r.returncode == 0, r.stderr
    runs = [json.loads(line) for line in r.stdout.splitlines()]
    assert [x["run"] for x in runs] == [0, 1, 2]
    assert {"step", "source", "latency_ms", "cost", "reward", "best_known_latency_ms", "known_good",
            "events"} <= set(runs[0])
    r = run("audit", "--json", "--pipeline", plan["id"][:16], state)
    assert r.returncode == 0, r.stderr
    events = [e["event"] for e in json.loads(r.stdout)]
    assert events.count("feedback") == 4 and "plan" in events
    r = run("audit", state)
    assert r.returncode == 0 and "feedback" in r.stdout
    r = run("audit", "--since", "not-a-time", state)
    assert r.returncode == 2
