/* org.gdfo.Optimizer: the learned optimizer, its closed loop and its native Options object. */
#include <stdlib.h>

#include "jni_common.h"
#include "org_gdfo_Optimizer.h"

/* The options struct and the cluster it may point to, freed together. */
typedef struct options {
	gdfo_optimizer_options o;
	gdfo_sim_cluster cluster;
} options;

JNIEXPORT jlong JNICALL Java_org_gdfo_Optimizer_nOptionsCreate(JNIEnv *env, jclass cls)
{
	options *o = calloc(1, sizeof(*o));

	if (!o) {
		gdfo__jni_throw(env, GDFO_ENOMEM, "out of memory allocating optimizer options");
		return 0;
	}
	if (gdfo__jni_fail(env, gdfo_optimizer_options_init(&o->o, GDFO_OPTIMIZER_OPTIONS_VERSION))) {
		free(o);
		return 0;
	}
	return HANDLE(o);
}

JNIEXPORT void JNICALL Java_org_gdfo_Optimizer_nOptionsFree(JNIEnv *env, jclass cls, jlong o)
{
	free(PTR(o));
}

/* One setter and one getter per field; booleans are 0/1 in the C struct. */
#define OPTION(Name, field, jtype, ctype, to_c, to_java) \
	JNIEXPORT void JNICALL Java_org_gdfo_Optimizer_nSet##Name(JNIEnv *env, jclass cls, jlong o, jtype v) \
	{ \
		if (!gdfo__jni_check_handle(env, o)) \
			((options *)PTR(o))->o.field = (ctype)(to_c); \
	} \
	JNIEXPORT jtype JNICALL Java_org_gdfo_Optimizer_nGet##Name(JNIEnv *env, jclass cls, jlong o) \
	{ \
		const gdfo_optimizer_options *p = &((const options *)PTR(o))->o; \
		if (gdfo__jni_check_handle(env, o)) \
			return 0; \
		return to_java; \
	}

OPTION(Candidates, candidates, jint, int32_t, v, (jint)p->candidates)
OPTION(StructuralSteps, structural_steps, jint, int32_t, v, (jint)p->structural_steps)
OPTION(UseRules, use_rules, jboolean, int32_t, v ? 1 : 0, p->use_rules ? JNI_TRUE : JNI_FALSE)
OPTION(Seed, seed, jlong, uint64_t, v, (jlong)p->seed)
OPTION(SyncEvery, sync_every, jint, int32_t, v, (jint)p->sync_every)

static int cluster_load(gdfo_sim_cluster *c, const char *path, size_t len)
{
	(void)len;
	return gdfo_sim_cluster_load(c, path);
}

static int cluster_parse(gdfo_sim_cluster *c, const char *json, size_t len)
{
	return gdfo_sim_cluster_from_json(c, json, len);
}

/* Reads the cluster into the options (path or JSON text); the struct then points to it. */
static void set_cluster(JNIEnv *env, jlong h, jbyteArray a, int path,
			int (*fn)(gdfo_sim_cluster *, const char *, size_t))
{
	options *o = PTR(h);
	gdfo_sim_cluster c = {.version = GDFO_SIM_CLUSTER_VERSION};
	size_t len = 0;
	char *s;

	if (gdfo__jni_check_handle(env, h) ||
	    !(s = gdfo__jni_copy_bytes(env, a, &len, path, path ? "path" : "json")))
		return;
	if (!gdfo__jni_fail(env, fn(&c, s, len))) {
		o->cluster = c;
		o->o.cluster = &o->cluster;
	}
	free(s);
}

JNIEXPORT void JNICALL Java_org_gdfo_Optimizer_nSetClusterFile(JNIEnv *env, jclass cls, jlong o, jbyteArray path)
{
	set_cluster(env, o, path, 1, cluster_load);
}

JNIEXPORT void JNICALL Java_org_gdfo_Optimizer_nSetClusterJson(JNIEnv *env, jclass cls, jlong o, jbyteArray json)
{
	set_cluster(env, o, json, 0, cluster_parse);
}

/*
 * The loop's clock as a java.util.function.DoubleSupplier: created before
 * the optimizer opens and freed after it closes (Optimizer.free). The
 * library starts no threads, so the clock is read on a Java thread inside
 * a plan, feedback or approval call; a supplier that throws gives -1,
 * which the library replaces by the wall clock.
 */
typedef struct jclock {
	JavaVM *vm;
	jobject supplier;  /* global reference */
	jmethodID get;
} jclock;

static double jclock_read(void *ctx)
{
	jclock *c = ctx;
	JNIEnv *env;
	jdouble v;

	if ((*c->vm)->GetEnv(c->vm, (void **)&env, JNI_VERSION_1_8) != JNI_OK)
		return -1;
	v = (*env)->CallDoubleMethod(env, c->supplier, c->get);
	if ((*env)->ExceptionCheck(env)) {
		(*env)->ExceptionClear(env);
		return -1;
	}
	return v;
}

JNIEXPORT jlong JNICALL Java_org_gdfo_Optimizer_nClockCreate(JNIEnv *env, jclass cls, jobject supplier)
{
	jclock *c;
	jclass k;

	if (!supplier) {
		gdfo__jni_throw(env, GDFO_EINVAL, "clock is null");
		return 0;
	}
	if (!(c = calloc(1, sizeof(*c)))) {
		gdfo__jni_throw(env, GDFO_ENOMEM, "out of memory allocating the clock");
		return 0;
	}
	k = (*env)->GetObjectClass(env, supplier);
	if ((*env)->GetJavaVM(env, &c->vm) != JNI_OK || !k ||
	    !(c->get = (*env)->GetMethodID(env, k, "getAsDouble", "()D")) ||
	    !(c->supplier = (*env)->NewGlobalRef(env, supplier))) {
		free(c);
		gdfo__jni_throw(env, GDFO_EINVAL, "clock is not a DoubleSupplier");
		return 0;
	}
	return HANDLE(c);
}

JNIEXPORT void JNICALL Java_org_gdfo_Optimizer_nClockFree(JNIEnv *env, jclass cls, jlong h)
{
	jclock *c = PTR(h);

	if (!c)
		return;
	(*env)->DeleteGlobalRef(env, c->supplier);
	free(c);
}

/* An optimizer; stateDir null: stateless; clock 0: the wall clock. */
JNIEXPORT jlong JNICALL Java_org_gdfo_Optimizer_nOpen(JNIEnv *env, jclass cls, jbyteArray stateDir, jbyteArray model,
						      jlong h, jlong clock)
{
	gdfo_optimizer_options o;
	gdfo_optimizer *opt = NULL;
	char *path = NULL, *state = NULL;

	if (h)
		o = ((const options *)PTR(h))->o;
	else if (gdfo__jni_fail(env, gdfo_optimizer_options_init(&o, GDFO_OPTIMIZER_OPTIONS_VERSION)))
		return 0;
	if (model && !(path = gdfo__jni_copy_bytes(env, model, NULL, 1, "modelPath")))
		return 0;
	if (stateDir && !(state = gdfo__jni_copy_bytes(env, stateDir, NULL, 1, "stateDir"))) {
		free(path);
		return 0;
	}
	o.model_path = path;
	if (clock) {
		o.clock = jclock_read;
		o.clock_ctx = PTR(clock);
	}
	gdfo__jni_fail(env, gdfo_optimizer_open(&opt, state, &o));
	free(path);
	free(state);
	return HANDLE(opt);
}

JNIEXPORT void JNICALL Java_org_gdfo_Optimizer_nClose(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_optimizer_close(PTR(h));
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Optimizer_nModel(JNIEnv *env, jclass cls, jlong h)
{
	if (gdfo__jni_check_handle(env, h))
		return NULL;
	return gdfo__jni_bytes(env, gdfo_optimizer_model(PTR(h)));
}

JNIEXPORT jlong JNICALL Java_org_gdfo_Optimizer_nPlan(JNIEnv *env, jclass cls, jlong h, jlong g, jlong t,
						      jobject objective)
{
	gdfo_objective obj;
	gdfo_plan *plan = NULL;

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_check_handle(env, g) ||
	    (objective && gdfo__jni_objective(env, objective, &obj)) ||
	    gdfo__jni_fail(env, gdfo_optimizer_plan(&plan, PTR(h), PTR(g), t ? PTR(t) : NULL,
						    objective ? &obj : NULL)))
		return 0;
	return HANDLE(plan);
}

/* ---- the closed loop (include/gdfo/loop.h) ---------------------------- */

JNIEXPORT void JNICALL Java_org_gdfo_Optimizer_nFeedback(JNIEnv *env, jclass cls, jlong h, jbyteArray planId, jlong t,
							 jobject out)
{
	gdfo_feedback fb = {.version = GDFO_FEEDBACK_VERSION};
	char *id;
	int rc;

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_check_handle(env, t) ||
	    !(id = gdfo__jni_copy_bytes(env, planId, NULL, 1, "planId")))
		return;
	rc = gdfo_optimizer_feedback(&fb, PTR(h), id, PTR(t));
	free(id);
	if (gdfo__jni_fail(env, rc))
		return;
	(void)(gdfo__jni_set_int(env, out, "events", fb.events) ||
	       gdfo__jni_set_double(env, out, "reward", fb.reward) ||
	       gdfo__jni_set_double(env, out, "baselineLatencyMs", fb.baseline_latency_ms) ||
	       gdfo__jni_set_double(env, out, "baselineCost", fb.baseline_cost) ||
	       gdfo__jni_set_int(env, out, "baselineMeasured", fb.baseline_measured) ||
	       gdfo__jni_set_int(env, out, "knownGood", fb.known_good) ||
	       gdfo__jni_set_int(env, out, "runs", fb.runs) ||
	       gdfo__jni_set_int(env, out, "exploring", fb.exploring) ||
	       gdfo__jni_set_double(env, out, "residual", fb.residual));
}

JNIEXPORT void JNICALL Java_org_gdfo_Optimizer_nApprove(JNIEnv *env, jclass cls, jlong h, jbyteArray planId,
							jbyteArray who, jbyteArray note)
{
	char *id = NULL, *w = NULL, *n = NULL;

	if (gdfo__jni_check_handle(env, h) || !(id = gdfo__jni_copy_bytes(env, planId, NULL, 1, "planId")) ||
	    !(w = gdfo__jni_copy_bytes(env, who, NULL, 1, "who")) ||
	    (note && !(n = gdfo__jni_copy_bytes(env, note, NULL, 1, "note")))) {
		free(id);
		free(w);
		return;
	}
	gdfo__jni_fail(env, gdfo_optimizer_approve(PTR(h), id, w, n));
	free(id);
	free(w);
	free(n);
}

JNIEXPORT void JNICALL Java_org_gdfo_Optimizer_nSync(JNIEnv *env, jclass cls, jlong h)
{
	if (!gdfo__jni_check_handle(env, h))
		gdfo__jni_fail(env, gdfo_optimizer_sync(PTR(h)));
}

JNIEXPORT void JNICALL Java_org_gdfo_Optimizer_nSetPolicy(JNIEnv *env, jclass cls, jlong h, jbyteArray path)
{
	char *p;

	if (gdfo__jni_check_handle(env, h) || !(p = gdfo__jni_copy_bytes(env, path, NULL, 1, "path")))
		return;
	gdfo__jni_fail(env, gdfo_optimizer_set_policy(PTR(h), p));
	free(p);
}

JNIEXPORT void JNICALL Java_org_gdfo_Optimizer_nCheckPolicy(JNIEnv *env, jclass cls, jbyteArray json)
{
	size_t len = 0;
	char *s;

	if (!(s = gdfo__jni_copy_bytes(env, json, &len, 0, "json")))
		return;
	gdfo__jni_fail(env, gdfo_policy_check(s, len));
	free(s);
}

JNIEXPORT jobject JNICALL Java_org_gdfo_Optimizer_nStats(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_loop_stats s = {.version = GDFO_LOOP_STATS_VERSION};

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_fail(env, gdfo_loop_stats_get(&s, PTR(h))))
		return NULL;
	return gdfo__jni_new(env, "org/gdfo/Optimizer$Stats", "(IJJJI)V", (jint)s.pipelines, (jlong)s.records,
			     (jlong)s.plans, (jlong)s.feedback, (jint)s.torn);
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Optimizer_nAuditRead(JNIEnv *env, jclass cls, jbyteArray stateDir,
								jbyteArray pipeline, jdouble since)
{
	char *dir = NULL, *fp = NULL, *out = NULL;
	int rc;

	if (!(dir = gdfo__jni_copy_bytes(env, stateDir, NULL, 1, "stateDir")) ||
	    (pipeline && !(fp = gdfo__jni_copy_bytes(env, pipeline, NULL, 1, "pipeline")))) {
		free(dir);
		return NULL;
	}
	rc = gdfo_audit_read(&out, dir, fp, since);
	free(dir);
	free(fp);
	return gdfo__jni_take_string(env, rc, out);
}
