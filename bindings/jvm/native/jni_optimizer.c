/* org.gdfo.Optimizer: the learned optimizer and its native Options object. */
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

JNIEXPORT jlong JNICALL Java_org_gdfo_Optimizer_nOpen(JNIEnv *env, jclass cls, jbyteArray model, jlong h)
{
	gdfo_optimizer_options o;
	gdfo_optimizer *opt = NULL;
	char *path = NULL;

	if (h)
		o = ((const options *)PTR(h))->o;
	else if (gdfo__jni_fail(env, gdfo_optimizer_options_init(&o, GDFO_OPTIMIZER_OPTIONS_VERSION)))
		return 0;
	if (model && !(path = gdfo__jni_copy_bytes(env, model, NULL, 1, "modelPath")))
		return 0;
	o.model_path = path;
	gdfo__jni_fail(env, gdfo_optimizer_open(&opt, NULL, &o));
	free(path);
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
