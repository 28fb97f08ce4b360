/* org.gdfo.Plan: plans, their changes and predictions. */
#include <stdlib.h>

#include "jni_common.h"
#include "org_gdfo_Plan.h"

static int plan_parse(void **o, const char *j, size_t n) { return gdfo_plan_from_json((gdfo_plan **)o, j, n); }
static int plan_load(void **o, const char *p) { return gdfo_plan_load((gdfo_plan **)o, p); }
static int plan_save(const void *p, const char *path) { return gdfo_plan_save(p, path); }
static int plan_json(char **o, const void *p) { return gdfo_plan_to_json(o, p); }
static int plan_explain(char **o, const void *p) { return gdfo_plan_explain(o, p); }

JNIEXPORT jlong JNICALL Java_org_gdfo_Plan_nFromJson(JNIEnv *env, jclass cls, jbyteArray json)
{
	return gdfo__jni_parse(env, json, plan_parse);
}

JNIEXPORT jlong JNICALL Java_org_gdfo_Plan_nLoad(JNIEnv *env, jclass cls, jbyteArray path)
{
	return gdfo__jni_load(env, path, plan_load);
}

JNIEXPORT void JNICALL Java_org_gdfo_Plan_nFree(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_plan_free(PTR(h));
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Plan_nToJson(JNIEnv *env, jclass cls, jlong h)
{
	return gdfo__jni_json(env, h, plan_json);
}

JNIEXPORT void JNICALL Java_org_gdfo_Plan_nSave(JNIEnv *env, jclass cls, jlong h, jbyteArray path)
{
	gdfo__jni_save(env, h, path, plan_save);
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Plan_nExplain(JNIEnv *env, jclass cls, jlong h)
{
	return gdfo__jni_json(env, h, plan_explain);
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Plan_nSource(JNIEnv *env, jclass cls, jlong h)
{
	if (gdfo__jni_check_handle(env, h))
		return NULL;
	return gdfo__jni_bytes(env, gdfo_plan_source(PTR(h)));
}

JNIEXPORT jint JNICALL Java_org_gdfo_Plan_nRisk(JNIEnv *env, jclass cls, jlong h)
{
	if (gdfo__jni_check_handle(env, h))
		return 0;
	return gdfo_plan_risk(PTR(h));
}

JNIEXPORT jlong JNICALL Java_org_gdfo_Plan_nGraph(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_graph *out = NULL;

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_fail(env, gdfo_graph_clone(&out, gdfo_plan_graph(PTR(h)))))
		return 0;
	return HANDLE(out);
}

JNIEXPORT jint JNICALL Java_org_gdfo_Plan_nChangeCount(JNIEnv *env, jclass cls, jlong h)
{
	if (gdfo__jni_check_handle(env, h))
		return 0;
	return (jint)gdfo_plan_change_count(PTR(h));
}

/* Fills a Plan.ChangeFields holder field by field, by name. */
JNIEXPORT void JNICALL Java_org_gdfo_Plan_nChangeAt(JNIEnv *env, jclass cls, jlong h, jint index, jobject out)
{
	gdfo_change c = {.version = GDFO_CHANGE_VERSION};

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_check_index(env, index, "change") ||
	    gdfo__jni_fail(env, gdfo_plan_change_at(&c, PTR(h), (size_t)index)))
		return;
	(void)(gdfo__jni_set_int(env, out, "kind", c.kind) ||
	       gdfo__jni_set_object(env, out, "stageIds", "[J",
				    gdfo__jni_long_array(env, c.stage_ids, c.n_stage_ids)) ||
	       gdfo__jni_set_object(env, out, "what", "[B", gdfo__jni_bytes(env, c.what)) ||
	       gdfo__jni_set_object(env, out, "why", "[B", gdfo__jni_bytes(env, c.why)) ||
	       gdfo__jni_set_double(env, out, "expectedGain", c.expected_gain) ||
	       gdfo__jni_set_double(env, out, "confidence", c.confidence) ||
	       gdfo__jni_set_object(env, out, "attendedIds", "[J",
				    gdfo__jni_long_array(env, c.attended_ids, c.n_attended_ids)) ||
	       gdfo__jni_set_object(env, out, "field", "[B", gdfo__jni_bytes(env, c.field)) ||
	       gdfo__jni_set_double(env, out, "oldValue", c.old_value) ||
	       gdfo__jni_set_double(env, out, "newValue", c.new_value) ||
	       gdfo__jni_set_object(env, out, "oldLabel", "[B", gdfo__jni_bytes(env, c.old_label)) ||
	       gdfo__jni_set_object(env, out, "newLabel", "[B", gdfo__jni_bytes(env, c.new_label)));
}

JNIEXPORT jobject JNICALL Java_org_gdfo_Plan_nPrediction(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_prediction p = {.version = GDFO_PREDICTION_VERSION};

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_fail(env, gdfo_plan_prediction(&p, PTR(h))))
		return NULL;
	return gdfo__jni_new(env, "org/gdfo/Plan$Prediction", "(DDDDDDDDDIII)V", p.latency_ms, p.throughput,
			     p.cost, p.baseline_latency_ms, p.baseline_cost, p.execution_ms, p.baseline_execution_ms,
			     p.overhead_ms, p.measured_latency_ms, p.calibrated, p.stages_calibrated,
			     p.baseline_stages_calibrated);
}

JNIEXPORT jint JNICALL Java_org_gdfo_Plan_nNoteCount(JNIEnv *env, jclass cls, jlong h)
{
	if (gdfo__jni_check_handle(env, h))
		return 0;
	return (jint)gdfo_plan_note_count(PTR(h));
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Plan_nNoteAt(JNIEnv *env, jclass cls, jlong h, jint index)
{
	const char *s;

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_check_index(env, index, "note"))
		return NULL;
	if (!(s = gdfo_plan_note_at(PTR(h), (size_t)index))) {
		gdfo__jni_throw(env, GDFO_ERANGE, "note index is out of range");
		return NULL;
	}
	return gdfo__jni_bytes(env, s);
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Plan_nId(JNIEnv *env, jclass cls, jlong h)
{
	if (gdfo__jni_check_handle(env, h))
		return NULL;
	return gdfo__jni_bytes(env, gdfo_plan_id(PTR(h)));
}

/* Fills a Plan.LoopFields; step stays null for a plan made without a state directory. */
JNIEXPORT void JNICALL Java_org_gdfo_Plan_nLoopInfo(JNIEnv *env, jclass cls, jlong h, jobject out)
{
	gdfo_plan_loop l = {.version = GDFO_PLAN_LOOP_VERSION};

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_fail(env, gdfo_plan_loop_info(&l, PTR(h))) ||
	    l.step == GDFO_STEP_NONE)
		return;
	(void)(gdfo__jni_set_object(env, out, "step", "[B", gdfo__jni_bytes(env, gdfo_loop_step_name(l.step))) ||
	       gdfo__jni_set_int(env, out, "events", l.events) ||
	       gdfo__jni_set_int(env, out, "needsApproval", l.needs_approval) ||
	       gdfo__jni_set_long(env, out, "fingerprint", (int64_t)l.fingerprint) ||
	       gdfo__jni_set_double(env, out, "predictedRegret", l.predicted_regret) ||
	       gdfo__jni_set_double(env, out, "forecastScale", l.forecast_scale) ||
	       gdfo__jni_set_int(env, out, "runs", l.runs));
}

/* The names of the gdfo_loop_event bits set in bits (every bit the library names). */
JNIEXPORT jobjectArray JNICALL Java_org_gdfo_Plan_nLoopEventNames(JNIEnv *env, jclass cls, jint bits)
{
	const char *names[32];
	size_t n = 0;
	int i;

	for (i = 0; i < 31; i++)
		if ((bits & (1 << i)) && gdfo_loop_event_name(1 << i))
			names[n++] = gdfo_loop_event_name(1 << i);
	return gdfo__jni_string_array(env, names, n);
}
