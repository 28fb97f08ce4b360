"""The simulator's cluster model (gdfo_sim_cluster) as an opaque buffer.

Space and Judge take the cluster a pipeline runs on. Until the binding has
a class for gdfo_sim_cluster, the cluster crosses as a buffer the library
fills with gdfo_sim_cluster_from_json or gdfo_sim_cluster_load: larger than
any version of the struct, aligned for its doubles and int64s, its first
uint32 the version the binding asks for. Nothing in Python reads the
fields, so no layout is repeated here. This module is private: a cluster
class replaces it without changing Space or Judge.
"""
from __future__ import annotations

import ctypes
import json
import os
from collections.abc import Mapping
from typing import Any, Optional, Union

from . import _lib
from ._handle import to_bytes, to_path
from .errors import check, check_read

#: What Space and Judge accept as a cluster: a path to a gdfo-cluster/1
#: file, the text of one (str or bytes starting with "{"), or a dict of it.
ClusterLike = Union[str, bytes, os.PathLike, Mapping]

# Bytes reserved for the struct; gdfo_sim_cluster is 240 today (tests/python/test_layout.py
# checks that it fits).
_BUFFER_BYTES = 4096


class ClusterBuffer(ctypes.Structure):
    """4096 bytes, 8-byte aligned; starts with the struct's version."""
    _fields_ = [("version", ctypes.c_uint32), ("_rest", ctypes.c_uint32),
                ("_words", ctypes.c_uint64 * (_BUFFER_BYTES // 8 - 1))]


def _is_text(data: bytes) -> bool:
    return data.lstrip()[:1] == b"{"


def load(cluster: Optional[Any]) -> Optional[ClusterBuffer]:
    """The cluster as a filled buffer, or None for None (the built-in model).

    cluster is a path (str, bytes, os.PathLike) to a gdfo-cluster/1 file,
    the JSON text of one (a str or bytes whose first non-blank character is
    "{"), or a dict of one. Raises TypeError for anything else, GdfoError
    (EFORMAT naming the field, EIO; GdfoFileNotFoundError) from the library.
    """
    if cluster is None:
        return None
    buf = ClusterBuffer()
    buf.version = _lib.GDFO_SIM_CLUSTER_VERSION
    if isinstance(cluster, Mapping):
        data = json.dumps(dict(cluster)).encode("utf-8")
        check(_lib.sim_cluster_from_json(ctypes.byref(buf), data, len(data)))
    elif isinstance(cluster, (str, bytes)) and _is_text(to_bytes(cluster, "cluster")):
        data = to_bytes(cluster, "cluster")
        check(_lib.sim_cluster_from_json(ctypes.byref(buf), data, len(data)))
    elif isinstance(cluster, (str, bytes, os.PathLike)):
        p = to_path(cluster)
        check_read(_lib.sim_cluster_load(ctypes.byref(buf), p), p)
    else:
        raise TypeError("cluster must be a path, the JSON text of a gdfo-cluster/1 document "
                        "or a dict, not %s" % type(cluster).__name__)
    return buf


def address(buf: Optional[ClusterBuffer]) -> Optional[int]:
    """The buffer's address for an options struct's cluster field (None: NULL)."""
    return None if buf is None else ctypes.addressof(buf)
