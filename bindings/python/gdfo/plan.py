"""Plans (include/gdfo/plan.h): what an optimizer returns."""
from __future__ import annotations

import ctypes
import math
from dataclasses import dataclass, field as dc_field, fields
from typing import Callable, Iterator, List, NoReturn, Optional

from . import _lib
from ._handle import Handle, StrPath, Text, take_string, to_bytes, to_path
from .errors import EVERSION, check
from .graph import Graph


@dataclass
class Change:
    """One change of a plan and why it was made (a copy).

    field, old and new say what was set from what to what: the knob or edit
    ("join_strategy", "partitions", "executors", "push_filter", ...; the
    table under gdfo_change in include/gdfo/plan.h) and its values before
    and after (enum values for enums, ids for push_filter and reorder_joins),
    old_label and new_label their human labels ("sort_merge", "broadcast").
    None where the value does not apply or the plan does not say (plans
    written by libgdfo 0.2).
    """
    kind: str
    stage_ids: List[int]
    what: str
    why: str
    expected_gain: float
    confidence: float
    attended_ids: List[int] = dc_field(default_factory=list)
    field: Optional[str] = None
    old: Optional[float] = None
    new: Optional[float] = None
    old_label: Optional[str] = None
    new_label: Optional[str] = None


@dataclass
class Prediction:
    """Predicted outcome; None where the optimizer had no estimate."""
    latency_ms: Optional[float]
    throughput: Optional[float]
    cost: Optional[float]
    baseline_latency_ms: Optional[float]
    baseline_cost: Optional[float]
    execution_ms: Optional[float] = None           # latency without the fixed per-run overhead
    baseline_execution_ms: Optional[float] = None
    overhead_ms: Optional[float] = None
    measured_latency_ms: Optional[float] = None    # calibrated: the run latency fitted to
    calibrated: Optional[bool] = None              # predicted on the model calibrated to telemetry


@dataclass
class PlanLoop:
    """What the closed loop did in the plan call that made a plan (gdfo_plan_loop; a copy).

    step is "known_good" (the pipeline's known-good plan), "explore" (a new
    candidate), "confirm" (a candidate that did better once, run again) or
    "rollback" (the known-good plan after a regression); events the names of
    the loop events of the call ("explore", "drift", "approval", "gate",
    "forecast"; include/gdfo/loop.h). needs_approval: the plan cannot become
    known-good until Optimizer.approve() records an approval. fingerprint is
    the pipeline's (16 hex digits, the audit log's "pipeline");
    predicted_regret the predicted reward of the known-good plan minus this
    one's; forecast_scale the source volume it was sized for over the
    input's (1: no forecast); runs the pipeline's runs with feedback before
    this plan.
    """
    step: str
    events: List[str]
    needs_approval: bool
    fingerprint: str
    predicted_regret: float
    forecast_scale: float
    runs: int


def event_names(bits: int) -> List[str]:
    """The names of the gdfo_loop_event bits set in bits, in bit order."""
    out = []
    for i in range(_lib.GDFO_LOOP_EVENT_COUNT):
        if bits & (1 << i):
            out.append(_name(_lib.loop_event_name, 1 << i))
    return out


def _opt(v: float) -> Optional[float]:
    return None if v == -1.0 else v


def _value(v: float) -> Optional[float]:
    return None if math.isnan(v) else v


def _text(s: Optional[bytes]) -> Optional[str]:
    return None if s is None else s.decode("utf-8", "replace")


def _name(fn: Callable[[int], Optional[bytes]], v: int) -> str:
    s = fn(v)
    return s.decode("ascii") if s is not None else str(v)


class Plan(Handle):
    """An optimized plan. Use as a context manager or call close().

    Iterating gives its changes in order (as changes()); len() is their count.
    """
    _free = _lib.plan_free
    _kind = "Plan"

    def __init__(self) -> NoReturn:
        raise TypeError("plans come from gdfo.optimize_rules(), Plan.from_json() or Plan.load()")

    @classmethod
    def from_json(cls, text: Text) -> "Plan":
        """Parses a gdfo-plan/1 document (str or bytes)."""
        data = to_bytes(text, "text")
        return cls._make(_lib.plan_from_json, data, len(data))

    @classmethod
    def load(cls, path: StrPath) -> "Plan":
        """Reads a gdfo-plan/1 file (GdfoFileNotFoundError if missing)."""
        return cls._load(_lib.plan_load, path)

    def to_json(self) -> str:
        out = ctypes.c_void_p()
        with self._read() as p:
            check(_lib.plan_to_json(ctypes.byref(out), p))
        return take_string(out)

    def save(self, path: StrPath) -> None:
        with self._read() as p:
            check(_lib.plan_save(p, to_path(path)))

    def explain(self) -> str:
        """A human-readable account of every change and the predictions."""
        out = ctypes.c_void_p()
        with self._read() as p:
            check(_lib.plan_explain(ctypes.byref(out), p))
        return take_string(out)

    @property
    def source(self) -> str:
        """The optimizer that made the plan ("rules", "learned", "input", "learned+q")."""
        with self._read() as p:
            return _lib.plan_source(p).decode("utf-8", "replace")

    @property
    def id(self) -> Optional[str]:
        """The id a stateful Optimizer gave the plan ("<16 hex fingerprint>-<sequence>",
        the key Optimizer.feedback() and approve() take), None for any other plan."""
        with self._read() as p:
            return _text(_lib.plan_id(p))

    @property
    def loop(self) -> Optional[PlanLoop]:
        """What the closed loop did when it made the plan (PlanLoop), None for a plan
        made without a state directory."""
        c = _lib.PlanLoop(version=_lib.GDFO_PLAN_LOOP_VERSION)
        with self._read() as p:
            check(_lib.plan_loop_info(ctypes.byref(c), p))
        if c.step == 0:
            return None
        return PlanLoop(step=_name(_lib.loop_step_name, c.step), events=event_names(c.events),
                        needs_approval=bool(c.needs_approval), fingerprint="%016x" % c.fingerprint,
                        predicted_regret=c.predicted_regret, forecast_scale=c.forecast_scale,
                        runs=c.runs)

    @property
    def risk(self) -> str:
        """"low", "medium" or "high" (high needs human approval)."""
        with self._read() as p:
            return _name(_lib.risk_name, _lib.plan_risk(p))

    @property
    def notes(self) -> List[str]:
        """The optimizer's one-line remarks (how it checked, which model planned)."""
        with self._read() as p:
            return [_lib.plan_note_at(p, i).decode("utf-8", "replace")
                    for i in range(_lib.plan_note_count(p))]

    def graph(self) -> Graph:
        """A copy of the rewritten graph (an independent Graph to close)."""
        with self._read() as p:
            return Graph._make(_lib.graph_clone, _lib.plan_graph(p))

    def changes(self) -> List[Change]:
        """Copies of the plan's changes, in order."""
        out = []
        version = _lib.GDFO_CHANGE_VERSION
        with self._read() as p:
            for i in range(_lib.plan_change_count(p)):
                c = _lib.Change(version=version)
                rc = _lib.plan_change_at(ctypes.byref(c), p, i)
                if rc == EVERSION and version > 1:  # libgdfo 0.2.0: no values
                    version = c.version = 1
                    rc = _lib.plan_change_at(ctypes.byref(c), p, i)
                check(rc)
                values = version > 1
                out.append(Change(
                    kind=_name(_lib.change_kind_name, c.kind),
                    stage_ids=[c.stage_ids[k] for k in range(c.n_stage_ids)],
                    what=c.what.decode("utf-8", "replace"),
                    why=c.why.decode("utf-8", "replace"),
                    expected_gain=c.expected_gain, confidence=c.confidence,
                    attended_ids=[c.attended_ids[k] for k in range(c.n_attended_ids)],
                    field=_text(c.field) if values else None,
                    old=_value(c.old_value) if values else None,
                    new=_value(c.new_value) if values else None,
                    old_label=_text(c.old_label) if values else None,
                    new_label=_text(c.new_label) if values else None))
        return out

    def __len__(self) -> int:
        with self._read() as p:
            return _lib.plan_change_count(p)

    def __iter__(self) -> Iterator[Change]:
        """The changes (copies taken when iteration starts), in order."""
        return iter(self.changes())

    @property
    def prediction(self) -> Prediction:
        pr = _lib.Prediction(version=_lib.GDFO_PREDICTION_VERSION)
        with self._read() as p:
            check(_lib.plan_prediction(ctypes.byref(pr), p))
        out = {f.name: _opt(getattr(pr, f.name)) for f in fields(Prediction) if f.name != "calibrated"}
        return Prediction(**out, calibrated=None if pr.calibrated < 0 else bool(pr.calibrated))

    def __repr__(self) -> str:
        if self.closed:
            return "<gdfo.Plan closed>"
        return "<gdfo.Plan from %s, %d changes, risk %s>" % (self.source, len(self.changes()),
                                                             self.risk)
