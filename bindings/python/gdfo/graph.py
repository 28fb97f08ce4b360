"""Pipeline graphs (include/gdfo/graph.h)."""
from __future__ import annotations

import ctypes
from dataclasses import dataclass, field, make_dataclass
from typing import Any, Callable, Iterator, List, Optional, Sequence, Tuple, Union

from . import _lib
from ._handle import Handle, StrPath, Text, require, take_string, to_bytes, to_path
from .errors import check

OPS = ("source", "filter", "project", "join", "aggregate", "sort", "window", "union", "udf",
       "sink")
JOIN_STRATEGIES = ("auto", "broadcast", "shuffle_hash", "sort_merge")
JOIN_TYPES = ("inner", "left", "right", "full", "semi", "anti")
CACHE_LEVELS = ("none", "memory", "disk")


def _enum_name(fn: Callable[[int], Optional[bytes]], value: int) -> str:
    s = fn(value)
    return s.decode("ascii") if s is not None else str(value)


def _enum_value(names: Sequence[str], value: Union[str, int], what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return names.index(value)
    except ValueError:
        raise ValueError("%s %r is not one of %s" % (what, value, ", ".join(names))) from None


def _strings(ptr: Any, n: int) -> List[str]:
    return [ptr[i].decode("utf-8", "replace") for i in range(n)]


_PY_TYPES = {_lib.FIELD_DOUBLE: float, _lib.FIELD_INT32: int, _lib.FIELD_INT64: int,
             _lib.FIELD_ENUM: str}


def _table_dataclass(name: str, set_: int, doc: str) -> Any:
    """A dataclass with one field per row of a C field table, in the table's order,
    defaults from the table; enum fields hold their names ("broadcast")."""
    table = _lib.field_table(set_)
    cls = make_dataclass(name, [(f.name, _PY_TYPES[f.type], field(default=f.default))
                                for f in table])
    cls.__module__ = __name__
    cls.__doc__ = doc + "\n\n" + "\n".join("%s: %s" % (f.name, f.doc) for f in table)
    cls._table = table
    return cls


def _from_c(cls: Any, c: Any) -> Any:
    return cls(**{f.name: f.values[getattr(c, f.name)] if f.values else getattr(c, f.name)
                  for f in cls._table})


def _to_c(v: Any, c: Any) -> None:
    """Copies a table dataclass into its ctypes struct, field by field by name."""
    for f in type(v)._table:
        x = getattr(v, f.name)
        if f.values:
            x = _enum_value(f.values, x, f.name)
        elif isinstance(x, bool) or not isinstance(x, (int, float)) or \
                (f.type != _lib.FIELD_DOUBLE and not isinstance(x, int)):
            raise TypeError("%s must be %s, not %s"
                            % (f.name, "a number" if f.type == _lib.FIELD_DOUBLE else "an int",
                               type(x).__name__))
        setattr(c, f.name, x)


StageStats = _table_dataclass("StageStats", _lib.FIELDS_STAGE_STATS,
                              "What is known about a stage's data (gdfo_stage_stats).")
StageKnobs = _table_dataclass("StageKnobs", _lib.FIELDS_STAGE_KNOBS,
                              "A stage's knobs; 0 is the engine default (gdfo_stage_knobs).")


@dataclass
class Stage:
    """A copy of one stage: nothing here points into the library."""
    id: int
    name: str
    op: str
    join_type: Optional[str] = None        # joins only
    fused_ops: List[str] = field(default_factory=list)
    stats: StageStats = field(default_factory=StageStats)
    knobs: StageKnobs = field(default_factory=StageKnobs)
    columns_read: List[str] = field(default_factory=list)
    columns_written: List[str] = field(default_factory=list)
    parents: List[int] = field(default_factory=list)   # stage ids, in order (a join's left first)
    children: List[int] = field(default_factory=list)


GraphKnobs = _table_dataclass("GraphKnobs", _lib.FIELDS_GRAPH_KNOBS,
                              "The resource blueprint; 0 is the engine default (gdfo_graph_knobs).")
Cluster = _table_dataclass("Cluster", _lib.FIELDS_CLUSTER,
                           "The cluster a pipeline runs on; 0 is unknown (gdfo_cluster).")


class Graph(Handle):
    """A pipeline graph. Use as a context manager or call close().

    Build one with Graph.from_json(text), Graph.load(path) or Graph(name)
    followed by add_stage/add_edge. Iterating gives copies of the stages in
    insertion order (as stages()); len() is the stage count.
    """
    _free = _lib.graph_free
    _kind = "Graph"

    def __init__(self, name: Optional[str] = None) -> None:
        out = ctypes.c_void_p()
        check(_lib.graph_create(ctypes.byref(out),
                                None if name is None else to_bytes(name, "name")))
        super().__init__(out.value)

    @classmethod
    def from_json(cls, text: Text) -> "Graph":
        """Parses and validates a gdfo-pipeline/1 document (str or bytes)."""
        data = to_bytes(text, "text")
        return cls._make(_lib.graph_from_json, data, len(data))

    @classmethod
    def load(cls, path: StrPath) -> "Graph":
        """Reads and validates a gdfo-pipeline/1 file (GdfoFileNotFoundError if missing)."""
        return cls._load(_lib.graph_load, path)

    def to_json(self) -> str:
        out = ctypes.c_void_p()
        with self._read() as g:
            check(_lib.graph_to_json(ctypes.byref(out), g))
        return take_string(out)

    def save(self, path: StrPath) -> None:
        with self._read() as g:
            check(_lib.graph_save(g, to_path(path)))

    def clone(self) -> "Graph":
        with self._read() as g:
            return Graph._make(_lib.graph_clone, g)

    @property
    def name(self) -> str:
        with self._read() as g:
            return _lib.graph_name(g).decode("utf-8", "replace")

    def __len__(self) -> int:
        with self._read() as g:
            return _lib.graph_stage_count(g)

    def validate(self) -> None:
        """Raises GdfoError (EINVAL, ECYCLE) naming the stage and field at fault."""
        with self._read() as g:
            check(_lib.graph_validate(g))

    def fingerprint(self) -> int:
        """The 64-bit shape fingerprint as an int (stable as statistics drift)."""
        out = ctypes.c_uint64()
        with self._read() as g:
            check(_lib.graph_fingerprint(ctypes.byref(out), g))
        return out.value

    def _index_ids(self, g: int) -> List[int]:
        n = _lib.graph_stage_count(g)
        ids = []
        s = _lib.Stage()
        for i in range(n):
            s.version = _lib.GDFO_STAGE_VERSION
            check(_lib.graph_stage_at(ctypes.byref(s), g, i))
            ids.append(s.id)
        return ids

    def topo_order(self) -> List[int]:
        """Stage ids, parents before children (ties by insertion order)."""
        with self._read() as g:
            n = _lib.graph_stage_count(g)
            order = (ctypes.c_size_t * max(n, 1))()
            check(_lib.graph_topo_order(order, n, g))
            ids = self._index_ids(g)
            return [ids[order[i]] for i in range(n)]

    def _neighbours(self, fn: Callable[..., int], g: int, index: int, ids: List[int]) -> List[int]:
        arr = ctypes.POINTER(ctypes.c_size_t)()
        count = ctypes.c_size_t()
        check(fn(ctypes.byref(arr), ctypes.byref(count), g, index))
        return [ids[arr[i]] for i in range(count.value)]

    def _stage(self, g: int, index: int, ids: List[int]) -> Stage:
        s = _lib.Stage(version=_lib.GDFO_STAGE_VERSION)
        check(_lib.graph_stage_at(ctypes.byref(s), g, index))
        return Stage(
            id=s.id, name=s.name.decode("utf-8", "replace"),
            op=_enum_name(_lib.op_name, s.op),
            join_type=_enum_name(_lib.join_type_name, s.join_type) if s.op == 3 else None,
            fused_ops=[OPS[k] for k in range(len(OPS)) if s.fused_ops & (1 << k)],
            stats=_from_c(StageStats, s.stats.contents),
            knobs=_from_c(StageKnobs, s.knobs.contents),
            columns_read=_strings(s.columns_read, s.n_columns_read),
            columns_written=_strings(s.columns_written, s.n_columns_written),
            parents=self._neighbours(_lib.graph_parents, g, index, ids),
            children=self._neighbours(_lib.graph_children, g, index, ids))

    def stages(self) -> List[Stage]:
        """Copies of every stage, in insertion order."""
        with self._read() as g:
            ids = self._index_ids(g)
            return [self._stage(g, i, ids) for i in range(len(ids))]

    def __iter__(self) -> Iterator[Stage]:
        """The stages (copies taken when iteration starts), in insertion order."""
        return iter(self.stages())

    def stage(self, stage_id: int) -> Stage:
        """A copy of the stage with this id; GdfoError(ENOTFOUND) if none."""
        with self._read() as g:
            idx = ctypes.c_size_t()
            check(_lib.graph_find(ctypes.byref(idx), g, stage_id))
            return self._stage(g, idx.value, self._index_ids(g))

    def _c_stage(self, stage: Stage) -> Tuple[Any, List[Any]]:
        require(stage, Stage, "stage")
        s = _lib.Stage()
        check(_lib.stage_init(ctypes.byref(s), _lib.GDFO_STAGE_VERSION))
        s.id = stage.id
        name = to_bytes(stage.name, "name")
        s.name = name
        s.op = _enum_value(OPS, stage.op, "op")
        s.join_type = _enum_value(JOIN_TYPES, stage.join_type or "inner", "join_type")
        fused = 0
        for op in stage.fused_ops:
            fused |= 1 << _enum_value(OPS, op, "fused op")
        s.fused_ops = fused
        # Field by field by name over the *_init defaults.
        require(stage.stats, StageStats, "stage.stats")
        require(stage.knobs, StageKnobs, "stage.knobs")
        st, kn = _lib.StageStats(), _lib.StageKnobs()
        check(_lib.stage_stats_init(ctypes.byref(st), _lib.GDFO_STAGE_STATS_VERSION))
        check(_lib.stage_knobs_init(ctypes.byref(kn), _lib.GDFO_STAGE_KNOBS_VERSION))
        _to_c(stage.stats, st)
        _to_c(stage.knobs, kn)
        s.stats = ctypes.pointer(st)
        s.knobs = ctypes.pointer(kn)
        keep = [name, st, kn]
        for attr in ("columns_read", "columns_written"):
            cols = [to_bytes(c, attr) for c in getattr(stage, attr)]
            arr = (ctypes.c_char_p * max(len(cols), 1))(*cols)
            keep.append(arr)
            setattr(s, attr, ctypes.cast(arr, ctypes.POINTER(ctypes.c_char_p)))
            setattr(s, "n_" + attr, len(cols))
        return s, keep   # keep holds the buffers alive during the call

    def add_stage(self, stage: Stage) -> None:
        """Copies a Stage into the graph (its parents/children are ignored: use add_edge)."""
        s, keep = self._c_stage(stage)
        with self._write() as g:
            check(_lib.graph_add_stage(g, ctypes.byref(s)))
        del keep

    def update_stage(self, stage: Stage) -> None:
        """Replaces the stage with stage.id (statistics, knobs, name, op, columns)."""
        s, keep = self._c_stage(stage)
        with self._write() as g:
            check(_lib.graph_update_stage(g, ctypes.byref(s)))
        del keep

    def add_edge(self, parent_id: int, child_id: int) -> None:
        """Adds parent -> child; a stage's first parent is a join's left side."""
        for what, v in (("parent_id", parent_id), ("child_id", child_id)):
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError("%s must be an int, not %s" % (what, type(v).__name__))
        with self._write() as g:
            check(_lib.graph_add_edge(g, parent_id, child_id))

    @property
    def knobs(self) -> GraphKnobs:
        k = _lib.GraphKnobs(version=_lib.GDFO_GRAPH_KNOBS_VERSION)
        with self._read() as g:
            check(_lib.graph_get_knobs(ctypes.byref(k), g))
        return _from_c(GraphKnobs, k)

    @knobs.setter
    def knobs(self, v: GraphKnobs) -> None:
        require(v, GraphKnobs, "knobs")
        # Starts from the graph's knobs so C fields this binding does not know keep their values.
        k = _lib.GraphKnobs(version=_lib.GDFO_GRAPH_KNOBS_VERSION)
        with self._write() as g:
            check(_lib.graph_get_knobs(ctypes.byref(k), g))
            _to_c(v, k)
            check(_lib.graph_set_knobs(g, ctypes.byref(k)))

    @property
    def cluster(self) -> Cluster:
        c = _lib.Cluster(version=_lib.GDFO_CLUSTER_VERSION)
        with self._read() as g:
            check(_lib.graph_get_cluster(ctypes.byref(c), g))
        return _from_c(Cluster, c)

    @cluster.setter
    def cluster(self, v: Cluster) -> None:
        require(v, Cluster, "cluster")
        c = _lib.Cluster(version=_lib.GDFO_CLUSTER_VERSION)
        with self._write() as g:
            check(_lib.graph_get_cluster(ctypes.byref(c), g))
            _to_c(v, c)
            check(_lib.graph_set_cluster(g, ctypes.byref(c)))

    def __repr__(self) -> str:
        if self.closed:
            return "<gdfo.Graph closed>"
        return "<gdfo.Graph %r, %d stages>" % (self.name, len(self))
