/*
 * Telemetry containers: per-stage and per-run measurements.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/abi.h"
#include "graph/telemetry_internal.h"

int gdfo_stage_telemetry_init(gdfo_stage_telemetry *t, unsigned int version)
{
	gdfo_stage_telemetry d;

	memset(&d, 0, sizeof(d));
	d.duration_ms = d.tasks = d.task_ms_median = d.task_ms_max = GDFO_UNKNOWN;
	d.shuffle_read_bytes = d.shuffle_write_bytes = d.spill_bytes = GDFO_UNKNOWN;
	d.peak_memory_bytes = d.cpu_ms = d.failures = GDFO_UNKNOWN;
	return gdfo__abi_init(t, version, &d, GDFO__ABI_STAGE_TELEMETRY, "gdfo_stage_telemetry_init");
}

int gdfo_run_telemetry_init(gdfo_run_telemetry *t, unsigned int version)
{
	gdfo_run_telemetry d;

	memset(&d, 0, sizeof(d));
	d.success = 1;
	d.latency_ms = d.records = d.throughput = d.cost = GDFO_UNKNOWN;
	return gdfo__abi_init(t, version, &d, GDFO__ABI_RUN_TELEMETRY, "gdfo_run_telemetry_init");
}

/* A measurement is GDFO_UNKNOWN or finite and >= 0. */
static int check_value(const char *where, const char *field, double v)
{
	if (v == GDFO_UNKNOWN)
		return 0;
	if (!isfinite(v) || v < 0)
		return gdfo__error(GDFO_EINVAL, "%s: %s is %g; it must be finite and >= 0, or -1 for unknown",
				   where, field, v);
	return 0;
}

const gdfo__field gdfo__stage_telemetry_fields[] = {
	{"duration_ms", offsetof(gdfo_stage_telemetry, duration_ms)},
	{"tasks", offsetof(gdfo_stage_telemetry, tasks)},
	{"task_ms_median", offsetof(gdfo_stage_telemetry, task_ms_median)},
	{"task_ms_max", offsetof(gdfo_stage_telemetry, task_ms_max)},
	{"shuffle_read_bytes", offsetof(gdfo_stage_telemetry, shuffle_read_bytes)},
	{"shuffle_write_bytes", offsetof(gdfo_stage_telemetry, shuffle_write_bytes)},
	{"spill_bytes", offsetof(gdfo_stage_telemetry, spill_bytes)},
	{"peak_memory_bytes", offsetof(gdfo_stage_telemetry, peak_memory_bytes)},
	{"cpu_ms", offsetof(gdfo_stage_telemetry, cpu_ms)},
	{"failures", offsetof(gdfo_stage_telemetry, failures)},
	{NULL, 0},
};

const gdfo__field gdfo__run_telemetry_fields[] = {
	{"latency_ms", offsetof(gdfo_run_telemetry, latency_ms)},
	{"records", offsetof(gdfo_run_telemetry, records)},
	{"throughput", offsetof(gdfo_run_telemetry, throughput)},
	{"cost", offsetof(gdfo_run_telemetry, cost)},
	{NULL, 0},
};

static int check_fields(const void *rec, const gdfo__field *f, const char *where)
{
	for (; f->name; f++)
		if (check_value(where, f->name, *(const double *)((const char *)rec + f->offset)))
			return GDFO_EINVAL;
	return 0;
}

int gdfo_telemetry_create(gdfo_telemetry **out)
{
	gdfo_telemetry *t;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_telemetry_create: out is NULL");
	*out = NULL;
	t = gdfo__calloc(1, sizeof(*t));
	if (!t)
		return GDFO_ENOMEM;
	gdfo_run_telemetry_init(&t->run, GDFO_RUN_TELEMETRY_VERSION);
	*out = t;
	return 0;
}

void gdfo_telemetry_free(gdfo_telemetry *t)
{
	if (!t)
		return;
	free(t->stages);
	free(t);
}

int gdfo_telemetry_set_run(gdfo_telemetry *t, const gdfo_run_telemetry *caller)
{
	gdfo_run_telemetry full;
	const gdfo_run_telemetry *run = &full;
	int rc;

	if (!t || !caller)
		return gdfo__error(GDFO_EINVAL, "gdfo_telemetry_set_run: %s is NULL", t ? "run" : "telemetry");
	gdfo_run_telemetry_init(&full, GDFO_RUN_TELEMETRY_VERSION);
	if ((rc = gdfo__abi_in(&full, caller, &full, GDFO__ABI_RUN_TELEMETRY, "gdfo_telemetry_set_run")))
		return rc;
	if (run->success != 0 && run->success != 1)
		return gdfo__error(GDFO_EINVAL, "run: success is %d; it must be 0 or 1", run->success);
	if (check_fields(run, gdfo__run_telemetry_fields, "run"))
		return GDFO_EINVAL;
	t->run = *run;
	return 0;
}

int gdfo_telemetry_get_run(gdfo_run_telemetry *out, const gdfo_telemetry *t)
{
	if (!out || !t)
		return gdfo__error(GDFO_EINVAL, "gdfo_telemetry_get_run: %s is NULL", t ? "out" : "telemetry");
	return gdfo__abi_out(out, &t->run, GDFO__ABI_RUN_TELEMETRY, "gdfo_telemetry_get_run");
}

int gdfo_telemetry_set_stage(gdfo_telemetry *t, const gdfo_stage_telemetry *caller)
{
	char where[64];
	size_t i;
	void *p;
	gdfo_stage_telemetry full;
	const gdfo_stage_telemetry *s = &full;
	int rc;

	if (!t || !caller)
		return gdfo__error(GDFO_EINVAL, "gdfo_telemetry_set_stage: %s is NULL", t ? "stage" : "telemetry");
	gdfo_stage_telemetry_init(&full, GDFO_STAGE_TELEMETRY_VERSION);
	if ((rc = gdfo__abi_in(&full, caller, &full, GDFO__ABI_STAGE_TELEMETRY, "gdfo_telemetry_set_stage")))
		return rc;
	if (s->stage_id < 0)
		return gdfo__error(GDFO_EINVAL, "stage telemetry: stage_id %lld is negative", (long long)s->stage_id);
	snprintf(where, sizeof(where), "telemetry of stage %lld", (long long)s->stage_id);
	if (check_fields(s, gdfo__stage_telemetry_fields, where))
		return GDFO_EINVAL;
	if (!memchr(s->name, '\0', sizeof(s->name)))
		return gdfo__error(GDFO_EINVAL, "%s: name is not NUL-terminated within %d bytes", where,
				   GDFO_TELEMETRY_NAME_MAX);
	for (i = 0; i < t->n; i++) {
		if (t->stages[i].stage_id == s->stage_id) {
			t->stages[i] = *s;
			return 0;
		}
	}
	p = t->stages;
	if (gdfo__grow(&p, &t->cap, t->n + 1, sizeof(*t->stages)))
		return GDFO_ENOMEM;
	t->stages = p;
	t->stages[t->n++] = *s;
	return 0;
}

int gdfo_telemetry_set_fingerprint(gdfo_telemetry *t, uint64_t fingerprint)
{
	if (!t)
		return gdfo__error(GDFO_EINVAL, "gdfo_telemetry_set_fingerprint: telemetry is NULL");
	t->fingerprint = fingerprint;
	t->has_fingerprint = 1;
	return 0;
}

int gdfo_telemetry_clear_fingerprint(gdfo_telemetry *t)
{
	if (!t)
		return gdfo__error(GDFO_EINVAL, "gdfo_telemetry_clear_fingerprint: telemetry is NULL");
	t->fingerprint = 0;
	t->has_fingerprint = 0;
	return 0;
}

int gdfo_telemetry_fingerprint(uint64_t *out, const gdfo_telemetry *t)
{
	if (!out || !t)
		return gdfo__error(GDFO_EINVAL, "gdfo_telemetry_fingerprint: %s is NULL", t ? "out" : "telemetry");
	*out = t->has_fingerprint ? t->fingerprint : 0;
	if (!t->has_fingerprint)
		return gdfo__error(GDFO_ENOTFOUND, "the telemetry records no pipeline fingerprint");
	return 0;
}

size_t gdfo_telemetry_stage_count(const gdfo_telemetry *t)
{
	return t ? t->n : 0;
}

int gdfo_telemetry_stage_at(gdfo_stage_telemetry *out, const gdfo_telemetry *t, size_t index)
{
	if (!out || !t)
		return gdfo__error(GDFO_EINVAL, "gdfo_telemetry_stage_at: %s is NULL", t ? "out" : "telemetry");
	if (index >= t->n)
		return gdfo__error(GDFO_ERANGE, "telemetry stage index %zu is out of range (%zu records)", index, t->n);
	return gdfo__abi_out(out, &t->stages[index], GDFO__ABI_STAGE_TELEMETRY, "gdfo_telemetry_stage_at");
}

int gdfo_telemetry_find(gdfo_stage_telemetry *out, const gdfo_telemetry *t, int64_t stage_id)
{
	size_t i;

	if (!out || !t)
		return gdfo__error(GDFO_EINVAL, "gdfo_telemetry_find: %s is NULL", t ? "out" : "telemetry");
	for (i = 0; i < t->n; i++) {
		if (t->stages[i].stage_id == stage_id) {
			return gdfo__abi_out(out, &t->stages[i], GDFO__ABI_STAGE_TELEMETRY, "gdfo_telemetry_find");
		}
	}
	return gdfo__error(GDFO_ENOTFOUND, "no telemetry for stage %lld", (long long)stage_id);
}
