/*
 * Pipeline JSON ("format": "gdfo-pipeline/1"), documented in docs/formats.md.
 */
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graph_internal.h"
#include "io/json_io.h"
#include "io/json_util.h"

#define WHAT "pipeline JSON"

static const char *const stat_keys[] = {
	"rows_in", "bytes_in", "selectivity", "key_cardinality", "skew", "cpu_ns_per_row", NULL,
};
static const char *const knob_keys[] = {
	"partitions", "join_strategy", "cache", "priority", "target_file_bytes", "compaction_every", NULL,
};
static const char *const graph_knob_keys[] = {
	"executors", "cores_per_executor", "memory_per_executor_bytes", NULL,
};
static const char *const cluster_keys[] = {
	"executors_available", "price_per_executor_s", "slo_ms", NULL,
};

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

int gdfo__json_read_graph_knobs(gdfo_graph_knobs *k, const cJSON *root, const char *path)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "knobs");
	char p[GDFO__PATH_MAX];
	int64_t v;
	int rc;

	memset(k, 0, sizeof(*k));
	if (!o || cJSON_IsNull(o))
		return 0;
	gdfo__json_path_key(p, path, "knobs");
	if ((rc = gdfo__json_expect_object(o, p)))
		return rc; /* GDFO_ENOMEM on a wide object */
	if (gdfo__json_only_keys(o, graph_knob_keys, p))
		return GDFO_EFORMAT;
	if (gdfo__json_int(&v, o, "executors", p, 0, 0, 0, 100000))
		return GDFO_EFORMAT;
	k->executors = (int32_t)v;
	if (gdfo__json_int(&v, o, "cores_per_executor", p, 0, 0, 0, 1024))
		return GDFO_EFORMAT;
	k->cores_per_executor = (int32_t)v;
	if (gdfo__json_int(&v, o, "memory_per_executor_bytes", p, 0, 0, 0, 1LL << 44))
		return GDFO_EFORMAT;
	k->memory_per_executor_bytes = v;
	return 0;
}

int gdfo__json_read_cluster(gdfo_cluster *c, const cJSON *root, const char *path)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "cluster");
	char p[GDFO__PATH_MAX];
	int64_t v;
	int rc;

	memset(c, 0, sizeof(*c));
	if (!o || cJSON_IsNull(o))
		return 0;
	gdfo__json_path_key(p, path, "cluster");
	if ((rc = gdfo__json_expect_object(o, p)))
		return rc;
	if (gdfo__json_only_keys(o, cluster_keys, p))
		return GDFO_EFORMAT;
	if (gdfo__json_int(&v, o, "executors_available", p, 0, 0, 0, 100000))
		return GDFO_EFORMAT;
	c->executors_available = (int32_t)v;
	if (gdfo__json_number(&c->price_per_executor_s, o, "price_per_executor_s", p, 0, 0, 0, 1e12) ||
	    gdfo__json_number(&c->slo_ms, o, "slo_ms", p, 0, 0, 0, 1e15))
		return GDFO_EFORMAT;
	return 0;
}

static int read_stage(gdfo_stage *s, const char ***rd, const char ***wr, const cJSON *js,
		      const char *path)
{
	const cJSON *o, *f;
	char p[GDFO__PATH_MAX];
	int64_t v;
	int rc;

	*rd = *wr = NULL;
	gdfo_stage_init(s, GDFO_STAGE_VERSION);
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
	o = cJSON_GetObjectItemCaseSensitive(js, "stats");
	if (o && !cJSON_IsNull(o)) {
		gdfo__json_path_key(p, path, "stats");
		if ((rc = gdfo__json_expect_object(o, p)))
			return rc;
		if (gdfo__json_only_keys(o, stat_keys, p) ||
		    gdfo__json_number(&s->stats.rows_in, o, "rows_in", p, 0, 0, 0, DBL_MAX) ||
		    gdfo__json_number(&s->stats.bytes_in, o, "bytes_in", p, 0, 0, 0, DBL_MAX) ||
		    gdfo__json_number(&s->stats.selectivity, o, "selectivity", p, 0, 1, 0, DBL_MAX) ||
		    gdfo__json_number(&s->stats.key_cardinality, o, "key_cardinality", p, 0, 0, 0, DBL_MAX) ||
		    gdfo__json_number(&s->stats.skew, o, "skew", p, 0, 1, 1, DBL_MAX) ||
		    gdfo__json_number(&s->stats.cpu_ns_per_row, o, "cpu_ns_per_row", p, 0, 0, 0, DBL_MAX))
			return GDFO_EFORMAT;
	}
	o = cJSON_GetObjectItemCaseSensitive(js, "knobs");
	if (o && !cJSON_IsNull(o)) {
		gdfo__json_path_key(p, path, "knobs");
		if ((rc = gdfo__json_expect_object(o, p)))
			return rc;
		if (gdfo__json_only_keys(o, knob_keys, p))
			return GDFO_EFORMAT;
		if (gdfo__json_int(&v, o, "partitions", p, 0, 0, 0, GDFO_PARTITIONS_MAX))
			return GDFO_EFORMAT;
		s->knobs.partitions = (int32_t)v;
		if (gdfo__json_enum(&s->knobs.join_strategy, o, "join_strategy", p, 0, GDFO_JOIN_AUTO,
				    gdfo_join_strategy_name, GDFO_JOIN_STRATEGY_COUNT) ||
		    gdfo__json_enum(&s->knobs.cache, o, "cache", p, 0, GDFO_CACHE_NONE,
				    gdfo_cache_level_name, GDFO_CACHE_LEVEL_COUNT))
			return GDFO_EFORMAT;
		if (gdfo__json_int(&v, o, "priority", p, 0, 0, -GDFO_PRIORITY_MAX, GDFO_PRIORITY_MAX))
			return GDFO_EFORMAT;
		s->knobs.priority = (int32_t)v;
		if (gdfo__json_int(&s->knobs.target_file_bytes, o, "target_file_bytes", p, 0, 0, 0, 1LL << 50))
			return GDFO_EFORMAT;
		if (gdfo__json_int(&v, o, "compaction_every", p, 0, 0, 0, GDFO_COMPACTION_MAX))
			return GDFO_EFORMAT;
		s->knobs.compaction_every = (int32_t)v;
	}
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
		gdfo_stage s;
		const char **rd, **wr;
		gdfo__json_path_index(sp, p, i++);
		if ((rc = read_stage(&s, &rd, &wr, js, sp)))
			goto fail;
		rc = gdfo_graph_add_stage(g, &s);
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
	cJSON *o = cJSON_CreateObject(), *st, *kn, *par;
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
	if (!(st = cJSON_AddObjectToObject(o, "stats")))
		return gdfo__json_oom();
	if ((rc = gdfo__json_add_number(st, "rows_in", s->stats.rows_in)) ||
	    (rc = gdfo__json_add_number(st, "bytes_in", s->stats.bytes_in)) ||
	    (rc = gdfo__json_add_number(st, "selectivity", s->stats.selectivity)) ||
	    (rc = gdfo__json_add_number(st, "key_cardinality", s->stats.key_cardinality)) ||
	    (rc = gdfo__json_add_number(st, "skew", s->stats.skew)) ||
	    (rc = gdfo__json_add_number(st, "cpu_ns_per_row", s->stats.cpu_ns_per_row)))
		return rc;
	if (!(kn = cJSON_AddObjectToObject(o, "knobs")))
		return gdfo__json_oom();
	if ((rc = gdfo__json_add_number(kn, "partitions", s->knobs.partitions)))
		return rc;
	if (s->op == GDFO_OP_JOIN &&
	    (rc = add_string(kn, "join_strategy", gdfo_join_strategy_name(s->knobs.join_strategy))))
		return rc;
	if ((rc = add_string(kn, "cache", gdfo_cache_level_name(s->knobs.cache))) ||
	    (rc = gdfo__json_add_number(kn, "priority", s->knobs.priority)))
		return rc;
	if (s->op == GDFO_OP_SINK &&
	    ((rc = gdfo__json_add_number(kn, "target_file_bytes", (double)s->knobs.target_file_bytes)) ||
	     (rc = gdfo__json_add_number(kn, "compaction_every", s->knobs.compaction_every))))
		return rc;
	if ((rc = add_strings(o, "columns_read", s->cols_read, s->n_read)) ||
	    (rc = add_strings(o, "columns_written", s->cols_written, s->n_written)))
		return rc;
	return 0;
}

int gdfo__json_write_graph_fields(cJSON *root, const gdfo_graph *g)
{
	cJSON *k, *c, *arr;
	size_t i;
	int rc;

	if ((rc = add_string(root, "name", g->name)))
		return rc;
	if (!(k = cJSON_AddObjectToObject(root, "knobs")) ||
	    !(c = cJSON_AddObjectToObject(root, "cluster")) ||
	    !(arr = cJSON_AddArrayToObject(root, "stages")))
		return gdfo__json_oom();
	if ((rc = gdfo__json_add_number(k, "executors", g->knobs.executors)) ||
	    (rc = gdfo__json_add_number(k, "cores_per_executor", g->knobs.cores_per_executor)) ||
	    (rc = gdfo__json_add_number(k, "memory_per_executor_bytes",
					(double)g->knobs.memory_per_executor_bytes)) ||
	    (rc = gdfo__json_add_number(c, "executors_available", g->cluster.executors_available)) ||
	    (rc = gdfo__json_add_number(c, "price_per_executor_s", g->cluster.price_per_executor_s)) ||
	    (rc = gdfo__json_add_number(c, "slo_ms", g->cluster.slo_ms)))
		return rc;
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
