/*
 * The workload generator: synthetic pipelines of five families with
 * statistics, default knobs and a cluster, optionally drifting run by
 * run. The benchmarks, the simulator's tests and training use it.
 *
 * Thread safety: every function is thread-safe; the generator keeps no
 * state between calls.
 */
#ifndef GDFO_GENERATE_H
#define GDFO_GENERATE_H

#include "common.h"
#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Families of generated pipelines. Append-only. */
typedef enum gdfo_gen_family {
	GDFO_GEN_RETAIL_ETL = 0,   /* daily retail ETL: dedup, enrich, joins, aggregates, sinks */
	GDFO_GEN_IOT_STREAMING = 1,/* micro-batch IoT: parse, filter, window, alert and store */
	GDFO_GEN_TPCH = 2,         /* TPC-H-like query DAGs over lineitem/orders/... */
	GDFO_GEN_TPCDS = 3,        /* TPC-DS-like star joins over three sales channels */
	GDFO_GEN_RANDOM = 4        /* random layered DAGs with fan-in and fan-out */
} gdfo_gen_family;
#define GDFO_GEN_FAMILY_COUNT 5

/* "retail-etl", "iot-streaming", "tpch", "tpcds", "random"; NULL if out of range. */
GDFO_API const char *gdfo_gen_family_name(int family);
/* The family with that name. Errors: GDFO_EINVAL, GDFO_ENOTFOUND (lists the names). */
GDFO_API int gdfo_gen_family_find(int *out, const char *name);

#define GDFO_GEN_OPTIONS_VERSION (1 + GDFO__GROWTH)

/*
 * What to generate. The pipeline's shape, sizes, skew and cluster are
 * drawn from seed; run > 0 applies drift to the same base pipeline:
 * volume growth, skew shift and, from run drift_column_run on, a new
 * column on the sources.
 */
typedef struct gdfo_gen_options {
	uint32_t version;          /* GDFO_GEN_OPTIONS_VERSION */
	int32_t family;            /* gdfo_gen_family (GDFO_GEN_RETAIL_ETL) */
	uint64_t seed;             /* (1) */
	double scale_bytes;        /* total source bytes; 0 = drawn from 10 MB..1 TB
				      log-uniformly (retail, tpch, tpcds, random) or
				      1 MB..10 GB per batch (iot) */
	int32_t stages;            /* random family: stage count 2..10000; 0 = drawn 8..40 */
	int32_t run;               /* position in a drifting sequence, >= 0 (0) */
	double growth_per_run;     /* volume growth per run (0.05 = 5 %) (0.05) */
	double skew_shift_per_run; /* added to skew per run on skewed stages (0.1) */
	int32_t drift_column_run;  /* run from which sources gain a column; 0 = never (5) */
	int32_t reserved;
	GDFO__GROWTH_FIELD
} gdfo_gen_options;

/* Fills *o with the defaults. Errors: GDFO_EINVAL, GDFO_EVERSION. */
GDFO_API int gdfo_gen_options_init(gdfo_gen_options *o, unsigned int version);

/*
 * Generates a validated pipeline graph with statistics, default knobs
 * (engine defaults the optimizer can improve) and a cluster. The same
 * options give the same graph on every platform.
 * Errors: GDFO_EINVAL (NULL, option out of range, named), GDFO_EVERSION, GDFO_ENOMEM.
 */
GDFO_API int gdfo_generate(gdfo_graph **out, const gdfo_gen_options *opts);

#ifdef __cplusplus
}
#endif

#endif
