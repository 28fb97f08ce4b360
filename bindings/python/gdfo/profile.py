"""Job profiles (include/gdfo/profile.h, "gdfo-job-profile/1")."""
from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional

from . import _lib
from ._handle import Handle, StrPath, Text, require, take_string, to_bytes, to_path
from .errors import check

_BYTES = (("input_bytes", 0x1), ("shuffle_read_bytes", 0x2), ("shuffle_write_bytes", 0x4),
          ("spill_bytes", 0x8))


@dataclass
class ProfileStage:
    """One stage of a profile (a copy). Byte counters are None when absent."""
    id: int
    parents: List[int] = field(default_factory=list)
    num_tasks: int = 0
    task_ms: List[float] = field(default_factory=list)
    task_ms_by_executors: Dict[int, List[float]] = field(default_factory=dict)
    input_bytes: Optional[int] = None
    shuffle_read_bytes: Optional[int] = None
    shuffle_write_bytes: Optional[int] = None
    spill_bytes: Optional[int] = None


class Profile(Handle):
    """Measured per-stage task durations of a job. Context manager or close().

    Iterating gives the stages (as stages()); len() is their count.
    """
    _free = _lib.profile_free
    _kind = "Profile"

    def __init__(self, name: str, executors: int, cores_per_executor: int) -> None:
        out = ctypes.c_void_p()
        check(_lib.profile_create(ctypes.byref(out), to_bytes(name, "name"), executors,
                                  cores_per_executor))
        super().__init__(out.value)

    @classmethod
    def from_json(cls, text: Text) -> "Profile":
        data = to_bytes(text, "text")
        return cls._make(_lib.profile_from_json, data, len(data))

    @classmethod
    def load(cls, path: StrPath) -> "Profile":
        """Reads a gdfo-job-profile/1 file (GdfoFileNotFoundError if missing)."""
        return cls._load(_lib.profile_load, path)

    def to_json(self) -> str:
        out = ctypes.c_void_p()
        with self._read() as p:
            check(_lib.profile_to_json(ctypes.byref(out), p))
        return take_string(out)

    def save(self, path: StrPath) -> None:
        with self._read() as p:
            check(_lib.profile_save(p, to_path(path)))

    @property
    def name(self) -> str:
        with self._read() as p:
            return _lib.profile_name(p).decode("utf-8", "replace")

    @property
    def executors(self) -> int:
        with self._read() as p:
            return _lib.profile_executors(p)

    @property
    def cores_per_executor(self) -> int:
        with self._read() as p:
            return _lib.profile_cores_per_executor(p)

    def __len__(self) -> int:
        with self._read() as p:
            return _lib.profile_stage_count(p)

    def stages(self) -> List[ProfileStage]:
        out = []
        s = _lib.ProfileStage(version=_lib.GDFO_PROFILE_STAGE_VERSION)
        with self._read() as p:
            for i in range(_lib.profile_stage_count(p)):
                check(_lib.profile_stage_at(ctypes.byref(s), p, i))
                st = ProfileStage(
                    id=s.id, parents=[s.parents[k] for k in range(s.n_parents)],
                    num_tasks=s.num_tasks, task_ms=[s.task_ms[k] for k in range(s.n_task_ms)],
                    task_ms_by_executors={
                        s.by_executors[k].executors:
                            [s.by_executors[k].task_ms[j] for j in range(s.by_executors[k].n_task_ms)]
                        for k in range(s.n_by_executors)})
                for name, bit in _BYTES:
                    if s.has_bytes & bit:
                        setattr(st, name, getattr(s, name))
                out.append(st)
        return out

    def __iter__(self) -> Iterator[ProfileStage]:
        return iter(self.stages())

    def add_stage(self, stage: ProfileStage) -> None:
        """Appends a copy of a ProfileStage; its parents must already be present."""
        require(stage, ProfileStage, "stage")
        s = _lib.ProfileStage()
        check(_lib.profile_stage_init(ctypes.byref(s), _lib.GDFO_PROFILE_STAGE_VERSION))
        s.id = stage.id
        parents = (ctypes.c_int64 * max(len(stage.parents), 1))(*stage.parents)
        s.parents, s.n_parents = ctypes.cast(parents, ctypes.POINTER(ctypes.c_int64)), len(stage.parents)
        s.num_tasks = stage.num_tasks
        task_ms = (ctypes.c_double * max(len(stage.task_ms), 1))(*stage.task_ms)
        s.task_ms, s.n_task_ms = ctypes.cast(task_ms, ctypes.POINTER(ctypes.c_double)), len(stage.task_ms)
        keep = [parents, task_ms]
        meas = (_lib.ProfileMeasurement * max(len(stage.task_ms_by_executors), 1))()
        for k, (ex, ms) in enumerate(stage.task_ms_by_executors.items()):
            arr = (ctypes.c_double * max(len(ms), 1))(*ms)
            keep.append(arr)
            meas[k] = _lib.ProfileMeasurement(executors=ex,
                                              task_ms=ctypes.cast(arr, ctypes.POINTER(ctypes.c_double)),
                                              n_task_ms=len(ms))
        s.by_executors = ctypes.cast(meas, ctypes.POINTER(_lib.ProfileMeasurement))
        s.n_by_executors = len(stage.task_ms_by_executors)
        for name, bit in _BYTES:
            v = getattr(stage, name)
            if v is not None:
                s.has_bytes |= bit
                setattr(s, name, v)
        with self._write() as p:
            check(_lib.profile_add_stage(p, ctypes.byref(s)))
        del keep
