/*
 * Telemetry JSON ("format": "gdfo-telemetry/1"), documented in docs/formats.md.
 * Measurements that were not taken are omitted (GDFO_UNKNOWN in C).
 */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/telemetry_internal.h"
#include "io/json_io.h"
#include "io/json_util.h"

#define WHAT "telemetry JSON"

static int read_fields(void *rec, const gdfo__field *f, const cJSON *obj, const char *path)
{
	for (; f->name; f++)
		if (gdfo__json_number((double *)((char *)rec + f->offset), obj, f->name, path, 0,
				      GDFO_UNKNOWN, 0, DBL_MAX))
			return GDFO_EFORMAT;
	return 0;
}

static int only_fields(const cJSON *obj, const gdfo__field *fields, const char *extra1,
		       const char *extra2, const char *path)
{
	const char *allowed[24];
	size_t n = 0;
	const gdfo__field *f;

	for (f = fields; f->name && n < 20; f++)
		allowed[n++] = f->name;
	allowed[n++] = extra1;
	allowed[n++] = extra2;
	allowed[n] = NULL;
	return gdfo__json_only_keys(obj, allowed, path);
}

static int read_fingerprint(gdfo_telemetry *t, const cJSON *root, const char *path)
{
	uint64_t v;
	int present, rc;

	if ((rc = gdfo__json_fingerprint(&v, &present, root, "pipeline_fingerprint", path)) || !present)
		return rc;
	return gdfo_telemetry_set_fingerprint(t, v);
}

int gdfo__json_read_telemetry(gdfo_telemetry **out, const cJSON *root, const char *path)
{
	const cJSON *run, *stages, *js;
	gdfo_telemetry *t;
	char p[GDFO__PATH_MAX], sp[GDFO__PATH_MAX];
	size_t i = 0;
	int rc;

	*out = NULL;
	if ((rc = gdfo_telemetry_create(&t)))
		return rc;
	run = cJSON_GetObjectItemCaseSensitive(root, "run");
	if (run && !cJSON_IsNull(run)) {
		gdfo_run_telemetry r;
		gdfo_run_telemetry_init(&r, GDFO_RUN_TELEMETRY_VERSION);
		gdfo__json_path_key(p, path, "run");
		if ((rc = gdfo__json_expect_object(run, p)) ||
		    (rc = only_fields(run, gdfo__run_telemetry_fields, "success", NULL, p)) ||
		    (rc = gdfo__json_bool(&r.success, run, "success", p, 0, 1)) ||
		    (rc = read_fields(&r, gdfo__run_telemetry_fields, run, p)) ||
		    (rc = gdfo_telemetry_set_run(t, &r)))
			goto fail;
	}
	if ((rc = read_fingerprint(t, root, path)))
		goto fail;
	if ((rc = gdfo__json_array(&stages, root, "stages", path, 1)))
		goto fail;
	gdfo__json_path_key(p, path, "stages");
	if (stages) {
		cJSON_ArrayForEach(js, stages) {
			gdfo_stage_telemetry s;
			const char *name = "";
			gdfo_stage_telemetry_init(&s, GDFO_STAGE_TELEMETRY_VERSION);
			gdfo__json_path_index(sp, p, i++);
			if ((rc = gdfo__json_expect_object(js, sp)) ||
			    (rc = only_fields(js, gdfo__stage_telemetry_fields, "stage_id", "name", sp)) ||
			    (rc = gdfo__json_int(&s.stage_id, js, "stage_id", sp, 1, 0, 0,
						 (int64_t)GDFO__JSON_MAX_INT)) ||
			    (rc = gdfo__json_string(&name, js, "name", sp, 0, "")) ||
			    (rc = read_fields(&s, gdfo__stage_telemetry_fields, js, sp)))
				goto fail;
			if (strlen(name) > GDFO_TELEMETRY_NAME_MAX) {
				rc = gdfo__error(GDFO_EFORMAT, "%s.name is %zu bytes long; the limit is %d", sp,
						 strlen(name), GDFO_TELEMETRY_NAME_MAX);
				goto fail;
			}
			memcpy(s.name, name, strlen(name) + 1);
			if (gdfo_telemetry_find(&(gdfo_stage_telemetry){.version = GDFO_STAGE_TELEMETRY_VERSION}, t, s.stage_id) == 0) {
				rc = gdfo__error(GDFO_EFORMAT, "%s: stage %lld has a second record", sp,
						 (long long)s.stage_id);
				goto fail;
			}
			if ((rc = gdfo_telemetry_set_stage(t, &s)))
				goto fail;
		}
	}
	*out = t;
	return 0;
fail:
	gdfo_telemetry_free(t);
	return rc;
}

int gdfo_telemetry_from_json(gdfo_telemetry **out, const char *json, size_t len)
{
	cJSON *root;
	int rc;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_telemetry_from_json: out is NULL");
	*out = NULL;
	if ((rc = gdfo__json_parse(&root, json, len, WHAT)))
		return rc;
	rc = gdfo__json_check_format(root, "gdfo-telemetry", WHAT);
	if (!rc)
		rc = gdfo__json_read_telemetry(out, root, "");
	cJSON_Delete(root);
	return rc;
}

int gdfo_telemetry_load(gdfo_telemetry **out, const char *path)
{
	char *text;
	size_t len;
	int rc;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_telemetry_load: out is NULL");
	*out = NULL;
	if ((rc = gdfo__file_read_text(&text, &len, path, GDFO__JSON_MAX_BYTES)))
		return rc;
	rc = gdfo_telemetry_from_json(out, text, len);
	free(text);
	if (rc)
		gdfo__error_prefix(rc, "%s", path);
	return rc;
}

static int write_fields(cJSON *obj, const void *rec, const gdfo__field *f)
{
	int rc;
	for (; f->name; f++) {
		double v = *(const double *)((const char *)rec + f->offset);
		if (v != GDFO_UNKNOWN && (rc = gdfo__json_add_number(obj, f->name, v)))
			return rc;
	}
	return 0;
}

int gdfo__json_telemetry_to_cjson(cJSON **out, const gdfo_telemetry *t)
{
	cJSON *root = cJSON_CreateObject(), *run, *arr;
	size_t i;
	int rc = GDFO_ENOMEM;

	*out = NULL;
	if (!root || !cJSON_AddStringToObject(root, "format", "gdfo-telemetry/1") ||
	    !(run = cJSON_AddObjectToObject(root, "run")) ||
	    !cJSON_AddBoolToObject(run, "success", t->run.success) ||
	    !(arr = cJSON_AddArrayToObject(root, "stages")))
		goto fail_oom;
	if ((rc = write_fields(run, &t->run, gdfo__run_telemetry_fields)))
		goto fail;
	if (t->has_fingerprint) {
		char hex[17];
		snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)t->fingerprint);
		if (!cJSON_AddStringToObject(root, "pipeline_fingerprint", hex))
			goto fail_oom;
	}
	for (i = 0; i < t->n; i++) {
		cJSON *o = cJSON_CreateObject();
		if (!o || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			goto fail_oom;
		}
		if ((rc = gdfo__json_add_number(o, "stage_id", (double)t->stages[i].stage_id)))
			goto fail;
		if (t->stages[i].name[0] && !cJSON_AddStringToObject(o, "name", t->stages[i].name))
			goto fail_oom;
		if ((rc = write_fields(o, &t->stages[i], gdfo__stage_telemetry_fields)))
			goto fail;
	}
	*out = root;
	return 0;
fail_oom:
	rc = gdfo__json_oom();
fail:
	cJSON_Delete(root);
	return rc;
}

int gdfo_telemetry_to_json(char **out, const gdfo_telemetry *t)
{
	cJSON *root;
	int rc;

	if (!out || !t)
		return gdfo__error(GDFO_EINVAL, "gdfo_telemetry_to_json: %s is NULL", t ? "out" : "telemetry");
	*out = NULL;
	if ((rc = gdfo__json_telemetry_to_cjson(&root, t)))
		return rc;
	rc = gdfo__json_print(out, root);
	cJSON_Delete(root);
	return rc;
}

int gdfo_telemetry_save(const gdfo_telemetry *t, const char *path)
{
	char *text;
	int rc;

	if ((rc = gdfo_telemetry_to_json(&text, t)))
		return rc;
	return gdfo__file_write_text(path, text);
}
