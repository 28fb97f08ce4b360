"""The simulator's cluster model (gdfo_sim_cluster) from what a user gives.

Simulator, Space and Judge take the cluster a pipeline runs on as None
(the built-in model), the path of a gdfo-cluster/1 file, the JSON text of
one, or a dict of cluster fields over the defaults. This private module
turns any of those into the library's struct (gdfo/_lib.py SimCluster).
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

#: What Simulator, Space and Judge accept as a cluster: a path to a
#: gdfo-cluster/1 file, the text of one (str or bytes starting with "{"),
#: or a dict of its fields ("format" may be left out).
ClusterLike = Union[str, bytes, os.PathLike, Mapping]


def _is_text(data: bytes) -> bool:
    return data.lstrip()[:1] == b"{"


def load(cluster: Optional[Any]) -> Optional["_lib.SimCluster"]:
    """The cluster as the library's struct, or None for None (the built-in model).

    Raises TypeError for anything but a path, JSON text or a dict;
    GdfoError (EFORMAT naming the field, EIO; GdfoFileNotFoundError) from
    the library.
    """
    if cluster is None:
        return None
    c = _lib.SimCluster()
    check(_lib.sim_cluster_init(ctypes.byref(c), _lib.GDFO_SIM_CLUSTER_VERSION))
    if isinstance(cluster, Mapping):
        data = json.dumps(dict({"format": "gdfo-cluster/1"}, **dict(cluster))).encode("utf-8")
        check(_lib.sim_cluster_from_json(ctypes.byref(c), data, len(data)))
    elif isinstance(cluster, (str, bytes)) and _is_text(to_bytes(cluster, "cluster")):
        data = to_bytes(cluster, "cluster")
        check(_lib.sim_cluster_from_json(ctypes.byref(c), data, len(data)))
    elif isinstance(cluster, (str, bytes, os.PathLike)):
        p = to_path(cluster)
        check_read(_lib.sim_cluster_load(ctypes.byref(c), p), p)
    else:
        raise TypeError("cluster must be None, a path, the JSON text of a gdfo-cluster/1 document "
                        "or a dict, not %s" % type(cluster).__name__)
    return c


def address(c: Optional["_lib.SimCluster"]) -> Optional[int]:
    """The struct's address for an options struct's cluster field (None: NULL)."""
    return None if c is None else ctypes.addressof(c)
