"""gdfo.Simulator: a pipeline, a plan and a profile simulated from Python, with
calibration to telemetry, agreeing with the CLI (which calls the same C)."""
import json
import os
import subprocess

import pytest

import gdfo
from conftest import EVENTS, EXAMPLES, RETAIL, cli_path

AQE = os.path.join(EVENTS, "spark-rapids-tools", "aqeshuffle_eventlog")
DATAPROC = os.path.join(os.path.dirname(EXAMPLES), "clusters", "dataproc-8x16.json")


def approx(x):
    return pytest.approx(x, rel=1e-9)  # the CLI prints 10 significant digits


def cli_json(*args):
    return json.loads(subprocess.run([cli_path()] + list(args), check=True, capture_output=True,
                                     text=True).stdout)


def test_pipeline_matches_cli():
    want = cli_json("simulate", "--pipeline", RETAIL)
    with gdfo.Simulator() as sim, gdfo.Graph.load(RETAIL) as g:
        r = sim.run(g)
        assert r.success and r.failed_stage_id is None
        assert r.makespan_ms == approx(want["makespan_ms"])
        assert r.cost == approx(want["cost"])
        assert [s.id for s in r.stages] == [s["id"] for s in want["stages"]]
        assert [s.tasks for s in r.stages] == [approx(s["tasks"]) for s in want["stages"]]
        joins = {s.id: s.join_strategy for s in r.stages if s.join_strategy}
        assert joins and set(joins.values()) <= {"broadcast", "sort_merge", "shuffle_hash"}
        assert sim.result_json()["makespan_ms"] == approx(r.makespan_ms)


def test_options_and_cluster():
    with gdfo.Graph.load(RETAIL) as g:
        with gdfo.Simulator(DATAPROC) as sim:
            want = cli_json("simulate", "--pipeline", RETAIL, "--cluster", DATAPROC, "--mode", "analytic")
            assert sim.run(g, mode="analytic").makespan_ms == approx(want["makespan_ms"])
            noisy = sim.run(g, noise_sigma=0.2, runs=3, seed=7)
            assert noisy.runs == 3 and noisy.makespan_ms_p95 >= noisy.makespan_ms * 0.5
            # expected mode: the DES's mean under the noise, in one deterministic run
            des = sim.run(g, noise_sigma=0.1, straggler_prob=0.01, runs=200, seed=3)
            exp = sim.run(g, mode="expected", noise_sigma=0.1, straggler_prob=0.01)
            assert exp.runs == 1 and abs(exp.makespan_ms / des.makespan_ms - 1) < 0.1
            assert exp.makespan_ms_p95 > exp.makespan_ms
        with gdfo.Simulator({"executors": 3}) as sim:
            assert sim.cluster()["executors"] == 3
        with pytest.raises(gdfo.GdfoError) as e:
            gdfo.Simulator({"executors": 0})
        assert "executors" in str(e.value)
        with gdfo.Simulator() as sim:
            with pytest.raises(TypeError):
                sim.run(g, nosie_sigma=0.1)
            with pytest.raises(ValueError):
                sim.run(g, mode="fluid")
            with pytest.raises(TypeError):
                sim.run(g, runs=2.0)
            with pytest.raises(gdfo.GdfoError) as e:
                sim.run(g, noise_sigma=9.0)
            assert e.value.status == gdfo.EINVAL
        sim.close()
        sim.close()
        with pytest.raises(gdfo.GdfoError):
            sim.run(g)


def test_plan_prediction_matches_cli():
    want = cli_json("optimize", "--rules", RETAIL)["prediction"]
    with gdfo.Simulator() as sim, gdfo.Graph.load(RETAIL) as g, gdfo.optimize_rules(g) as plan:
        pred = sim.predict(plan, g)
        assert pred.latency_ms == approx(want["latency_ms"])
        assert pred.baseline_latency_ms == approx(want["baseline_latency_ms"])
        assert pred.cost == approx(want["cost"])
        assert pred.calibrated is False
        assert plan.prediction == pred
        assert sim.run(plan).makespan_ms == pred.latency_ms


@pytest.mark.skipif(not os.path.exists(AQE), reason="shared event logs not present")
def test_profile_and_calibration_match_cli(tmp_path):
    paths = {k: str(tmp_path / (k + ".json")) for k in ("pipeline", "telemetry", "profile")}
    for k, p in paths.items():
        subprocess.run([cli_path(), "ingest", "--" + k, "-o", p, AQE], check=True)
    with gdfo.EventLog.read(AQE) as log, log.profile() as prof, log.graph() as g, log.telemetry() as t, \
            gdfo.Simulator() as sim:
        want = cli_json("simulate", "--profile", paths["profile"])
        r = sim.run_profile(prof)
        assert r.makespan_ms == approx(want["makespan_ms"])
        assert [s.id for s in r.stages] == [s["id"] for s in want["stages"]]

        assert not sim.calibration().active
        cal = sim.calibrate(g, t)
        assert cal.active and cal.overhead_fitted
        assert cal.stages_calibrated == cal.stages == 4
        assert cal.measured_latency_ms == 17896
        assert sim.calibration() == cal
        assert [s["id"] for s in sim.calibration_json()["stage_factors"]] == [0, 1, 4, 8]
        # calibrated: the pipeline's prediction is the measured latency, as in the CLI
        want = cli_json("optimize", "--rules", "--telemetry", paths["telemetry"], paths["pipeline"])["prediction"]
        with gdfo.optimize_rules(g, t) as plan:
            pred = sim.predict(plan, g)
        assert pred.calibrated is True
        assert pred.baseline_latency_ms == approx(want["baseline_latency_ms"]) == 17896
        assert pred.baseline_execution_ms == approx(want["baseline_execution_ms"])
        assert sim.run(g).stages_calibrated == 4
        sim.calibrate(g, None)
        assert not sim.calibration().active


def test_a_run_as_telemetry():
    with gdfo.Simulator() as sim, gdfo.Graph.load(RETAIL) as g:
        with pytest.raises(gdfo.GdfoError, match="gdfo_sim_telemetry"):
            sim.telemetry(g)
        r = sim.run(g)
        with sim.telemetry(g) as t:
            assert len(t) == len(g)
            assert t.run.latency_ms == pytest.approx(r.makespan_ms)
