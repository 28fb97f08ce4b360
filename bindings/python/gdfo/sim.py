"""The simulator (include/gdfo/sim.h): predictions for a pipeline, a plan or a profile.

    with gdfo.Simulator() as sim, gdfo.Graph.load("p.json") as g:
        r = sim.run(g)                      # SimResult, per-stage results in r.stages
        sim.calibrate(g, telemetry)         # fit the model to a measured run
        pred = sim.predict(plan, g)         # the plan's Prediction on that model

A Simulator owns one gdfo_sim handle (its workspaces and its calibration);
calls on one Simulator are serialized. Results are copies.
"""
from __future__ import annotations

import ctypes
import json
from dataclasses import dataclass, field, fields
from typing import Any, Dict, List, Mapping, Optional, Union

from . import _lib, _sim_cluster
from ._handle import Handle, StrPath, require, set_option, take_string
from .errors import check
from .graph import Graph
from .plan import Plan, Prediction
from .profile import Profile
from .telemetry import Telemetry

_MODES = {"des": 0, "analytic": 1, "expected": 2}
_REPLAYS = {"exact": 0, "sampled": 1}
_JOIN = ("auto", "broadcast", "shuffle_hash", "sort_merge")
_SWITCHES = ("dynamic_allocation",)
_INTS = ("seed", "runs", "executors", "cores_per_executor", "max_attempts", "min_executors",
         "max_executors", "run_index", "batches")
_FLOATS = ("noise_sigma", "straggler_prob", "straggler_factor", "failure_prob", "backlog_timeout_ms",
           "idle_timeout_ms", "batch_interval_ms", "replay_stage_gap_ms")
#: Keyword options of every run call: the fields of gdfo_sim_options (mode "des",
#: "analytic" or "expected", replay "exact" or "sampled"); defaults from
#: gdfo_sim_options_init.
OPTIONS = ("mode", "replay") + _SWITCHES + _INTS + _FLOATS


@dataclass
class StageResult:
    """One stage of a simulation (means over runs for times)."""
    id: int
    job: int
    join_strategy: Optional[str]   # what the model used, joins only
    tasks: float
    start_ms: float
    end_ms: float
    duration_ms: float
    work_ms: float
    task_ms_max: float
    rows_in: float
    rows_out: float
    bytes_in: float
    bytes_out: float
    shuffle_read_bytes: float
    shuffle_write_bytes: float
    spill_bytes: float
    cache_bytes: float
    files_written: float
    executions: float              # times its output is computed (recomputation)


@dataclass
class SimResult:
    """What one run call measured (include/gdfo/sim.h, gdfo_sim_result)."""
    success: bool
    runs: int
    failed_stage_id: Optional[int]
    executors: int
    cores_per_executor: int
    makespan_ms: float
    makespan_ms_p95: float
    work_ms: float
    critical_path_ms: float
    stage_ms_p95: float
    records: float
    throughput: float
    cost: float
    compute_cost: float
    storage_cost: float
    executor_seconds: float
    spill_bytes: float
    shuffle_bytes: float
    utilization: float
    task_events: float
    batches: int
    batch_interval_ms: float
    batch_latency_ms_mean: float
    batch_latency_ms_p95: float
    batch_latency_ms_max: float
    backlog_batches: float
    execution_ms: float            # graphs: makespan without the fixed per-run overhead
    overhead_ms: float
    stages_calibrated: int
    stages: List[StageResult] = field(default_factory=list)


@dataclass
class Calibration:
    """A Simulator's calibration to telemetry (gdfo_sim_calibration)."""
    active: bool
    stages: int
    stages_calibrated: int
    records_unmatched: int
    overhead_fitted: bool
    overhead_ms: float
    measured_latency_ms: Optional[float]
    execution_ms: float
    uncalibrated_execution_ms: float
    rate: float


def _options(options: Mapping[str, Any]) -> "_lib.SimOptions":
    o = _lib.SimOptions()
    check(_lib.sim_options_init(ctypes.byref(o), _lib.GDFO_SIM_OPTIONS_VERSION))
    for k, v in options.items():
        if k in ("mode", "replay"):
            names = _MODES if k == "mode" else _REPLAYS
            if v not in names:
                raise ValueError("option %s must be one of %s, not %r" % (k, ", ".join(names), v))
            setattr(o, k, names[v])
        elif not set_option(o, k, v, _SWITCHES, _INTS, _FLOATS):
            raise TypeError("unknown simulation option %r (options: %s)" % (k, ", ".join(OPTIONS)))
    return o


def _calibration(c: "_lib.SimCalibration") -> Calibration:
    return Calibration(active=bool(c.active), stages=c.stages, stages_calibrated=c.stages_calibrated,
                       records_unmatched=c.records_unmatched, overhead_fitted=bool(c.overhead_fitted),
                       overhead_ms=c.overhead_ms,
                       measured_latency_ms=None if c.measured_latency_ms < 0 else c.measured_latency_ms,
                       execution_ms=c.execution_ms, uncalibrated_execution_ms=c.uncalibrated_execution_ms,
                       rate=c.rate)


class Simulator(Handle):
    """A simulator on one cluster model. Use as a context manager or call close().

    cluster: None for the built-in model (docs/simulator.md), the path of a
    gdfo-cluster/1 file, or a dict of cluster fields over the defaults
    ({"executors": 16, "network_bytes_per_s": 2.5e9}). Unknown or out-of-range
    fields raise GdfoError naming them.
    """
    _free = _lib.sim_free
    _kind = "Simulator"

    def __init__(self, cluster: Union[None, StrPath, Mapping[str, Any]] = None) -> None:
        c = _sim_cluster.load(cluster)
        out = ctypes.c_void_p()
        check(_lib.sim_create(ctypes.byref(out), ctypes.byref(c) if c is not None else None))
        super().__init__(out.value)

    def cluster(self) -> Dict[str, Any]:
        """The cluster model's fields (a copy)."""
        c = _lib.SimCluster(version=_lib.GDFO_SIM_CLUSTER_VERSION)
        with self._read() as s:
            check(_lib.sim_get_cluster(ctypes.byref(c), s))
        return {f[0]: getattr(c, f[0]) for f in c._fields_ if f[0] != "version"}

    def _result(self, s: int, r: "_lib.SimResult") -> SimResult:
        out = {f.name: getattr(r, f.name) for f in fields(SimResult) if f.name != "stages"}
        out["success"] = bool(r.success)
        out["failed_stage_id"] = None if r.failed_stage_id < 0 else r.failed_stage_id
        res = SimResult(**out)
        st = _lib.SimStageResult(version=_lib.GDFO_SIM_STAGE_RESULT_VERSION)
        for i in range(_lib.sim_stage_count(s)):
            check(_lib.sim_stage_at(ctypes.byref(st), s, i))
            d = {f.name: getattr(st, f.name) for f in fields(StageResult) if f.name != "join_strategy"}
            res.stages.append(StageResult(join_strategy=_JOIN[st.join_strategy] if st.join_strategy else None,
                                          **d))
        return res

    def run(self, pipeline: Union[Graph, Plan], **options: Any) -> SimResult:
        """Simulates a pipeline Graph, or a Plan's rewritten pipeline (gdfo_sim_run_graph).

        On a calibrated Simulator the calibrated model runs. A run the model
        expects to fail (an oversized broadcast) is not an error: success is False.
        """
        o = _options(options)
        r = _lib.SimResult(version=_lib.GDFO_SIM_RESULT_VERSION)
        if isinstance(pipeline, Plan):
            with self._write() as s, pipeline._read() as p:
                check(_lib.sim_run_graph(ctypes.byref(r), s, _lib.plan_graph(p), ctypes.byref(o)))
                return self._result(s, r)
        require(pipeline, Graph, "pipeline")
        with self._write() as s, pipeline._read() as g:
            check(_lib.sim_run_graph(ctypes.byref(r), s, g, ctypes.byref(o)))
            return self._result(s, r)

    def run_profile(self, profile: Profile, **options: Any) -> SimResult:
        """Replays a measured job Profile (options executors, replay="exact"|"sampled", ...)."""
        require(profile, Profile, "profile")
        o = _options(options)
        r = _lib.SimResult(version=_lib.GDFO_SIM_RESULT_VERSION)
        with self._write() as s, profile._read() as p:
            check(_lib.sim_run_profile(ctypes.byref(r), s, p, ctypes.byref(o)))
            return self._result(s, r)

    def result_json(self) -> Dict[str, Any]:
        """The last run's result as gdfo_sim_result_to_json writes it."""
        out = ctypes.c_void_p()
        with self._read() as s:
            check(_lib.sim_result_to_json(ctypes.byref(out), s))
        return json.loads(take_string(out))

    def calibrate(self, pipeline: Graph, telemetry: Optional[Telemetry], **options: Any) -> Calibration:
        """Fits the model to telemetry of a run of pipeline (gdfo_sim_calibrate).

        Every later run() and predict() on this Simulator uses the calibrated
        model; telemetry None clears the calibration. The caller checks that
        the telemetry belongs to the pipeline (gdfo.optimize_rules refuses
        telemetry of another pipeline); records of other stage ids are counted
        in records_unmatched. Raises GdfoError (ENOTFOUND: nothing to calibrate).
        """
        require(pipeline, Graph, "pipeline")
        if telemetry is not None:
            require(telemetry, Telemetry, "telemetry")
        o = _options(options)
        c = _lib.SimCalibration(version=_lib.GDFO_SIM_CALIBRATION_VERSION)
        with self._write() as s, pipeline._read() as g:
            if telemetry is None:
                check(_lib.sim_calibrate(ctypes.byref(c), s, g, None, ctypes.byref(o)))
            else:
                with telemetry._read() as t:
                    check(_lib.sim_calibrate(ctypes.byref(c), s, g, t, ctypes.byref(o)))
        return _calibration(c)

    def telemetry(self, pipeline: Union[Graph, Plan]) -> Telemetry:
        """The last run() of pipeline (a Graph, or a Plan's rewritten pipeline) as the
        telemetry a host would report (gdfo_sim_telemetry): a simulated run standing
        in for a real one, say as Optimizer.feedback()'s telemetry. Raises GdfoError
        (EINVAL) when the last run was not of pipeline."""
        out = ctypes.c_void_p()
        if isinstance(pipeline, Plan):
            with self._read() as s, pipeline._read() as p:
                check(_lib.sim_telemetry(ctypes.byref(out), s, _lib.plan_graph(p)))
            return Telemetry._wrap(out.value)
        require(pipeline, Graph, "pipeline")
        with self._read() as s, pipeline._read() as g:
            check(_lib.sim_telemetry(ctypes.byref(out), s, g))
        return Telemetry._wrap(out.value)

    def calibration(self) -> Calibration:
        """The current calibration (active False when uncalibrated)."""
        c = _lib.SimCalibration(version=_lib.GDFO_SIM_CALIBRATION_VERSION)
        with self._read() as s:
            check(_lib.sim_get_calibration(ctypes.byref(c), s))
        return _calibration(c)

    def calibration_json(self) -> Dict[str, Any]:
        """The calibration with its per-stage factors (gdfo_sim_calibration_to_json)."""
        out = ctypes.c_void_p()
        with self._read() as s:
            check(_lib.sim_calibration_to_json(ctypes.byref(out), s))
        return json.loads(take_string(out))

    def predict(self, plan: Plan, input: Graph, **options: Any) -> Prediction:
        """Predicts plan against the pipeline it was made from (gdfo_sim_predict_plan).

        The prediction is stored in the plan (plan.prediction, its JSON) and
        returned; on a calibrated Simulator it is the calibrated model's.
        """
        require(plan, Plan, "plan")
        require(input, Graph, "input")
        o = _options(options)
        with self._write() as s, plan._write() as p, input._read() as g:
            check(_lib.sim_predict_plan(s, p, g, ctypes.byref(o)))
        return plan.prediction
