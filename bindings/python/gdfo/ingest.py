"""Spark event-log ingestion (include/gdfo/ingest.h)."""
from __future__ import annotations

import ctypes
import json
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, NoReturn, Optional, Tuple

from . import _lib
from ._handle import Handle, StrPath, Text, take_string, to_bytes, to_path
from .errors import check, check_read
from .graph import Graph
from .profile import Profile
from .telemetry import Telemetry

CODECS = ("none", "zstd", "gzip")


@dataclass
class ExecutorEvent:
    timestamp_ms: int        # -1 if the event had none
    executor_id: str
    added: bool
    cores: int               # 0 if unknown
    live: int                # executors alive after this event


Progress = Callable[[int, int], Any]


def _options(name: Optional[str], max_line_bytes: Optional[int],
             progress: Optional[Progress]) -> Tuple[Any, List[Any]]:
    o = _lib.IngestOptions()
    check(_lib.ingest_options_init(ctypes.byref(o), _lib.GDFO_INGEST_OPTIONS_VERSION))
    keep = []
    if name is not None:
        b = to_bytes(name, "name")
        keep.append(b)
        o.name = b
    if max_line_bytes is not None:
        o.max_line_bytes = max_line_bytes
    if progress is not None:
        # An exception cannot cross the C frames; remember it and re-raise after.
        failure = []

        def trampoline(_user, done, total):
            if not failure:
                try:
                    progress(done, total)
                except BaseException as e:      # noqa: B902 - re-raised below
                    failure.append(e)
        cb = _lib.ProgressFn(trampoline)
        keep.extend([cb, failure])
        o.progress = cb
    return o, keep


class EventLog(Handle):
    """A Spark event log read into memory (streamed from the file).

    EventLog.read(path) takes plain, .zstd or .gz logs (the codec is
    detected from the first bytes). Malformed lines are counted and skipped,
    a log cut short is read up to the cut; corrupt compressed data raises
    GdfoError(EFORMAT), an unreadable file GdfoError(EIO).
    """
    _free = _lib.eventlog_free
    _kind = "EventLog"

    def __init__(self) -> NoReturn:
        raise TypeError("use EventLog.read(path) or EventLog.from_bytes(data)")

    @classmethod
    def _open(cls, fn: Callable[..., int], args: Tuple[Any, ...], name: Optional[str],
              max_line_bytes: Optional[int], progress: Optional[Progress],
              path: Optional[bytes] = None) -> "EventLog":
        o, keep = _options(name, max_line_bytes, progress)
        out = ctypes.c_void_p()
        rc = fn(ctypes.byref(out), *args, ctypes.byref(o))
        if progress is not None and keep[-1]:
            if out.value:
                _lib.eventlog_free(out.value)
            raise keep[-1][0]
        if path is not None:
            check_read(rc, path)
        check(rc)
        return cls._wrap(out.value)

    @classmethod
    def read(cls, path: StrPath, name: Optional[str] = None, max_line_bytes: Optional[int] = None,
             progress: Optional[Progress] = None) -> "EventLog":
        """Reads the log at path (GdfoFileNotFoundError if missing).
        progress(bytes_done, bytes_total) is called as it goes."""
        p = to_path(path)
        return cls._open(_lib.eventlog_read, (p,), name, max_line_bytes, progress, p)

    @classmethod
    def from_bytes(cls, data: Text, name: Optional[str] = None,
                   max_line_bytes: Optional[int] = None) -> "EventLog":
        """Reads a log held in memory (plain or compressed)."""
        data = to_bytes(data, "data")
        return cls._open(_lib.eventlog_read_memory, (data, len(data)), name, max_line_bytes, None)

    def summary(self) -> Dict[str, Optional[int]]:
        """The `gdfo ingest --summary` object as a dict (app_duration_ms None if unknown)."""
        out = ctypes.c_void_p()
        with self._read() as log:
            check(_lib.eventlog_summary_json(ctypes.byref(out), log))
        return json.loads(take_string(out))

    def details(self) -> Dict[str, Any]:
        """Every field of gdfo_eventlog_summary as a dict (codec by name)."""
        s = _lib.EventlogSummary()
        s.version = _lib.GDFO_EVENTLOG_SUMMARY_VERSION
        with self._read() as log:
            check(_lib.eventlog_get_summary(ctypes.byref(s), log))
            d = {}
            for k, _ in _lib.EventlogSummary._fields_:
                v = getattr(s, k)
                d[k] = v.decode("utf-8", "replace") if isinstance(v, bytes) else v
        d.pop("version")
        d["codec"] = CODECS[d["codec"]] if 0 <= d["codec"] < len(CODECS) else str(d["codec"])
        d["truncated"] = bool(d["truncated"])
        if not d.pop("has_app_duration"):
            d["app_duration_ms"] = None
        return d

    def graph(self) -> Graph:
        """A new Graph of the completed stages (GdfoError ENOTFOUND if there is none)."""
        with self._read() as log:
            return Graph._make(_lib.eventlog_graph, log)

    def telemetry(self) -> Telemetry:
        with self._read() as log:
            return Telemetry._make(_lib.eventlog_telemetry, log)

    def profile(self) -> Profile:
        """A new job Profile (GdfoError ENOTFOUND if no stage has a successful task)."""
        with self._read() as log:
            return Profile._make(_lib.eventlog_profile, log)

    def config(self) -> Dict[str, str]:
        """The Spark properties of the last EnvironmentUpdate, in file order."""
        out = {}
        k, v = ctypes.c_char_p(), ctypes.c_char_p()
        with self._read() as log:
            for i in range(_lib.eventlog_config_count(log)):
                check(_lib.eventlog_config_at(ctypes.byref(k), ctypes.byref(v), log, i))
                out[k.value.decode("utf-8", "replace")] = v.value.decode("utf-8", "replace")
        return out

    def executor_events(self) -> List[ExecutorEvent]:
        out = []
        e = _lib.ExecutorEvent(version=_lib.GDFO_EXECUTOR_EVENT_VERSION)
        with self._read() as log:
            for i in range(_lib.eventlog_executor_event_count(log)):
                check(_lib.eventlog_executor_event_at(ctypes.byref(e), log, i))
                out.append(ExecutorEvent(e.timestamp_ms, e.executor_id.decode("utf-8", "replace"),
                                         bool(e.added), e.cores, e.live))
        return out


def ingest_summary(path: StrPath, **kw: Any) -> Dict[str, Optional[int]]:
    """Reads the event log at path and returns its summary dict (as `gdfo ingest --summary`)."""
    with EventLog.read(path, **kw) as log:
        return log.summary()
