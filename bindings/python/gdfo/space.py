"""The decision space (include/gdfo/space.h): what an optimizer may decide
for one pipeline on one cluster, and how a point becomes a plan."""
from __future__ import annotations

import ctypes
import operator
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, Union

from . import _lib, _sim_cluster
from ._handle import Handle, Text, require, take_string, to_bytes
from .errors import EINVAL, GdfoError, check
from .graph import Graph
from .plan import Plan

#: A point: one choice index per decision (0 = keep the input's value).
Point = List[int]


@dataclass
class Choice:
    """One choice of a decision (a copy)."""
    label: str      # "keep", "256 MiB per partition", "broadcast"
    value: int      # what apply sets (0 for keep); see gdfo_space_choice
    legal: bool     # False: masked, never sampled, offered or applied


@dataclass
class Decision:
    """One decision of a space (a copy)."""
    index: int
    kind: str                  # "push_filter", "partitions", "executors", ...
    stage_id: Optional[int]    # None for graph resources
    name: str                  # "partitions of 7 'agg_daily'"
    choices: List[Choice]

    @property
    def legal(self) -> List[int]:
        """Indices of the legal choices (0, keep, is always one)."""
        return [i for i, c in enumerate(self.choices) if c.legal]


class RngState:
    """The random state gdfo_space_sample advances (a uint64), so a
    sequence of draws is reproducible: RngState(1) gives the points of
    `gdfo space --sample N --seed 1`, one per sample() call."""
    __slots__ = ("state",)

    def __init__(self, seed: int = 1) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError("seed must be an int, not %s" % type(seed).__name__)
        if not 0 <= seed < 2**64:
            raise GdfoError(EINVAL, "seed %d is outside 0..2^64-1" % seed)
        self.state = seed

    def __repr__(self) -> str:
        return "RngState(%d)" % self.state


def _switch(v: Any, what: str) -> int:
    if not isinstance(v, bool):
        raise TypeError("%s must be a bool, not %s" % (what, type(v).__name__))
    return 1 if v else 0


class Space(Handle):
    """The decision space of a pipeline (gdfo_space). Immutable once made;
    use as a context manager or call close().

    Space(graph, cluster=None, structural=True, reorder_joins=True,
    stage_knobs=True, priorities=True, resources=True, max_executors=0,
    broadcast_max_bytes=0) offers the decisions the switches allow;
    cluster (a path, JSON text or dict of a gdfo-cluster/1 document; None:
    the built-in model) gives the resources the pipeline runs with when its
    knobs are 0 and the broadcast bound. The space keeps a copy of graph.

    A point is a list of dim choice indices. Masked choices are never
    sampled nor offered as neighbours, and check() and apply() refuse them
    with GdfoError(EINVAL) naming the decision. decisions lists every
    decision with its choices.
    """
    _free = _lib.space_free
    _kind = "Space"

    def __init__(self, graph: Graph, cluster: Optional[_sim_cluster.ClusterLike] = None,
                 structural: bool = True, reorder_joins: bool = True, stage_knobs: bool = True,
                 priorities: bool = True, resources: bool = True, max_executors: int = 0,
                 broadcast_max_bytes: float = 0, stage_priorities: bool = False) -> None:
        Handle.__init__(self, None)
        require(graph, Graph, "graph")
        o = _lib.SpaceOptions()
        check(_lib.space_options_init(ctypes.byref(o), _lib.GDFO_SPACE_OPTIONS_VERSION))
        o.structural = _switch(structural, "structural")
        o.reorder_joins = _switch(reorder_joins, "reorder_joins")
        o.stage_knobs = _switch(stage_knobs, "stage_knobs")
        o.priorities = _switch(priorities, "priorities")
        o.stage_priorities = _switch(stage_priorities, "stage_priorities")
        o.resources = _switch(resources, "resources")
        if isinstance(max_executors, bool) or not isinstance(max_executors, int):
            raise TypeError("max_executors must be an int, not %s" % type(max_executors).__name__)
        if not 0 <= max_executors < 2**31:
            raise GdfoError(EINVAL, "max_executors %d is outside 0..2^31-1" % max_executors)
        o.max_executors = max_executors
        if isinstance(broadcast_max_bytes, bool) or not isinstance(broadcast_max_bytes, (int, float)):
            raise TypeError("broadcast_max_bytes must be a number, not %s"
                            % type(broadcast_max_bytes).__name__)
        o.broadcast_max_bytes = float(broadcast_max_bytes)
        buf = _sim_cluster.load(cluster)
        o.cluster = _sim_cluster.address(buf)
        out = ctypes.c_void_p()
        with graph._read() as g:
            check(_lib.space_create(ctypes.byref(out), g, ctypes.byref(o)))
        self._ptr = out.value
        self._describe()

    @classmethod
    def from_json(cls, graph: Graph, text: Text) -> "Space":
        """Reads a space exported by to_json() for graph (the same pipeline:
        its fingerprint must match): decisions, grids and masks come from the
        text. Raises GdfoError (EFORMAT naming the field; EINVAL when the
        fingerprint differs)."""
        require(graph, Graph, "graph")
        data = to_bytes(text, "text")
        with graph._read() as g:
            space = cls._make(_lib.space_from_json, g, data, len(data))
        space._describe()
        return space

    def _describe(self) -> None:
        """Copies the decisions out once: the space never changes."""
        out = []
        d = _lib.Decision()
        value, label, legal = ctypes.c_int64(), ctypes.c_char_p(), ctypes.c_int()
        with self._read() as s:
            for i in range(_lib.space_dim(s)):
                d.version = _lib.GDFO_DECISION_VERSION
                check(_lib.space_decision_at(ctypes.byref(d), s, i))
                choices = []
                for c in range(d.n_choices):
                    check(_lib.space_choice(ctypes.byref(value), ctypes.byref(label),
                                            ctypes.byref(legal), s, i, c))
                    choices.append(Choice(label=label.value.decode("utf-8", "replace"),
                                          value=value.value, legal=bool(legal.value)))
                kind = _lib.decision_kind_name(d.kind)
                out.append(Decision(index=i, kind=kind.decode("ascii") if kind else str(d.kind),
                                    stage_id=None if d.stage_id < 0 else d.stage_id,
                                    name=d.name.decode("utf-8", "replace"), choices=choices))
        self._decisions = out

    @property
    def dim(self) -> int:
        """Number of decisions: the length of a point."""
        with self._read() as s:
            return _lib.space_dim(s)

    def __len__(self) -> int:
        return self.dim

    @property
    def decisions(self) -> List[Decision]:
        """Copies of every decision, in point order."""
        with self._read():
            return [Decision(index=d.index, kind=d.kind, stage_id=d.stage_id, name=d.name,
                             choices=[Choice(c.label, c.value, c.legal) for c in d.choices])
                    for d in self._decisions]

    def graph(self) -> Graph:
        """A copy of the input graph the space was made from."""
        with self._read() as s:
            return Graph._make(_lib.graph_clone, _lib.space_graph(s))

    def _point(self, point: Sequence[int]) -> Any:
        """A point as an int32_t array; TypeError for entries that are not ints."""
        if isinstance(point, (str, bytes)) or not hasattr(point, "__len__"):
            raise TypeError("point must be a sequence of ints, not %s" % type(point).__name__)
        arr = (ctypes.c_int32 * len(point))()
        for i, v in enumerate(point):
            if isinstance(v, bool):
                raise TypeError("point[%d] must be an int, not bool" % i)
            try:
                v = operator.index(v)
            except TypeError:
                raise TypeError("point[%d] must be an int, not %s" % (i, type(v).__name__)) from None
            if not -2**31 <= v < 2**31:
                raise GdfoError(EINVAL, "point[%d] = %d is not a choice index" % (i, v))
            arr[i] = v
        return arr

    def check(self, point: Sequence[int]) -> None:
        """Raises GdfoError(EINVAL) unless point has dim entries, each a legal
        choice; the message names the first decision that is not."""
        arr = self._point(point)
        with self._read() as s:
            check(_lib.space_check(s, arr, len(arr)))

    def sample(self, rng: Union[int, "RngState"] = 1) -> Point:
        """A point drawn uniformly: each decision's choice among its legal ones.

        rng is an RngState (advanced, so successive calls give successive
        points) or an int seed (a fresh state: the same seed, the same
        point)."""
        state = rng if isinstance(rng, RngState) else RngState(rng)
        r = ctypes.c_uint64(state.state)
        with self._read() as s:
            n = _lib.space_dim(s)
            arr = (ctypes.c_int32 * n)()
            check(_lib.space_sample(arr, n, s, ctypes.byref(r)))
        state.state = r.value
        return list(arr)

    def neighbours(self, point: Sequence[int]) -> List[Point]:
        """Points that differ from point in one decision moved one step to
        the previous or next legal choice (any other legal choice for
        categorical decisions). Raises GdfoError(EINVAL) for a bad point."""
        arr = self._point(point)
        n = len(arr)
        count = ctypes.c_size_t()
        with self._read() as s:
            check(_lib.space_neighbours(None, 0, ctypes.byref(count), s, arr, n))
            out = (ctypes.c_int32 * (count.value * n))()
            cap = count.value
            check(_lib.space_neighbours(out, cap, ctypes.byref(count), s, arr, n))
        return [list(out[k * n:(k + 1) * n]) for k in range(min(cap, count.value))]

    def apply(self, point: Sequence[int], source: str = "space") -> Plan:
        """Applies point to a copy of the input and returns the Plan: one
        change per decision whose choice changed the graph, notes for
        structural choices skipped; source names the optimizer (1..64 bytes).
        Raises GdfoError(EINVAL) for a bad point or source."""
        arr = self._point(point)
        src = to_bytes(source, "source")
        with self._read() as s:
            return Plan._make(_lib.space_apply, s, arr, len(arr), src)

    def point_of(self, graph: Graph) -> Point:
        """The point nearest to graph, a graph derived from the space's input
        (a rules plan's graph): used to start a search from another plan."""
        require(graph, Graph, "graph")
        with self._read() as s, graph._read() as g:
            n = _lib.space_dim(s)
            arr = (ctypes.c_int32 * n)()
            check(_lib.space_point_of(arr, n, s, g))
        return list(arr)

    def to_json(self) -> str:
        """The space as a gdfo-space/1 document (docs/formats.md)."""
        out = ctypes.c_void_p()
        with self._read() as s:
            check(_lib.space_to_json(ctypes.byref(out), s))
        return take_string(out)

    def __repr__(self) -> str:
        if self.closed:
            return "<gdfo.Space closed>"
        return "<gdfo.Space of %d decisions>" % len(self._decisions)
