/*
 * Plan JSON ("format": "gdfo-plan/1", docs/formats.md): source, risk,
 * prediction, changes and the rewritten graph in pipeline form.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/json_io.h"
#include "io/json_util.h"
#include "plan/plan_internal.h"

#define WHAT "plan JSON"

static const char *const change_keys[] = {
	"kind", "stage_ids", "what", "why", "expected_gain", "confidence", "attended_ids",
	"field", "old", "new", "old_label", "new_label", NULL,
};
static const char *const prediction_keys[] = {
	"latency_ms", "throughput", "cost", "baseline_latency_ms", "baseline_cost", "execution_ms",
	"baseline_execution_ms", "overhead_ms", "calibration", "stages_calibrated",
	"baseline_stages_calibrated", "measured_latency_ms", NULL,
};

static const char *const loop_keys[] = {
	"step", "events", "needs_approval", "fingerprint", "predicted_regret", "forecast_scale", "runs", NULL,
};

/* The closed loop's id and side of a plan (written only when it has them). */
static int add_loop(cJSON *root, const gdfo_plan *p)
{
	cJSON *lo, *ev;
	char fp[17];
	int i;

	if (p->id[0] && !cJSON_AddStringToObject(root, "id", p->id))
		return gdfo__json_oom();
	if (p->loop.step == GDFO_STEP_NONE)
		return 0;
	snprintf(fp, sizeof(fp), "%016llx", (unsigned long long)p->loop.fingerprint);
	if (!(lo = cJSON_AddObjectToObject(root, "loop")) ||
	    !cJSON_AddStringToObject(lo, "step", gdfo_loop_step_name(p->loop.step)) ||
	    !(ev = cJSON_AddArrayToObject(lo, "events")))
		return gdfo__json_oom();
	for (i = 0; i < GDFO_LOOP_EVENT_COUNT; i++) {
		cJSON *v;
		if (!(p->loop.events & (1 << i)))
			continue;
		if (!(v = cJSON_CreateString(gdfo_loop_event_name(1 << i))) || !cJSON_AddItemToArray(ev, v)) {
			cJSON_Delete(v);
			return gdfo__json_oom();
		}
	}
	if (!cJSON_AddBoolToObject(lo, "needs_approval", p->loop.needs_approval) ||
	    !cJSON_AddStringToObject(lo, "fingerprint", fp))
		return gdfo__json_oom();
	if (gdfo__json_add_number(lo, "predicted_regret", isfinite(p->loop.predicted_regret) ? p->loop.predicted_regret : 0) ||
	    gdfo__json_add_number(lo, "forecast_scale", p->loop.forecast_scale) ||
	    gdfo__json_add_number(lo, "runs", p->loop.runs))
		return gdfo__json_oom();
	return 0;
}

static int read_loop(gdfo_plan *p, const cJSON *root)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id"), *lo, *ev, *x;
	gdfo_plan_loop li;
	char path[GDFO__PATH_MAX];
	int64_t runs;
	int present = 0, rc, i;
	size_t k = 0;

	if (id && !cJSON_IsNull(id)) {
		if (!cJSON_IsString(id) || !id->valuestring[0] || strlen(id->valuestring) > GDFO_PLAN_ID_MAX)
			return gdfo__error(GDFO_EFORMAT, "id: expected a plan id (a string of 1 to %d bytes)", GDFO_PLAN_ID_MAX);
		if ((rc = gdfo__json_check_utf8(id, "id")))
			return rc;
		memcpy(p->id, id->valuestring, strlen(id->valuestring) + 1);
	}
	lo = cJSON_GetObjectItemCaseSensitive(root, "loop");
	if (!lo || cJSON_IsNull(lo))
		return 0;
	if ((rc = gdfo__json_expect_object(lo, "loop")))
		return rc;
	if (gdfo__json_only_keys(lo, loop_keys, "loop"))
		return GDFO_EFORMAT;
	memset(&li, 0, sizeof(li));
	li.version = GDFO_PLAN_LOOP_VERSION;
	if ((rc = gdfo__json_enum(&li.step, lo, "step", "loop", 1, 0, gdfo_loop_step_name, 5)) ||
	    (rc = gdfo__json_bool(&li.needs_approval, lo, "needs_approval", "loop", 0, 0)) ||
	    (rc = gdfo__json_fingerprint(&li.fingerprint, &present, lo, "fingerprint", "loop")) ||
	    (rc = gdfo__json_number(&li.predicted_regret, lo, "predicted_regret", "loop", 0, 0, -1e300, 1e300)) ||
	    (rc = gdfo__json_number(&li.forecast_scale, lo, "forecast_scale", "loop", 0, 1, 0, 1e300)) ||
	    (rc = gdfo__json_int(&runs, lo, "runs", "loop", 0, 0, 0, INT32_MAX)) ||
	    (rc = gdfo__json_array(&ev, lo, "events", "loop", 0)))
		return rc;
	li.runs = (int32_t)runs;
	cJSON_ArrayForEach(x, ev) {
		gdfo__json_path_index(path, "loop.events", k++);
		for (i = 0; i < GDFO_LOOP_EVENT_COUNT; i++)
			if (cJSON_IsString(x) && !strcmp(x->valuestring, gdfo_loop_event_name(1 << i)))
				break;
		if (i == GDFO_LOOP_EVENT_COUNT)
			return gdfo__error(GDFO_EFORMAT, "%s: not a loop event", path);
		li.events |= 1 << i;
	}
	p->loop = li;
	return 0;
}

/* prediction.calibration: what the model was fitted to. */
static const char *calibration_name(int v)
{
	return v == 0 ? "none" : v == 1 ? "telemetry" : NULL;
}

/* ---- writer ------------------------------------------------------------------- */

static int add_ids(cJSON *obj, const char *key, const int64_t *ids, size_t n)
{
	cJSON *arr = cJSON_AddArrayToObject(obj, key);
	size_t i;

	if (!arr)
		return gdfo__json_oom();
	for (i = 0; i < n; i++) {
		cJSON *v = gdfo__json_create_number((double)ids[i]);
		if (!v || !cJSON_AddItemToArray(arr, v)) {
			cJSON_Delete(v);
			return gdfo__json_oom();
		}
	}
	return 0;
}

/* Unknown predictions (-1) are omitted, like unknown telemetry. */
static int add_pred(cJSON *obj, const char *key, double v)
{
	return v < 0 ? 0 : gdfo__json_add_number(obj, key, v);
}

static int add_changes(cJSON *arr, const gdfo__change *list, size_t n);

static int plan_to_cjson(cJSON **out, const gdfo_plan *p)
{
	cJSON *root = cJSON_CreateObject(), *pred, *arr, *pipe = NULL;
	size_t i;
	int rc = GDFO_ENOMEM;

	*out = NULL;
	if (!root || !cJSON_AddStringToObject(root, "format", "gdfo-plan/1") ||
	    !cJSON_AddStringToObject(root, "source", p->source) ||
	    !cJSON_AddStringToObject(root, "risk", gdfo_risk_name(p->risk)) ||
	    !(pred = cJSON_AddObjectToObject(root, "prediction")) ||
	    !(arr = cJSON_AddArrayToObject(root, "changes"))) {
		rc = gdfo__json_oom();
		goto fail;
	}
	if ((rc = add_pred(pred, "latency_ms", p->prediction.latency_ms)) ||
	    (rc = add_pred(pred, "throughput", p->prediction.throughput)) ||
	    (rc = add_pred(pred, "cost", p->prediction.cost)) ||
	    (rc = add_pred(pred, "baseline_latency_ms", p->prediction.baseline_latency_ms)) ||
	    (rc = add_pred(pred, "baseline_cost", p->prediction.baseline_cost)) ||
	    (rc = add_pred(pred, "execution_ms", p->prediction.execution_ms)) ||
	    (rc = add_pred(pred, "baseline_execution_ms", p->prediction.baseline_execution_ms)) ||
	    (rc = add_pred(pred, "overhead_ms", p->prediction.overhead_ms)))
		goto fail;
	if (p->prediction.calibrated >= 0 &&
	    !cJSON_AddStringToObject(pred, "calibration", calibration_name(p->prediction.calibrated))) {
		rc = gdfo__json_oom();
		goto fail;
	}
	if ((rc = add_pred(pred, "stages_calibrated", p->prediction.stages_calibrated)) ||
	    (rc = add_pred(pred, "baseline_stages_calibrated", p->prediction.baseline_stages_calibrated)) ||
	    (rc = add_pred(pred, "measured_latency_ms", p->prediction.measured_latency_ms)))
		goto fail;
	if ((rc = add_changes(arr, p->changes, p->n_changes)))
		goto fail;
	if (p->n_rejected && (!(arr = cJSON_AddArrayToObject(root, "rejected")) ||
			      (rc = add_changes(arr, p->rejected, p->n_rejected)))) {
		rc = arr ? rc : gdfo__json_oom();
		goto fail;
	}
	if (p->n_notes) {
		if (!(arr = cJSON_AddArrayToObject(root, "notes"))) {
			rc = gdfo__json_oom();
			goto fail;
		}
		for (i = 0; i < p->n_notes; i++) {
			cJSON *v = cJSON_CreateString(p->notes[i]);
			if (!v || !cJSON_AddItemToArray(arr, v)) {
				cJSON_Delete(v);
				rc = gdfo__json_oom();
				goto fail;
			}
		}
	}
	if ((rc = add_loop(root, p)))
		goto fail;
	if ((rc = gdfo__json_graph_to_cjson(&pipe, p->graph)))
		goto fail;
	if (!cJSON_AddItemToObject(root, "pipeline", pipe)) {
		cJSON_Delete(pipe);
		rc = gdfo__json_oom();
		goto fail;
	}
	*out = root;
	return 0;
fail:
	cJSON_Delete(root);
	return rc;
}

static int add_changes(cJSON *arr, const gdfo__change *list, size_t n)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		const gdfo__change *c = &list[i];
		cJSON *o = cJSON_CreateObject();
		if (!o || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			return gdfo__json_oom();
		}
		if (!cJSON_AddStringToObject(o, "kind", gdfo_change_kind_name(c->kind)))
			return gdfo__json_oom();
		if ((rc = add_ids(o, "stage_ids", c->stage_ids, c->n_stage_ids)))
			return rc;
		if (!cJSON_AddStringToObject(o, "what", c->what) || !cJSON_AddStringToObject(o, "why", c->why))
			return gdfo__json_oom();
		if ((rc = gdfo__json_add_number(o, "expected_gain", c->expected_gain)) ||
		    (rc = gdfo__json_add_number(o, "confidence", c->confidence)) ||
		    (rc = add_ids(o, "attended_ids", c->attended_ids, c->n_attended_ids)))
			return rc;
		/* what was set from what to what: each key only when known (NaN is not JSON) */
		if ((c->field && !cJSON_AddStringToObject(o, "field", c->field)))
			return gdfo__json_oom();
		if ((!isnan(c->old_value) && (rc = gdfo__json_add_number(o, "old", c->old_value))) ||
		    (!isnan(c->new_value) && (rc = gdfo__json_add_number(o, "new", c->new_value))))
			return rc;
		if ((c->old_label && !cJSON_AddStringToObject(o, "old_label", c->old_label)) ||
		    (c->new_label && !cJSON_AddStringToObject(o, "new_label", c->new_label)))
			return gdfo__json_oom();
	}
	return 0;
}

int gdfo_plan_to_json(char **out, const gdfo_plan *p)
{
	cJSON *root;
	int rc;

	if (!out || !p)
		return gdfo__error(GDFO_EINVAL, "gdfo_plan_to_json: %s is NULL", p ? "out" : "plan");
	*out = NULL;
	if ((rc = plan_to_cjson(&root, p)))
		return rc;
	rc = gdfo__json_print(out, root);
	cJSON_Delete(root);
	return rc;
}

int gdfo_plan_save(const gdfo_plan *p, const char *path)
{
	char *text;
	int rc;

	if (!path)
		return gdfo__error(GDFO_EINVAL, "gdfo_plan_save: path is NULL");
	if ((rc = gdfo_plan_to_json(&text, p)))
		return rc;
	return gdfo__file_write_text(path, text);
}

/* ---- reader ------------------------------------------------------------------- */

/* Reads an array of stage ids into a malloc'd array (NULL when empty). */
static int read_ids(int64_t **out, size_t *n, const cJSON *obj, const char *key, const char *path,
		    const gdfo_graph *must_exist)
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
	if (!(*out = gdfo__malloc(*n * sizeof(**out))))
		return GDFO_ENOMEM;
	cJSON_ArrayForEach(it, arr) {
		double d = it->valuedouble;
		gdfo__json_path_index(ip, p, i);
		if (!cJSON_IsNumber(it) || !isfinite(d) || d != floor(d) || d < 0 || d > GDFO__JSON_MAX_INT) {
			rc = gdfo__error(GDFO_EFORMAT, "%s: expected a stage id (a non-negative integer)", ip);
			goto fail;
		}
		if (must_exist && gdfo__graph_index(must_exist, (int64_t)d) == (size_t)-1) {
			rc = gdfo__error(GDFO_EFORMAT, "%s: stage %lld is not in the plan's pipeline", ip,
					 (long long)d);
			goto fail;
		}
		(*out)[i++] = (int64_t)d;
	}
	return 0;
fail:
	free(*out);
	*out = NULL;
	*n = 0;
	return rc;
}

static int read_change(gdfo_plan *p, const cJSON *js, const char *path, int rejected)
{
	gdfo_change c;
	int64_t *ids = NULL, *att = NULL;
	const char *kind;
	int rc;

	memset(&c, 0, sizeof(c));
	if ((rc = gdfo__json_expect_object(js, path)) || (rc = gdfo__json_only_keys(js, change_keys, path)))
		return GDFO_EFORMAT;
	if ((rc = gdfo__json_string(&kind, js, "kind", path, 1, NULL)))
		return rc;
	c.kind = gdfo__change_kind_from_name(kind);
	if (c.kind < 0) {
		char kp[GDFO__PATH_MAX];
		gdfo__json_path_key(kp, path, "kind");
		return gdfo__error(GDFO_EFORMAT, "%s: \"%.80s\" is not a change kind", kp, kind);
	}
	if ((rc = gdfo__json_string(&c.what, js, "what", path, 1, NULL)) ||
	    (rc = gdfo__json_string(&c.why, js, "why", path, 1, NULL)) ||
	    (rc = gdfo__json_number(&c.expected_gain, js, "expected_gain", path, 1, 0, -1e6, 1)) ||
	    (rc = gdfo__json_number(&c.confidence, js, "confidence", path, 1, 0, 0, 1)) ||
	    (rc = gdfo__json_string(&c.field, js, "field", path, 0, NULL)) ||
	    (rc = gdfo__json_number(&c.old_value, js, "old", path, 0, NAN, -DBL_MAX, DBL_MAX)) ||
	    (rc = gdfo__json_number(&c.new_value, js, "new", path, 0, NAN, -DBL_MAX, DBL_MAX)) ||
	    (rc = gdfo__json_string(&c.old_label, js, "old_label", path, 0, NULL)) ||
	    (rc = gdfo__json_string(&c.new_label, js, "new_label", path, 0, NULL)))
		return rc;
	if ((rc = read_ids(&ids, &c.n_stage_ids, js, "stage_ids", path, rejected ? NULL : p->graph)))
		return rc;
	if ((rc = read_ids(&att, &c.n_attended_ids, js, "attended_ids", path, NULL))) {
		free(ids);
		return rc;
	}
	c.stage_ids = ids;
	c.attended_ids = att;
	rc = rejected ? gdfo__plan_add_rejected(p, &c) : gdfo__plan_add_change(p, &c);
	free(ids);
	free(att);
	if (rc) {
		rc = rc == GDFO_ENOMEM ? rc : GDFO_EFORMAT;
		return gdfo__error_prefix(rc, "%s", path);
	}
	return 0;
}

static int read_plan(gdfo_plan **out, const cJSON *root)
{
	const cJSON *pipe, *pred, *changes, *js;
	const char *source;
	gdfo_graph *g;
	gdfo_plan *p;
	gdfo_prediction pr = {.version = GDFO_PREDICTION_VERSION};
	char cp[GDFO__PATH_MAX];
	int32_t risk;
	size_t i = 0;
	int rc;

	if ((rc = gdfo__json_string(&source, root, "source", "", 1, NULL)))
		return rc;
	if (!source[0] || strlen(source) > GDFO__PLAN_SOURCE_MAX)
		return gdfo__error(GDFO_EFORMAT, "source: must be 1 to %d bytes long", GDFO__PLAN_SOURCE_MAX);
	if ((rc = gdfo__json_enum(&risk, root, "risk", "", 1, 0, gdfo_risk_name, 3)))
		return rc;
	pipe = cJSON_GetObjectItemCaseSensitive(root, "pipeline");
	if (!pipe || cJSON_IsNull(pipe))
		return gdfo__error(GDFO_EFORMAT, "pipeline: required field is missing");
	if ((rc = gdfo__json_expect_object(pipe, "pipeline")))
		return rc;
	if (cJSON_GetObjectItemCaseSensitive(pipe, "format") &&
	    (rc = gdfo__json_check_format(pipe, "gdfo-pipeline", "pipeline")))
		return rc;
	if ((rc = gdfo__json_read_graph(&g, pipe, "pipeline")))
		return rc;
	if ((rc = gdfo__plan_adopt(&p, g, source)))
		return rc;
	p->risk = risk;
	if ((rc = read_loop(p, root)))
		goto fail;
	pred = cJSON_GetObjectItemCaseSensitive(root, "prediction");
	if (pred && !cJSON_IsNull(pred)) {
		if ((rc = gdfo__json_expect_object(pred, "prediction")))
			goto fail;
		if (gdfo__json_only_keys(pred, prediction_keys, "prediction")) {
			rc = GDFO_EFORMAT;
			goto fail;
		}
		if ((rc = gdfo__json_number(&pr.latency_ms, pred, "latency_ms", "prediction", 0, -1, 0, 1e300)) ||
		    (rc = gdfo__json_number(&pr.throughput, pred, "throughput", "prediction", 0, -1, 0, 1e300)) ||
		    (rc = gdfo__json_number(&pr.cost, pred, "cost", "prediction", 0, -1, 0, 1e300)) ||
		    (rc = gdfo__json_number(&pr.baseline_latency_ms, pred, "baseline_latency_ms", "prediction", 0,
					    -1, 0, 1e300)) ||
		    (rc = gdfo__json_number(&pr.baseline_cost, pred, "baseline_cost", "prediction", 0, -1, 0,
					    1e300)) ||
		    (rc = gdfo__json_number(&pr.execution_ms, pred, "execution_ms", "prediction", 0, -1, 0, 1e300)) ||
		    (rc = gdfo__json_number(&pr.baseline_execution_ms, pred, "baseline_execution_ms", "prediction", 0,
					    -1, 0, 1e300)) ||
		    (rc = gdfo__json_number(&pr.overhead_ms, pred, "overhead_ms", "prediction", 0, -1, 0, 1e300)) ||
		    (rc = gdfo__json_number(&pr.measured_latency_ms, pred, "measured_latency_ms", "prediction", 0, -1,
					    0, 1e300)) ||
		    (rc = gdfo__json_enum(&pr.calibrated, pred, "calibration", "prediction", 0, -1, calibration_name,
					  2)))
			goto fail;
		{
			int64_t k, k0;
			if ((rc = gdfo__json_int(&k, pred, "stages_calibrated", "prediction", 0, -1, 0, INT32_MAX)) ||
			    (rc = gdfo__json_int(&k0, pred, "baseline_stages_calibrated", "prediction", 0, -1, 0,
						 INT32_MAX)))
				goto fail;
			pr.stages_calibrated = (int32_t)k;
			pr.baseline_stages_calibrated = (int32_t)k0;
		}
		p->prediction = pr;
	}
	if ((rc = gdfo__json_array(&changes, root, "changes", "", 1)))
		goto fail;
	cJSON_ArrayForEach(js, changes) {
		gdfo__json_path_index(cp, "changes", i++);
		if ((rc = read_change(p, js, cp, 0)))
			goto fail;
	}
	if ((rc = gdfo__json_array(&changes, root, "rejected", "", 0)))
		goto fail;
	i = 0;
	cJSON_ArrayForEach(js, changes) {
		gdfo__json_path_index(cp, "rejected", i++);
		if ((rc = read_change(p, js, cp, 1)))
			goto fail;
	}
	if ((rc = gdfo__json_array(&changes, root, "notes", "", 0)))
		goto fail;
	i = 0;
	cJSON_ArrayForEach(js, changes) {
		gdfo__json_path_index(cp, "notes", i++);
		if (!cJSON_IsString(js) || !js->valuestring[0] || strlen(js->valuestring) > GDFO__PLAN_TEXT_MAX) {
			rc = gdfo__error(GDFO_EFORMAT, "%s: expected a note (a string of 1 to %d bytes)", cp,
					 GDFO__PLAN_TEXT_MAX);
			goto fail;
		}
		if ((rc = gdfo__json_check_utf8(js, cp)) || (rc = gdfo__plan_add_note(p, js->valuestring)))
			goto fail;
	}
	*out = p;
	return 0;
fail:
	gdfo_plan_free(p);
	return rc;
}

int gdfo_plan_from_json(gdfo_plan **out, const char *json, size_t len)
{
	cJSON *root;
	int rc;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_plan_from_json: out is NULL");
	*out = NULL;
	if ((rc = gdfo__json_parse(&root, json, len, WHAT)))
		return rc;
	rc = gdfo__json_check_format(root, "gdfo-plan", WHAT);
	if (!rc)
		rc = read_plan(out, root);
	cJSON_Delete(root);
	return rc;
}

int gdfo_plan_load(gdfo_plan **out, const char *path)
{
	char *text;
	size_t len;
	int rc;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_plan_load: out is NULL");
	*out = NULL;
	if (!path)
		return gdfo__error(GDFO_EINVAL, "gdfo_plan_load: path is NULL");
	if ((rc = gdfo__file_read_text(&text, &len, path, GDFO__JSON_MAX_BYTES)))
		return rc;
	rc = gdfo_plan_from_json(out, text, len);
	free(text);
	if (rc)
		gdfo__error_prefix(rc, "%s", path);
	return rc;
}
