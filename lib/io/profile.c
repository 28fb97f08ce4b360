/*
 * Job profiles (gdfo-job-profile/1): construction, accessors, JSON.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/abi.h"
#include "core/json_write.h"
#include "core/topo.h"
#include "io/json_util.h"
#include "io/profile_internal.h"

/*
 * Largest integer accepted: 2^53 - 1. A double cannot tell 2^53 from
 * 2^53 + 1, so accepting 2^53 would let a larger id silently change.
 */
#define MAX_EXACT_INT 9007199254740991.0

/* ---- id index ------------------------------------------------------------ */

size_t gdfo__profile_index(const gdfo_profile *p, int64_t id)
{
	return gdfo__idmap_get(&p->ids, id);
}

/* Makes room for one more stage in the array and the index. */
static int reserve_one(gdfo_profile *p)
{
	if (gdfo__grow((void **)&p->stages, &p->cap, p->n + 1, sizeof(*p->stages)))
		return GDFO_ENOMEM;
	return gdfo__idmap_reserve(&p->ids, p->n + 1);
}

/* ---- create, free --------------------------------------------------------- */

int gdfo_profile_stage_init(gdfo_profile_stage *stage, unsigned int version)
{
	gdfo_profile_stage d;
	memset(&d, 0, sizeof(d));
	return gdfo__abi_init(stage, version, &d, GDFO__ABI_PROFILE_STAGE, "gdfo_profile_stage_init");
}

static int check_header(const char *name, int32_t executors, int32_t cores, const char *where)
{
	size_t n = strlen(name);
	if (!gdfo__utf8_valid(name, n))
		return gdfo__error(GDFO_EINVAL, "%sname is not valid UTF-8", where);
	if (n == 0)
		return gdfo__error(GDFO_EINVAL, "%sname is empty", where);
	if (n > GDFO_PROFILE_NAME_MAX)
		return gdfo__error(GDFO_EINVAL, "%sname is %zu bytes long; the limit is %d", where, n,
				   GDFO_PROFILE_NAME_MAX);
	if (executors < 1 || executors > GDFO_PROFILE_EXECUTORS_MAX)
		return gdfo__error(GDFO_EINVAL, "%sexecutors is %d; allowed 1 to %d", where, (int)executors,
				   GDFO_PROFILE_EXECUTORS_MAX);
	if (cores < 1 || cores > GDFO_PROFILE_CORES_MAX)
		return gdfo__error(GDFO_EINVAL, "%scores_per_executor is %d; allowed 1 to %d", where,
				   (int)cores, GDFO_PROFILE_CORES_MAX);
	return 0;
}

int gdfo_profile_create(gdfo_profile **out, const char *name, int32_t executors,
			int32_t cores_per_executor)
{
	gdfo_profile *p;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_profile_create: out is NULL");
	*out = NULL;
	if (!name)
		name = "job";
	if (check_header(name, executors, cores_per_executor, "job profile "))
		return GDFO_EINVAL;
	p = gdfo__calloc(1, sizeof(*p));
	if (!p)
		return GDFO_ENOMEM;
	p->name = gdfo__strdup(name);
	if (!p->name) {
		free(p);
		return GDFO_ENOMEM;
	}
	p->executors = executors;
	p->cores_per_executor = cores_per_executor;
	*out = p;
	return 0;
}

static void stage_release(gdfo__profile_stage *s)
{
	size_t i;
	free(s->parents);
	free(s->parent_idx);
	free(s->task_ms);
	for (i = 0; i < s->n_by_exec; i++)
		free(s->by_exec[i].task_ms);
	free(s->by_exec);
	free(s->by_exec_view);
}

void gdfo_profile_free(gdfo_profile *p)
{
	size_t i;
	if (!p)
		return;
	for (i = 0; i < p->n; i++)
		stage_release(&p->stages[i]);
	free(p->stages);
	gdfo__idmap_free(&p->ids);
	free(p->name);
	free(p);
}

/* ---- checking and copying a stage ----------------------------------------- */

static const struct {
	uint32_t bit;
	const char *name;
	size_t offset;
} byte_fields[] = {
	{GDFO_PROFILE_INPUT_BYTES, "input_bytes", offsetof(gdfo_profile_stage, input_bytes)},
	{GDFO_PROFILE_SHUFFLE_READ_BYTES, "shuffle_read_bytes", offsetof(gdfo_profile_stage, shuffle_read_bytes)},
	{GDFO_PROFILE_SHUFFLE_WRITE_BYTES, "shuffle_write_bytes", offsetof(gdfo_profile_stage, shuffle_write_bytes)},
	{GDFO_PROFILE_SPILL_BYTES, "spill_bytes", offsetof(gdfo_profile_stage, spill_bytes)},
};
#define ALL_BYTE_BITS 0xfu

static int64_t stage_bytes(const gdfo_profile_stage *s, size_t k)
{
	return *(const int64_t *)((const char *)s + byte_fields[k].offset);
}

static int check_durations(const double *v, size_t n, const char *where, const char *field)
{
	size_t i;
	if (n && !v)
		return gdfo__error(GDFO_EINVAL, "%s%s is NULL but its count is %zu", where, field, n);
	for (i = 0; i < n; i++)
		if (!isfinite(v[i]) || v[i] < 0)
			return gdfo__error(GDFO_EINVAL, "%s%s[%zu] is %g; durations must be finite and >= 0",
					   where, field, i, v[i]);
	return 0;
}

/*
 * Checks a stage's own fields. where prefixes messages ("stage 5: " or
 * "profile: stages[3]."); fields are named after it.
 */
static int check_stage(const gdfo_profile_stage *s, const char *where)
{
	size_t i, j;

	if (s->id < 0 || (double)s->id > MAX_EXACT_INT)
		return gdfo__error(GDFO_EINVAL, "%sid is %lld; allowed 0 to 2^53-1", where, (long long)s->id);
	if (s->n_parents && !s->parents)
		return gdfo__error(GDFO_EINVAL, "%sparents is NULL but its count is %zu", where, s->n_parents);
	for (i = 0; i < s->n_parents; i++) {
		if (s->parents[i] == s->id)
			return gdfo__error(GDFO_EINVAL, "%sparents[%zu] is the stage itself", where, i);
		for (j = 0; j < i; j++)
			if (s->parents[j] == s->parents[i])
				return gdfo__error(GDFO_EINVAL, "%sparents[%zu] repeats parent %lld", where, i,
						   (long long)s->parents[i]);
	}
	if (s->num_tasks < 0 || s->num_tasks > GDFO_PROFILE_TASKS_MAX)
		return gdfo__error(GDFO_EINVAL, "%snum_tasks is %lld; allowed 0 to %lld", where,
				   (long long)s->num_tasks, GDFO_PROFILE_TASKS_MAX);
	if (check_durations(s->task_ms, s->n_task_ms, where, "task_ms"))
		return GDFO_EINVAL;
	if (s->n_by_executors && !s->by_executors)
		return gdfo__error(GDFO_EINVAL, "%stask_ms_by_executors is NULL but its count is %zu", where,
				   s->n_by_executors);
	for (i = 0; i < s->n_by_executors; i++) {
		const gdfo_profile_measurement *m = &s->by_executors[i];
		char field[64];
		if (m->executors < 1 || m->executors > GDFO_PROFILE_EXECUTORS_MAX)
			return gdfo__error(GDFO_EINVAL, "%stask_ms_by_executors: executor count %d is outside 1 to %d",
					   where, (int)m->executors, GDFO_PROFILE_EXECUTORS_MAX);
		if (m->reserved)
			return gdfo__error(GDFO_EINVAL, "%stask_ms_by_executors: reserved must be 0", where);
		snprintf(field, sizeof(field), "task_ms_by_executors.\"%d\"", (int)m->executors);
		if (m->n_task_ms == 0)
			return gdfo__error(GDFO_EINVAL, "%s%s is empty", where, field);
		if (check_durations(m->task_ms, m->n_task_ms, where, field))
			return GDFO_EINVAL;
		for (j = 0; j < i; j++)
			if (s->by_executors[j].executors == m->executors)
				return gdfo__error(GDFO_EINVAL, "%stask_ms_by_executors has executor count %d twice",
						   where, (int)m->executors);
	}
	if (s->n_task_ms == 0 && s->n_by_executors == 0)
		return gdfo__error(GDFO_EINVAL, "%shas neither task_ms nor task_ms_by_executors", where);
	if (s->has_bytes & ~ALL_BYTE_BITS)
		return gdfo__error(GDFO_EINVAL, "%shas_bytes 0x%x names unknown fields", where, s->has_bytes);
	for (i = 0; i < GDFO__ARRAY_LEN(byte_fields); i++) {
		int64_t v = stage_bytes(s, i);
		if ((s->has_bytes & byte_fields[i].bit) && (v < 0 || (double)v > MAX_EXACT_INT))
			return gdfo__error(GDFO_EINVAL, "%s%s is %lld; allowed 0 to 2^53-1", where, byte_fields[i].name,
					   (long long)v);
	}
	return 0;
}

static double *copy_doubles(const double *src, size_t n)
{
	double *d = gdfo__malloc(n * sizeof(*d));
	if (d)
		memcpy(d, src, n * sizeof(*d));
	return d;
}

static int cmp_meas(const void *a, const void *b)
{
	const gdfo__profile_meas *x = a, *y = b;
	return (x->executors > y->executors) - (x->executors < y->executors);
}

/* Deep copy of a checked stage into d (zeroed on entry); parent_idx is left for the caller. */
static int stage_copy_in(gdfo__profile_stage *d, const gdfo_profile_stage *s)
{
	size_t i;

	memset(d, 0, sizeof(*d));
	d->id = s->id;
	d->num_tasks = s->num_tasks;
	d->has_bytes = s->has_bytes;
	d->input_bytes = s->has_bytes & GDFO_PROFILE_INPUT_BYTES ? s->input_bytes : 0;
	d->shuffle_read_bytes = s->has_bytes & GDFO_PROFILE_SHUFFLE_READ_BYTES ? s->shuffle_read_bytes : 0;
	d->shuffle_write_bytes = s->has_bytes & GDFO_PROFILE_SHUFFLE_WRITE_BYTES ? s->shuffle_write_bytes : 0;
	d->spill_bytes = s->has_bytes & GDFO_PROFILE_SPILL_BYTES ? s->spill_bytes : 0;
	if (s->n_parents) {
		d->parents = gdfo__malloc(s->n_parents * sizeof(*d->parents));
		d->parent_idx = gdfo__malloc(s->n_parents * sizeof(*d->parent_idx));
		if (!d->parents || !d->parent_idx)
			goto oom;
		memcpy(d->parents, s->parents, s->n_parents * sizeof(*d->parents));
		d->n_parents = s->n_parents;
	}
	if (s->n_task_ms) {
		if (!(d->task_ms = copy_doubles(s->task_ms, s->n_task_ms)))
			goto oom;
		d->n_task_ms = s->n_task_ms;
	}
	if (s->n_by_executors) {
		d->by_exec = gdfo__calloc(s->n_by_executors, sizeof(*d->by_exec));
		d->by_exec_view = gdfo__calloc(s->n_by_executors, sizeof(*d->by_exec_view));
		if (!d->by_exec || !d->by_exec_view)
			goto oom;
		for (i = 0; i < s->n_by_executors; i++) {
			const gdfo_profile_measurement *m = &s->by_executors[i];
			d->by_exec[i].executors = m->executors;
			if (!(d->by_exec[i].task_ms = copy_doubles(m->task_ms, m->n_task_ms)))
				goto oom;
			d->by_exec[i].n_task_ms = m->n_task_ms;
			d->n_by_exec = i + 1;
		}
		qsort(d->by_exec, d->n_by_exec, sizeof(*d->by_exec), cmp_meas);
		for (i = 0; i < d->n_by_exec; i++) {
			d->by_exec_view[i].executors = d->by_exec[i].executors;
			d->by_exec_view[i].task_ms = d->by_exec[i].task_ms;
			d->by_exec_view[i].n_task_ms = d->by_exec[i].n_task_ms;
		}
	}
	return 0;
oom:
	stage_release(d);
	memset(d, 0, sizeof(*d));
	return GDFO_ENOMEM;
}

int gdfo_profile_add_stage(gdfo_profile *p, const gdfo_profile_stage *stage)
{
	gdfo_profile_stage full;
	const gdfo_profile_stage *s = &full;
	char where[48];
	gdfo__profile_stage *d;
	size_t i;
	int rc;

	if (!p || !stage)
		return gdfo__error(GDFO_EINVAL, "gdfo_profile_add_stage: %s is NULL", p ? "stage" : "profile");
	if ((rc = gdfo__abi_in(&full, stage, NULL, GDFO__ABI_PROFILE_STAGE, "gdfo_profile_add_stage")))
		return rc;
	snprintf(where, sizeof(where), "profile stage %lld: ", (long long)s->id);
	if ((rc = check_stage(s, where)))
		return rc;
	if (gdfo__profile_index(p, s->id) != (size_t)-1)
		return gdfo__error(GDFO_EEXISTS, "profile '%s' already has a stage %lld", p->name, (long long)s->id);
	for (i = 0; i < s->n_parents; i++)
		if (gdfo__profile_index(p, s->parents[i]) == (size_t)-1)
			return gdfo__error(GDFO_ENOTFOUND,
					   "profile stage %lld lists parent %lld, which is not in the profile (add parents first)",
					   (long long)s->id, (long long)s->parents[i]);
	if (reserve_one(p))
		return GDFO_ENOMEM;
	d = &p->stages[p->n];
	if (stage_copy_in(d, s))
		return GDFO_ENOMEM;
	for (i = 0; i < d->n_parents; i++)
		d->parent_idx[i] = gdfo__profile_index(p, d->parents[i]);
	(void)gdfo__idmap_put(&p->ids, d->id, p->n); /* reserved: cannot fail */
	p->n++;
	return 0;
}

/* ---- accessors ------------------------------------------------------------- */

const char *gdfo_profile_name(const gdfo_profile *p)
{
	return p ? p->name : NULL;
}

const char *gdfo_profile_time_unit(const gdfo_profile *p)
{
	return p ? "ms" : NULL;
}

int32_t gdfo_profile_executors(const gdfo_profile *p)
{
	return p ? p->executors : 0;
}

int32_t gdfo_profile_cores_per_executor(const gdfo_profile *p)
{
	return p ? p->cores_per_executor : 0;
}

size_t gdfo_profile_stage_count(const gdfo_profile *p)
{
	return p ? p->n : 0;
}

int gdfo_profile_stage_at(gdfo_profile_stage *caller, const gdfo_profile *p, size_t index)
{
	const gdfo__profile_stage *s;
	gdfo_profile_stage full, *out = &full;

	if (!p || !caller)
		return gdfo__error(GDFO_EINVAL, "gdfo_profile_stage_at: %s is NULL", p ? "out" : "profile");
	if (index >= p->n)
		return gdfo__error(GDFO_ERANGE, "profile stage index %zu is out of range (the profile has %zu stages)",
				   index, p->n);
	s = &p->stages[index];
	memset(out, 0, sizeof(*out));
	out->id = s->id;
	out->parents = s->parents;
	out->n_parents = s->n_parents;
	out->num_tasks = s->num_tasks;
	out->task_ms = s->task_ms;
	out->n_task_ms = s->n_task_ms;
	out->by_executors = s->by_exec_view;
	out->n_by_executors = s->n_by_exec;
	out->has_bytes = s->has_bytes;
	out->input_bytes = s->input_bytes;
	out->shuffle_read_bytes = s->shuffle_read_bytes;
	out->shuffle_write_bytes = s->shuffle_write_bytes;
	out->spill_bytes = s->spill_bytes;
	return gdfo__abi_out(caller, &full, GDFO__ABI_PROFILE_STAGE, "gdfo_profile_stage_at");
}

int gdfo_profile_find(size_t *out, const gdfo_profile *p, int64_t id)
{
	size_t i;
	if (!out || !p)
		return gdfo__error(GDFO_EINVAL, "gdfo_profile_find: %s is NULL", out ? "profile" : "out");
	i = gdfo__profile_index(p, id);
	if (i == (size_t)-1)
		return gdfo__error(GDFO_ENOTFOUND, "profile '%s' has no stage %lld", p->name, (long long)id);
	*out = i;
	return 0;
}

/* ---- JSON reading ------------------------------------------------------------ */

/* A number that must be an integer in [lo, hi]. */
static int json_int(int64_t *out, const cJSON *item, const char *path, double lo, double hi)
{
	double v;
	if (!cJSON_IsNumber(item))
		return gdfo__error(GDFO_EFORMAT, "profile: %s must be a number", path);
	v = item->valuedouble;
	if (!isfinite(v))
		return gdfo__error(GDFO_EFORMAT, "profile: %s is not a finite number", path);
	if (v != floor(v))
		return gdfo__error(GDFO_EFORMAT, "profile: %s is %g; it must be an integer", path, v);
	if (v < lo || v > hi)
		return gdfo__error(GDFO_EFORMAT, "profile: %s is %.17g; allowed %.17g to %.17g", path, v, lo, hi);
	*out = (int64_t)v;
	return 0;
}

/* An array of finite, non-negative durations; *out is NULL when the array is empty. */
static int json_durations(double **out, size_t *n, const cJSON *arr, const char *path)
{
	const cJSON *it;
	size_t count = 0, i = 0;
	double *v;

	*out = NULL;
	*n = 0;
	if (!cJSON_IsArray(arr))
		return gdfo__error(GDFO_EFORMAT, "profile: %s must be an array of numbers", path);
	cJSON_ArrayForEach(it, arr)
		count++;
	if (count == 0)
		return gdfo__error(GDFO_EFORMAT, "profile: %s is empty; give at least one task duration", path);
	v = gdfo__malloc(count * sizeof(*v));
	if (!v)
		return GDFO_ENOMEM;
	cJSON_ArrayForEach(it, arr) {
		if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) || it->valuedouble < 0) {
			free(v);
			if (!cJSON_IsNumber(it))
				return gdfo__error(GDFO_EFORMAT, "profile: %s[%zu] must be a number", path, i);
			return gdfo__error(GDFO_EFORMAT, "profile: %s[%zu] is %g; durations must be finite and >= 0",
					   path, i, it->valuedouble);
		}
		v[i++] = it->valuedouble;
	}
	*out = v;
	*n = count;
	return 0;
}

/* Temporary storage for one stage while it is read. */
typedef struct parsed_stage {
	gdfo_profile_stage s;
	int64_t *parents;
	double *task_ms;
	gdfo_profile_measurement *meas;
	size_t n_meas;
} parsed_stage;

static void parsed_release(parsed_stage *ps)
{
	size_t i;
	free(ps->parents);
	free(ps->task_ms);
	for (i = 0; i < ps->n_meas; i++)
		free((void *)ps->meas[i].task_ms);
	free(ps->meas);
}

static int parse_stage(parsed_stage *ps, const cJSON *js, size_t si)
{
	char path[128], sub[192];
	const cJSON *it;
	size_t i, count;
	int64_t v;
	int rc;

	memset(ps, 0, sizeof(*ps));
	gdfo_profile_stage_init(&ps->s, GDFO_PROFILE_STAGE_VERSION);
	snprintf(path, sizeof(path), "stages[%zu]", si);
	if (!cJSON_IsObject(js))
		return gdfo__error(GDFO_EFORMAT, "profile: %s must be an object", path);
	snprintf(sub, sizeof(sub), "profile: %s", path);
	if ((rc = gdfo__json_expect_object(js, sub)))
		return rc;

	it = cJSON_GetObjectItemCaseSensitive(js, "id");
	snprintf(sub, sizeof(sub), "%s.id", path);
	if (!it)
		return gdfo__error(GDFO_EFORMAT, "profile: %s is missing", sub);
	if ((rc = json_int(&ps->s.id, it, sub, 0, MAX_EXACT_INT)))
		return rc;

	it = cJSON_GetObjectItemCaseSensitive(js, "parents");
	if (it) {
		const cJSON *p;
		snprintf(sub, sizeof(sub), "%s.parents", path);
		if (!cJSON_IsArray(it))
			return gdfo__error(GDFO_EFORMAT, "profile: %s must be an array of stage ids", sub);
		count = 0;
		cJSON_ArrayForEach(p, it)
			count++;
		if (count) {
			ps->parents = gdfo__malloc(count * sizeof(*ps->parents));
			if (!ps->parents)
				return GDFO_ENOMEM;
		}
		i = 0;
		cJSON_ArrayForEach(p, it) {
			size_t j;
			snprintf(sub, sizeof(sub), "%s.parents[%zu]", path, i);
			if ((rc = json_int(&v, p, sub, 0, MAX_EXACT_INT)))
				return rc;
			if (v == ps->s.id)
				return gdfo__error(GDFO_ECYCLE, "profile: %s names the stage itself (%lld)", sub,
						   (long long)v);
			for (j = 0; j < i; j++)
				if (ps->parents[j] == v)
					return gdfo__error(GDFO_EFORMAT, "profile: %s repeats parent %lld", sub,
							   (long long)v);
			ps->parents[i++] = v;
		}
		ps->s.parents = ps->parents;
		ps->s.n_parents = count;
	}

	it = cJSON_GetObjectItemCaseSensitive(js, "task_ms");
	if (it && !cJSON_IsNull(it)) {
		snprintf(sub, sizeof(sub), "%s.task_ms", path);
		if ((rc = json_durations(&ps->task_ms, &ps->s.n_task_ms, it, sub)))
			return rc;
		ps->s.task_ms = ps->task_ms;
	}

	it = cJSON_GetObjectItemCaseSensitive(js, "task_ms_by_executors");
	if (it && !cJSON_IsNull(it)) {
		const cJSON *m;
		snprintf(sub, sizeof(sub), "%s.task_ms_by_executors", path);
		if (!cJSON_IsObject(it))
			return gdfo__error(GDFO_EFORMAT,
					   "profile: %s must be an object mapping executor counts to task_ms lists", sub);
		count = 0;
		cJSON_ArrayForEach(m, it)
			count++;
		if (count) {
			ps->meas = gdfo__calloc(count, sizeof(*ps->meas));
			if (!ps->meas)
				return GDFO_ENOMEM;
		}
		cJSON_ArrayForEach(m, it) {
			const char *key = m->string ? m->string : "";
			char *end;
			long e;
			size_t j;
			double *d;
			size_t nd;

			snprintf(sub, sizeof(sub), "%s.task_ms_by_executors.\"%.20s\"", path, key);
			e = strtol(key, &end, 10);
			if (!key[0] || *end || key[0] == '+' || key[0] == '-' || key[0] == ' ' ||
			    (key[0] == '0') || e < 1 || e > GDFO_PROFILE_EXECUTORS_MAX)
				return gdfo__error(GDFO_EFORMAT,
						   "profile: %s: the key must be an executor count from 1 to %d", sub,
						   GDFO_PROFILE_EXECUTORS_MAX);
			for (j = 0; j < ps->n_meas; j++)
				if (ps->meas[j].executors == (int32_t)e)
					return gdfo__error(GDFO_EFORMAT, "profile: %s repeats executor count %ld", sub, e);
			if ((rc = json_durations(&d, &nd, m, sub)))
				return rc;
			ps->meas[ps->n_meas].executors = (int32_t)e;
			ps->meas[ps->n_meas].task_ms = d;
			ps->meas[ps->n_meas].n_task_ms = nd;
			ps->n_meas++;
		}
		ps->s.by_executors = ps->meas;
		ps->s.n_by_executors = ps->n_meas;
	}
	if (ps->s.n_task_ms == 0 && ps->s.n_by_executors == 0)
		return gdfo__error(GDFO_EFORMAT, "profile: %s has neither task_ms nor task_ms_by_executors", path);

	it = cJSON_GetObjectItemCaseSensitive(js, "num_tasks");
	snprintf(sub, sizeof(sub), "%s.num_tasks", path);
	if (it) {
		if ((rc = json_int(&ps->s.num_tasks, it, sub, 0, (double)GDFO_PROFILE_TASKS_MAX)))
			return rc;
	} else {
		/* Absent: as many tasks as the largest measurement lists. */
		size_t most = ps->s.n_task_ms;
		for (i = 0; i < ps->n_meas; i++)
			if (ps->meas[i].n_task_ms > most)
				most = ps->meas[i].n_task_ms;
		if ((double)most > (double)GDFO_PROFILE_TASKS_MAX)
			return gdfo__error(GDFO_EFORMAT, "profile: %s has more than %lld tasks", path,
					   GDFO_PROFILE_TASKS_MAX);
		ps->s.num_tasks = (int64_t)most;
	}

	for (i = 0; i < GDFO__ARRAY_LEN(byte_fields); i++) {
		it = cJSON_GetObjectItemCaseSensitive(js, byte_fields[i].name);
		if (!it || cJSON_IsNull(it))
			continue;
		snprintf(sub, sizeof(sub), "%s.%s", path, byte_fields[i].name);
		if ((rc = json_int(&v, it, sub, 0, MAX_EXACT_INT)))
			return rc;
		*(int64_t *)((char *)&ps->s + byte_fields[i].offset) = v;
		ps->s.has_bytes |= byte_fields[i].bit;
	}
	return 0;
}

static size_t stage_n_parents(const void *p, size_t v)
{
	return ((const gdfo_profile *)p)->stages[v].n_parents;
}

static size_t stage_parent(const void *p, size_t v, size_t k)
{
	return ((const gdfo_profile *)p)->stages[v].parent_idx[k];
}

/* GDFO_ECYCLE unless the parents form a DAG; the message names a stage on a cycle. */
static int check_acyclic(const gdfo_profile *p)
{
	gdfo__topo_csr csr;
	gdfo__topo t = {p->n, &csr, gdfo__topo_csr_n_children, gdfo__topo_csr_child, GDFO__TOPO_FIFO, 0};
	size_t *order, *pending, s, k, steps;
	int rc = 0;

	if (p->n == 0)
		return 0;
	if (gdfo__topo_csr_from_parents(&csr, p->n, stage_n_parents, stage_parent, p))
		return GDFO_ENOMEM;
	order = gdfo__malloc(2 * p->n * sizeof(*order));
	if (!order) {
		gdfo__topo_csr_free(&csr);
		return GDFO_ENOMEM;
	}
	pending = order + p->n;
	if (gdfo__topo_order(order, pending, &t) < p->n) {
		/* Walk parents among unfinished stages until one repeats: it is on a cycle. */
		for (s = 0; !pending[s]; s++)
			;
		for (steps = 0; steps < p->n; steps++) {
			for (k = 0; k < p->stages[s].n_parents; k++)
				if (pending[p->stages[s].parent_idx[k]]) {
					s = p->stages[s].parent_idx[k];
					break;
				}
		}
		rc = gdfo__error(GDFO_ECYCLE, "profile: stages[%zu] (id %lld) is on a cycle of parents", s,
				 (long long)p->stages[s].id);
	}
	free(order);
	gdfo__topo_csr_free(&csr);
	return rc;
}

static int parse_doc(gdfo_profile **out, const cJSON *doc)
{
	const cJSON *it, *stages, *js;
	const char *name = "job";
	int64_t executors, cores;
	gdfo_profile *p = NULL;
	size_t si = 0, i, k;
	int rc;

	if (!cJSON_IsObject(doc))
		return gdfo__error(GDFO_EFORMAT, "profile: the document must be a JSON object");
	if ((rc = gdfo__json_expect_object(doc, "profile")))
		return rc;
	it = cJSON_GetObjectItemCaseSensitive(doc, "format");
	if (!it)
		return gdfo__error(GDFO_EFORMAT, "profile: format is missing (expected \"%s\")", GDFO_PROFILE_FORMAT);
	if (!cJSON_IsString(it))
		return gdfo__error(GDFO_EFORMAT, "profile: format must be a string");
	if (strcmp(it->valuestring, GDFO_PROFILE_FORMAT)) {
		if (!strncmp(it->valuestring, "gdfo-job-profile/", 17))
			return gdfo__error(GDFO_EVERSION, "profile: format \"%.40s\" is not supported (this library reads %s)",
					   it->valuestring, GDFO_PROFILE_FORMAT);
		return gdfo__error(GDFO_EFORMAT, "profile: format is \"%.40s\", expected \"%s\"", it->valuestring,
				   GDFO_PROFILE_FORMAT);
	}
	it = cJSON_GetObjectItemCaseSensitive(doc, "name");
	if (it) {
		if (!cJSON_IsString(it))
			return gdfo__error(GDFO_EFORMAT, "profile: name must be a string");
		name = it->valuestring;
	}
	it = cJSON_GetObjectItemCaseSensitive(doc, "time_unit");
	if (it) {
		if (!cJSON_IsString(it))
			return gdfo__error(GDFO_EFORMAT, "profile: time_unit must be a string");
		if (strcmp(it->valuestring, "ms"))
			return gdfo__error(GDFO_EFORMAT, "profile: time_unit \"%.20s\" is not supported; use \"ms\"",
					   it->valuestring);
	}
	it = cJSON_GetObjectItemCaseSensitive(doc, "executors");
	if (!it)
		return gdfo__error(GDFO_EFORMAT, "profile: executors is missing");
	if ((rc = json_int(&executors, it, "executors", 1, GDFO_PROFILE_EXECUTORS_MAX)))
		return rc;
	it = cJSON_GetObjectItemCaseSensitive(doc, "cores_per_executor");
	if (!it)
		return gdfo__error(GDFO_EFORMAT, "profile: cores_per_executor is missing");
	if ((rc = json_int(&cores, it, "cores_per_executor", 1, GDFO_PROFILE_CORES_MAX)))
		return rc;
	if (check_header(name, (int32_t)executors, (int32_t)cores, "profile: "))
		return GDFO_EFORMAT;
	stages = cJSON_GetObjectItemCaseSensitive(doc, "stages");
	if (!stages)
		return gdfo__error(GDFO_EFORMAT, "profile: stages is missing");
	if (!cJSON_IsArray(stages))
		return gdfo__error(GDFO_EFORMAT, "profile: stages must be an array");

	if ((rc = gdfo_profile_create(&p, name, (int32_t)executors, (int32_t)cores)))
		return rc;
	cJSON_ArrayForEach(js, stages) {
		parsed_stage ps;
		char where[64];
		snprintf(where, sizeof(where), "profile: stages[%zu].", si);
		rc = parse_stage(&ps, js, si);
		if (!rc && (rc = check_stage(&ps.s, where)))
			rc = GDFO_EFORMAT;
		if (!rc && gdfo__profile_index(p, ps.s.id) != (size_t)-1)
			rc = gdfo__error(GDFO_EFORMAT, "profile: stages[%zu].id %lld is already used by stages[%zu]", si,
					 (long long)ps.s.id, gdfo__profile_index(p, ps.s.id));
		if (!rc && !(rc = reserve_one(p))) {
			if (!(rc = stage_copy_in(&p->stages[p->n], &ps.s))) {
				(void)gdfo__idmap_put(&p->ids, p->stages[p->n].id, p->n); /* reserved */
				p->n++;
			}
		}
		parsed_release(&ps);
		if (rc)
			goto fail;
		si++;
	}
	for (i = 0; i < p->n; i++) {
		gdfo__profile_stage *s = &p->stages[i];
		for (k = 0; k < s->n_parents; k++) {
			size_t idx = gdfo__profile_index(p, s->parents[k]);
			if (idx == (size_t)-1) {
				rc = gdfo__error(GDFO_EFORMAT, "profile: stages[%zu].parents[%zu]: stage %lld is not in the profile",
						 i, k, (long long)s->parents[k]);
				goto fail;
			}
			s->parent_idx[k] = idx;
		}
	}
	if ((rc = check_acyclic(p)))
		goto fail;
	*out = p;
	return 0;
fail:
	gdfo_profile_free(p);
	return rc;
}

int gdfo_profile_from_json(gdfo_profile **out, const char *json, size_t len)
{
	cJSON *doc;
	int rc;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_profile_from_json: out is NULL");
	*out = NULL;
	if (!json)
		return gdfo__error(GDFO_EINVAL, "gdfo_profile_from_json: json is NULL");
	if ((rc = gdfo__json_parse(&doc, json, len, "profile")))
		return rc;
	rc = parse_doc(out, doc);
	cJSON_Delete(doc);
	return rc;
}

/* ---- JSON writing ------------------------------------------------------------- */

static void put_durations(gdfo__jsonw *w, const double *v, size_t n)
{
	size_t i;

	gdfo__jsonw_raw(w, "[");
	for (i = 0; i < n; i++) {
		if (i)
			gdfo__jsonw_raw(w, ", ");
		gdfo__jsonw_number(w, v[i], 0, "a task duration");
	}
	gdfo__jsonw_raw(w, "]");
}

int gdfo_profile_to_json(char **out, const gdfo_profile *p)
{
	gdfo__jsonw w = {0};
	size_t i, k;
	int rc;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_profile_to_json: out is NULL");
	*out = NULL;
	if (!p)
		return gdfo__error(GDFO_EINVAL, "gdfo_profile_to_json: profile is NULL");
	gdfo__jsonw_raw(&w, "{\n  \"format\": \"%s\",\n  \"name\": ", GDFO_PROFILE_FORMAT);
	gdfo__jsonw_string(&w, p->name);
	gdfo__jsonw_raw(&w, ",\n  \"time_unit\": \"ms\",\n  \"executors\": %d, \"cores_per_executor\": %d,\n  \"stages\": [",
			(int)p->executors, (int)p->cores_per_executor);
	for (i = 0; i < p->n; i++) {
		const gdfo__profile_stage *s = &p->stages[i];
		gdfo__jsonw_raw(&w, "%s\n    {\"id\": %lld, \"parents\": [", i ? "," : "", (long long)s->id);
		for (k = 0; k < s->n_parents; k++)
			gdfo__jsonw_raw(&w, "%s%lld", k ? ", " : "", (long long)s->parents[k]);
		gdfo__jsonw_raw(&w, "], \"num_tasks\": %lld", (long long)s->num_tasks);
		if (s->n_task_ms) {
			gdfo__jsonw_raw(&w, ",\n     \"task_ms\": ");
			put_durations(&w, s->task_ms, s->n_task_ms);
		}
		if (s->n_by_exec) {
			gdfo__jsonw_raw(&w, ",\n     \"task_ms_by_executors\": {");
			for (k = 0; k < s->n_by_exec; k++) {
				gdfo__jsonw_raw(&w, "%s\"%d\": ", k ? ", " : "", (int)s->by_exec[k].executors);
				put_durations(&w, s->by_exec[k].task_ms, s->by_exec[k].n_task_ms);
			}
			gdfo__jsonw_raw(&w, "}");
		}
		if (s->has_bytes) {
			const int64_t vals[4] = {s->input_bytes, s->shuffle_read_bytes, s->shuffle_write_bytes,
						 s->spill_bytes};
			const char *sep = ",\n     ";
			for (k = 0; k < GDFO__ARRAY_LEN(byte_fields); k++) {
				if (!(s->has_bytes & byte_fields[k].bit))
					continue;
				gdfo__jsonw_raw(&w, "%s\"%s\": %lld", sep, byte_fields[k].name, (long long)vals[k]);
				sep = ", ";
			}
		}
		gdfo__jsonw_raw(&w, "}");
	}
	gdfo__jsonw_raw(&w, p->n ? "\n  ]\n}\n" : "]\n}\n");
	if ((rc = gdfo__jsonw_finish(&w, out)))
		return gdfo__error_prefix(rc, "writing job profile '%s'", p->name);
	return 0;
}

int gdfo_profile_load(gdfo_profile **out, const char *path)
{
	char *data;
	size_t len;
	int rc;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_profile_load: out is NULL");
	*out = NULL;
	if (!path)
		return gdfo__error(GDFO_EINVAL, "gdfo_profile_load: path is NULL");
	if ((rc = gdfo__file_read_text(&data, &len, path, GDFO__JSON_MAX_BYTES)))
		return rc;
	rc = gdfo_profile_from_json(out, data, len);
	free(data);
	if (rc)
		return gdfo__error_prefix(rc, "%s", path);
	return 0;
}

int gdfo_profile_save(const gdfo_profile *p, const char *path)
{
	char *json;
	int rc;

	if (!p || !path)
		return gdfo__error(GDFO_EINVAL, "gdfo_profile_save: %s is NULL", p ? "path" : "profile");
	if ((rc = gdfo_profile_to_json(&json, p)))
		return rc;
	return gdfo__file_write_text(path, json);
}
