/*
 * Pipeline JSON ("format": "gdfo-pipeline/1"), documented in docs/formats.md.
 */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "graph/fields.h"
#include "graph/graph_internal.h"
#include "io/json_io.h"
#include "io/json_util.h"

#define WHAT "pipeline JSON"

/* Reads an array of non-empty strings; *out is a malloc'd array of borrowed pointers. */
static int read_strings(const char ***out, size_t *n, const cJSON *obj, const char *key,
			const char *path)
{
	const cJSON *arr, *it;
	char p[GDFO__PATH_MAX], ip[GDFO__PATH_MAX];
	size_t i = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = gdfo__json_array(&arr, obj, key, path, 0)) || !arr)
		return rc;
	gdfo__json_path_key(p, path, key);
	*n = (size_t)cJSON_GetArraySize(arr);
	if (!*n)
		return 0;
	*out = gdfo__calloc(*n, sizeof(**out));
	if (!*out)
		return GDFO_ENOMEM;
	cJSON_ArrayForEach(it, arr) {
		gdfo__json_path_index(ip, p, i);
		if (!cJSON_IsString(it) || !it->valuestring[0] || gdfo__json_check_utf8(it, ip)) {
			free(*out);
			*out = NULL;
			return gdfo__error(GDFO_EFORMAT, "%s: expected a non-empty UTF-8 column name", ip);
		}
		(*out)[i++] = it->valuestring;
	}
	return 0;
}

static int add_string(cJSON *obj, const char *key, const char *v);

/*
 * Reads the members of the object at key of parent (path) named in field
 * set into s, a full struct of the set holding its defaults. A missing or
 * null object leaves s as it is; unknown members are refused.
 */
static int read_fields(void *s, int set, const cJSON *parent, const char *key, const char *path)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(parent, key);
	const gdfo__field_desc *fields;
	const char *keys[32];
	char p[GDFO__PATH_MAX], fp[GDFO__PATH_MAX];
	size_t n, i;
	int rc;

	if (!o || cJSON_IsNull(o))
		return 0;
	gdfo__json_path_key(p, path, key);
	fields = gdfo__fields(set, &n);
	for (i = 0; i < n && i + 1 < GDFO__ARRAY_LEN(keys); i++)
		keys[i] = fields[i].name;
	keys[i] = NULL;
	if ((rc = gdfo__json_expect_object(o, p)))
		return rc; /* GDFO_ENOMEM on a wide object */
	if (gdfo__json_only_keys(o, keys, p))
		return GDFO_EFORMAT;
	for (i = 0; i < n; i++) {
		const gdfo__field_desc *f = &fields[i];
		double lo = f->zero_ok && f->min > 0 ? 0 : f->min, v;
		int64_t iv;
		int32_t ev;

		if (f->type == GDFO_FIELD_ENUM) {
			if (gdfo__json_enum(&ev, o, f->name, p, 0, (int32_t)f->def, f->value_name, (int)f->max + 1))
				return GDFO_EFORMAT;
			v = ev;
		} else if (f->type == GDFO_FIELD_DOUBLE) {
			if (gdfo__json_number(&v, o, f->name, p, 0, f->def, lo, f->max))
				return GDFO_EFORMAT;
		} else {
			if (gdfo__json_int(&iv, o, f->name, p, 0, (int64_t)f->def, (int64_t)lo, (int64_t)f->max))
				return GDFO_EFORMAT;
			v = (double)iv;
		}
		if (v != 0 && v < f->min) {
			char range[96];
			gdfo__json_path_key(fp, p, f->name);
			gdfo__field_range_text(range, sizeof(range), f);
			return gdfo__error(GDFO_EFORMAT, "%s: %.17g is out of range (allowed %s)", fp, v, range);
		}
		gdfo__field_set(s, f, v);
	}
	return 0;
}

/* Adds an object at key holding the fields of set that apply to a stage of op (-1: all). */
static int write_fields(cJSON *parent, const char *key, int set, const void *s, int op)
{
	cJSON *o = cJSON_AddObjectToObject(parent, key);
	const gdfo__field_desc *fields;
	size_t n, i;
	int rc;

	if (!o)
		return gdfo__json_oom();
	fields = gdfo__fields(set, &n);
	for (i = 0; i < n; i++) {
		const gdfo__field_desc *f = &fields[i];
		double v = gdfo__field_get(s, f);
		if ((f->only_op >= 0 && op >= 0 && op != f->only_op) || (f->omit_default && v == f->def))
			continue;
		if (f->type == GDFO_FIELD_ENUM)
			rc = add_string(o, f->name, f->value_name((int)v));
		else
			rc = gdfo__json_add_number(o, f->name, v);
		if (rc)
			return rc;
	}
	return 0;
}

int gdfo__json_read_graph_knobs(gdfo_graph_knobs *k, const cJSON *root, const char *path)
{
	gdfo__fields_defaults(GDFO_FIELDS_GRAPH_KNOBS, k);
	return read_fields(k, GDFO_FIELDS_GRAPH_KNOBS, root, "knobs", path);
}

int gdfo__json_read_cluster(gdfo_cluster *c, const cJSON *root, const char *path)
{
	gdfo__fields_defaults(GDFO_FIELDS_CLUSTER, c);
	return read_fields(c, GDFO_FIELDS_CLUSTER, root, "cluster", path);
}

/* Reads one stage into in (its stage points at its stats and knobs). */
static int read_stage(gdfo__stage_in *in, const char ***rd, const char ***wr, const cJSON *js,
		      const char *path)
{
	gdfo_stage *s = &in->stage;
	const cJSON *o, *f;
	char p[GDFO__PATH_MAX];
	int rc;

	*rd = *wr = NULL;
	gdfo_stage_init(s, GDFO_STAGE_VERSION);
	gdfo__fields_defaults(GDFO_FIELDS_STAGE_STATS, &in->stats);
	gdfo__fields_defaults(GDFO_FIELDS_STAGE_KNOBS, &in->knobs);
	s->stats = &in->stats;
	s->knobs = &in->knobs;
	if ((rc = gdfo__json_expect_object(js, path)))
		return rc;
	if (gdfo__json_int(&s->id, js, "id", path, 1, 0, 0, (int64_t)GDFO__JSON_MAX_INT) ||
	    gdfo__json_string(&s->name, js, "name", path, 1, NULL) ||
	    gdfo__json_enum(&s->op, js, "op", path, 1, 0, gdfo_op_name, GDFO_OP_COUNT) ||
	    gdfo__json_enum(&s->join_type, js, "join_type", path, 0, GDFO_JOIN_INNER,
			    gdfo_join_type_name, GDFO_JOIN_TYPE_COUNT))
		return GDFO_EFORMAT;
	if ((rc = gdfo__json_array(&o, js, "fused_ops", path, 0)))
		return rc;
	if (o) {
		size_t i = 0;
		gdfo__json_path_key(p, path, "fused_ops");
		cJSON_ArrayForEach(f, o) {
			char ip[GDFO__PATH_MAX];
			int k;
			gdfo__json_path_index(ip, p, i++);
			for (k = 0; k < GDFO_OP_COUNT; k++)
				if (cJSON_IsString(f) && !strcmp(f->valuestring, gdfo_op_name(k)))
					break;
			if (k == GDFO_OP_COUNT)
				return gdfo__error(GDFO_EFORMAT, "%s: expected an operator name", ip);
			s->fused_ops |= 1u << k;
		}
	}
	if ((rc = read_fields(&in->stats, GDFO_FIELDS_STAGE_STATS, js, "stats", path)) ||
	    (rc = read_fields(&in->knobs, GDFO_FIELDS_STAGE_KNOBS, js, "knobs", path)))
		return rc;
	if ((rc = read_strings(rd, &s->n_columns_read, js, "columns_read", path)))
		return rc;
	if ((rc = read_strings(wr, &s->n_columns_written, js, "columns_written", path))) {
		free(*rd);
		*rd = NULL;
		return rc;
	}
	s->columns_read = *rd;
	s->columns_written = *wr;
	return 0;
}

int gdfo__json_read_graph(gdfo_graph **out, const cJSON *root, const char *path)
{
	const cJSON *stages, *js;
	const char *name;
	char p[GDFO__PATH_MAX], sp[GDFO__PATH_MAX];
	gdfo_graph_knobs knobs;
	gdfo_cluster cluster;
	gdfo_graph *g = NULL;
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = gdfo__json_expect_object(root, path && *path ? path : "$")))
		return rc;
	if ((rc = gdfo__json_string(&name, root, "name", path, 0, "pipeline")))
		return rc;
	if (!name[0] || strlen(name) > GDFO__NAME_MAX) {
		gdfo__json_path_key(p, path, "name");
		return gdfo__error(GDFO_EFORMAT, "%s: must be 1 to %d bytes long", p, GDFO__NAME_MAX);
	}
	if ((rc = gdfo__json_read_graph_knobs(&knobs, root, path)) ||
	    (rc = gdfo__json_read_cluster(&cluster, root, path)) ||
	    (rc = gdfo__json_array(&stages, root, "stages", path, 1)))
		return rc;
	if ((rc = gdfo_graph_create(&g, name)))
		return rc;
	if ((rc = gdfo_graph_set_knobs(g, &knobs)) || (rc = gdfo_graph_set_cluster(g, &cluster)))
		goto fail_prefixed;
	gdfo__json_path_key(p, path, "stages");
	i = 0;
	cJSON_ArrayForEach(js, stages) {
		gdfo__stage_in s;
		const char **rd, **wr;
		gdfo__json_path_index(sp, p, i++);
		if ((rc = read_stage(&s, &rd, &wr, js, sp)))
			goto fail;
		rc = gdfo_graph_add_stage(g, &s.stage);
		free(rd);
		free(wr);
		if (rc) {
			gdfo__error_prefix(rc, "%s", sp);
			goto fail;
		}
	}
	/* Edges after every stage exists, so parents may be listed in any order. */
	i = 0;
	cJSON_ArrayForEach(js, stages) {
		const cJSON *parents, *pj;
		size_t child = i, k = 0;
		char pp[GDFO__PATH_MAX], ip[GDFO__PATH_MAX];
		gdfo__json_path_index(sp, p, i++);
		if ((rc = gdfo__json_array(&parents, js, "parents", sp, 0)))
			goto fail;
		if (!parents)
			continue;
		gdfo__json_path_key(pp, sp, "parents");
		cJSON_ArrayForEach(pj, parents) {
			double d;
			size_t par;
			gdfo__json_path_index(ip, pp, k++);
			d = pj->valuedouble;
			/* range first: casting inf or 1e300 to int64_t is undefined */
			if (!cJSON_IsNumber(pj) || !(d >= 0 && d <= GDFO__JSON_MAX_INT) || d != (double)(int64_t)d) {
				rc = gdfo__error(GDFO_EFORMAT, "%s: expected a stage id (a non-negative integer)", ip);
				goto fail;
			}
			par = gdfo__graph_index(g, (int64_t)d);
			if (par == (size_t)-1) {
				rc = gdfo__error(GDFO_EFORMAT, "%s: stage %lld '%s' lists parent %lld, which does not exist",
						 ip, (long long)g->stages[child].id, g->stages[child].name,
						 (long long)d);
				goto fail;
			}
			if (par == child) {
				rc = gdfo__error(GDFO_ECYCLE, "%s: stage %lld '%s' lists itself as a parent", ip,
						 (long long)g->stages[child].id, g->stages[child].name);
				goto fail;
			}
			if ((rc = gdfo__graph_link(g, par, child))) {
				gdfo__error_prefix(rc == GDFO_EEXISTS ? GDFO_EFORMAT : rc, "%s", ip);
				rc = rc == GDFO_EEXISTS ? GDFO_EFORMAT : rc;
				goto fail;
			}
		}
	}
	if ((rc = gdfo_graph_validate(g)))
		goto fail;
	*out = g;
	return 0;
fail_prefixed:
	gdfo__error_prefix(GDFO_EFORMAT, "%s", path && *path ? path : "pipeline");
	rc = GDFO_EFORMAT;
fail:
	gdfo_graph_free(g);
	return rc;
}

int gdfo_graph_from_json(gdfo_graph **out, const char *json, size_t len)
{
	cJSON *root;
	int rc;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_from_json: out is NULL");
	*out = NULL;
	if ((rc = gdfo__json_parse(&root, json, len, WHAT)))
		return rc;
	rc = gdfo__json_check_format(root, "gdfo-pipeline", WHAT);
	if (!rc)
		rc = gdfo__json_read_graph(out, root, "");
	cJSON_Delete(root);
	return rc;
}

int gdfo_graph_load(gdfo_graph **out, const char *path)
{
	char *text;
	size_t len;
	int rc;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_load: out is NULL");
	*out = NULL;
	if ((rc = gdfo__file_read_text(&text, &len, path, GDFO__JSON_MAX_BYTES)))
		return rc;
	rc = gdfo_graph_from_json(out, text, len);
	free(text);
	if (rc)
		gdfo__error_prefix(rc, "%s", path);
	return rc;
}

/* ---- writer ---------------------------------------------------------------- */

static int add_strings(cJSON *obj, const char *key, char **items, size_t n)
{
	cJSON *arr = cJSON_AddArrayToObject(obj, key);
	size_t i;

	if (!arr)
		return gdfo__json_oom();
	for (i = 0; i < n; i++) {
		cJSON *s = cJSON_CreateString(items[i]);
		if (!s || !cJSON_AddItemToArray(arr, s)) {
			cJSON_Delete(s);
			return gdfo__json_oom();
		}
	}
	return 0;
}

static int add_string(cJSON *obj, const char *key, const char *v)
{
	return cJSON_AddStringToObject(obj, key, v) ? 0 : gdfo__json_oom();
}

static int write_stage(cJSON *arr, const gdfo_graph *g, const gdfo__stage *s)
{
	cJSON *o = cJSON_CreateObject(), *par;
	size_t i;
	int rc = GDFO_ENOMEM;

	if (!o || !cJSON_AddItemToArray(arr, o)) {
		cJSON_Delete(o);
		return gdfo__json_oom();
	}
	if (gdfo__json_add_number(o, "id", (double)s->id) || add_string(o, "name", s->name) ||
	    add_string(o, "op", gdfo_op_name(s->op)))
		return GDFO_ENOMEM;
	if (s->op == GDFO_OP_JOIN && add_string(o, "join_type", gdfo_join_type_name(s->join_type)))
		return GDFO_ENOMEM;
	if (!(par = cJSON_AddArrayToObject(o, "parents")))
		return gdfo__json_oom();
	for (i = 0; i < s->n_parents; i++)
		if ((rc = gdfo__json_append_number(par, (double)g->stages[s->parents[i]].id)))
			return rc;
	if (s->fused_ops) {
		cJSON *f = cJSON_AddArrayToObject(o, "fused_ops");
		int k;
		if (!f)
			return gdfo__json_oom();
		for (k = 0; k < GDFO_OP_COUNT; k++) {
			cJSON *n;
			if (!(s->fused_ops & (1u << k)))
				continue;
			n = cJSON_CreateString(gdfo_op_name(k));
			if (!n || !cJSON_AddItemToArray(f, n)) {
				cJSON_Delete(n);
				return gdfo__json_oom();
			}
		}
	}
	if ((rc = write_fields(o, "stats", GDFO_FIELDS_STAGE_STATS, &s->stats, s->op)) ||
	    (rc = write_fields(o, "knobs", GDFO_FIELDS_STAGE_KNOBS, &s->knobs, s->op)))
		return rc;
	if ((rc = add_strings(o, "columns_read", s->cols_read, s->n_read)) ||
	    (rc = add_strings(o, "columns_written", s->cols_written, s->n_written)))
		return rc;
	return 0;
}

int gdfo__json_write_graph_fields(cJSON *root, const gdfo_graph *g)
{
	cJSON *arr;
	size_t i;
	int rc;

	if ((rc = add_string(root, "name", g->name)))
		return rc;
	if ((rc = write_fields(root, "knobs", GDFO_FIELDS_GRAPH_KNOBS, &g->knobs, -1)) ||
	    (rc = write_fields(root, "cluster", GDFO_FIELDS_CLUSTER, &g->cluster, -1)))
		return rc;
	if (!(arr = cJSON_AddArrayToObject(root, "stages")))
		return gdfo__json_oom();
	for (i = 0; i < g->n; i++)
		if ((rc = write_stage(arr, g, &g->stages[i])))
			return rc;
	return 0;
}

int gdfo__json_graph_to_cjson(cJSON **out, const gdfo_graph *g)
{
	cJSON *root = cJSON_CreateObject();
	int rc;

	*out = NULL;
	if (!root || !cJSON_AddStringToObject(root, "format", "gdfo-pipeline/1")) {
		cJSON_Delete(root);
		return gdfo__json_oom();
	}
	if ((rc = gdfo__json_write_graph_fields(root, g))) {
		cJSON_Delete(root);
		return rc;
	}
	*out = root;
	return 0;
}

int gdfo_graph_to_json(char **out, const gdfo_graph *g)
{
	cJSON *root;
	int rc;

	if (!out || !g)
		return gdfo__error(GDFO_EINVAL, "gdfo_graph_to_json: %s is NULL", g ? "out" : "graph");
	*out = NULL;
	if ((rc = gdfo__json_graph_to_cjson(&root, g)))
		return rc;
	rc = gdfo__json_print(out, root);
	cJSON_Delete(root);
	return rc;
}

int gdfo_graph_save(const gdfo_graph *g, const char *path)
{
	char *text;
	int rc;

	if ((rc = gdfo_graph_to_json(&text, g)))
		return rc;
	return gdfo__file_write_text(path, text);
}
