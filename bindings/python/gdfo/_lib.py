"""The one place that loads libgdfo and declares its C functions (ctypes).

Search order for the shared library (the first that loads wins):
  1. the GDFO_LIBRARY environment variable (a path to libgdfo.so*); when it
     is set nothing else is tried,
  2. next to this package (gdfo/libgdfo.so.0.2, gdfo/libgdfo.so), as a wheel or
     a copied build would place it,
  3. the system's libgdfo.so.0.2 through the dynamic linker (ld.so.cache after
     ldconfig, LD_LIBRARY_PATH), then ctypes.util.find_library("gdfo"),
  4. the standard directories `make install` and distributions use
     (/usr/local/lib, /usr/lib and their multiarch and lib64 variants), so
     `make install PREFIX=/usr/local` works before ldconfig has run.
If none loads, importing gdfo raises LibraryNotFound saying what to set.

Every C function is declared once below with argtypes and restype, its C
prototype in the comment above it. A function the loaded library does not
export (an older or partial build) is declared as a stub that raises
GdfoError(GDFO_EUNSUPPORTED) when called, so the rest of the binding keeps
working.

Opaque handles travel as c_void_p. Strings the library allocates for the
caller are received as c_void_p (not c_char_p, which would lose the pointer),
copied out with string_at and released with gdfo_free.
"""
import ctypes
import ctypes.util
import os
import sysconfig
from ctypes import (POINTER, Structure, c_char_p, c_double, c_int, c_int32, c_int64,
                    c_size_t, c_uint32, c_uint64, c_void_p)

from ._version import __version__

# The libgdfo version this binding was written against (include/gdfo/version.h).
# The run-time major version must match: the soname changes only with it.
BINDING_VERSION = tuple(int(x) for x in __version__.split("."))

_HERE = os.path.dirname(os.path.abspath(__file__))


# The soname names the ABI: libgdfo.so.0.MINOR while the major is 0, then libgdfo.so.MAJOR.
SONAME = ("libgdfo.so.0.%d" % BINDING_VERSION[1] if BINDING_VERSION[0] == 0
          else "libgdfo.so.%d" % BINDING_VERSION[0])


class LibraryNotFound(ImportError):
    """libgdfo could not be loaded, or its major version does not match."""


def _system_dirs():
    multiarch = sysconfig.get_config_var("MULTIARCH")
    out = []
    for prefix in ("/usr/local", "/usr"):
        if multiarch:
            out.append(os.path.join(prefix, "lib", multiarch))
        out += [os.path.join(prefix, "lib64"), os.path.join(prefix, "lib")]
    return out


def _load():
    soname = SONAME
    env = os.environ.get("GDFO_LIBRARY")
    if env:
        try:
            return ctypes.CDLL(env), env
        except OSError as e:
            raise LibraryNotFound("GDFO_LIBRARY=%s cannot be loaded: %s; set GDFO_LIBRARY to the "
                                  "path of %s (a build has it as build/libgdfo.so)"
                                  % (env, e, soname)) from None
    tried = []
    candidates = [os.path.join(_HERE, n) for n in (soname, "libgdfo.so")]
    candidates.append(soname)                           # ld.so.cache, LD_LIBRARY_PATH
    found = ctypes.util.find_library("gdfo")
    if found and found != soname:
        candidates.append(found)
    candidates += [os.path.join(d, soname) for d in _system_dirs()]
    for c in candidates:
        if os.sep in c and not os.path.exists(c):
            tried.append(c)
            continue
        try:
            return ctypes.CDLL(c), c
        except OSError as e:
            tried.append("%s (%s)" % (c, e))
    raise LibraryNotFound(
        "libgdfo not found: set GDFO_LIBRARY to the path of %s (after `make`, "
        "GDFO_LIBRARY=$PWD/build/libgdfo.so), or install it system-wide (`make install` "
        "then `ldconfig`), or add its directory to LD_LIBRARY_PATH. Tried: %s"
        % (soname, "; ".join(tried)))


lib, path = _load()


def _missing(name):
    def stub(*args):
        from .errors import GdfoError, EUNSUPPORTED
        raise GdfoError(EUNSUPPORTED, "the libgdfo at %s does not export %s (built without it?)"
                        % (path, name))
    stub.__name__ = name
    stub.available = False
    return stub


def _declare(name, restype, argtypes):
    try:
        fn = getattr(lib, name)
    except AttributeError:
        return _missing(name)
    fn.restype = restype
    fn.argtypes = argtypes
    fn.available = True
    return fn


P = POINTER
handle_p = P(c_void_p)

# ---------------------------------------------------------------- common.h

# const char *gdfo_last_error(void);
last_error = _declare("gdfo_last_error", c_char_p, [])
# const char *gdfo_status_name(int status);
status_name = _declare("gdfo_status_name", c_char_p, [c_int])
# void gdfo_version(int *major, int *minor, int *patch);
version = _declare("gdfo_version", None, [P(c_int), P(c_int), P(c_int)])
# const char *gdfo_version_string(void);
version_string = _declare("gdfo_version_string", c_char_p, [])
# void gdfo_free(void *ptr);
free = _declare("gdfo_free", None, [c_void_p])


def _check_version():
    ma, mi, pa = c_int(), c_int(), c_int()
    version(ctypes.byref(ma), ctypes.byref(mi), ctypes.byref(pa))
    if ma.value != BINDING_VERSION[0] or (ma.value == 0 and mi.value != BINDING_VERSION[1]):
        raise LibraryNotFound("%s is libgdfo %d.%d.%d; this binding needs %s"
                              % (path, ma.value, mi.value, pa.value,
                                 "%d.%d.x" % BINDING_VERSION[:2] if BINDING_VERSION[0] == 0
                                 else "major version %d" % BINDING_VERSION[0]))
    return (ma.value, mi.value, pa.value)


RUNTIME_VERSION = _check_version()

# ----------------------------------------------------------------- graph.h

GDFO_STAGE_VERSION = 1
GDFO_FIELD_INFO_VERSION = 1

# The field tables (gdfo_field_at): stage statistics, stage knobs, graph knobs,
# cluster. The ctypes Structures of these four structs and the binding's
# dataclasses are built from them, so a field added in C needs no change here.
FIELDS_STAGE_STATS, FIELDS_STAGE_KNOBS, FIELDS_GRAPH_KNOBS, FIELDS_CLUSTER = 0, 1, 2, 3
FIELD_DOUBLE, FIELD_INT32, FIELD_INT64, FIELD_ENUM = 0, 1, 2, 3


class FieldInfo(Structure):
    _fields_ = [("version", c_uint32), ("type", c_int32), ("name", c_char_p), ("offset", c_size_t),
                ("min", c_double), ("max", c_double), ("default_value", c_double),
                ("zero_ok", c_int32), ("only_op", c_int32), ("doc", c_char_p)]


# size_t gdfo_field_count(int set);
field_count = _declare("gdfo_field_count", c_size_t, [c_int])
# int gdfo_field_at(gdfo_field_info *out, int set, size_t index);
field_at = _declare("gdfo_field_at", c_int, [P(FieldInfo), c_int, c_size_t])
# unsigned int gdfo_field_set_version(int set);
field_set_version = _declare("gdfo_field_set_version", ctypes.c_uint, [c_int])
# const char *gdfo_field_value_name(int set, size_t index, int value);
field_value_name = _declare("gdfo_field_value_name", c_char_p, [c_int, c_size_t, c_int])


class Field:
    """One row of a field table, copied out of the library."""
    __slots__ = ("name", "type", "offset", "min", "max", "default", "zero_ok", "only_op", "doc",
                 "values")

    def __init__(self, set_: int, index: int, info: FieldInfo) -> None:
        self.name = info.name.decode("ascii")
        self.type = info.type
        self.offset = info.offset
        self.min, self.max, self.zero_ok, self.only_op = info.min, info.max, info.zero_ok, info.only_op
        self.doc = info.doc.decode("utf-8")
        self.values = None
        if self.type == FIELD_ENUM:
            self.values = tuple(field_value_name(set_, index, v).decode("ascii")
                                for v in range(int(info.min), int(info.max) + 1))
        self.default = (self.values[int(info.default_value)] if self.values
                        else int(info.default_value) if self.type != FIELD_DOUBLE
                        else info.default_value)


def field_table(set_: int):
    out = []
    info = FieldInfo()
    for i in range(field_count(set_)):
        info.version = GDFO_FIELD_INFO_VERSION
        if field_at(ctypes.byref(info), set_, i) != 0:
            raise LibraryNotFound("gdfo_field_at(%d, %d) failed" % (set_, i))
        out.append(Field(set_, i, info))
    return out


_FIELD_CTYPES = {FIELD_DOUBLE: c_double, FIELD_INT32: c_int32, FIELD_INT64: c_int64,
                 FIELD_ENUM: c_int32}


def _table_structure(name: str, set_: int):
    """A ctypes Structure laid out as the C struct: version, then the fields by offset."""
    table = sorted(field_table(set_), key=lambda f: f.offset)
    cls = type(name, (Structure,), {
        "_fields_": [("version", c_uint32)] + [(f.name, _FIELD_CTYPES[f.type]) for f in table]})
    for f in table:
        if getattr(cls, f.name).offset != f.offset:
            raise LibraryNotFound("%s.%s: the library puts it at offset %d, ctypes at %d"
                                  % (name, f.name, f.offset, getattr(cls, f.name).offset))
    return cls


# Laid out from the running library's table, so they are its newest versions.
GDFO_STAGE_STATS_VERSION = field_set_version(FIELDS_STAGE_STATS)
GDFO_STAGE_KNOBS_VERSION = field_set_version(FIELDS_STAGE_KNOBS)
GDFO_GRAPH_KNOBS_VERSION = field_set_version(FIELDS_GRAPH_KNOBS)
GDFO_CLUSTER_VERSION = field_set_version(FIELDS_CLUSTER)
StageStats = _table_structure("StageStats", FIELDS_STAGE_STATS)
StageKnobs = _table_structure("StageKnobs", FIELDS_STAGE_KNOBS)
GraphKnobs = _table_structure("GraphKnobs", FIELDS_GRAPH_KNOBS)
Cluster = _table_structure("Cluster", FIELDS_CLUSTER)


class Stage(Structure):
    _fields_ = [("version", c_uint32), ("op", c_int32), ("id", c_int64), ("name", c_char_p),
                ("join_type", c_int32), ("fused_ops", c_uint32),
                ("stats", P(StageStats)), ("knobs", P(StageKnobs)),
                ("columns_read", P(c_char_p)), ("n_columns_read", c_size_t),
                ("columns_written", P(c_char_p)), ("n_columns_written", c_size_t)]


# int gdfo_stage_init(gdfo_stage *out, unsigned int version);
stage_init = _declare("gdfo_stage_init", c_int, [P(Stage), ctypes.c_uint])
# int gdfo_stage_stats_init(gdfo_stage_stats *out, unsigned int version);
stage_stats_init = _declare("gdfo_stage_stats_init", c_int, [P(StageStats), ctypes.c_uint])
# int gdfo_stage_knobs_init(gdfo_stage_knobs *out, unsigned int version);
stage_knobs_init = _declare("gdfo_stage_knobs_init", c_int, [P(StageKnobs), ctypes.c_uint])
# int gdfo_graph_create(gdfo_graph **out, const char *name);
graph_create = _declare("gdfo_graph_create", c_int, [handle_p, c_char_p])
# void gdfo_graph_free(gdfo_graph *graph);
graph_free = _declare("gdfo_graph_free", None, [c_void_p])
# int gdfo_graph_clone(gdfo_graph **out, const gdfo_graph *graph);
graph_clone = _declare("gdfo_graph_clone", c_int, [handle_p, c_void_p])
# const char *gdfo_graph_name(const gdfo_graph *graph);
graph_name = _declare("gdfo_graph_name", c_char_p, [c_void_p])
# int gdfo_graph_add_stage(gdfo_graph *graph, const gdfo_stage *stage);
graph_add_stage = _declare("gdfo_graph_add_stage", c_int, [c_void_p, P(Stage)])
# int gdfo_graph_update_stage(gdfo_graph *graph, const gdfo_stage *stage);
graph_update_stage = _declare("gdfo_graph_update_stage", c_int, [c_void_p, P(Stage)])
# int gdfo_graph_add_edge(gdfo_graph *graph, int64_t parent_id, int64_t child_id);
graph_add_edge = _declare("gdfo_graph_add_edge", c_int, [c_void_p, c_int64, c_int64])
# size_t gdfo_graph_stage_count(const gdfo_graph *graph);
graph_stage_count = _declare("gdfo_graph_stage_count", c_size_t, [c_void_p])
# int gdfo_graph_stage_at(gdfo_stage *out, const gdfo_graph *graph, size_t index);
graph_stage_at = _declare("gdfo_graph_stage_at", c_int, [P(Stage), c_void_p, c_size_t])
# int gdfo_graph_find(size_t *out, const gdfo_graph *graph, int64_t id);
graph_find = _declare("gdfo_graph_find", c_int, [P(c_size_t), c_void_p, c_int64])
# int gdfo_graph_parents(const size_t **out, size_t *count, const gdfo_graph *graph, size_t index);
graph_parents = _declare("gdfo_graph_parents", c_int,
                         [P(P(c_size_t)), P(c_size_t), c_void_p, c_size_t])
# int gdfo_graph_children(const size_t **out, size_t *count, const gdfo_graph *graph, size_t index);
graph_children = _declare("gdfo_graph_children", c_int,
                          [P(P(c_size_t)), P(c_size_t), c_void_p, c_size_t])
# int gdfo_graph_get_knobs(gdfo_graph_knobs *out, const gdfo_graph *graph);
graph_get_knobs = _declare("gdfo_graph_get_knobs", c_int, [P(GraphKnobs), c_void_p])
# int gdfo_graph_set_knobs(gdfo_graph *graph, const gdfo_graph_knobs *knobs);
graph_set_knobs = _declare("gdfo_graph_set_knobs", c_int, [c_void_p, P(GraphKnobs)])
# int gdfo_graph_get_cluster(gdfo_cluster *out, const gdfo_graph *graph);
graph_get_cluster = _declare("gdfo_graph_get_cluster", c_int, [P(Cluster), c_void_p])
# int gdfo_graph_set_cluster(gdfo_graph *graph, const gdfo_cluster *cluster);
graph_set_cluster = _declare("gdfo_graph_set_cluster", c_int, [c_void_p, P(Cluster)])
# int gdfo_graph_validate(const gdfo_graph *graph);
graph_validate = _declare("gdfo_graph_validate", c_int, [c_void_p])
# int gdfo_graph_topo_order(size_t *out, size_t capacity, const gdfo_graph *graph);
graph_topo_order = _declare("gdfo_graph_topo_order", c_int, [P(c_size_t), c_size_t, c_void_p])
# int gdfo_graph_fingerprint(uint64_t *out, const gdfo_graph *graph);
graph_fingerprint = _declare("gdfo_graph_fingerprint", c_int, [P(c_uint64), c_void_p])
# const char *gdfo_op_name(int op);
op_name = _declare("gdfo_op_name", c_char_p, [c_int])
# const char *gdfo_join_strategy_name(int strategy);
join_strategy_name = _declare("gdfo_join_strategy_name", c_char_p, [c_int])
# const char *gdfo_join_type_name(int type);
join_type_name = _declare("gdfo_join_type_name", c_char_p, [c_int])
# const char *gdfo_cache_level_name(int level);
cache_level_name = _declare("gdfo_cache_level_name", c_char_p, [c_int])
# int gdfo_graph_from_json(gdfo_graph **out, const char *json, size_t len);
graph_from_json = _declare("gdfo_graph_from_json", c_int, [handle_p, c_char_p, c_size_t])
# int gdfo_graph_to_json(char **out, const gdfo_graph *graph);
graph_to_json = _declare("gdfo_graph_to_json", c_int, [handle_p, c_void_p])
# int gdfo_graph_load(gdfo_graph **out, const char *path);
graph_load = _declare("gdfo_graph_load", c_int, [handle_p, c_char_p])
# int gdfo_graph_save(const gdfo_graph *graph, const char *path);
graph_save = _declare("gdfo_graph_save", c_int, [c_void_p, c_char_p])

# ------------------------------------------------------------- telemetry.h

GDFO_STAGE_TELEMETRY_VERSION = 1
GDFO_RUN_TELEMETRY_VERSION = 1


class StageTelemetry(Structure):
    _fields_ = [("version", c_uint32), ("stage_id", c_int64), ("duration_ms", c_double),
                ("tasks", c_double), ("task_ms_median", c_double), ("task_ms_max", c_double),
                ("shuffle_read_bytes", c_double), ("shuffle_write_bytes", c_double),
                ("spill_bytes", c_double), ("peak_memory_bytes", c_double), ("cpu_ms", c_double),
                ("failures", c_double), ("name", ctypes.c_char * 256)]


class RunTelemetry(Structure):
    _fields_ = [("version", c_uint32), ("success", c_int32), ("latency_ms", c_double),
                ("records", c_double), ("throughput", c_double), ("cost", c_double)]


# int gdfo_stage_telemetry_init(gdfo_stage_telemetry *t, unsigned int version);
stage_telemetry_init = _declare("gdfo_stage_telemetry_init", c_int,
                                [P(StageTelemetry), ctypes.c_uint])
# int gdfo_run_telemetry_init(gdfo_run_telemetry *t, unsigned int version);
run_telemetry_init = _declare("gdfo_run_telemetry_init", c_int, [P(RunTelemetry), ctypes.c_uint])
# int gdfo_telemetry_create(gdfo_telemetry **out);
telemetry_create = _declare("gdfo_telemetry_create", c_int, [handle_p])
# void gdfo_telemetry_free(gdfo_telemetry *telemetry);
telemetry_free = _declare("gdfo_telemetry_free", None, [c_void_p])
# int gdfo_telemetry_set_run(gdfo_telemetry *telemetry, const gdfo_run_telemetry *run);
telemetry_set_run = _declare("gdfo_telemetry_set_run", c_int, [c_void_p, P(RunTelemetry)])
# int gdfo_telemetry_get_run(gdfo_run_telemetry *out, const gdfo_telemetry *telemetry);
telemetry_get_run = _declare("gdfo_telemetry_get_run", c_int, [P(RunTelemetry), c_void_p])
# int gdfo_telemetry_set_stage(gdfo_telemetry *telemetry, const gdfo_stage_telemetry *stage);
telemetry_set_stage = _declare("gdfo_telemetry_set_stage", c_int, [c_void_p, P(StageTelemetry)])
# size_t gdfo_telemetry_stage_count(const gdfo_telemetry *telemetry);
telemetry_stage_count = _declare("gdfo_telemetry_stage_count", c_size_t, [c_void_p])
# int gdfo_telemetry_stage_at(gdfo_stage_telemetry *out, const gdfo_telemetry *telemetry, size_t index);
telemetry_stage_at = _declare("gdfo_telemetry_stage_at", c_int,
                              [P(StageTelemetry), c_void_p, c_size_t])
# int gdfo_telemetry_find(gdfo_stage_telemetry *out, const gdfo_telemetry *telemetry, int64_t stage_id);
telemetry_find = _declare("gdfo_telemetry_find", c_int, [P(StageTelemetry), c_void_p, c_int64])
# int gdfo_telemetry_from_json(gdfo_telemetry **out, const char *json, size_t len);
telemetry_from_json = _declare("gdfo_telemetry_from_json", c_int, [handle_p, c_char_p, c_size_t])
# int gdfo_telemetry_to_json(char **out, const gdfo_telemetry *telemetry);
telemetry_to_json = _declare("gdfo_telemetry_to_json", c_int, [handle_p, c_void_p])
# int gdfo_telemetry_load(gdfo_telemetry **out, const char *path);
telemetry_load = _declare("gdfo_telemetry_load", c_int, [handle_p, c_char_p])
# int gdfo_telemetry_save(const gdfo_telemetry *telemetry, const char *path);
telemetry_save = _declare("gdfo_telemetry_save", c_int, [c_void_p, c_char_p])

# ------------------------------------------------------------------ plan.h


GDFO_PREDICTION_VERSION = 1
# 2: field, old_value, new_value, old_label, new_label (after 0.2); libgdfo 0.2.0 fills 1.
GDFO_CHANGE_VERSION = 2


class Change(Structure):
    _fields_ = [("version", c_uint32), ("kind", c_int32),
                ("stage_ids", P(c_int64)), ("n_stage_ids", c_size_t),
                ("what", c_char_p), ("why", c_char_p),
                ("expected_gain", c_double), ("confidence", c_double),
                ("attended_ids", P(c_int64)), ("n_attended_ids", c_size_t),
                ("field", c_char_p), ("old_value", c_double), ("new_value", c_double),
                ("old_label", c_char_p), ("new_label", c_char_p)]


class Prediction(Structure):
    _fields_ = [("version", c_uint32), ("latency_ms", c_double), ("throughput", c_double), ("cost", c_double),
                ("baseline_latency_ms", c_double), ("baseline_cost", c_double),
                ("execution_ms", c_double), ("baseline_execution_ms", c_double),
                ("overhead_ms", c_double), ("measured_latency_ms", c_double),
                ("calibrated", c_int32), ("stages_calibrated", c_int32),
                ("baseline_stages_calibrated", c_int32), ("reserved", c_int32)]


# void gdfo_plan_free(gdfo_plan *plan);
plan_free = _declare("gdfo_plan_free", None, [c_void_p])
# const gdfo_graph *gdfo_plan_graph(const gdfo_plan *plan);
plan_graph = _declare("gdfo_plan_graph", c_void_p, [c_void_p])
# const char *gdfo_plan_source(const gdfo_plan *plan);
plan_source = _declare("gdfo_plan_source", c_char_p, [c_void_p])
# size_t gdfo_plan_change_count(const gdfo_plan *plan);
plan_change_count = _declare("gdfo_plan_change_count", c_size_t, [c_void_p])
# int gdfo_plan_change_at(gdfo_change *out, const gdfo_plan *plan, size_t index);
plan_change_at = _declare("gdfo_plan_change_at", c_int, [P(Change), c_void_p, c_size_t])
# int gdfo_plan_prediction(gdfo_prediction *out, const gdfo_plan *plan);
plan_prediction = _declare("gdfo_plan_prediction", c_int, [P(Prediction), c_void_p])
# int gdfo_plan_risk(const gdfo_plan *plan);
plan_risk = _declare("gdfo_plan_risk", c_int, [c_void_p])
# const char *gdfo_change_kind_name(int kind);
change_kind_name = _declare("gdfo_change_kind_name", c_char_p, [c_int])
# const char *gdfo_risk_name(int risk);
risk_name = _declare("gdfo_risk_name", c_char_p, [c_int])
# int gdfo_plan_from_json(gdfo_plan **out, const char *json, size_t len);
plan_from_json = _declare("gdfo_plan_from_json", c_int, [handle_p, c_char_p, c_size_t])
# int gdfo_plan_to_json(char **out, const gdfo_plan *plan);
plan_to_json = _declare("gdfo_plan_to_json", c_int, [handle_p, c_void_p])
# int gdfo_plan_load(gdfo_plan **out, const char *path);
plan_load = _declare("gdfo_plan_load", c_int, [handle_p, c_char_p])
# int gdfo_plan_save(const gdfo_plan *plan, const char *path);
plan_save = _declare("gdfo_plan_save", c_int, [c_void_p, c_char_p])
# int gdfo_plan_explain(char **out, const gdfo_plan *plan);
plan_explain = _declare("gdfo_plan_explain", c_int, [handle_p, c_void_p])
# size_t gdfo_plan_note_count(const gdfo_plan *plan);
plan_note_count = _declare("gdfo_plan_note_count", c_size_t, [c_void_p])
# const char *gdfo_plan_note_at(const gdfo_plan *plan, size_t index);
plan_note_at = _declare("gdfo_plan_note_at", c_char_p, [c_void_p, c_size_t])

# ------------------------------------------------------------------- sim.h

GDFO_SIM_CLUSTER_VERSION = GDFO_SIM_OPTIONS_VERSION = GDFO_SIM_RESULT_VERSION = 1
GDFO_SIM_STAGE_RESULT_VERSION = GDFO_SIM_CALIBRATION_VERSION = 1

_D = c_double


class SimCluster(Structure):
    _fields_ = [("version", c_uint32), ("executors", c_int32), ("cores_per_executor", c_int32),
                ("shuffle_partitions", c_int32), ("memory_per_executor_bytes", c_int64)] + \
        [(n, _D) for n in (
            "memory_fraction", "storage_fraction", "scan_bytes_per_s", "process_bytes_per_s",
            "network_bytes_per_s", "disk_bytes_per_s", "write_bytes_per_s", "materialize_bytes_per_s",
            "cpu_ns_per_row", "sort_ns_per_row_log2", "hash_ns_per_row", "task_launch_ms",
            "stage_overhead_ms", "executor_start_ms", "file_open_ms", "file_commit_ms", "split_bytes",
            "source_file_bytes", "broadcast_threshold_bytes", "broadcast_max_bytes", "memory_expansion",
            "spill_penalty", "price_per_executor_s", "storage_price_per_byte", "table_reads_per_run",
            "price_per_core_s", "price_per_gib_s")]


class SimOptions(Structure):
    _fields_ = [("version", c_uint32), ("mode", c_int32), ("seed", c_uint64), ("runs", c_int32),
                ("replay", c_int32), ("executors", c_int32), ("cores_per_executor", c_int32),
                ("noise_sigma", _D), ("straggler_prob", _D), ("straggler_factor", _D),
                ("failure_prob", _D), ("max_attempts", c_int32), ("dynamic_allocation", c_int32),
                ("min_executors", c_int32), ("max_executors", c_int32),
                ("backlog_timeout_ms", _D), ("idle_timeout_ms", _D), ("run_index", c_int32),
                ("batches", c_int32), ("batch_interval_ms", _D), ("replay_stage_gap_ms", _D)]


class SimResult(Structure):
    _fields_ = [("version", c_uint32), ("success", c_int32), ("runs", c_int32),
                ("failed_stage_id", c_int64), ("executors", c_int32), ("cores_per_executor", c_int32)] + \
        [(n, _D) for n in (
            "makespan_ms", "makespan_ms_p95", "work_ms", "critical_path_ms", "stage_ms_p95", "records",
            "throughput", "cost", "compute_cost", "storage_cost", "executor_seconds", "spill_bytes",
            "shuffle_bytes", "utilization", "task_events")] + \
        [("batches", c_int32), ("reserved", c_int32)] + \
        [(n, _D) for n in ("batch_interval_ms", "batch_latency_ms_mean", "batch_latency_ms_p95",
                           "batch_latency_ms_max", "backlog_batches", "execution_ms", "overhead_ms")] + \
        [("stages_calibrated", c_int32), ("reserved2", c_int32)]


class SimStageResult(Structure):
    _fields_ = [("version", c_uint32), ("job", c_int32), ("id", c_int64), ("join_strategy", c_int32)] + \
        [(n, _D) for n in (
            "tasks", "start_ms", "end_ms", "duration_ms", "work_ms", "task_ms_max", "rows_in", "rows_out",
            "bytes_in", "bytes_out", "shuffle_read_bytes", "shuffle_write_bytes", "spill_bytes",
            "cache_bytes", "files_written", "executions")]


class SimCalibration(Structure):
    _fields_ = [("version", c_uint32), ("active", c_int32), ("stages", c_int32),
                ("stages_calibrated", c_int32), ("records_unmatched", c_int32),
                ("overhead_fitted", c_int32)] + \
        [(n, _D) for n in ("overhead_ms", "measured_latency_ms", "execution_ms",
                           "uncalibrated_execution_ms", "rate")]


# int gdfo_sim_cluster_init(gdfo_sim_cluster *c, unsigned int version);
sim_cluster_init = _declare("gdfo_sim_cluster_init", c_int, [P(SimCluster), ctypes.c_uint])
# int gdfo_sim_cluster_from_json(gdfo_sim_cluster *out, const char *json, size_t len);
sim_cluster_from_json = _declare("gdfo_sim_cluster_from_json", c_int, [P(SimCluster), c_char_p, c_size_t])
# int gdfo_sim_cluster_load(gdfo_sim_cluster *out, const char *path);
sim_cluster_load = _declare("gdfo_sim_cluster_load", c_int, [P(SimCluster), c_char_p])
# int gdfo_sim_options_init(gdfo_sim_options *o, unsigned int version);
sim_options_init = _declare("gdfo_sim_options_init", c_int, [P(SimOptions), ctypes.c_uint])
# int gdfo_sim_create(gdfo_sim **out, const gdfo_sim_cluster *cluster);
sim_create = _declare("gdfo_sim_create", c_int, [handle_p, P(SimCluster)])
# void gdfo_sim_free(gdfo_sim *sim);
sim_free = _declare("gdfo_sim_free", None, [c_void_p])
# int gdfo_sim_get_cluster(gdfo_sim_cluster *out, const gdfo_sim *sim);
sim_get_cluster = _declare("gdfo_sim_get_cluster", c_int, [P(SimCluster), c_void_p])
# int gdfo_sim_run_graph(gdfo_sim_result *out, gdfo_sim *sim, const gdfo_graph *graph, const gdfo_sim_options *opts);
sim_run_graph = _declare("gdfo_sim_run_graph", c_int, [P(SimResult), c_void_p, c_void_p, P(SimOptions)])
# int gdfo_sim_run_profile(gdfo_sim_result *out, gdfo_sim *sim, const gdfo_profile *profile, const gdfo_sim_options *opts);
sim_run_profile = _declare("gdfo_sim_run_profile", c_int, [P(SimResult), c_void_p, c_void_p, P(SimOptions)])
# size_t gdfo_sim_stage_count(const gdfo_sim *sim);
sim_stage_count = _declare("gdfo_sim_stage_count", c_size_t, [c_void_p])
# int gdfo_sim_stage_at(gdfo_sim_stage_result *out, const gdfo_sim *sim, size_t index);
sim_stage_at = _declare("gdfo_sim_stage_at", c_int, [P(SimStageResult), c_void_p, c_size_t])
# int gdfo_sim_result_to_json(char **out, const gdfo_sim *sim);
sim_result_to_json = _declare("gdfo_sim_result_to_json", c_int, [handle_p, c_void_p])
# int gdfo_sim_telemetry(gdfo_telemetry **out, const gdfo_sim *sim, const gdfo_graph *graph);
sim_telemetry = _declare("gdfo_sim_telemetry", c_int, [P(c_void_p), c_void_p, c_void_p])
# int gdfo_sim_calibrate(gdfo_sim_calibration *out, gdfo_sim *sim, const gdfo_graph *graph,
#                        const gdfo_telemetry *telemetry, const gdfo_sim_options *opts);
sim_calibrate = _declare("gdfo_sim_calibrate", c_int,
                         [P(SimCalibration), c_void_p, c_void_p, c_void_p, P(SimOptions)])
# int gdfo_sim_get_calibration(gdfo_sim_calibration *out, const gdfo_sim *sim);
sim_get_calibration = _declare("gdfo_sim_get_calibration", c_int, [P(SimCalibration), c_void_p])
# int gdfo_sim_calibration_to_json(char **out, const gdfo_sim *sim);
sim_calibration_to_json = _declare("gdfo_sim_calibration_to_json", c_int, [handle_p, c_void_p])
# int gdfo_sim_predict_plan(gdfo_sim *sim, gdfo_plan *plan, const gdfo_graph *input, const gdfo_sim_options *opts);
sim_predict_plan = _declare("gdfo_sim_predict_plan", c_int, [c_void_p, c_void_p, c_void_p, P(SimOptions)])

# --------------------------------------------------------------- profile.h

GDFO_PROFILE_STAGE_VERSION = 1


class ProfileMeasurement(Structure):
    _fields_ = [("executors", c_int32), ("reserved", c_int32),
                ("task_ms", P(c_double)), ("n_task_ms", c_size_t)]


class ProfileStage(Structure):
    _fields_ = [("version", c_uint32), ("has_bytes", c_uint32), ("id", c_int64),
                ("parents", P(c_int64)), ("n_parents", c_size_t), ("num_tasks", c_int64),
                ("task_ms", P(c_double)), ("n_task_ms", c_size_t),
                ("by_executors", P(ProfileMeasurement)), ("n_by_executors", c_size_t),
                ("input_bytes", c_int64), ("shuffle_read_bytes", c_int64),
                ("shuffle_write_bytes", c_int64), ("spill_bytes", c_int64)]


# int gdfo_profile_stage_init(gdfo_profile_stage *stage, unsigned int version);
profile_stage_init = _declare("gdfo_profile_stage_init", c_int, [P(ProfileStage), ctypes.c_uint])
# int gdfo_profile_create(gdfo_profile **out, const char *name, int32_t executors, int32_t cores_per_executor);
profile_create = _declare("gdfo_profile_create", c_int, [handle_p, c_char_p, c_int32, c_int32])
# void gdfo_profile_free(gdfo_profile *profile);
profile_free = _declare("gdfo_profile_free", None, [c_void_p])
# int gdfo_profile_add_stage(gdfo_profile *profile, const gdfo_profile_stage *stage);
profile_add_stage = _declare("gdfo_profile_add_stage", c_int, [c_void_p, P(ProfileStage)])
# const char *gdfo_profile_name(const gdfo_profile *profile);
profile_name = _declare("gdfo_profile_name", c_char_p, [c_void_p])
# const char *gdfo_profile_time_unit(const gdfo_profile *profile);
profile_time_unit = _declare("gdfo_profile_time_unit", c_char_p, [c_void_p])
# int32_t gdfo_profile_executors(const gdfo_profile *profile);
profile_executors = _declare("gdfo_profile_executors", c_int32, [c_void_p])
# int32_t gdfo_profile_cores_per_executor(const gdfo_profile *profile);
profile_cores_per_executor = _declare("gdfo_profile_cores_per_executor", c_int32, [c_void_p])
# size_t gdfo_profile_stage_count(const gdfo_profile *profile);
profile_stage_count = _declare("gdfo_profile_stage_count", c_size_t, [c_void_p])
# int gdfo_profile_stage_at(gdfo_profile_stage *out, const gdfo_profile *profile, size_t index);
profile_stage_at = _declare("gdfo_profile_stage_at", c_int, [P(ProfileStage), c_void_p, c_size_t])
# int gdfo_profile_find(size_t *out, const gdfo_profile *profile, int64_t id);
profile_find = _declare("gdfo_profile_find", c_int, [P(c_size_t), c_void_p, c_int64])
# int gdfo_profile_from_json(gdfo_profile **out, const char *json, size_t len);
profile_from_json = _declare("gdfo_profile_from_json", c_int, [handle_p, c_char_p, c_size_t])
# int gdfo_profile_to_json(char **out, const gdfo_profile *profile);
profile_to_json = _declare("gdfo_profile_to_json", c_int, [handle_p, c_void_p])
# int gdfo_profile_load(gdfo_profile **out, const char *path);
profile_load = _declare("gdfo_profile_load", c_int, [handle_p, c_char_p])
# int gdfo_profile_save(const gdfo_profile *profile, const char *path);
profile_save = _declare("gdfo_profile_save", c_int, [c_void_p, c_char_p])

# ----------------------------------------------------------------- rules.h

GDFO_RULES_OPTIONS_VERSION = 1


class RulesOptions(Structure):
    _fields_ = [("version", c_uint32), ("push_filters", c_int32), ("fuse_narrow", c_int32),
                ("broadcast_joins", c_int32), ("set_partitions", c_int32),
                ("cache_shared", c_int32), ("set_priorities", c_int32),
                ("reorder_joins", c_int32), ("target_partition_bytes", c_int64),
                ("min_partition_bytes", c_int64), ("broadcast_max_bytes", c_int64),
                ("cache_budget_bytes", c_int64), ("cache_memory_fraction", c_double),
                ("partition_change_min", c_double), ("check_changes", c_int32),
                ("objective", c_void_p), ("cluster", c_void_p)]


# int gdfo_rules_options_init(gdfo_rules_options *opts, unsigned int version);
rules_options_init = _declare("gdfo_rules_options_init", c_int, [P(RulesOptions), ctypes.c_uint])
# int gdfo_optimize_rules(gdfo_plan **out, const gdfo_graph *graph,
#                         const gdfo_telemetry *telemetry, const gdfo_rules_options *opts);
optimize_rules = _declare("gdfo_optimize_rules", c_int,
                          [handle_p, c_void_p, c_void_p, P(RulesOptions)])

# ---------------------------------------------------------------- ingest.h

GDFO_INGEST_OPTIONS_VERSION = 1
GDFO_EVENTLOG_SUMMARY_VERSION = 1

# typedef void (*gdfo_ingest_progress_fn)(void *user, uint64_t bytes_done, uint64_t bytes_total);
ProgressFn = ctypes.CFUNCTYPE(None, c_void_p, c_uint64, c_uint64)


class IngestOptions(Structure):
    _fields_ = [("version", c_uint32), ("reserved", c_uint32), ("max_line_bytes", c_uint64),
                ("name", c_char_p), ("progress", ProgressFn), ("progress_user", c_void_p),
                ("progress_every_bytes", c_uint64)]


class EventlogSummary(Structure):
    _fields_ = [("version", c_uint32), ("codec", c_int32), ("lines", c_int64),
                ("malformed_lines", c_int64), ("events", c_int64), ("truncated", c_int32),
                ("has_app_duration", c_int32), ("app_duration_ms", c_int64),
                ("app_start_ms", c_int64), ("stages_completed", c_int64),
                ("stages_failed", c_int64), ("stages_declared", c_int64),
                ("stages_skipped", c_int64), ("jobs", c_int64), ("jobs_failed", c_int64),
                ("tasks", c_int64), ("tasks_failed", c_int64), ("executor_run_ms", c_int64),
                ("executor_cpu_ns", c_int64), ("shuffle_write_bytes", c_int64),
                ("shuffle_read_bytes", c_int64), ("memory_spill_bytes", c_int64),
                ("disk_spill_bytes", c_int64), ("input_bytes", c_int64),
                ("output_bytes", c_int64), ("executors_added", c_int64),
                ("executors_removed", c_int64), ("executors_max_live", c_int32),
                ("executor_cores", c_int32), ("spark_version", c_char_p),
                ("app_name", c_char_p), ("app_id", c_char_p)]


GDFO_EXECUTOR_EVENT_VERSION = 1


class ExecutorEvent(Structure):
    _fields_ = [("version", c_uint32), ("timestamp_ms", c_int64), ("executor_id", c_char_p),
                ("added", c_int32), ("cores", c_int32), ("live", c_int32)]


# int gdfo_ingest_options_init(gdfo_ingest_options *opts, unsigned int version);
ingest_options_init = _declare("gdfo_ingest_options_init", c_int,
                               [P(IngestOptions), ctypes.c_uint])
# int gdfo_eventlog_read(gdfo_eventlog **out, const char *path, const gdfo_ingest_options *opts);
eventlog_read = _declare("gdfo_eventlog_read", c_int, [handle_p, c_char_p, P(IngestOptions)])
# int gdfo_eventlog_read_memory(gdfo_eventlog **out, const void *data, size_t len,
#                               const gdfo_ingest_options *opts);
eventlog_read_memory = _declare("gdfo_eventlog_read_memory", c_int,
                                [handle_p, c_char_p, c_size_t, P(IngestOptions)])
# void gdfo_eventlog_free(gdfo_eventlog *log);
eventlog_free = _declare("gdfo_eventlog_free", None, [c_void_p])
# int gdfo_eventlog_get_summary(gdfo_eventlog_summary *out, const gdfo_eventlog *log);
eventlog_get_summary = _declare("gdfo_eventlog_get_summary", c_int, [P(EventlogSummary), c_void_p])
# int gdfo_eventlog_summary_json(char **out, const gdfo_eventlog *log);
eventlog_summary_json = _declare("gdfo_eventlog_summary_json", c_int, [handle_p, c_void_p])
# int gdfo_eventlog_graph(gdfo_graph **out, const gdfo_eventlog *log);
eventlog_graph = _declare("gdfo_eventlog_graph", c_int, [handle_p, c_void_p])
# int gdfo_eventlog_telemetry(gdfo_telemetry **out, const gdfo_eventlog *log);
eventlog_telemetry = _declare("gdfo_eventlog_telemetry", c_int, [handle_p, c_void_p])
# int gdfo_eventlog_profile(gdfo_profile **out, const gdfo_eventlog *log);
eventlog_profile = _declare("gdfo_eventlog_profile", c_int, [handle_p, c_void_p])
# const char *gdfo_eventlog_config(const gdfo_eventlog *log, const char *key);
eventlog_config = _declare("gdfo_eventlog_config", c_char_p, [c_void_p, c_char_p])
# size_t gdfo_eventlog_config_count(const gdfo_eventlog *log);
eventlog_config_count = _declare("gdfo_eventlog_config_count", c_size_t, [c_void_p])
# int gdfo_eventlog_config_at(const char **key, const char **value, const gdfo_eventlog *log,
#                             size_t index);
eventlog_config_at = _declare("gdfo_eventlog_config_at", c_int,
                              [P(c_char_p), P(c_char_p), c_void_p, c_size_t])
# size_t gdfo_eventlog_executor_event_count(const gdfo_eventlog *log);
eventlog_executor_event_count = _declare("gdfo_eventlog_executor_event_count", c_size_t,
                                         [c_void_p])
# int gdfo_eventlog_executor_event_at(gdfo_executor_event *out, const gdfo_eventlog *log,
#                                     size_t index);
eventlog_executor_event_at = _declare("gdfo_eventlog_executor_event_at", c_int,
                                      [P(ExecutorEvent), c_void_p, c_size_t])

# ------------------------------------------------------------- objective.h

GDFO_OBJECTIVE_VERSION = 1


class Objective(Structure):
    _fields_ = [("version", c_uint32), ("throughput_weight", c_double),
                ("latency_weight", c_double), ("cost_weight", c_double), ("slo_ms", c_double),
                ("cost_ceiling", c_double), ("failure_penalty", c_double)]


# int gdfo_objective_init(gdfo_objective *out, unsigned int version);
objective_init = _declare("gdfo_objective_init", c_int, [P(Objective), ctypes.c_uint])
# int gdfo_objective_validate(const gdfo_objective *objective);
objective_validate = _declare("gdfo_objective_validate", c_int, [P(Objective)])

# ---------------------------------------------------------------- reward.h

GDFO_OUTCOME_VERSION = GDFO_REWARD_VERSION = 1


class Outcome(Structure):
    _fields_ = [("version", c_uint32), ("success", c_int32), ("latency_ms", c_double),
                ("throughput", c_double), ("cost", c_double)]


class Reward(Structure):
    _fields_ = [("version", c_uint32), ("penalized", c_int32), ("reward", c_double),
                ("throughput_gain", c_double), ("latency_increase", c_double),
                ("cost_overhead", c_double), ("penalty", c_double), ("failed", c_int32),
                ("slo_missed", c_int32), ("over_budget", c_int32), ("reserved", c_int32)]


# int gdfo_outcome_init(gdfo_outcome *out, unsigned int version);
outcome_init = _declare("gdfo_outcome_init", c_int, [P(Outcome), ctypes.c_uint])
# int gdfo_reward_compute(gdfo_reward *out, const gdfo_outcome *run, const gdfo_outcome *baseline,
#                         const gdfo_objective *objective);
reward_compute = _declare("gdfo_reward_compute", c_int,
                          [P(Reward), P(Outcome), P(Outcome), P(Objective)])

# ----------------------------------------------------------------- space.h

GDFO_SPACE_OPTIONS_VERSION = GDFO_DECISION_VERSION = 1


class SpaceOptions(Structure):
    _fields_ = [("version", c_uint32), ("structural", c_int32), ("reorder_joins", c_int32),
                ("stage_knobs", c_int32), ("priorities", c_int32), ("stage_priorities", c_int32),
                ("resources", c_int32), ("max_executors", c_int32), ("broadcast_max_bytes", c_double),
                ("cluster", c_void_p)]


class Decision(Structure):
    _fields_ = [("version", c_uint32), ("kind", c_int32), ("stage_id", c_int64),
                ("name", c_char_p), ("n_choices", c_size_t), ("n_legal", c_size_t)]


# int gdfo_space_options_init(gdfo_space_options *opts, unsigned int version);
space_options_init = _declare("gdfo_space_options_init", c_int, [P(SpaceOptions), ctypes.c_uint])
# int gdfo_space_create(gdfo_space **out, const gdfo_graph *graph, const gdfo_space_options *opts);
space_create = _declare("gdfo_space_create", c_int, [handle_p, c_void_p, P(SpaceOptions)])
# void gdfo_space_free(gdfo_space *space);
space_free = _declare("gdfo_space_free", None, [c_void_p])
# const gdfo_graph *gdfo_space_graph(const gdfo_space *space);
space_graph = _declare("gdfo_space_graph", c_void_p, [c_void_p])
# size_t gdfo_space_dim(const gdfo_space *space);
space_dim = _declare("gdfo_space_dim", c_size_t, [c_void_p])
# int gdfo_space_decision_at(gdfo_decision *out, const gdfo_space *space, size_t index);
space_decision_at = _declare("gdfo_space_decision_at", c_int, [P(Decision), c_void_p, c_size_t])
# int gdfo_space_choice(int64_t *value, const char **label, int *legal, const gdfo_space *space,
#                       size_t d, size_t c);
space_choice = _declare("gdfo_space_choice", c_int,
                        [P(c_int64), P(c_char_p), P(c_int), c_void_p, c_size_t, c_size_t])
# int gdfo_space_check(const gdfo_space *space, const int32_t *point, size_t n);
space_check = _declare("gdfo_space_check", c_int, [c_void_p, P(c_int32), c_size_t])
# int gdfo_space_sample(int32_t *point, size_t n, const gdfo_space *space, uint64_t *rng);
space_sample = _declare("gdfo_space_sample", c_int, [P(c_int32), c_size_t, c_void_p, P(c_uint64)])
# int gdfo_space_neighbours(int32_t *out, size_t capacity, size_t *count, const gdfo_space *space,
#                           const int32_t *point, size_t n);
space_neighbours = _declare("gdfo_space_neighbours", c_int,
                            [P(c_int32), c_size_t, P(c_size_t), c_void_p, P(c_int32), c_size_t])
# int gdfo_space_apply(gdfo_plan **out, const gdfo_space *space, const int32_t *point, size_t n,
#                      const char *source);
space_apply = _declare("gdfo_space_apply", c_int, [handle_p, c_void_p, P(c_int32), c_size_t, c_char_p])
# int gdfo_space_point_of(int32_t *point, size_t n, const gdfo_space *space, const gdfo_graph *graph);
space_point_of = _declare("gdfo_space_point_of", c_int, [P(c_int32), c_size_t, c_void_p, c_void_p])
# int gdfo_space_to_json(char **out, const gdfo_space *space);
space_to_json = _declare("gdfo_space_to_json", c_int, [handle_p, c_void_p])
# int gdfo_space_from_json(gdfo_space **out, const gdfo_graph *graph, const char *json, size_t len);
space_from_json = _declare("gdfo_space_from_json", c_int, [handle_p, c_void_p, c_char_p, c_size_t])
# const char *gdfo_decision_kind_name(int kind);
decision_kind_name = _declare("gdfo_decision_kind_name", c_char_p, [c_int])

# ----------------------------------------------------------------- judge.h

GDFO_JUDGE_OPTIONS_VERSION = 1


class JudgeOptions(Structure):
    _fields_ = [("version", c_uint32), ("runs", c_int32), ("seed", c_uint64),
                ("noise_sigma", c_double), ("straggler_prob", c_double),
                ("straggler_factor", c_double), ("objective", c_void_p), ("cluster", c_void_p),
                ("telemetry", c_void_p)]


# int gdfo_judge_options_init(gdfo_judge_options *opts, unsigned int version);
judge_options_init = _declare("gdfo_judge_options_init", c_int, [P(JudgeOptions), ctypes.c_uint])
# int gdfo_judge_create(gdfo_judge **out, const gdfo_graph *input, const gdfo_judge_options *opts);
judge_create = _declare("gdfo_judge_create", c_int, [handle_p, c_void_p, P(JudgeOptions)])
# void gdfo_judge_free(gdfo_judge *judge);
judge_free = _declare("gdfo_judge_free", None, [c_void_p])
# int gdfo_judge_baseline(gdfo_outcome *out, const gdfo_judge *judge);
judge_baseline = _declare("gdfo_judge_baseline", c_int, [P(Outcome), c_void_p])
# int gdfo_judge_graph(gdfo_reward *reward, gdfo_outcome *outcome, gdfo_judge *judge,
#                      const gdfo_graph *graph);
judge_graph = _declare("gdfo_judge_graph", c_int, [P(Reward), P(Outcome), c_void_p, c_void_p])
# uint64_t gdfo_judge_count(const gdfo_judge *judge);
judge_count = _declare("gdfo_judge_count", c_uint64, [c_void_p])

# ------------------------------------------------------------------ diag.h

GDFO_DIAG_OPTIONS_VERSION = 1
GDFO_DIAG_JSON_FINDINGS = 0x1
GDFO_DIAG_JSON_ADVICE = 0x2
GDFO_DIAG_JSON_WHATIF = 0x4


class DiagOptions(Structure):
    _fields_ = [("version", c_uint32), ("whatif_min_pct", c_int32), ("whatif_max_pct", c_int32),
                ("min_severity", c_int32), ("objective", P(Objective)), ("cluster", c_void_p)]


# int gdfo_diag_options_init(gdfo_diag_options *opts, unsigned int version);
diag_options_init = _declare("gdfo_diag_options_init", c_int, [P(DiagOptions), ctypes.c_uint])
# int gdfo_diagnose_eventlog(gdfo_diagnosis **out, const char *path, const gdfo_diag_options *opts);
diagnose_eventlog = _declare("gdfo_diagnose_eventlog", c_int, [handle_p, c_char_p, P(DiagOptions)])
# int gdfo_diagnose_profile(gdfo_diagnosis **out, const gdfo_profile *profile,
#                           const gdfo_diag_options *opts);
diagnose_profile = _declare("gdfo_diagnose_profile", c_int, [handle_p, c_void_p, P(DiagOptions)])
# int gdfo_diagnose_telemetry(gdfo_diagnosis **out, const gdfo_telemetry *telemetry,
#                             const gdfo_diag_options *opts);
diagnose_telemetry = _declare("gdfo_diagnose_telemetry", c_int, [handle_p, c_void_p, P(DiagOptions)])
# void gdfo_diagnosis_free(gdfo_diagnosis *diagnosis);
diagnosis_free = _declare("gdfo_diagnosis_free", None, [c_void_p])
# int gdfo_diagnosis_to_json(char **out, const gdfo_diagnosis *diagnosis, unsigned int parts);
diagnosis_to_json = _declare("gdfo_diagnosis_to_json", c_int, [handle_p, c_void_p, ctypes.c_uint])
# int gdfo_diagnosis_conf(char **out, const gdfo_diagnosis *diagnosis);
diagnosis_conf = _declare("gdfo_diagnosis_conf", c_int, [handle_p, c_void_p])

# ------------------------------------------------------------- optimizer.h

GDFO_OPTIMIZER_OPTIONS_VERSION = 2

# typedef double (*clock)(void *ctx);  (gdfo_optimizer_options.clock)
ClockFn = ctypes.CFUNCTYPE(c_double, c_void_p)


class OptimizerOptions(Structure):
    _fields_ = [("version", c_uint32), ("candidates", c_int32), ("structural_steps", c_int32),
                ("use_rules", c_int32), ("score", c_int32), ("uniform", c_int32),
                ("seed", c_uint64), ("model_path", c_char_p), ("cluster", c_void_p),
                ("verify", c_int32), ("reserved", c_int32), ("verify_tasks", c_double),
                ("rules_check", c_int32), ("reserved2", c_int32),
                # version 2: the closed loop
                ("sync_every", c_int32), ("reserved3", c_int32), ("clock", ClockFn),
                ("clock_ctx", c_void_p)]


# int gdfo_optimizer_options_init(gdfo_optimizer_options *opts, unsigned int version);
optimizer_options_init = _declare("gdfo_optimizer_options_init", c_int,
                                  [P(OptimizerOptions), ctypes.c_uint])
# int gdfo_optimizer_open(gdfo_optimizer **out, const char *state_dir,
#                         const gdfo_optimizer_options *opts);
optimizer_open = _declare("gdfo_optimizer_open", c_int, [handle_p, c_char_p, P(OptimizerOptions)])
# void gdfo_optimizer_close(gdfo_optimizer *opt);
optimizer_close = _declare("gdfo_optimizer_close", None, [c_void_p])
# const char *gdfo_optimizer_model(const gdfo_optimizer *opt);
optimizer_model = _declare("gdfo_optimizer_model", c_char_p, [c_void_p])
# int gdfo_optimizer_plan(gdfo_plan **out, gdfo_optimizer *opt, const gdfo_graph *graph,
#                         const gdfo_telemetry *telemetry, const gdfo_objective *objective);
optimizer_plan = _declare("gdfo_optimizer_plan", c_int,
                          [handle_p, c_void_p, c_void_p, c_void_p, P(Objective)])
# int gdfo_refiner_create(gdfo_refiner **out, gdfo_optimizer *opt, const gdfo_graph *graph,
#                         const gdfo_telemetry *telemetry, const gdfo_objective *objective);
refiner_create = _declare("gdfo_refiner_create", c_int,
                          [handle_p, c_void_p, c_void_p, c_void_p, P(Objective)])
# void gdfo_refiner_free(gdfo_refiner *r);
refiner_free = _declare("gdfo_refiner_free", None, [c_void_p])
# int gdfo_refiner_next(gdfo_plan **out, gdfo_refiner *r);
refiner_next = _declare("gdfo_refiner_next", c_int, [handle_p, c_void_p])
# int gdfo_refiner_observe(gdfo_refiner *r, double reward);
refiner_observe = _declare("gdfo_refiner_observe", c_int, [c_void_p, c_double])
# int gdfo_refiner_best(gdfo_plan **out, const gdfo_refiner *r, double *reward);
refiner_best = _declare("gdfo_refiner_best", c_int, [handle_p, c_void_p, P(c_double)])

# ------------------------------------------------------------------ loop.h

GDFO_PLAN_LOOP_VERSION = GDFO_FEEDBACK_VERSION = GDFO_LOOP_STATS_VERSION = 1
GDFO_LOOP_EVENT_COUNT = 9


class PlanLoop(Structure):
    _fields_ = [("version", c_uint32), ("step", c_int32), ("events", c_int32),
                ("needs_approval", c_int32), ("fingerprint", c_uint64),
                ("predicted_regret", c_double), ("forecast_scale", c_double), ("runs", c_int32),
                ("reserved", c_int32)]


class Feedback(Structure):
    _fields_ = [("version", c_uint32), ("events", c_int32), ("reward", c_double),
                ("baseline_latency_ms", c_double), ("baseline_cost", c_double),
                ("baseline_measured", c_int32), ("known_good", c_int32), ("runs", c_int32),
                ("exploring", c_int32), ("residual", c_double)]


class LoopStats(Structure):
    _fields_ = [("version", c_uint32), ("pipelines", c_int32), ("records", c_int64),
                ("plans", c_int64), ("feedback", c_int64), ("torn", c_int32), ("reserved", c_int32)]


# const char *gdfo_plan_id(const gdfo_plan *plan);
plan_id = _declare("gdfo_plan_id", c_char_p, [c_void_p])
# const char *gdfo_loop_event_name(int event);
loop_event_name = _declare("gdfo_loop_event_name", c_char_p, [c_int])
# int gdfo_plan_loop_info(gdfo_plan_loop *out, const gdfo_plan *plan);
plan_loop_info = _declare("gdfo_plan_loop_info", c_int, [P(PlanLoop), c_void_p])
# const char *gdfo_loop_step_name(int step);
loop_step_name = _declare("gdfo_loop_step_name", c_char_p, [c_int])
# int gdfo_optimizer_feedback(gdfo_feedback *out, gdfo_optimizer *opt, const char *plan_id,
#                             const gdfo_telemetry *telemetry);
optimizer_feedback = _declare("gdfo_optimizer_feedback", c_int,
                              [P(Feedback), c_void_p, c_char_p, c_void_p])
# int gdfo_optimizer_approve(gdfo_optimizer *opt, const char *plan_id, const char *who,
#                            const char *note);
optimizer_approve = _declare("gdfo_optimizer_approve", c_int, [c_void_p, c_char_p, c_char_p, c_char_p])
# int gdfo_optimizer_sync(gdfo_optimizer *opt);
optimizer_sync = _declare("gdfo_optimizer_sync", c_int, [c_void_p])
# int gdfo_optimizer_set_policy(gdfo_optimizer *opt, const char *path);
optimizer_set_policy = _declare("gdfo_optimizer_set_policy", c_int, [c_void_p, c_char_p])
# int gdfo_policy_check(const char *json, size_t len);
policy_check = _declare("gdfo_policy_check", c_int, [c_char_p, c_size_t])
# int gdfo_loop_stats_get(gdfo_loop_stats *out, gdfo_optimizer *opt);
loop_stats_get = _declare("gdfo_loop_stats_get", c_int, [P(LoopStats), c_void_p])
# int gdfo_audit_read(char **out, const char *state_dir, const char *pipeline, double since);
audit_read = _declare("gdfo_audit_read", c_int, [handle_p, c_char_p, c_char_p, c_double])

# ----------------------------------------------------------------- learn.h

GDFO_TRAIN_PROGRESS_VERSION = GDFO_TRAIN_OPTIONS_VERSION = 1


class TrainProgress(Structure):
    _fields_ = [("version", c_uint32), ("phase", c_int32), ("episode", c_int64),
                ("episodes_total", c_int64), ("update", c_int64)] + \
        [(n, c_double) for n in ("reward", "reward_avg", "policy_loss", "value_loss", "entropy",
                                 "grad_norm", "elapsed_s", "eta_s")]


# typedef int (*gdfo_train_progress_fn)(const gdfo_train_progress *progress, void *ctx);
TrainProgressFn = ctypes.CFUNCTYPE(c_int, P(TrainProgress), c_void_p)


class TrainOptions(Structure):
    _fields_ = [("version", c_uint32), ("d_model", c_uint32), ("n_layers", c_uint32),
                ("batch_episodes", c_int32), ("seed", c_uint64), ("warm_episodes", c_int64),
                ("ppo_episodes", c_int64), ("epochs", c_int32), ("expert_budget", c_int32),
                ("structural_steps", c_int32), ("checkpoint_every", c_int32)] + \
        [(n, ctypes.c_float) for n in ("lr", "clip", "entropy_coef", "value_coef", "max_grad_norm",
                                       "weight_decay")] + \
        [("checkpoint", c_char_p), ("init_model", c_char_p), ("pipeline", c_void_p),
         ("cluster", c_void_p), ("objective", P(Objective)), ("progress", TrainProgressFn),
         ("progress_ctx", c_void_p), ("group", c_int32), ("reserved", c_int32)]


# int gdfo_train_options_init(gdfo_train_options *opts, unsigned int version);
train_options_init = _declare("gdfo_train_options_init", c_int, [P(TrainOptions), ctypes.c_uint])
# int gdfo_train(gdfo_nn_encoder **out, const gdfo_train_options *opts);
train = _declare("gdfo_train", c_int, [handle_p, P(TrainOptions)])
# int gdfo_nn_save(const gdfo_nn_encoder *enc, const char *path);
nn_save = _declare("gdfo_nn_save", c_int, [c_void_p, c_char_p])
# void gdfo_nn_free(gdfo_nn_encoder *enc);
nn_free = _declare("gdfo_nn_free", None, [c_void_p])
