"""The learned optimizer, its Q refiner, training and the closed loop
(include/gdfo/optimizer.h, include/gdfo/learn.h, include/gdfo/loop.h;
docs/learning.md).

    gdfo.train("policy.gdfonn", warm=128, ppo=32, batch=16)      # a tiny model
    with gdfo.Optimizer(model="policy.gdfonn") as opt, gdfo.Graph.load("p.json") as g:
        with opt.plan(g, objective=gdfo.Objective(0, 1, 0)) as plan:
            print(plan.source, plan.notes[-1])

An Optimizer owns one gdfo_optimizer handle (the loaded policy model); any
number of threads may plan with it at once. A Refiner proposes one
neighbouring edit of the best plan per observed run. Opened with a
state_dir, the Optimizer is the closed loop: each plan gets an id, the
host reports each run back (feedback), approves risky plans (approve),
and the audit log says what the loop did (audit).
"""
from __future__ import annotations

import ctypes
import json
import os
import weakref
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from . import _lib, _sim_cluster
from ._handle import Handle, StrPath, Text, require, set_option, take_string, to_bytes, to_path
from .errors import ECANCELED, EINVAL, ENOTFOUND, GdfoError, check, check_read, last_error
from .graph import Graph
from .judge import Objective, _objective
from .plan import Plan, event_names
from .telemetry import Telemetry

# Options of Optimizer(...) and the Python types they take; defaults come from
# gdfo_optimizer_options_init (default_optimizer_options()).
_SWITCHES = ("use_rules", "score", "uniform")
_INTS = ("candidates", "structural_steps", "verify", "seed", "rules_check", "sync_every")
_FLOATS = ("verify_tasks",)
OPTIONS = _SWITCHES + _INTS + _FLOATS

# Options of train(...) besides its named arguments (gdfo_train_options).
_TRAIN_INTS = ("d_model", "n_layers", "epochs", "expert_budget", "structural_steps",
               "checkpoint_every", "group")
_TRAIN_FLOATS = ("lr", "clip", "entropy_coef", "value_coef", "max_grad_norm", "weight_decay")
TRAIN_OPTIONS = ("seed", "warm", "ppo", "batch") + _TRAIN_INTS + _TRAIN_FLOATS
# train()'s short names for fields of gdfo_train_options.
_TRAIN_ALIASES = {"warm": "warm_episodes", "ppo": "ppo_episodes", "batch": "batch_episodes"}

_UNSIGNED = ("seed", "d_model", "n_layers")
_WIDE = ("seed", "warm_episodes", "ppo_episodes", "verify_tasks")


def _check_range(key: str, value: Any) -> None:
    """ctypes would wrap an int that does not fit its field; refuse it instead
    (the library checks the ranges of the header)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return
    if key in _UNSIGNED:
        lo, hi = 0, 2**64 if key == "seed" else 2**32
    else:
        lo, hi = (-2**63, 2**63) if key in _WIDE else (-2**31, 2**31)
    if not lo <= value < hi:
        raise GdfoError(EINVAL, "option %s is %d; it must be in %d..%d" % (key, value, lo, hi - 1))


def default_optimizer_options() -> Dict[str, Union[bool, int, float]]:
    """The library's default Optimizer options as a dict."""
    o = _lib.OptimizerOptions()
    check(_lib.optimizer_options_init(ctypes.byref(o), _lib.GDFO_OPTIMIZER_OPTIONS_VERSION))
    return {k: (bool(getattr(o, k)) if k in _SWITCHES else getattr(o, k)) for k in OPTIONS}


def _inputs(stack: ExitStack, graph: Graph, telemetry: Optional[Telemetry]) -> Tuple[int, Optional[int]]:
    require(graph, Graph, "graph")
    if telemetry is not None:
        require(telemetry, Telemetry, "telemetry")
    g = stack.enter_context(graph._read())
    t = stack.enter_context(telemetry._read()) if telemetry is not None else None
    return g, t


def _objective_ref(objective: Optional[Objective]) -> Any:
    o = _objective(objective)
    return ctypes.byref(o) if o is not None else None


@dataclass
class Feedback:
    """What Optimizer.feedback() found (gdfo_feedback; a copy).

    reward is the run's reward against the pipeline's known-good plan
    (gdfo.reward's terms); baseline_latency_ms and baseline_cost the
    known-good run it was compared with: the known-good plan's measured
    median when baseline_measured, else estimated from this run and the
    model's predicted ratio. known_good: the plan is the pipeline's
    known-good plan now; runs: the pipeline's runs with feedback, this one
    included; exploring False once exploration is off (auto_off);
    residual ln(measured latency / predicted latency); events the names of
    what the loop did ("rollback", "known_good", "drift", "auto_off",
    "approval", "failed").
    """
    reward: float
    baseline_latency_ms: float
    baseline_cost: float
    baseline_measured: bool
    known_good: bool
    runs: int
    exploring: bool
    residual: float
    events: List[str]


@dataclass
class LoopStats:
    """What a stateful Optimizer holds (gdfo_loop_stats): pipelines remembered,
    journal records (replayed and written), plans given ids, feedback records,
    torn records dropped from the journal's end at open."""
    pipelines: int
    records: int
    plans: int
    feedback: int
    torn: int


def _plan_id(plan: Union[Plan, str]) -> bytes:
    """The id of a Plan (or an id as str) as bytes for the C API."""
    if isinstance(plan, Plan):
        pid = plan.id
        if pid is None:
            raise GdfoError(EINVAL, "the plan has no id: it was not made by an Optimizer "
                                    "with a state directory")
        return pid.encode("ascii")
    if isinstance(plan, str):
        return to_bytes(plan, "plan id")
    raise TypeError("plan must be a gdfo.Plan or a plan id (str), not %s" % type(plan).__name__)


def _pipeline(pipeline: Union[None, str, int]) -> Optional[bytes]:
    if pipeline is None:
        return None
    if isinstance(pipeline, bool) or not isinstance(pipeline, (str, int)):
        raise TypeError("pipeline must be a fingerprint (16 hex digits as str, or an int), not %s"
                        % type(pipeline).__name__)
    if isinstance(pipeline, int):
        if not 0 <= pipeline < 2**64:
            raise GdfoError(EINVAL, "pipeline fingerprint %d is not a 64-bit value" % pipeline)
        return b"%016x" % pipeline
    return to_bytes(pipeline, "pipeline")


def audit(state_dir: StrPath, pipeline: Union[None, str, int] = None,
          since: float = 0) -> List[Dict[str, Any]]:
    """The audit log of the state directory state_dir (gdfo_audit_read), oldest first,
    as a list of dicts (docs/loop.md "Audit log"): every plan, approval, feedback,
    rollback, drift, gate, forecast, policy and open. pipeline (a fingerprint:
    16 hex digits, or an int; PlanLoop.fingerprint) keeps one pipeline's records;
    since (seconds since the epoch) only records at or after it. Reads the file
    without opening the state, so it may run beside an open Optimizer.
    Raises GdfoError (EIO: no log there; EFORMAT: a line that is not JSON)."""
    path = to_path(state_dir)
    fp = _pipeline(pipeline)
    if isinstance(since, bool) or not isinstance(since, (int, float)):
        raise TypeError("since must be a number, not %s" % type(since).__name__)
    out = ctypes.c_void_p()
    check(_lib.audit_read(ctypes.byref(out), path, fp, float(since)))
    return json.loads(take_string(out))


def check_policy(text: Text) -> None:
    """Checks a gdfo-policy/1 document (str or bytes) without a state
    (gdfo_policy_check); GdfoError(EFORMAT) names the field that is wrong."""
    data = to_bytes(text, "text")
    check(_lib.policy_check(data, len(data)))


class Optimizer(Handle):
    """The learned optimizer (gdfo_optimizer). Use as a context manager or call close().

    model: None looks for a model as the library does ($GDFO_MODEL, else the
    installed default, else none); a path loads that policy model (a
    GDFO-NN file from gdfo.train() or `gdfo train`); "" plans with the
    rules. A model that was asked for must load: a missing file is
    GdfoFileNotFoundError, a file that is not a policy model
    GdfoError(EFORMAT), a damaged one GdfoError(ECHECKSUM), each naming the
    path. cluster (a path, JSON text or dict of a gdfo-cluster/1 document,
    None: the built-in model) is what a pipeline runs on when its knobs are
    0. Keyword options are the fields of gdfo_optimizer_options (OPTIONS):
    candidates (sampled plans scored besides the greedy one, 8),
    structural_steps (4), use_rules (True), score (True), uniform (False),
    seed (1), verify (3: finalists checked with the simulator's expected
    mode), verify_tasks (60000; unused since that check costs no task runs),
    rules_check (-1), sync_every (1); switches
    take only bool, counts only int. An out-of-range value is
    GdfoError(EINVAL) naming it.

    state_dir (keyword only; a path, created when missing) opens the closed
    loop of include/gdfo/loop.h on that directory: the optimizer remembers
    each pipeline, gives every plan an id (Plan.id, Plan.loop), takes
    feedback() after each run, rolls back a regression, keeps plans that
    need approval from becoming known-good until approve(), and writes an
    audit log (audit()). Only one Optimizer (in any process) may have a
    state directory open: a second is GdfoError(EIO). sync_every > 1 makes
    the journal's fsync a group commit (loop.h says what a return means
    then; sync() forces it). clock (keyword only) is a callable returning
    seconds since the epoch, the loop's time for its journal, audit log and
    forecasts (a simulated clock); a reading that raises or is not a finite
    number >= 0 falls back to the system's wall clock.

    plan() may run on several threads at once, as may feedback() and
    approve() beside them (the library serializes them); close() waits for
    calls in progress and closes the optimizer's refiners first.
    """
    _free = _lib.optimizer_close
    _kind = "Optimizer"

    def __init__(self, model: Optional[StrPath] = None,
                 cluster: Optional[_sim_cluster.ClusterLike] = None, *,
                 state_dir: Optional[StrPath] = None,
                 clock: Optional[Callable[[], float]] = None,
                 **options: Union[bool, int, float]) -> None:
        Handle.__init__(self, None)
        self._refiners: "weakref.WeakSet[Refiner]" = weakref.WeakSet()
        self._state_dir = None if state_dir is None else os.fsdecode(to_path(state_dir))
        o = _lib.OptimizerOptions()
        check(_lib.optimizer_options_init(ctypes.byref(o), _lib.GDFO_OPTIMIZER_OPTIONS_VERSION))
        for k, v in options.items():
            _check_range(k, v)
            if not set_option(o, k, v, _SWITCHES, _INTS, _FLOATS):
                raise TypeError("Optimizer() got an unknown option %r (options: %s)"
                                % (k, ", ".join(OPTIONS)))
        path = None if model is None else (b"" if model == "" else to_path(model))
        o.model_path = path
        buf = _sim_cluster.load(cluster)
        o.cluster = _sim_cluster.address(buf)
        if clock is not None:
            if not callable(clock):
                raise TypeError("clock must be callable, not %s" % type(clock).__name__)
            o.clock = self._clock = _lib.ClockFn(_clock_reader(clock))   # kept alive with self
        out = ctypes.c_void_p()
        state = None if state_dir is None else to_path(state_dir)
        rc = _lib.optimizer_open(ctypes.byref(out), state, ctypes.byref(o))
        if path:
            check_read(rc, path)
        else:
            check(rc)
        self._ptr = out.value

    @property
    def model(self) -> Optional[str]:
        """The loaded policy model's path, or None when the optimizer plans with the rules."""
        with self._read() as p:
            m = _lib.optimizer_model(p)
        return None if m is None else os.fsdecode(m)

    def plan(self, graph: Graph, telemetry: Optional[Telemetry] = None,
             objective: Optional[Objective] = None) -> Plan:
        """Plans graph (not modified) for objective (None: the library's default)
        given a previous run's telemetry; returns a new Plan whose source is
        "learned", "rules" or "input" and whose notes say which model planned.
        Raises GdfoError (EINVAL for an invalid graph or objective, naming it;
        ECYCLE), TypeError for arguments of other types."""
        obj = _objective_ref(objective)
        out = ctypes.c_void_p()
        with ExitStack() as stack:
            g, t = _inputs(stack, graph, telemetry)
            p = stack.enter_context(self._read())
            check(_lib.optimizer_plan(ctypes.byref(out), p, g, t, obj))
        return Plan._wrap(out.value)

    @property
    def state_dir(self) -> Optional[str]:
        """The state directory the optimizer was opened on, None when stateless."""
        return self._state_dir

    def feedback(self, plan: Union[Plan, str], telemetry: Telemetry) -> Feedback:
        """Reports what running plan (a Plan this optimizer made, or its id) measured
        (gdfo_optimizer_feedback): telemetry needs its run record (Telemetry.run with
        latency_ms > 0) and may carry stage records of the plan's graph
        (Simulator.telemetry() makes them from a simulated run). Each plan takes
        one feedback; the record is on stable storage when this returns (with
        sync_every 1). Raises GdfoError: EINVAL (no state directory, an id of
        another form, no run latency), ENOTFOUND (no such plan in this state),
        EEXISTS (its feedback was given already), EIO."""
        pid = _plan_id(plan)
        require(telemetry, Telemetry, "telemetry")
        fb = _lib.Feedback(version=_lib.GDFO_FEEDBACK_VERSION)
        with self._read() as p, telemetry._read() as t:
            check(_lib.optimizer_feedback(ctypes.byref(fb), p, pid, t))
        return Feedback(reward=fb.reward, baseline_latency_ms=fb.baseline_latency_ms,
                        baseline_cost=fb.baseline_cost, baseline_measured=bool(fb.baseline_measured),
                        known_good=bool(fb.known_good), runs=fb.runs, exploring=bool(fb.exploring),
                        residual=fb.residual, events=event_names(fb.events))

    def approve(self, plan: Union[Plan, str], who: str, note: Optional[str] = None) -> None:
        """Records that who (non-empty) approved plan (a Plan or its id), with an
        optional note, in the journal and the audit log (gdfo_optimizer_approve).
        Only an approved plan that needs approval (Plan.loop.needs_approval) can
        become known-good. Raises GdfoError: EINVAL, ENOTFOUND, EEXISTS (approved
        already), EIO."""
        pid = _plan_id(plan)
        w = to_bytes(who, "who")
        n = None if note is None else to_bytes(note, "note")
        with self._read() as p:
            check(_lib.optimizer_approve(p, pid, w, n))

    def sync(self) -> None:
        """Forces the journal and the audit log to stable storage (with sync_every > 1)."""
        with self._read() as p:
            check(_lib.optimizer_sync(p))

    def set_policy(self, path: StrPath) -> None:
        """Validates the gdfo-policy/1 file at path and makes it the state's policy
        (copied to STATE/policy.json; the audit log records it). Raises GdfoError
        (EINVAL without a state directory, EFORMAT naming the field, EIO)."""
        with self._read() as p:
            check_read(_lib.optimizer_set_policy(p, to_path(path)), to_path(path))

    def stats(self) -> LoopStats:
        """What the state holds (gdfo_loop_stats_get); GdfoError(EINVAL) when stateless."""
        c = _lib.LoopStats(version=_lib.GDFO_LOOP_STATS_VERSION)
        with self._read() as p:
            check(_lib.loop_stats_get(ctypes.byref(c), p))
        return LoopStats(pipelines=c.pipelines, records=c.records, plans=c.plans,
                         feedback=c.feedback, torn=c.torn)

    def audit(self, pipeline: Union[None, str, int] = None, since: float = 0) -> List[Dict[str, Any]]:
        """The audit log of this optimizer's state directory (gdfo.audit())."""
        if self._state_dir is None:
            raise GdfoError(EINVAL, "this Optimizer has no state directory (open it with state_dir)")
        return audit(self._state_dir, pipeline, since)

    def refiner(self, graph: Graph, telemetry: Optional[Telemetry] = None,
                objective: Optional[Objective] = None) -> "Refiner":
        """A Refiner around what plan(graph, telemetry, objective) plans."""
        return Refiner(self, graph, telemetry, objective)

    def _close_dependents(self) -> None:
        """Closes the optimizer's refiners (they borrow it) before it is freed; no refiner
        can be made once close() has taken the pointer."""
        for r in list(self._refiners):
            r.close()

    def __repr__(self) -> str:
        if self.closed:
            return "<gdfo.Optimizer closed>"
        return "<gdfo.Optimizer model %s%s>" % (self.model or "none (rules)",
                                               ", state %s" % self._state_dir if self._state_dir else "")


def _clock_reader(clock: Callable[[], float]) -> Callable[[Any], float]:
    """The C clock callback around a Python callable: nothing may unwind through
    C, so a reading that fails gives -1, which the library replaces by the wall clock."""
    def read(ctx: Any) -> float:
        try:
            v = clock()
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                return -1.0
            return float(v)
        except BaseException:
            return -1.0
    return read


class Refiner(Handle):
    """The Q refiner (gdfo_refiner) of one pipeline: after each run of the plan
    next() returned, observe(reward) tells it the observed reward (against the
    same baseline every time); it proposes one neighbouring edit of the best
    plan so far per run and learns which kinds of edit pay. best() is the best
    plan observed and its reward.

        with opt.refiner(graph) as r:
            for _ in range(10):
                plan = r.next()
                if plan is None:
                    break                       # every neighbour was tried
                with plan:
                    r.observe(run_and_score(plan))
            plan, reward = r.best()

    The first plan is the optimizer's own. A refiner is used by one thread at
    a time (calls are serialized) and is closed with its Optimizer.
    """
    _free = _lib.refiner_free
    _kind = "Refiner"

    def __init__(self, optimizer: Optimizer, graph: Graph, telemetry: Optional[Telemetry] = None,
                 objective: Optional[Objective] = None) -> None:
        Handle.__init__(self, None)
        require(optimizer, Optimizer, "optimizer")
        obj = _objective_ref(objective)
        out = ctypes.c_void_p()
        with ExitStack() as stack:
            g, t = _inputs(stack, graph, telemetry)
            o = stack.enter_context(optimizer._read())
            check(_lib.refiner_create(ctypes.byref(out), o, g, t, obj))
            self._ptr = out.value
            # registered while the optimizer is held, so its close() sees it
            optimizer._refiners.add(self)
        self._optimizer = optimizer
        self._telemetry = telemetry     # the C refiner keeps its pointer

    def _call(self, fn: Callable[..., int], *args: Any) -> int:
        # The optimizer first (its close() closes this refiner), then this refiner.
        with self._optimizer._read(), self._write() as r:
            return fn(r, *args)

    def next(self) -> Optional[Plan]:
        """The next plan to run (a new Plan), or None once every neighbour of
        the best plan has been tried. GdfoError(EINVAL) when the last plan's
        reward was not observed yet."""
        out = ctypes.c_void_p()
        rc = self._call(lambda r: _lib.refiner_next(ctypes.byref(out), r))
        if rc == ENOTFOUND:
            return None
        check(rc)
        return Plan._wrap(out.value)

    def observe(self, reward: float) -> None:
        """The reward observed for the last plan next() returned (-inf or a
        penalized reward for a failed run). GdfoError(EINVAL) for NaN or when
        no plan awaits a reward."""
        if isinstance(reward, bool) or not isinstance(reward, (int, float)):
            raise TypeError("reward must be a number, not %s" % type(reward).__name__)
        check(self._call(_lib.refiner_observe, float(reward)))

    def best(self) -> Tuple[Plan, float]:
        """The best plan observed so far and its observed reward.
        GdfoError(EINVAL) before the first observe()."""
        out = ctypes.c_void_p()
        reward = ctypes.c_double()
        check(self._call(lambda r: _lib.refiner_best(ctypes.byref(out), r, ctypes.byref(reward))))
        return Plan._wrap(out.value), reward.value

    def __repr__(self) -> str:
        return "<gdfo.Refiner%s>" % (" closed" if self.closed else "")


@dataclass
class TrainProgress:
    """One update of gdfo.train() (gdfo_train_progress)."""
    phase: str              # "warm" (imitation warm start) or "ppo"
    episode: int            # episodes done, both phases
    episodes_total: int
    update: int             # optimizer steps taken
    reward: float           # mean reward of this batch's plans (ppo) or the expert plans (warm)
    reward_avg: float       # its exponential moving average (0.9)
    policy_loss: float
    value_loss: float
    entropy: float
    grad_norm: float        # before clipping
    elapsed_s: float
    eta_s: float

    @classmethod
    def _from_c(cls, c: "_lib.TrainProgress") -> "TrainProgress":
        return cls(phase="ppo" if c.phase else "warm", episode=c.episode,
                   episodes_total=c.episodes_total, update=c.update, reward=c.reward,
                   reward_avg=c.reward_avg, policy_loss=c.policy_loss, value_loss=c.value_loss,
                   entropy=c.entropy, grad_norm=c.grad_norm, elapsed_s=c.elapsed_s, eta_s=c.eta_s)


def default_train_options() -> Dict[str, Union[int, float]]:
    """The library's defaults of train()'s options (TRAIN_OPTIONS) as a dict."""
    o = _lib.TrainOptions()
    check(_lib.train_options_init(ctypes.byref(o), _lib.GDFO_TRAIN_OPTIONS_VERSION))
    return {k: getattr(o, _TRAIN_ALIASES.get(k, k)) for k in TRAIN_OPTIONS}


def train(out_path: StrPath, *, progress: Optional[Callable[[TrainProgress], Any]] = None,
          pipeline: Optional[Graph] = None, cluster: Optional[_sim_cluster.ClusterLike] = None,
          objective: Optional[Objective] = None, checkpoint: Optional[StrPath] = None,
          init_model: Optional[StrPath] = None, **options: Union[int, float]) -> str:
    """Trains a policy model with gdfo_train and saves it to out_path
    (atomically); returns out_path as a str. Optimizer(model=out_path) loads it.

    Options (TRAIN_OPTIONS; defaults from gdfo_train_options_init,
    default_train_options()): seed (1), warm (imitation episodes, 4096), ppo
    (PPO episodes, 4096), batch (episodes per update, 32), and the other
    fields of gdfo_train_options by name (epochs, expert_budget, d_model,
    n_layers, structural_steps, checkpoint_every, lr, clip, entropy_coef,
    value_coef, max_grad_norm, weight_decay). A tiny model for tests:
    train(path, warm=128, ppo=32, batch=16) takes seconds. The same options
    give the same weights, bit for bit, on one BLAS thread
    (OPENBLAS_NUM_THREADS=1).

    progress(TrainProgress) is called after every update; returning False
    or raising stops training with GdfoError(ECANCELED) (the exception is
    its __cause__). pipeline (a Graph; with cluster and objective) trains on
    that one pipeline instead of generated ones. checkpoint names a file
    written every checkpoint_every updates (and "<checkpoint>.state"),
    resumed from when it exists; init_model starts from those weights.
    Raises GdfoError (EINVAL naming a bad option; EIO, EFORMAT, ECHECKSUM
    for a checkpoint or init model that cannot be read), TypeError for
    arguments of other types.
    """
    path = to_path(out_path)
    if pipeline is not None:
        require(pipeline, Graph, "pipeline")
    o = _lib.TrainOptions()
    check(_lib.train_options_init(ctypes.byref(o), _lib.GDFO_TRAIN_OPTIONS_VERSION))
    for k, v in options.items():
        if k not in TRAIN_OPTIONS:
            raise TypeError("train() got an unknown option %r (options: %s)"
                            % (k, ", ".join(TRAIN_OPTIONS)))
        floats = k in _TRAIN_FLOATS
        if isinstance(v, bool) or not isinstance(v, (int, float) if floats else int):
            raise TypeError("option %s must be %s, not %s"
                            % (k, "a float" if floats else "an int", type(v).__name__))
        _check_range(k, v)
        setattr(o, _TRAIN_ALIASES.get(k, k), float(v) if floats else v)
    keep = []                                   # what the struct points to, alive for the call
    if checkpoint is not None:
        keep.append(to_path(checkpoint))
        o.checkpoint = keep[-1]
    if init_model is not None:
        keep.append(to_path(init_model))
        o.init_model = keep[-1]
    buf = _sim_cluster.load(cluster)
    o.cluster = _sim_cluster.address(buf)
    obj = _objective(objective)
    if obj is not None:
        o.objective = ctypes.pointer(obj)
    failure: list = []
    if progress is not None:
        if not callable(progress):
            raise TypeError("progress must be callable, not %s" % type(progress).__name__)

        def on_progress(p: Any, ctx: Any) -> int:
            try:
                return 1 if progress(TrainProgress._from_c(p.contents)) is False else 0
            except BaseException as e:          # never let it unwind through C
                failure.append(e)
                return 1

        o.progress = _lib.TrainProgressFn(on_progress)
    enc = ctypes.c_void_p()
    with ExitStack() as stack:
        if pipeline is not None:
            o.pipeline = stack.enter_context(pipeline._read())
        rc = _lib.train(ctypes.byref(enc), ctypes.byref(o))
    if rc == ECANCELED and failure:
        if not isinstance(failure[0], Exception):
            raise failure[0]                    # KeyboardInterrupt, SystemExit
        raise GdfoError(rc, "%s: %s: %s" % (last_error(), type(failure[0]).__name__,
                                            failure[0])) from failure[0]
    check(rc)
    try:
        check(_lib.nn_save(enc.value, path))
    finally:
        _lib.nn_free(enc.value)
    return os.fsdecode(path)
