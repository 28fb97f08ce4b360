/* org.gdfo.Profile: job profiles. */
#include <stdlib.h>

#include "jni_common.h"
#include "org_gdfo_Profile.h"

static int prof_parse(void **o, const char *j, size_t n) { return gdfo_profile_from_json((gdfo_profile **)o, j, n); }
static int prof_load(void **o, const char *p) { return gdfo_profile_load((gdfo_profile **)o, p); }
static int prof_save(const void *p, const char *path) { return gdfo_profile_save(p, path); }
static int prof_json(char **o, const void *p) { return gdfo_profile_to_json(o, p); }

JNIEXPORT jlong JNICALL Java_org_gdfo_Profile_nFromJson(JNIEnv *env, jclass cls, jbyteArray json)
{
	return gdfo__jni_parse(env, json, prof_parse);
}

JNIEXPORT jlong JNICALL Java_org_gdfo_Profile_nLoad(JNIEnv *env, jclass cls, jbyteArray path)
{
	return gdfo__jni_load(env, path, prof_load);
}

JNIEXPORT void JNICALL Java_org_gdfo_Profile_nFree(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_profile_free(PTR(h));
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Profile_nToJson(JNIEnv *env, jclass cls, jlong h)
{
	return gdfo__jni_json(env, h, prof_json);
}

JNIEXPORT void JNICALL Java_org_gdfo_Profile_nSave(JNIEnv *env, jclass cls, jlong h, jbyteArray path)
{
	gdfo__jni_save(env, h, path, prof_save);
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Profile_nName(JNIEnv *env, jclass cls, jlong h)
{
	if (gdfo__jni_check_handle(env, h))
		return NULL;
	return gdfo__jni_bytes(env, gdfo_profile_name(PTR(h)));
}

JNIEXPORT jint JNICALL Java_org_gdfo_Profile_nExecutors(JNIEnv *env, jclass cls, jlong h)
{
	return gdfo__jni_check_handle(env, h) ? 0 : gdfo_profile_executors(PTR(h));
}

JNIEXPORT jint JNICALL Java_org_gdfo_Profile_nCoresPerExecutor(JNIEnv *env, jclass cls, jlong h)
{
	return gdfo__jni_check_handle(env, h) ? 0 : gdfo_profile_cores_per_executor(PTR(h));
}

JNIEXPORT jint JNICALL Java_org_gdfo_Profile_nStageCount(JNIEnv *env, jclass cls, jlong h)
{
	if (gdfo__jni_check_handle(env, h))
		return 0;
	return (jint)gdfo_profile_stage_count(PTR(h));
}

/* Fills a Profile.StageFields holder field by field, by name. */
JNIEXPORT void JNICALL Java_org_gdfo_Profile_nStageAt(JNIEnv *env, jclass cls, jlong h, jint index, jobject out)
{
	gdfo_profile_stage s = {.version = GDFO_PROFILE_STAGE_VERSION};

	if (gdfo__jni_check_handle(env, h) || gdfo__jni_check_index(env, index, "stage"))
		return;
	s.version = GDFO_PROFILE_STAGE_VERSION;
	if (gdfo__jni_fail(env, gdfo_profile_stage_at(&s, PTR(h), (size_t)index)))
		return;
	(void)(gdfo__jni_set_long(env, out, "id", s.id) ||
	       gdfo__jni_set_long(env, out, "numTasks", s.num_tasks) ||
	       gdfo__jni_set_object(env, out, "parents", "[J", gdfo__jni_long_array(env, s.parents, s.n_parents)) ||
	       gdfo__jni_set_object(env, out, "taskMs", "[D", gdfo__jni_double_array(env, s.task_ms, s.n_task_ms)));
}
