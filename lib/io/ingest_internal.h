/*
 * Event-log ingestion internals: a validating, allocation-free JSON
 * scanner (eventlog_scan.c), the streaming line reader (eventlog_read.c),
 * and the state built from the events (eventlog.c, eventlog_events.c,
 * eventlog_ops.c, eventlog_build.c).
 */
#ifndef GDFO_INGEST_INTERNAL_H
#define GDFO_INGEST_INTERNAL_H

#include <string.h>

#include "core/idmap.h"
#include "core/internal.h"
#include "gdfo/ingest.h"

/* ---- JSON scanner --------------------------------------------------------- */

/*
 * A cursor over one line. Functions return 0 on success and -1 when the
 * text is not valid JSON (RFC 8259: no NaN, no control characters in
 * strings, valid UTF-8, nesting up to GDFO__JS_MAX_DEPTH).
 */
typedef struct gdfo__js {
	const unsigned char *p, *end;
} gdfo__js;

#define GDFO__JS_MAX_DEPTH 1000

/* A string as it appears between its quotes; esc = 1 if it has escapes. */
typedef struct gdfo__jstr {
	const char *s;
	size_t n;
	int esc;
} gdfo__jstr;

static inline void gdfo__js_ws(gdfo__js *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
		j->p++;
}

/* Skips one value (validating it). */
int gdfo__js_skip(gdfo__js *j);
/* Reads a string value (cursor at the opening quote after whitespace). */
int gdfo__js_string(gdfo__js *j, gdfo__jstr *out);
/*
 * Reads any value; when it is a JSON integer (no fraction or exponent)
 * that fits int64, stores it and sets *ok = 1, else *ok = 0.
 */
int gdfo__js_int(gdfo__js *j, int64_t *v, int *ok);
/* Reads any value; when it is a string, sets *out and *ok = 1. */
int gdfo__js_str_or_skip(gdfo__js *j, gdfo__jstr *out, int *ok);

/*
 * Object iteration:
 *   r = gdfo__js_obj_begin(j);        -1 error, 0 empty object, 1 has members, 2 not an object (skipped)
 *   while (r == 1) { gdfo__js_obj_key(j, &k); ...read or skip the value...; r = gdfo__js_obj_next(j); }
 * obj_next returns 1 for another member, 0 at the closing brace, -1 on error.
 * Array iteration works the same with arr_begin / arr_next.
 */
int gdfo__js_obj_begin(gdfo__js *j);
int gdfo__js_obj_key(gdfo__js *j, gdfo__jstr *key);
int gdfo__js_obj_next(gdfo__js *j);
int gdfo__js_arr_begin(gdfo__js *j);
int gdfo__js_arr_next(gdfo__js *j);

/* 1 if the string equals lit (length n), decoding escapes when present. */
int gdfo__jstr_eq(const gdfo__jstr *s, const char *lit, size_t n);
/* The common case (no escapes) inline: a length check, then a fixed-size memcmp. */
#define GDFO__KEY(k, lit) \
	((k)->esc ? gdfo__jstr_eq((k), lit, sizeof(lit) - 1) \
		  : ((k)->n == sizeof(lit) - 1 && !memcmp((k)->s, lit, sizeof(lit) - 1)))

/* Decodes into a new NUL-terminated UTF-8 string (lone surrogates become U+FFFD). */
char *gdfo__jstr_dup(const gdfo__jstr *s);
/* Decodes into buf (cap bytes incl. NUL); returns the length, or -1 if it does not fit. */
long gdfo__jstr_decode(const gdfo__jstr *s, char *buf, size_t cap);

/* ---- streaming line reader -------------------------------------------------- */

/*
 * Calls fn once per line (without the newline) of the decompressed
 * stream. Lines longer than max_line are passed with line == NULL and
 * len = their length so far (the caller counts them as malformed).
 * *truncated is set when the last line had no newline or the compressed
 * stream ended early. fn returns 0 to go on or a negative status to stop.
 * Errors: GDFO_EIO, GDFO_EFORMAT (corrupt compressed data), GDFO_ENOMEM,
 * or fn's status.
 */
typedef int (*gdfo__line_fn)(void *user, const char *line, size_t len);

typedef struct gdfo__line_reader {
	int fd;                        /* -1 when reading from memory */
	const unsigned char *mem;      /* memory source */
	size_t mem_len;
	const char *what;              /* file name for messages */
	uint64_t max_line;
	gdfo_ingest_progress_fn progress;
	void *progress_user;
	uint64_t progress_every;
	uint64_t total_bytes;          /* 0 unknown */
	const int64_t *events;         /* events recognised so far; NULL: no no-event budget */
	/* results */
	int codec;                     /* gdfo_ingest_codec */
	int truncated;
} gdfo__line_reader;

int gdfo__lines_run(gdfo__line_reader *r, gdfo__line_fn fn, void *user);

/* ---- the ingested state --------------------------------------------------------- */

typedef struct gdfo__ev_stage {
	int64_t id;
	char *name;                /* Stage Name, NULL until seen */
	int64_t num_tasks;         /* -1 unknown */
	int64_t *parents;
	size_t n_parents;
	int64_t max_rdd;           /* largest RDD ID in RDD Info, -1 unknown */
	uint32_t op_bits;          /* 1 << gdfo_op hinted by names and scopes */
	int64_t sql_exec;          /* spark.sql.execution.id of its job, -1 none */
	int has_info;              /* Stage Info from a stage event (not only declared) */
	int64_t completed;         /* StageCompleted events without Failure Reason */
	int64_t failed;            /* StageCompleted events with one */
	int64_t submit_ms, complete_ms;   /* -1 unknown */
	/* tasks */
	double *task_ms;           /* successful attempts: Finish - Launch */
	size_t n_task_ms, cap_task_ms;
	int64_t tasks, tasks_failed, ok_tasks;
	int64_t first_launch, last_finish; /* -1 unknown */
	int64_t run_ms, cpu_ns, peak_mem;
	int has_cpu, has_peak;
	int64_t shuffle_read, shuffle_write, mem_spill, disk_spill;
	int64_t input_bytes, input_records, shuffle_records_read, shuffle_records_written;
	int64_t output_records;
	double ok_read_bytes_sum, ok_read_bytes_max; /* per successful task: input + shuffle read */
} gdfo__ev_stage;

typedef struct gdfo__ev_exec {
	int64_t ts;
	char *id;
	int32_t added, cores, live;
} gdfo__ev_exec;

typedef struct gdfo__kv {
	char *key, *value;
} gdfo__kv;

struct gdfo_eventlog {
	gdfo_eventlog_summary sum;
	char *spark_version, *app_name, *app_id, *name;
	int64_t app_start, app_end;
	int have_start, have_end;
	gdfo__ev_stage *stages;
	size_t n_stages, cap_stages;
	gdfo__idmap ids;          /* stage id -> index */
	gdfo__ev_exec *execs;
	size_t n_execs, cap_execs;
	char **live;              /* executor ids alive now */
	size_t n_live, cap_live;
	gdfo__kv *conf;
	size_t n_conf, cap_conf;
	int64_t first_submit, last_complete; /* over stages, -1 unknown */
	int64_t records_in;
	uint64_t max_line;
};

/* Reads one line of the log into the gdfo_eventlog user (eventlog_events.c); a gdfo__line_fn. */
int gdfo__eventlog_line(void *user, const char *line, size_t len);

/* The stage with id, created (fields unknown) when create and missing; NULL on ENOMEM or missing. */
gdfo__ev_stage *gdfo__eventlog_stage(gdfo_eventlog *log, int64_t id, int create);
/* Frees n properties and the array. */
void gdfo__eventlog_conf_free(gdfo__kv *kv, size_t n);

/*
 * Operator guessing (eventlog_ops.c). op_hint: the operators (1 << gdfo_op)
 * a Spark SQL plan node, RDD scope name or RDD / stage operation name
 * suggests; scope_hint: the same for the "name" inside an RDD Scope string.
 * pick_op: the operator a stage with those hints and n_parents parents is
 * modelled as.
 */
uint32_t gdfo__eventlog_op_hint(const char *s, size_t n);
uint32_t gdfo__eventlog_scope_hint(const gdfo__jstr *scope);
int gdfo__eventlog_pick_op(uint32_t bits, size_t n_parents);

#endif
