"""Run telemetry (include/gdfo/telemetry.h).

A measurement the C side marks as not taken (GDFO_UNKNOWN, -1) is None here.
"""
from __future__ import annotations

import ctypes
from dataclasses import dataclass, fields
from typing import Any, Iterator, List, Optional

from . import _lib
from ._handle import Handle, StrPath, Text, require, take_string, to_bytes, to_path
from .errors import check

UNKNOWN = -1.0


def _opt(v: float) -> Optional[float]:
    return None if v == UNKNOWN else v


def _c(v: Optional[float]) -> float:
    return UNKNOWN if v is None else float(v)


@dataclass
class StageTelemetry:
    stage_id: int
    duration_ms: Optional[float] = None
    tasks: Optional[float] = None
    task_ms_median: Optional[float] = None
    task_ms_max: Optional[float] = None
    shuffle_read_bytes: Optional[float] = None
    shuffle_write_bytes: Optional[float] = None
    spill_bytes: Optional[float] = None
    peak_memory_bytes: Optional[float] = None
    cpu_ms: Optional[float] = None
    failures: Optional[float] = None


@dataclass
class RunTelemetry:
    success: bool = True
    latency_ms: Optional[float] = None
    records: Optional[float] = None
    throughput: Optional[float] = None
    cost: Optional[float] = None


_STAGE_FIELDS = [f.name for f in fields(StageTelemetry) if f.name != "stage_id"]
_RUN_FIELDS = [f.name for f in fields(RunTelemetry) if f.name != "success"]


def _stage_from_c(t: Any) -> StageTelemetry:
    return StageTelemetry(t.stage_id, *[_opt(getattr(t, k)) for k in _STAGE_FIELDS])


class Telemetry(Handle):
    """What one run measured. Use as a context manager or call close().

    Iterating gives the stage records (as stages()); len() is their count.
    """
    _free = _lib.telemetry_free
    _kind = "Telemetry"

    def __init__(self) -> None:
        out = ctypes.c_void_p()
        check(_lib.telemetry_create(ctypes.byref(out)))
        super().__init__(out.value)

    @classmethod
    def from_json(cls, text: Text) -> "Telemetry":
        """Parses a gdfo-telemetry/1 document (str or bytes)."""
        data = to_bytes(text, "text")
        return cls._make(_lib.telemetry_from_json, data, len(data))

    @classmethod
    def load(cls, path: StrPath) -> "Telemetry":
        """Reads a gdfo-telemetry/1 file (GdfoFileNotFoundError if missing)."""
        return cls._load(_lib.telemetry_load, path)

    def to_json(self) -> str:
        out = ctypes.c_void_p()
        with self._read() as t:
            check(_lib.telemetry_to_json(ctypes.byref(out), t))
        return take_string(out)

    def save(self, path: StrPath) -> None:
        with self._read() as t:
            check(_lib.telemetry_save(t, to_path(path)))

    @property
    def run(self) -> RunTelemetry:
        r = _lib.RunTelemetry(version=_lib.GDFO_RUN_TELEMETRY_VERSION)
        with self._read() as t:
            check(_lib.telemetry_get_run(ctypes.byref(r), t))
        return RunTelemetry(bool(r.success), *[_opt(getattr(r, k)) for k in _RUN_FIELDS])

    @run.setter
    def run(self, v: RunTelemetry) -> None:
        require(v, RunTelemetry, "run")
        if not isinstance(v.success, bool):
            raise TypeError("run.success must be a bool, not %s" % type(v.success).__name__)
        r = _lib.RunTelemetry(version=_lib.GDFO_RUN_TELEMETRY_VERSION)
        check(_lib.run_telemetry_init(ctypes.byref(r), _lib.GDFO_RUN_TELEMETRY_VERSION))
        r.success = 1 if v.success else 0
        for k in _RUN_FIELDS:
            setattr(r, k, _c(getattr(v, k)))
        with self._write() as t:
            check(_lib.telemetry_set_run(t, ctypes.byref(r)))

    def set_stage(self, stage: StageTelemetry) -> None:
        """Adds or replaces the record of stage.stage_id."""
        require(stage, StageTelemetry, "stage")
        s = _lib.StageTelemetry(version=_lib.GDFO_STAGE_TELEMETRY_VERSION)
        check(_lib.stage_telemetry_init(ctypes.byref(s), _lib.GDFO_STAGE_TELEMETRY_VERSION))
        s.stage_id = stage.stage_id
        for k in _STAGE_FIELDS:
            setattr(s, k, _c(getattr(stage, k)))
        with self._write() as t:
            check(_lib.telemetry_set_stage(t, ctypes.byref(s)))

    def __len__(self) -> int:
        with self._read() as t:
            return _lib.telemetry_stage_count(t)

    def stages(self) -> List[StageTelemetry]:
        out = []
        s = _lib.StageTelemetry(version=_lib.GDFO_STAGE_TELEMETRY_VERSION)
        with self._read() as t:
            for i in range(_lib.telemetry_stage_count(t)):
                check(_lib.telemetry_stage_at(ctypes.byref(s), t, i))
                out.append(_stage_from_c(s))
        return out

    def __iter__(self) -> Iterator[StageTelemetry]:
        return iter(self.stages())

    def stage(self, stage_id: int) -> StageTelemetry:
        """The record of one stage; GdfoError(ENOTFOUND) if there is none."""
        s = _lib.StageTelemetry(version=_lib.GDFO_STAGE_TELEMETRY_VERSION)
        with self._read() as t:
            check(_lib.telemetry_find(ctypes.byref(s), t, stage_id))
        return _stage_from_c(s)
