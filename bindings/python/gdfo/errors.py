"""GdfoError and the status codes of include/gdfo/common.h."""
from __future__ import annotations

import errno as _errno
import os

from . import _lib

OK = 0
EINVAL = -1
ENOMEM = -2
EIO = -3
EFORMAT = -4
ECYCLE = -5
ENOTFOUND = -6
EEXISTS = -7
ERANGE = -8
EVERSION = -9
ECHECKSUM = -10
EILLEGAL = -11
EINTERNAL = -12
EUNSUPPORTED = -13
ECANCELED = -14
EANOMALY = -15


class GdfoError(Exception):
    """A libgdfo call failed.

    status is the negative gdfo_status (compare with gdfo.EFORMAT and the
    like), status_name its symbolic name ("GDFO_EFORMAT"), and str(error)
    the library's one-line message (gdfo_last_error()).
    """

    status: int
    message: str

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = int(status)
        self.message = message

    @property
    def status_name(self) -> str:
        return _lib.status_name(self.status).decode("ascii")

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return "%s(%s, %r)" % (type(self).__name__, self.status_name, self.message)


class GdfoFileNotFoundError(GdfoError, FileNotFoundError):
    """A file to read does not exist (status GDFO_EIO).

    Both a GdfoError (.status, .status_name, the library's message as str())
    and a FileNotFoundError (.errno ENOENT, .filename), so either except
    clause catches it.
    """

    def __init__(self, status: int, message: str, filename: str) -> None:
        GdfoError.__init__(self, status, message)
        self.errno = _errno.ENOENT
        self.strerror = os.strerror(_errno.ENOENT)
        self.filename = filename


def last_error() -> str:
    """The calling thread's last libgdfo error message."""
    return _lib.last_error().decode("utf-8", "replace")


def check(rc: int) -> int:
    """Raises GdfoError for a negative status; returns rc otherwise."""
    if rc < 0:
        raise GdfoError(rc, last_error())
    return rc


def check_read(rc: int, path: bytes) -> int:
    """check() for a call that read the file at path: a missing file is
    GdfoFileNotFoundError. The library reports every open failure as
    GDFO_EIO with strerror in the message; the file is looked at again
    only to tell "does not exist" apart."""
    if rc < 0:
        message = last_error()
        if rc == EIO:
            try:
                os.stat(path)
            except FileNotFoundError:
                raise GdfoFileNotFoundError(rc, message, os.fsdecode(path)) from None
            except OSError:
                pass
        raise GdfoError(rc, message)
    return rc
