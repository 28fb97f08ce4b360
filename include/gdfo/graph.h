/*
 * Pipeline graphs: a DAG of stages with statistics and knobs, graph-level
 * knobs (the resource blueprint) and the cluster the pipeline runs on.
 *
 * A gdfo_graph owns copies of everything added to it. Getters fill
 * caller-provided structs whose string and array pointers are borrowed:
 * they stay valid until the next mutating call on the same graph.
 *
 * Thread safety: a graph may be read from several threads at once; any
 * mutating call needs exclusive access.
 */
#ifndef GDFO_GRAPH_H
#define GDFO_GRAPH_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Operator kinds. Append-only. */
typedef enum gdfo_op {
	GDFO_OP_SOURCE = 0,    /* scan of a table, file set or stream */
	GDFO_OP_FILTER = 1,    /* row filter (narrow) */
	GDFO_OP_PROJECT = 2,   /* projection or per-row map (narrow) */
	GDFO_OP_JOIN = 3,      /* join of its parents (first parent is the left side) */
	GDFO_OP_AGGREGATE = 4, /* group-by aggregation (shuffles by key) */
	GDFO_OP_SORT = 5,      /* global sort (shuffles by range) */
	GDFO_OP_WINDOW = 6,    /* window function (shuffles by partition key) */
	GDFO_OP_UNION = 7,     /* union of its parents (narrow) */
	GDFO_OP_UDF = 8,       /* opaque user code, per row (narrow) */
	GDFO_OP_SINK = 9       /* write to a table or file set */
} gdfo_op;
#define GDFO_OP_COUNT 10

/* Join strategies. AUTO leaves the choice to the engine. Append-only. */
typedef enum gdfo_join_strategy {
	GDFO_JOIN_AUTO = 0,
	GDFO_JOIN_BROADCAST = 1,    /* ship the smaller side to every executor */
	GDFO_JOIN_SHUFFLE_HASH = 2,
	GDFO_JOIN_SORT_MERGE = 3
} gdfo_join_strategy;
#define GDFO_JOIN_STRATEGY_COUNT 4

/* Join types; only inner joins commute and accept filters on both sides. */
typedef enum gdfo_join_type {
	GDFO_JOIN_INNER = 0,
	GDFO_JOIN_LEFT = 1,
	GDFO_JOIN_RIGHT = 2,
	GDFO_JOIN_FULL = 3,
	GDFO_JOIN_SEMI = 4,
	GDFO_JOIN_ANTI = 5
} gdfo_join_type;
#define GDFO_JOIN_TYPE_COUNT 6

/* Where a stage's output is cached for its consumers. Append-only. */
typedef enum gdfo_cache_level {
	GDFO_CACHE_NONE = 0,
	GDFO_CACHE_MEMORY = 1,
	GDFO_CACHE_DISK = 2
} gdfo_cache_level;
#define GDFO_CACHE_LEVEL_COUNT 3

#define GDFO_STAGE_STATS_VERSION (1 + GDFO__GROWTH)

/*
 * What is known about a stage's data. Every field is finite and >= 0.
 * A field that is not known is 0 (selectivity and skew: 1). Initialize
 * with gdfo_stage_stats_init. The fields and their ranges are also
 * listed at run time by gdfo_field_at(GDFO_FIELDS_STAGE_STATS).
 */
typedef struct gdfo_stage_stats {
	uint32_t version;       /* GDFO_STAGE_STATS_VERSION */
	double rows_in;         /* rows read from all inputs */
	double bytes_in;        /* bytes read from all inputs */
	double selectivity;     /* rows out / rows in (may exceed 1: explode, join fan-out) */
	double key_cardinality; /* distinct keys (join, aggregate, window, sort) */
	double skew;            /* largest partition / mean partition, >= 1 */
	double cpu_ns_per_row;  /* CPU nanoseconds per input row */
	GDFO__GROWTH_FIELD
} gdfo_stage_stats;

/* Ranges checked by validation. */
#define GDFO_PARTITIONS_MAX 1000000
#define GDFO_PRIORITY_MAX 1000000
#define GDFO_COMPACTION_MAX 100000

#define GDFO_STAGE_KNOBS_VERSION (1 + GDFO__GROWTH)

/*
 * A stage's knobs. 0 means "engine default" for partitions, strategy,
 * file size and compaction. Initialize with gdfo_stage_knobs_init; the
 * fields, ranges and defaults are listed at run time by
 * gdfo_field_at(GDFO_FIELDS_STAGE_KNOBS).
 */
typedef struct gdfo_stage_knobs {
	uint32_t version;          /* GDFO_STAGE_KNOBS_VERSION */
	int32_t partitions;        /* 0 or 1..GDFO_PARTITIONS_MAX */
	int32_t join_strategy;     /* gdfo_join_strategy; joins only */
	int32_t cache;             /* gdfo_cache_level */
	int32_t priority;          /* -GDFO_PRIORITY_MAX..GDFO_PRIORITY_MAX, higher runs first */
	int32_t compaction_every;  /* sinks: compact every N runs, 0 = never */
	int64_t target_file_bytes; /* sinks: target output file size; 0 or 1 MiB..1 PiB */
	GDFO__GROWTH_FIELD
} gdfo_stage_knobs;

#define GDFO_STAGE_VERSION (1 + GDFO__GROWTH)

/*
 * A stage as passed to gdfo_graph_add_stage and filled by
 * gdfo_graph_stage_at. Initialize with gdfo_stage_init.
 *
 * Statistics and knobs are separate versioned structs, referenced so
 * that each can grow on its own. In add_stage NULL means the defaults
 * (unknown statistics, engine-default knobs); in update_stage NULL keeps
 * the stage's current ones. stage_at points them at the graph's copies
 * (borrowed, see the top of this file).
 *
 * Columns: columns_read are the input columns the stage's logic reads
 * (filter predicate, join keys, group keys, projected expressions);
 * columns_written are the columns the stage creates or overwrites (a
 * source's schema, a projection's computed columns, an aggregate's
 * outputs). Either list may be empty when unknown; rewrites that need
 * them are then not applied.
 */
typedef struct gdfo_stage {
	uint32_t version;   /* GDFO_STAGE_VERSION */
	int32_t op;         /* gdfo_op */
	int64_t id;         /* unique in the graph, >= 0 */
	const char *name;   /* non-empty, at most 255 bytes */
	int32_t join_type;  /* gdfo_join_type; joins only */
	uint32_t fused_ops; /* bit (1 << op) for each operator fused into this stage */
	const gdfo_stage_stats *stats; /* NULL: see above */
	const gdfo_stage_knobs *knobs; /* NULL: see above */
	const char *const *columns_read;
	size_t n_columns_read;
	const char *const *columns_written;
	size_t n_columns_written;
	GDFO__GROWTH_FIELD
} gdfo_stage;

/*
 * Fill *out with defaults for the given version (the caller's
 * GDFO_*_VERSION): a stage with no id or name, a source op, no stats or
 * knobs; statistics unknown (selectivity and skew 1, the rest 0); knobs
 * at engine default (0, cache none). Thread-safe.
 * Errors: GDFO_EINVAL (out NULL), GDFO_EVERSION (a version this library
 * does not know).
 */
GDFO_API int gdfo_stage_init(gdfo_stage *out, unsigned int version);
GDFO_API int gdfo_stage_stats_init(gdfo_stage_stats *out, unsigned int version);
GDFO_API int gdfo_stage_knobs_init(gdfo_stage_knobs *out, unsigned int version);

/* A setting that is on, off or left to the engine (graph knobs). Append-only. */
typedef enum gdfo_switch {
	GDFO_SWITCH_DEFAULT = 0, /* not set: the engine's default */
	GDFO_SWITCH_OFF = 1,
	GDFO_SWITCH_ON = 2
} gdfo_switch;
#define GDFO_SWITCH_COUNT 3

#define GDFO_GRAPH_KNOBS_VERSION (2 + GDFO__GROWTH)

/*
 * Graph-level knobs: the resource blueprint and, from version 2, the
 * engine settings the application ran with (Spark's names in the
 * comments; gdfo_eventlog_graph reads them from the event log). 0 =
 * engine default everywhere. The settings are not encoder features.
 */
typedef struct gdfo_graph_knobs {
	uint32_t version;                  /* GDFO_GRAPH_KNOBS_VERSION */
	int32_t executors;                 /* 0..100000 (spark.executor.instances) */
	int32_t cores_per_executor;        /* 0..1024 (spark.executor.cores) */
	int64_t memory_per_executor_bytes; /* 0 or 64 MiB..16 TiB (spark.executor.memory) */
	/* version 2 */
	int64_t broadcast_threshold_bytes; /* spark.sql.autoBroadcastJoinThreshold: -1 never
					      broadcast, 0 engine default (10 MiB), else 1..1 PiB */
	int32_t shuffle_partitions;        /* spark.sql.shuffle.partitions: 0 (200) or 1..1000000 */
	int32_t adaptive;                  /* gdfo_switch: spark.sql.adaptive.enabled */
	int32_t dynamic_allocation;        /* gdfo_switch: spark.dynamicAllocation.enabled */
	int32_t min_executors;             /* spark.dynamicAllocation.minExecutors, 0..100000 */
	int32_t max_executors;             /* spark.dynamicAllocation.maxExecutors: 0 (unbounded)
					      or 1..100000 */
	int32_t shuffle_reuse;             /* gdfo_switch: ON = every stage's output is written
					      once (a Spark shuffle) and read by all its consumers,
					      so no stage is recomputed and caching saves nothing;
					      set by event-log ingestion (docs/ingest.md) */
	GDFO__GROWTH_FIELD
} gdfo_graph_knobs;

#define GDFO_CLUSTER_VERSION (1 + GDFO__GROWTH)

/*
 * The cluster a pipeline runs on. 0 = not known. An executor-second costs
 * price_per_executor_s + cores x price_per_core_s + GiB x price_per_gib_s;
 * when any of the three is set they replace the simulator's prices.
 */
typedef struct gdfo_cluster {
	uint32_t version;              /* GDFO_CLUSTER_VERSION */
	int32_t executors_available;   /* 0..100000 */
	double price_per_executor_s;   /* currency units per executor-second, 0..1e12 */
	double slo_ms;                 /* end-to-end latency objective, 0..1e15 */
	double price_per_core_s;       /* currency units per core-second, 0..1e12 */
	double price_per_gib_s;        /* currency units per GiB-second of executor memory, 0..1e12 */
	GDFO__GROWTH_FIELD
} gdfo_cluster;

/* Fill *out with defaults (every field 0). Errors: GDFO_EINVAL, GDFO_EVERSION. Thread-safe. */
GDFO_API int gdfo_graph_knobs_init(gdfo_graph_knobs *out, unsigned int version);
GDFO_API int gdfo_cluster_init(gdfo_cluster *out, unsigned int version);

/*
 * The field tables: every field of gdfo_stage_stats, gdfo_stage_knobs,
 * gdfo_graph_knobs and gdfo_cluster (but version) with its JSON key, type,
 * range and default. They are what validation, the JSON formats and the
 * bindings use, so a binding can list and convert fields without
 * knowing them in advance. Append-only.
 */
typedef enum gdfo_field_set {
	GDFO_FIELDS_STAGE_STATS = 0,
	GDFO_FIELDS_STAGE_KNOBS = 1,
	GDFO_FIELDS_GRAPH_KNOBS = 2,
	GDFO_FIELDS_CLUSTER = 3
} gdfo_field_set;
#define GDFO_FIELD_SET_COUNT 4

/* How a field is stored. Append-only. */
typedef enum gdfo_field_type {
	GDFO_FIELD_DOUBLE = 0,
	GDFO_FIELD_INT32 = 1,
	GDFO_FIELD_INT64 = 2,
	GDFO_FIELD_ENUM = 3    /* int32_t holding an enum; names from gdfo_field_value_name */
} gdfo_field_type;

#define GDFO_FIELD_INFO_VERSION (1 + GDFO__GROWTH)

/*
 * One field. Valid values are min..max, and also 0 when zero_ok is 1
 * (the "engine default" of a knob whose range starts above 0). For an
 * enum field, min..max are the enum's values.
 */
typedef struct gdfo_field_info {
	uint32_t version;     /* GDFO_FIELD_INFO_VERSION */
	int32_t type;         /* gdfo_field_type */
	const char *name;     /* the C field, the JSON key and the binding's name */
	size_t offset;        /* byte offset in the struct */
	double min, max;
	double default_value; /* what *_init sets */
	int32_t zero_ok;
	int32_t only_op;      /* -1, or the gdfo_op it applies to (join_strategy: joins) */
	const char *doc;      /* one line */
	GDFO__GROWTH_FIELD
} gdfo_field_info;

/* Number of fields in set (0 for an unknown set). Thread-safe. */
GDFO_API size_t gdfo_field_count(int set);

/*
 * The newest version of the set's struct this library knows (0 for an
 * unknown set). A binding that lays the struct out from the field table
 * at run time passes this version, so it sees every field. Thread-safe.
 */
GDFO_API unsigned int gdfo_field_set_version(int set);

/*
 * Fills *out with field index of set; strings are static. Thread-safe.
 * Errors: GDFO_EINVAL (out NULL or unknown set), GDFO_EVERSION,
 * GDFO_ERANGE (index).
 */
GDFO_API int gdfo_field_at(gdfo_field_info *out, int set, size_t index);

/*
 * The name of value of an enum field ("broadcast"); NULL when the field
 * is not an enum or value is out of range. Thread-safe.
 */
GDFO_API const char *gdfo_field_value_name(int set, size_t index, int value);

typedef struct gdfo_graph gdfo_graph;

/*
 * Creates an empty graph. name may be NULL (then "pipeline").
 * Errors: GDFO_EINVAL (out NULL, name empty or too long), GDFO_ENOMEM.
 */
GDFO_API int gdfo_graph_create(gdfo_graph **out, const char *name);

/* Frees a graph and everything it owns. NULL does nothing. */
GDFO_API void gdfo_graph_free(gdfo_graph *graph);

/* A deep copy. Errors: GDFO_EINVAL, GDFO_ENOMEM. */
GDFO_API int gdfo_graph_clone(gdfo_graph **out, const gdfo_graph *graph);

/* The graph's name; borrowed until the graph is freed. */
GDFO_API const char *gdfo_graph_name(const gdfo_graph *graph);

/*
 * Copies a stage into the graph. The stage is checked on its own (id,
 * name, op, finite non-negative statistics, knobs in range and on the
 * operators they apply to, columns non-empty); edges are added separately.
 * Errors: GDFO_EINVAL (bad argument or stage field, message names the
 * stage and field), GDFO_EVERSION, GDFO_EEXISTS (id already present),
 * GDFO_ENOMEM. On failure the graph is unchanged.
 */
GDFO_API int gdfo_graph_add_stage(gdfo_graph *graph, const gdfo_stage *stage);

/*
 * Replaces the stage with stage->id (statistics, knobs, name, op,
 * columns); its edges stay. Same checks and errors as add_stage, and
 * GDFO_ENOTFOUND when no stage has that id.
 */
GDFO_API int gdfo_graph_update_stage(gdfo_graph *graph, const gdfo_stage *stage);

/*
 * Adds the edge parent -> child (child consumes parent's output). The
 * order in which a stage's parents are added is kept (a join's first
 * parent is its left side). Errors: GDFO_ENOTFOUND (either id missing),
 * GDFO_EEXISTS (edge present), GDFO_EINVAL (self edge), GDFO_ECYCLE (the
 * edge would close a cycle), GDFO_ENOMEM.
 */
GDFO_API int gdfo_graph_add_edge(gdfo_graph *graph, int64_t parent_id, int64_t child_id);

/* Number of stages. */
GDFO_API size_t gdfo_graph_stage_count(const gdfo_graph *graph);

/*
 * Fills *out with the stage at index (0..count-1, insertion order); set
 * out->version first (gdfo_stage_init). Pointers inside *out, stats and
 * knobs included, are borrowed (see top of file).
 * Errors: GDFO_EINVAL, GDFO_EVERSION, GDFO_ERANGE (index out of range).
 */
GDFO_API int gdfo_graph_stage_at(gdfo_stage *out, const gdfo_graph *graph, size_t index);

/* Index of the stage with id. Errors: GDFO_EINVAL, GDFO_ENOTFOUND. */
GDFO_API int gdfo_graph_find(size_t *out, const gdfo_graph *graph, int64_t id);

/*
 * The parents (or children) of the stage at index, as a borrowed array
 * of stage indices. Errors: GDFO_EINVAL, GDFO_ERANGE.
 */
GDFO_API int gdfo_graph_parents(const size_t **out, size_t *count,
				const gdfo_graph *graph, size_t index);
GDFO_API int gdfo_graph_children(const size_t **out, size_t *count,
				 const gdfo_graph *graph, size_t index);

/*
 * The graph's resource knobs and cluster. get fills the fields of
 * out->version (set it first, e.g. with gdfo_graph_knobs_init); set
 * checks every field against its range and copies the struct; fields
 * newer than the caller's version keep their defaults.
 * Errors: GDFO_EINVAL (NULL, or a field out of range, named in the
 * message), GDFO_EVERSION. get is a read; set needs exclusive access.
 */
GDFO_API int gdfo_graph_get_knobs(gdfo_graph_knobs *out, const gdfo_graph *graph);
GDFO_API int gdfo_graph_set_knobs(gdfo_graph *graph, const gdfo_graph_knobs *knobs);
GDFO_API int gdfo_graph_get_cluster(gdfo_cluster *out, const gdfo_graph *graph);
GDFO_API int gdfo_graph_set_cluster(gdfo_graph *graph, const gdfo_cluster *cluster);

/*
 * Checks the whole graph: at least one stage, acyclic, every stage's
 * fields valid, joins have at least two parents, sources none.
 * Errors: GDFO_EINVAL (names stage and field), GDFO_ECYCLE (names a
 * stage on the cycle).
 */
GDFO_API int gdfo_graph_validate(const gdfo_graph *graph);

/*
 * Writes a topological order (parents before children, ties broken by
 * insertion order, so the order is deterministic) as stage indices into
 * out, which holds capacity entries.
 * Errors: GDFO_EINVAL (NULL), GDFO_ERANGE (capacity is less than
 * gdfo_graph_stage_count()), GDFO_ECYCLE, GDFO_ENOMEM.
 */
GDFO_API int gdfo_graph_topo_order(size_t *out, size_t capacity, const gdfo_graph *graph);

/*
 * A 64-bit fingerprint of the pipeline's shape: operators, stage names,
 * join types and edges. Statistics, knobs, ids and insertion order do
 * not enter it, so the same pipeline keeps its fingerprint across runs
 * as its data drifts. Errors: GDFO_EINVAL, GDFO_ECYCLE, GDFO_ENOMEM.
 */
GDFO_API int gdfo_graph_fingerprint(uint64_t *out, const gdfo_graph *graph);

/* Names of enum values ("join", "broadcast", "memory"); NULL if out of range. */
GDFO_API const char *gdfo_op_name(int op);
GDFO_API const char *gdfo_join_strategy_name(int strategy);
GDFO_API const char *gdfo_join_type_name(int type);
GDFO_API const char *gdfo_cache_level_name(int level);

/*
 * Pipeline JSON ("format": "gdfo-pipeline/1", see docs/formats.md).
 * from_json parses len bytes (need not be NUL-terminated) and validates
 * the result; errors name the JSON path ("stages[3].parents[1]").
 * Errors: GDFO_EINVAL, GDFO_EFORMAT, GDFO_ECYCLE, GDFO_ENOMEM.
 * to_json writes a NUL-terminated document the caller frees with
 * gdfo_free; parsing it gives back an identical graph.
 * load/save read and write files (save is atomic); GDFO_EIO on I/O errors.
 */
GDFO_API int gdfo_graph_from_json(gdfo_graph **out, const char *json, size_t len);
GDFO_API int gdfo_graph_to_json(char **out, const gdfo_graph *graph);
GDFO_API int gdfo_graph_load(gdfo_graph **out, const char *path);
GDFO_API int gdfo_graph_save(const gdfo_graph *graph, const char *path);

#ifdef __cplusplus
}
#endif

#endif
