"""GdfoError and the status codes of include/gdfo/common.h."""
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


class GdfoError(Exception):
    """A libgdfo call failed.

    status is the negative gdfo_status (compare with gdfo.EFORMAT and the
    like), status_name its symbolic name ("GDFO_EFORMAT"), and str(error)
    the library's one-line message (gdfo_last_error()).
    """

    def __init__(self, status, message):
        super().__init__(message)
        self.status = int(status)
        self.message = message

    @property
    def status_name(self):
        return _lib.status_name(self.status).decode("ascii")

    def __repr__(self):
        return "GdfoError(%s, %r)" % (self.status_name, self.message)


def last_error():
    """The calling thread's last libgdfo error message."""
    return _lib.last_error().decode("utf-8", "replace")


def check(rc):
    """Raises GdfoError for a negative status; returns rc otherwise."""
    if rc < 0:
        raise GdfoError(rc, last_error())
    return rc
