/*
 * The decision space as JSON ("format": "gdfo-space/1", docs/formats.md):
 * written for Optuna and for people, read back so that a study's space is
 * the same space when reloaded.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_write.h"
#include "io/json_util.h"
#include "plan/plan_internal.h"
#include "plan/space_internal.h"

#define WHAT "space JSON"
/* Most decisions and choices a space document may hold. */
#define MAX_DECISIONS 10000000
#define MAX_CHOICES 1000

int gdfo_space_to_json(char **out, const gdfo_space *s)
{
	gdfo__jsonw w = {0};
	char *cluster = NULL;
	uint64_t fingerprint;
	size_t i, c;
	int rc;

	if (out)
		*out = NULL;
	if (!out || !s)
		return gdfo__error(GDFO_EINVAL, "gdfo_space_to_json: %s is NULL", out ? "space" : "out");
	/* the space's graph is a copy of its pipeline: the same fingerprint */
	if ((rc = gdfo_graph_fingerprint(&fingerprint, s->graph)) ||
	    (rc = gdfo_sim_cluster_to_json(&cluster, &s->cluster)))
		return rc;
	gdfo__jsonw_raw(&w, "{\n  \"format\": \"%s\",\n  \"pipeline\": ", GDFO_SPACE_FORMAT);
	gdfo__jsonw_string(&w, gdfo_graph_name(s->graph));
	gdfo__jsonw_raw(&w, ",\n  \"pipeline_fingerprint\": \"%016llx\",\n  \"broadcast_max_bytes\": ",
			(unsigned long long)fingerprint);
	gdfo__jsonw_number(&w, s->broadcast_max_bytes, 0, "broadcast_max_bytes");
	gdfo__jsonw_raw(&w, ",\n  \"cluster\": %s,\n  \"dim\": %zu,\n  \"decisions\": [", cluster, s->dim);
	free(cluster);
	for (i = 0; i < s->dim; i++) {
		const gdfo__decision *d = &s->d[i];
		gdfo__jsonw_raw(&w, "%s\n    {\"index\": %zu, \"kind\": \"%s\", \"stage_id\": %lld, \"name\": ", i ? "," : "",
				i, gdfo_decision_kind_name(d->kind), (long long)d->stage_id);
		gdfo__jsonw_string(&w, d->name);
		gdfo__jsonw_raw(&w, ", \"choices\": [");
		for (c = 0; c < d->n; c++) {
			gdfo__jsonw_raw(&w, "%s\n      {\"label\": ", c ? "," : "");
			gdfo__jsonw_string(&w, d->c[c].label);
			gdfo__jsonw_raw(&w, ", \"value\": %lld, \"legal\": %s", (long long)d->c[c].value,
					d->c[c].legal ? "true" : "false");
			if (d->c[c].aux)
				gdfo__jsonw_raw(&w, ", \"marker_stage_id\": %lld", (long long)d->c[c].aux);
			gdfo__jsonw_raw(&w, "}");
		}
		gdfo__jsonw_raw(&w, "]}");
	}
	gdfo__jsonw_raw(&w, "\n  ]\n}\n");
	return gdfo__jsonw_finish(&w, out);
}

/* Value ranges apply may set, per kind. */
static int check_value(const gdfo_space *s, const gdfo__decision *d, int64_t v, const char *path)
{
	int64_t lo = 0, hi = 0;
	switch (d->kind) {
	case GDFO_DECISION_PUSH_FILTER: lo = 1; hi = (int64_t)s->graph->n; break;
	case GDFO_DECISION_REORDER_JOINS: case GDFO_DECISION_FUSE: lo = 1; hi = 1; break;
	case GDFO_DECISION_PARTITIONS: lo = -1024; hi = (int64_t)1 << 50; break;
	case GDFO_DECISION_JOIN_STRATEGY: hi = GDFO_JOIN_STRATEGY_COUNT - 1; break;
	case GDFO_DECISION_CACHE: hi = GDFO_CACHE_LEVEL_COUNT - 1; break;
	case GDFO_DECISION_PRIORITY: lo = -GDFO_PRIORITY_MAX; hi = GDFO_PRIORITY_MAX; break;
	case GDFO_DECISION_FILE_SIZE: lo = 1 << 20; hi = (int64_t)1 << 50; break;
	case GDFO_DECISION_COMPACTION: hi = GDFO_COMPACTION_MAX; break;
	case GDFO_DECISION_EXECUTORS: lo = 1; hi = 100000; break;
	case GDFO_DECISION_CORES: lo = 1; hi = 1024; break;
	case GDFO_DECISION_MEMORY: lo = (int64_t)64 << 20; hi = (int64_t)16 << 40; break;
	case GDFO_DECISION_PRIORITY_POLICY: hi = 1; break;
	}
	if (v < lo || v > hi)
		return gdfo__error(GDFO_EFORMAT, "%s: value %lld is outside %lld..%lld for a %s decision", path,
				   (long long)v, (long long)lo, (long long)hi, gdfo_decision_kind_name(d->kind));
	return 0;
}

/* A stage decision must be about a stage it can apply to (as gdfo_space_create makes them). */
static int check_stage(const gdfo_space *s, int kind, int64_t stage_id, const char *path)
{
	const gdfo__stage *st;
	int ok = 1;

	if (stage_id < 0)
		return 0;
	st = &s->graph->stages[gdfo__graph_index(s->graph, stage_id)];
	switch (kind) {
	case GDFO_DECISION_PUSH_FILTER: ok = st->op == GDFO_OP_FILTER; break;
	case GDFO_DECISION_REORDER_JOINS: case GDFO_DECISION_JOIN_STRATEGY:
		ok = st->op == GDFO_OP_JOIN && st->n_parents == 2;
		break;
	case GDFO_DECISION_FUSE: ok = gdfo__stage_is_narrow(st); break;
	case GDFO_DECISION_PARTITIONS:
		ok = st->op == GDFO_OP_SOURCE || st->op == GDFO_OP_AGGREGATE || st->op == GDFO_OP_SORT ||
		     st->op == GDFO_OP_WINDOW || st->op == GDFO_OP_JOIN;
		break;
	case GDFO_DECISION_CACHE: ok = st->op != GDFO_OP_SINK; break;
	case GDFO_DECISION_FILE_SIZE: case GDFO_DECISION_COMPACTION: ok = st->op == GDFO_OP_SINK; break;
	default: break;
	}
	if (!ok)
		return gdfo__error(GDFO_EFORMAT, "%s: a %s decision cannot be about %s stage %lld", path,
				   gdfo_decision_kind_name(kind), gdfo_op_name(st->op), (long long)stage_id);
	return 0;
}

static int read_choice(gdfo_space *s, gdfo__decision *d, const cJSON *jc, const char *path, size_t c)
{
	static const char *const keys[] = {"label", "value", "legal", "marker_stage_id", NULL};
	const char *label;
	int64_t v, aux;
	int legal, rc;

	if ((rc = gdfo__json_expect_object(jc, path)) || (rc = gdfo__json_only_keys(jc, keys, path)) ||
	    (rc = gdfo__json_string(&label, jc, "label", path, 1, NULL)) ||
	    (rc = gdfo__json_int(&v, jc, "value", path, 1, 0, INT64_MIN / 2, INT64_MAX / 2)) ||
	    (rc = gdfo__json_bool(&legal, jc, "legal", path, 1, 0)) ||
	    (rc = gdfo__json_int(&aux, jc, "marker_stage_id", path, 0, 0, 0, (int64_t)GDFO__JSON_MAX_INT)))
		return rc;
	if (strlen(label) > 255)
		return gdfo__error(GDFO_EFORMAT, "%s.label is longer than 255 bytes", path);
	if (c == 0) {
		/* keep: already there */
		if (v != 0 || !legal || strcmp(label, "keep"))
			return gdfo__error(GDFO_EFORMAT, "%s: choice 0 must be {\"label\": \"keep\", \"value\": 0, \"legal\": true}",
					   path);
		return 0;
	}
	if ((rc = check_value(s, d, v, path)))
		return rc;
	if (d->kind <= GDFO_DECISION_FUSE && gdfo__graph_index(s->graph, aux) == (size_t)-1)
		return gdfo__error(GDFO_EFORMAT, "%s.marker_stage_id %lld is not a stage of the pipeline", path,
				   (long long)aux);
	return gdfo__space_choice(d, v, aux, legal, "%s", label);
}

static int read_decision(gdfo_space *s, const cJSON *jd, const char *path, size_t index)
{
	static const char *const keys[] = {"index", "kind", "stage_id", "name", "choices", NULL};
	const char *kind_name, *name;
	const cJSON *choices, *jc;
	gdfo__decision *d;
	int64_t idx, stage_id;
	size_t c = 0;
	int kind, rc;
	char p[GDFO__PATH_MAX];

	if ((rc = gdfo__json_expect_object(jd, path)) || (rc = gdfo__json_only_keys(jd, keys, path)) ||
	    (rc = gdfo__json_int(&idx, jd, "index", path, 0, (int64_t)index, 0, MAX_DECISIONS)) ||
	    (rc = gdfo__json_string(&kind_name, jd, "kind", path, 1, NULL)) ||
	    (rc = gdfo__json_int(&stage_id, jd, "stage_id", path, 1, 0, -1, (int64_t)GDFO__JSON_MAX_INT)) ||
	    (rc = gdfo__json_string(&name, jd, "name", path, 1, NULL)) ||
	    (rc = gdfo__json_array(&choices, jd, "choices", path, 1)))
		return rc;
	if ((size_t)idx != index)
		return gdfo__error(GDFO_EFORMAT, "%s.index is %lld, expected %zu", path, (long long)idx, index);
	if ((kind = gdfo__decision_kind_from_name(kind_name)) < 0)
		return gdfo__error(GDFO_EFORMAT, "%s.kind '%.40s' is not a decision kind", path, kind_name);
	if (gdfo__decision_is_graph_wide(kind) != (stage_id == -1) ||
	    (stage_id >= 0 && gdfo__graph_index(s->graph, stage_id) == (size_t)-1))
		return gdfo__error(GDFO_EFORMAT, "%s.stage_id %lld is not %s", path, (long long)stage_id,
				   gdfo__decision_is_graph_wide(kind) ? "-1 (a graph-wide decision)" : "a stage of the pipeline");
	if ((rc = check_stage(s, kind, stage_id, path)))
		return rc;
	if (strlen(name) > 400)
		return gdfo__error(GDFO_EFORMAT, "%s.name is longer than 400 bytes", path);
	if (cJSON_GetArraySize(choices) < 1 || cJSON_GetArraySize(choices) > MAX_CHOICES)
		return gdfo__error(GDFO_EFORMAT, "%s.choices must hold 1..%d choices", path, MAX_CHOICES);
	if (!(d = gdfo__space_add(s, kind, stage_id, "%s", name)))
		return GDFO_ENOMEM;
	cJSON_ArrayForEach(jc, choices) {
		gdfo__json_path_index(p, path, c);
		if ((rc = read_choice(s, d, jc, p, c)))
			return rc;
		c++;
	}
	if ((kind == GDFO_DECISION_REORDER_JOINS || kind == GDFO_DECISION_FUSE) && d->n != 2)
		return gdfo__error(GDFO_EFORMAT, "%s: a %s decision has exactly two choices", path, kind_name);
	return 0;
}

int gdfo_space_from_json(gdfo_space **out, const gdfo_graph *graph, const char *json, size_t len)
{
	cJSON *root = NULL;
	const cJSON *decisions, *jd, *jcl;
	gdfo_sim_cluster cl;
	gdfo_space *s = NULL;
	uint64_t fp, gfp;
	int64_t dim;
	double bound;
	size_t i = 0;
	int present, rc;
	char p[GDFO__PATH_MAX], *cltext = NULL;
	static const char *const keys[] = {"format", "pipeline", "pipeline_fingerprint", "broadcast_max_bytes",
					   "cluster", "dim", "decisions", NULL};

	if (out)
		*out = NULL;
	if (!out || !graph || !json)
		return gdfo__error(GDFO_EINVAL, "gdfo_space_from_json: %s is NULL", !out ? "out" : !graph ? "graph" : "json");
	if ((rc = gdfo_graph_validate(graph)))
		return gdfo__error_prefix(GDFO_EINVAL, "gdfo_space_from_json: the graph");
	if ((rc = gdfo__json_parse(&root, json, len, WHAT)))
		return rc;
	if ((rc = gdfo__json_check_format(root, "gdfo-space", WHAT)) || (rc = gdfo__json_only_keys(root, keys, "space")) ||
	    (rc = gdfo__json_fingerprint(&fp, &present, root, "pipeline_fingerprint", "space")) ||
	    (rc = gdfo__json_number(&bound, root, "broadcast_max_bytes", "space", 1, 0, 0, 1e18)) ||
	    (rc = gdfo__json_int(&dim, root, "dim", "space", 1, 0, 0, MAX_DECISIONS)) ||
	    (rc = gdfo__json_array(&decisions, root, "decisions", "space", 1)))
		goto out;
	if (!present) {
		rc = gdfo__error(GDFO_EFORMAT, "space.pipeline_fingerprint is missing");
		goto out;
	}
	if ((rc = gdfo_graph_fingerprint(&gfp, graph)))
		goto out;
	if (gfp != fp) {
		rc = gdfo__error(GDFO_EINVAL, "gdfo_space_from_json: the space is of pipeline %016llx, the graph is %016llx",
				 (unsigned long long)fp, (unsigned long long)gfp);
		goto out;
	}
	jcl = cJSON_GetObjectItemCaseSensitive(root, "cluster");
	if (!cJSON_IsObject(jcl)) {
		rc = gdfo__error(GDFO_EFORMAT, "space.cluster must be a gdfo-cluster/1 object");
		goto out;
	}
	if ((rc = gdfo__json_print(&cltext, jcl)) || (rc = gdfo_sim_cluster_from_json(&cl, cltext, strlen(cltext)))) {
		if (rc != GDFO_ENOMEM)
			rc = gdfo__error_prefix(GDFO_EFORMAT, "space.cluster");
		goto out;
	}
	if ((size_t)cJSON_GetArraySize(decisions) != (size_t)dim) {
		rc = gdfo__error(GDFO_EFORMAT, "space.dim is %lld but decisions holds %d", (long long)dim,
				 cJSON_GetArraySize(decisions));
		goto out;
	}
	if ((rc = gdfo__space_new(&s, graph, &cl)))
		goto out;
	s->broadcast_max_bytes = bound;
	cJSON_ArrayForEach(jd, decisions) {
		gdfo__json_path_index(p, "space.decisions", i);
		if ((rc = read_decision(s, jd, p, i)))
			goto out;
		i++;
	}
	*out = s;
	s = NULL;
out:
	free(cltext);
	gdfo_space_free(s);
	cJSON_Delete(root);
	return rc;
}
