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

JNIEXPORT jintArray JNICALL Java_org_gdfo_Profile_nShape(JNIEnv *env, jclass cls, jlong h)
{
	jint v[2];
	jintArray a;

	if (gdfo__jni_check_handle(env, h))
		return NULL;
	v[0] = gdfo_profile_executors(PTR(h));
	v[1] = gdfo_profile_cores_per_executor(PTR(h));
	if ((a = (*env)->NewIntArray(env, 2)))
		(*env)->SetIntArrayRegion(env, a, 0, 2, v);
	return a;
}

JNIEXPORT jint JNICALL Java_org_gdfo_Profile_nStageCount(JNIEnv *env, jclass cls, jlong h)
{
	if (gdfo__jni_check_handle(env, h))
		return 0;
	return (jint)gdfo_profile_stage_count(PTR(h));
}

static int profile_stage(JNIEnv *env, gdfo_profile_stage *s, jlong h, jint index)
{
	if (gdfo__jni_check_handle(env, h))
		return 1;
	if (gdfo__jni_check_index(env, index, "stage"))
		return 1;
	return gdfo__jni_fail(env, gdfo_profile_stage_at(PTR(h), (size_t)index, s));
}

JNIEXPORT jlongArray JNICALL Java_org_gdfo_Profile_nStageAt(JNIEnv *env, jclass cls, jlong h, jint index,
							    jlongArray id_tasks)
{
	gdfo_profile_stage s;
	jlong v[2];

	if (gdfo__jni_check_array(env, id_tasks, 2, "idTasks array is null") || profile_stage(env, &s, h, index))
		return NULL;
	v[0] = s.id;
	v[1] = s.num_tasks;
	(*env)->SetLongArrayRegion(env, id_tasks, 0, 2, v);
	return gdfo__jni_long_array(env, s.parents, s.n_parents);
}

JNIEXPORT jdoubleArray JNICALL Java_org_gdfo_Profile_nStageTaskMs(JNIEnv *env, jclass cls, jlong h,
								  jint index)
{
	gdfo_profile_stage s;
	jdoubleArray a;
	size_t i;

	if (profile_stage(env, &s, h, index))
		return NULL;
	if (!(a = (*env)->NewDoubleArray(env, (jsize)s.n_task_ms)))
		return NULL;
	for (i = 0; i < s.n_task_ms; i++) {
		jdouble d = s.task_ms[i];
		(*env)->SetDoubleArrayRegion(env, a, (jsize)i, 1, &d);
	}
	return a;
}
