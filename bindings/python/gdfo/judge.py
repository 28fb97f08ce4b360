"""The objective, the reward and the judge (include/gdfo/objective.h,
reward.h, judge.h): how a plan of a pipeline is scored."""
from __future__ import annotations

import ctypes
from dataclasses import dataclass, fields
from typing import Any, Optional, Tuple, Union

from . import _lib, _sim_cluster
from ._handle import Handle, require
from .errors import EINVAL, GdfoError, check
from .graph import Graph
from .plan import Plan
from .telemetry import Telemetry


def _number(v: Any, what: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError("%s must be a number, not %s" % (what, type(v).__name__))
    return float(v)


def _c_objective_defaults() -> "_lib.Objective":
    o = _lib.Objective()
    check(_lib.objective_init(ctypes.byref(o), _lib.GDFO_OBJECTIVE_VERSION))
    return o


_OBJ_DEFAULTS = _c_objective_defaults()


@dataclass
class Objective:
    """What a plan should optimize (gdfo_objective); defaults are the library's.

    R = throughput_weight x throughput gain - latency_weight x latency
    increase - cost_weight x cost overhead (each relative to the baseline),
    minus failure_penalty when the run failed, missed slo_ms (> 0) or cost
    more than cost_ceiling (> 0).
    """
    throughput_weight: float = _OBJ_DEFAULTS.throughput_weight
    latency_weight: float = _OBJ_DEFAULTS.latency_weight
    cost_weight: float = _OBJ_DEFAULTS.cost_weight
    slo_ms: float = _OBJ_DEFAULTS.slo_ms
    cost_ceiling: float = _OBJ_DEFAULTS.cost_ceiling
    failure_penalty: float = _OBJ_DEFAULTS.failure_penalty

    def _c(self) -> "_lib.Objective":
        o = _c_objective_defaults()
        for f in fields(self):
            setattr(o, f.name, _number(getattr(self, f.name), f.name))
        return o

    def validate(self) -> None:
        """Raises GdfoError(EINVAL) naming the field out of range (or no weight above 0)."""
        o = self._c()
        check(_lib.objective_validate(ctypes.byref(o)))


@dataclass
class Outcome:
    """What a run measured (gdfo_outcome): mean of the judge's runs."""
    success: bool
    latency_ms: float
    throughput: float
    cost: float

    @classmethod
    def _from_c(cls, c: "_lib.Outcome") -> "Outcome":
        return cls(success=bool(c.success), latency_ms=c.latency_ms, throughput=c.throughput,
                   cost=c.cost)

    def _c(self) -> "_lib.Outcome":
        o = _lib.Outcome()
        check(_lib.outcome_init(ctypes.byref(o), _lib.GDFO_OUTCOME_VERSION))
        if not isinstance(self.success, (bool, int)):
            raise TypeError("success must be a bool, not %s" % type(self.success).__name__)
        o.success = 1 if self.success else 0
        for name in ("latency_ms", "throughput", "cost"):
            setattr(o, name, _number(getattr(self, name), name))
        return o


@dataclass
class Reward:
    """A reward and its terms (gdfo_reward); > 0 is better than the baseline."""
    reward: float
    throughput_gain: float      # relative, before weighting (0.1 = 10 %)
    latency_increase: float
    cost_overhead: float
    penalty: float              # failure_penalty or 0
    penalized: bool
    failed: bool
    slo_missed: bool
    over_budget: bool

    @classmethod
    def _from_c(cls, c: "_lib.Reward") -> "Reward":
        return cls(reward=c.reward, throughput_gain=c.throughput_gain,
                   latency_increase=c.latency_increase, cost_overhead=c.cost_overhead,
                   penalty=c.penalty, penalized=bool(c.penalized), failed=bool(c.failed),
                   slo_missed=bool(c.slo_missed), over_budget=bool(c.over_budget))


def _objective(objective: Optional[Objective]) -> Optional["_lib.Objective"]:
    if objective is None:
        return None
    require(objective, Objective, "objective")
    return objective._c()


def reward(run: Outcome, baseline: Outcome, objective: Optional[Objective] = None) -> Reward:
    """Scores run against baseline under objective (None: the default
    objective) with gdfo_reward_compute, the one definition of R.
    Raises GdfoError(EINVAL) for a negative or non-finite value or an
    invalid objective, naming it; TypeError for arguments of other types."""
    require(run, Outcome, "run")
    require(baseline, Outcome, "baseline")
    o = _objective(objective)
    r, b = run._c(), baseline._c()
    out = _lib.Reward(version=_lib.GDFO_REWARD_VERSION)
    check(_lib.reward_compute(ctypes.byref(out), ctypes.byref(r), ctypes.byref(b),
                              ctypes.byref(o) if o is not None else None))
    return Reward._from_c(out)


def _count(v: Any, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError("%s must be an int, not %s" % (what, type(v).__name__))
    return v


class Judge(Handle):
    """Scores plans of one pipeline (gdfo_judge): each plan's graph runs in the
    discrete-event simulator `runs` times on fixed seeds with lognormal noise
    and stragglers; the mean outcome is scored against the input's own runs
    on the same seeds (baseline). Use as a context manager or call close().

    objective (Objective, None: the library's default), cluster (a path,
    JSON text or dict of a gdfo-cluster/1 document; None: the built-in
    model) and telemetry (a Telemetry of a run of the input: the model is
    calibrated to it) are copied when the judge is made. A judge is used by
    one thread at a time; calls from several threads are serialized.
    Raises GdfoError (EINVAL naming a bad option, objective or cluster
    field; EFORMAT for a bad cluster document).
    """
    _free = _lib.judge_free
    _kind = "Judge"

    def __init__(self, graph: Graph, objective: Optional[Objective] = None,
                 cluster: Optional[_sim_cluster.ClusterLike] = None,
                 telemetry: Optional[Telemetry] = None, runs: int = 5, seed: int = 1,
                 noise_sigma: float = 0.1, straggler_prob: float = 0.01,
                 straggler_factor: float = 4) -> None:
        Handle.__init__(self, None)
        require(graph, Graph, "graph")
        if telemetry is not None:
            require(telemetry, Telemetry, "telemetry")
        o = _lib.JudgeOptions()
        check(_lib.judge_options_init(ctypes.byref(o), _lib.GDFO_JUDGE_OPTIONS_VERSION))
        runs = _count(runs, "runs")
        if not -2**31 <= runs < 2**31:     # the library checks 1..1000 for the rest
            raise GdfoError(EINVAL, "gdfo_judge_create: runs %d is outside 1..1000" % runs)
        o.runs = runs
        seed = _count(seed, "seed")
        if not 0 <= seed < 2**64:
            raise GdfoError(EINVAL, "seed %d is outside 0..2^64-1" % seed)
        o.seed = seed
        o.noise_sigma = _number(noise_sigma, "noise_sigma")
        o.straggler_prob = _number(straggler_prob, "straggler_prob")
        o.straggler_factor = _number(straggler_factor, "straggler_factor")
        obj = _objective(objective)
        buf = _sim_cluster.load(cluster)
        o.objective = ctypes.addressof(obj) if obj is not None else None
        o.cluster = _sim_cluster.address(buf)
        out = ctypes.c_void_p()
        with graph._read() as g:
            if telemetry is not None:
                with telemetry._read() as t:
                    o.telemetry = t
                    check(_lib.judge_create(ctypes.byref(out), g, ctypes.byref(o)))
            else:
                check(_lib.judge_create(ctypes.byref(out), g, ctypes.byref(o)))
        self._ptr = out.value
        self._objective = objective
        base = _lib.Outcome(version=_lib.GDFO_OUTCOME_VERSION)
        check(_lib.judge_baseline(ctypes.byref(base), self._ptr))
        self._baseline = Outcome._from_c(base)

    @property
    def baseline(self) -> Outcome:
        """The input's mean outcome: what every plan is scored against."""
        with self._read():
            return Outcome(**vars(self._baseline))

    @property
    def objective(self) -> Optional[Objective]:
        """The objective given when the judge was made (None: the library's default)."""
        return self._objective

    def judge(self, plan: Union[Graph, Plan]) -> Tuple[Reward, Outcome]:
        """Runs a graph of the same pipeline (or a Plan's graph) and returns
        its reward against the baseline and its mean outcome. Counts one
        judge run. A plan that fails in some run has success False and the
        objective's failure penalty. Raises GdfoError (EINVAL for an invalid
        graph), TypeError for anything but a Graph or Plan."""
        if not isinstance(plan, (Graph, Plan)):
            raise TypeError("plan must be a gdfo.Graph or gdfo.Plan, not %s" % type(plan).__name__)
        r = _lib.Reward(version=_lib.GDFO_REWARD_VERSION)
        oc = _lib.Outcome(version=_lib.GDFO_OUTCOME_VERSION)
        with self._write() as j, plan._read() as p:
            g = _lib.plan_graph(p) if isinstance(plan, Plan) else p
            check(_lib.judge_graph(ctypes.byref(r), ctypes.byref(oc), j, g))
        return Reward._from_c(r), Outcome._from_c(oc)

    @property
    def count(self) -> int:
        """Plans judged so far (successful judge() calls)."""
        with self._read() as j:
            return int(_lib.judge_count(j))

    def __repr__(self) -> str:
        if self.closed:
            return "<gdfo.Judge closed>"
        b = self._baseline
        return "<gdfo.Judge baseline %.1f ms, cost %.4g, %d judged>" % (b.latency_ms, b.cost,
                                                                       self.count)
