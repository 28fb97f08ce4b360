"""Diagnostics, the Spark advisor and the what-if table (include/gdfo/diag.h).

    import gdfo
    with gdfo.diagnose("app.zstd") as d:
        for f in d.findings:
            print(f.severity, f.kind, f.evidence)
        print(d.conf())                 # the spark-submit block
        print(d.recommended)            # {"executors": ..., "latency_ms": ..., "cost": ...}

diagnose() takes an event-log path, a gdfo.Profile or a gdfo.Telemetry; the
thresholds and the scaling model are in docs/advisor.md.
"""
from __future__ import annotations

import ctypes
import json
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, NoReturn, Optional, Union

from . import _lib
from ._handle import Handle, StrPath, take_string, to_path
from .errors import EINVAL, GdfoError, check, check_read
from .profile import Profile
from .telemetry import Telemetry

SEVERITIES = ("none", "low", "moderate", "severe", "critical")
_PARTS = {"findings": _lib.GDFO_DIAG_JSON_FINDINGS, "advice": _lib.GDFO_DIAG_JSON_ADVICE,
          "what_if": _lib.GDFO_DIAG_JSON_WHATIF}


@dataclass
class Finding:
    kind: str            # "task_skew", "spill", ... (docs/advisor.md)
    severity: str        # "low" .. "critical"
    stage_id: int        # -1: the application
    value: float         # the quantity judged
    threshold: float     # its low-severity threshold
    gain_ms: float       # predicted latency saved by the fix
    gain_cost: float     # predicted cost saved (negative: the fix costs more)
    key: str             # the Spark key the fix sets, "" none
    evidence: str
    fix: str


@dataclass
class Advice:
    key: str             # a Spark key, or "hint"
    value: str
    log_value: Optional[str]
    changed: bool
    stage_id: int
    comment: str


@dataclass
class WhatIfPoint:
    executors: int
    latency_ms: float
    cost: float
    utilization: float


def _objective(objective: Optional[Mapping[str, float]]) -> Optional[Any]:
    if objective is None:
        return None
    o = _lib.Objective()
    check(_lib.objective_init(ctypes.byref(o), _lib.GDFO_OBJECTIVE_VERSION))
    names = ("throughput", "latency", "cost")
    if any(k in objective for k in names):
        o.throughput_weight = o.latency_weight = o.cost_weight = 0.0
    for k, v in objective.items():
        field = k + "_weight" if k in names else k
        if field not in ("throughput_weight", "latency_weight", "cost_weight", "slo_ms",
                         "cost_ceiling", "failure_penalty"):
            raise GdfoError(EINVAL, "objective: unknown key %r (throughput, latency, cost, slo_ms, "
                            "cost_ceiling, failure_penalty)" % (k,))
        setattr(o, field, float(v))
    return o


class Diagnosis(Handle):
    """Findings, advice and the what-if table of one run (a gdfo_diagnosis).

    Made by diagnose(); a context manager; every property returns copies.
    """
    _free = _lib.diagnosis_free
    _kind = "Diagnosis"

    def __init__(self) -> NoReturn:
        raise TypeError("use gdfo.diagnose(log_path | Profile | Telemetry)")

    def to_json(self, parts: Union[str, List[str]] = ("findings", "advice", "what_if")) -> str:
        """The gdfo-diagnosis/1 document; parts="what_if" alone gives exactly
        {"what_if": [...], "recommended": {...}}."""
        if isinstance(parts, str):
            parts = [parts]
        bits = 0
        for p in parts:
            if p not in _PARTS:
                raise GdfoError(EINVAL, "unknown part %r (findings, advice, what_if)" % (p,))
            bits |= _PARTS[p]
        out = ctypes.c_void_p()
        with self._read() as d:
            check(_lib.diagnosis_to_json(ctypes.byref(out), d, bits))
        return take_string(out)

    def _doc(self) -> Dict[str, Any]:
        return json.loads(self.to_json())

    def conf(self) -> str:
        """The advised configuration as a paste-ready spark-submit block."""
        out = ctypes.c_void_p()
        with self._read() as d:
            check(_lib.diagnosis_conf(ctypes.byref(out), d))
        return take_string(out)

    @property
    def summary(self) -> Dict[str, Any]:
        """The run as measured and the advised configuration as predicted."""
        return self._doc()["summary"]

    @property
    def findings(self) -> List[Finding]:
        """Ranked by predicted latency gain, then severity."""
        return [Finding(**f) for f in self._doc()["findings"]]

    @property
    def advice(self) -> List[Advice]:
        return [Advice(**a) for a in self._doc()["advice"]]

    @property
    def what_if(self) -> List[WhatIfPoint]:
        return [WhatIfPoint(**p) for p in json.loads(self.to_json("what_if"))["what_if"]]

    @property
    def recommended(self) -> Optional[Dict[str, Any]]:
        """{"executors", "latency_ms", "cost"} the objective prefers; None without a table."""
        return json.loads(self.to_json("what_if"))["recommended"]


def diagnose(source: Union[StrPath, Profile, Telemetry], objective: Optional[Mapping[str, float]] = None,
             min_pct: int = 10, max_pct: int = 500, min_severity: str = "low") -> Diagnosis:
    """Diagnoses an event log (a path), a Profile or a Telemetry.

    objective: weights as for gdfo optimize, e.g. {"latency": 1, "cost": 1}
    (keys throughput, latency, cost, slo_ms, cost_ceiling, failure_penalty);
    min_pct..max_pct: the what-if range in % of the observed executor count;
    min_severity: findings below it are left out.
    """
    if min_severity not in SEVERITIES:
        raise GdfoError(EINVAL, "min_severity must be one of %s, not %r" % (", ".join(SEVERITIES), min_severity))
    o = _lib.DiagOptions()
    check(_lib.diag_options_init(ctypes.byref(o), _lib.GDFO_DIAG_OPTIONS_VERSION))
    o.whatif_min_pct = int(min_pct)
    o.whatif_max_pct = int(max_pct)
    o.min_severity = SEVERITIES.index(min_severity)
    obj = _objective(objective)
    if obj is not None:
        o.objective = ctypes.pointer(obj)
    out = ctypes.c_void_p()
    if isinstance(source, Profile):
        with source._read() as p:
            check(_lib.diagnose_profile(ctypes.byref(out), p, ctypes.byref(o)))
    elif isinstance(source, Telemetry):
        with source._read() as t:
            check(_lib.diagnose_telemetry(ctypes.byref(out), t, ctypes.byref(o)))
    else:
        path = to_path(source)
        check_read(_lib.diagnose_eventlog(ctypes.byref(out), path, ctypes.byref(o)), path)
    return Diagnosis._wrap(out.value)


#: The advisor is the diagnosis read for its advice: gdfo.advise(log).conf().
advise = diagnose
