"""Owning wrappers around libgdfo's opaque handles.

ctypes releases the GIL during a C call, so without care one thread could
free a handle while another is inside the library with it. Each Handle
therefore counts its readers: reading calls run concurrently (the C
headers allow concurrent reads), mutating calls and close() wait for
exclusive access. close() is idempotent; using a closed handle raises
GdfoError(EINVAL).
"""
from __future__ import annotations

import ctypes
import os
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Optional, Type, TypeVar, Union

from . import _lib
from .errors import EINVAL, GdfoError, check, check_read

#: What a path argument may be: str, bytes or any os.PathLike.
StrPath = Union[str, bytes, os.PathLike]
#: What a text argument may be (str is encoded as UTF-8).
Text = Union[str, bytes, bytearray, memoryview]

H = TypeVar("H", bound="Handle")


def take_string(ptr: Any) -> str:
    """Copies a library-allocated NUL-terminated string out and frees it."""
    try:
        return ctypes.string_at(ptr).decode("utf-8", "replace")
    finally:
        _lib.free(ptr)


def to_bytes(text: Any, what: str) -> bytes:
    """str (encoded as UTF-8), bytes, bytearray or memoryview to bytes."""
    if isinstance(text, str):
        return text.encode("utf-8")
    if isinstance(text, (bytes, bytearray, memoryview)):
        return bytes(text)
    raise TypeError("%s must be str or bytes, not %s" % (what, type(text).__name__))


def to_path(path: Any) -> bytes:
    """A filesystem path (str, bytes or os.PathLike) as bytes for the C API."""
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError("path must be str, bytes or os.PathLike, not %s" % type(path).__name__)
    p = os.fsencode(path)
    if b"\0" in p:
        raise GdfoError(EINVAL, "path %r contains a NUL byte" % (path,))
    return p


def set_option(struct: Any, key: str, value: Any, switches: Any, ints: Any, floats: Any) -> bool:
    """Sets struct.key from a keyword option when key is one of the switches
    (bool only), ints (int, not bool) or floats (int or float, not bool) and
    returns True; False for any other key. TypeError names a wrong type."""
    if key in switches:
        if not isinstance(value, bool):
            raise TypeError("option %s must be a bool, not %s" % (key, type(value).__name__))
        setattr(struct, key, 1 if value else 0)
    elif key in ints:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("option %s must be an int, not %s" % (key, type(value).__name__))
        setattr(struct, key, value)
    elif key in floats:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError("option %s must be a float, not %s" % (key, type(value).__name__))
        setattr(struct, key, float(value))
    else:
        return False
    return True


def require(obj: Any, cls: type, what: str) -> None:
    """TypeError unless obj is a cls (a str where a Graph is expected, say)."""
    if not isinstance(obj, cls):
        raise TypeError("%s must be a gdfo.%s, not %s" % (what, cls.__name__, type(obj).__name__))


class Handle:
    """Base of Graph, Telemetry, Plan and Profile: owns one C pointer."""

    _free: Callable[[Any], None]   # the C *_free function, set by subclasses
    _kind = "handle"

    def __init__(self, ptr: Optional[int]) -> None:
        self._ptr = ptr
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False

    @classmethod
    def _wrap(cls: Type[H], ptr: Optional[int]) -> H:
        obj = cls.__new__(cls)
        Handle.__init__(obj, ptr)
        return obj

    @classmethod
    def _make(cls: Type[H], fn: Callable[..., int], *args: Any) -> H:
        """Calls fn(&out, *args) and wraps the new handle."""
        out = ctypes.c_void_p()
        check(fn(ctypes.byref(out), *args))
        return cls._wrap(out.value)

    @classmethod
    def _load(cls: Type[H], fn: Callable[..., int], path: StrPath) -> H:
        """Calls fn(&out, path); a missing file is GdfoFileNotFoundError."""
        p = to_path(path)
        out = ctypes.c_void_p()
        check_read(fn(ctypes.byref(out), p), p)
        return cls._wrap(out.value)

    def _closed(self) -> GdfoError:
        return GdfoError(EINVAL, "this %s is closed" % self._kind)

    @contextmanager
    def _read(self) -> Iterator[int]:
        with self._cond:
            if not self._ptr:
                raise self._closed()
            while self._writer:
                self._cond.wait()
            if not self._ptr:
                raise self._closed()
            self._readers += 1
        try:
            yield self._ptr
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def _write(self) -> Iterator[int]:
        with self._cond:
            while self._writer or self._readers:
                self._cond.wait()
            if not self._ptr:
                raise self._closed()
            self._writer = True
        try:
            yield self._ptr
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return not self._ptr

    def close(self) -> None:
        """Frees the C object. Safe to call twice and from several threads."""
        cond = getattr(self, "_cond", None)
        if cond is None:
            return
        with cond:
            while self._writer or self._readers:
                cond.wait()
            ptr, self._ptr = self._ptr, None
        if ptr:
            self._close_dependents()
            type(self)._free(ptr)

    def _close_dependents(self) -> None:
        """Closes what must not outlive this object, before it is freed (none here)."""

    def __enter__(self: H) -> H:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass
