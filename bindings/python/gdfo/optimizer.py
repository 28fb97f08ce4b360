"""The learned optimizer, its Q refiner and training (include/gdfo/optimizer.h,
include/gdfo/learn.h; docs/learning.md).

    gdfo.train("policy.gdfonn", warm=128, ppo=32, batch=16)      # a tiny model
    with gdfo.Optimizer(model="policy.gdfonn") as opt, gdfo.Graph.load("p.json") as g:
        with opt.plan(g, objective=gdfo.Objective(0, 1, 0)) as plan:
            print(plan.source, plan.notes[-1])

An Optimizer owns one gdfo_optimizer handle (the loaded policy model); any
number of threads may plan with it at once. A Refiner proposes one
neighbouring edit of the best plan per observed run.
"""
from __future__ import annotations

import ctypes
import os
import weakref
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Tuple, Union

from . import _lib, _sim_cluster
from ._handle import Handle, StrPath, require, set_option, to_path
from .errors import ECANCELED, EINVAL, ENOTFOUND, GdfoError, check, check_read, last_error
from .graph import Graph
from .judge import Objective, _objective
from .plan import Plan
from .telemetry import Telemetry

# Options of Optimizer(...) and the Python types they take; defaults come from
# gdfo_optimizer_options_init (default_optimizer_options()).
_SWITCHES = ("use_rules", "score", "uniform")
_INTS = ("candidates", "structural_steps", "verify", "seed", "rules_check")
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
    seed (1), verify (3), verify_tasks (200000); switches take only bool,
    counts only int. An out-of-range value is GdfoError(EINVAL) naming it.

    plan() may run on several threads at once; close() waits for calls in
    progress and closes the optimizer's refiners first.
    """
    _free = _lib.optimizer_close
    _kind = "Optimizer"

    def __init__(self, model: Optional[StrPath] = None,
                 cluster: Optional[_sim_cluster.ClusterLike] = None,
                 **options: Union[bool, int, float]) -> None:
        Handle.__init__(self, None)
        self._refiners: "weakref.WeakSet[Refiner]" = weakref.WeakSet()
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
        out = ctypes.c_void_p()
        rc = _lib.optimizer_open(ctypes.byref(out), None, ctypes.byref(o))
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
        return "<gdfo.Optimizer model %s>" % (self.model or "none (rules)")


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
