/* org.gdfo.Diagnosis: diagnostics, the advisor and the what-if table. */
#include <stdlib.h>

#include "jni_common.h"
#include "org_gdfo_Diagnosis.h"

/* Options filled on the C side; the objective read from the record's accessors by name. */
static int options(JNIEnv *env, gdfo_diag_options *o, gdfo_objective *obj, jobject objective, jint min_pct,
		   jint max_pct)
{
	if (gdfo__jni_fail(env, gdfo_diag_options_init(o, GDFO_DIAG_OPTIONS_VERSION)))
		return 1;
	o->whatif_min_pct = min_pct;
	o->whatif_max_pct = max_pct;
	if (!objective)
		return 0;
	if (gdfo__jni_objective(env, objective, obj))
		return 1;
	o->objective = obj;
	return 0;
}

JNIEXPORT jlong JNICALL Java_org_gdfo_Diagnosis_nEventLog(JNIEnv *env, jclass cls, jbyteArray path, jobject objective,
							  jint min_pct, jint max_pct)
{
	gdfo_diag_options o;
	gdfo_objective obj;
	gdfo_diagnosis *d = NULL;
	char *p;
	int rc;

	if (options(env, &o, &obj, objective, min_pct, max_pct) || !(p = gdfo__jni_copy_bytes(env, path, NULL, 1, "path")))
		return 0;
	rc = gdfo_diagnose_eventlog(&d, p, &o);
	free(p);
	return gdfo__jni_fail(env, rc) ? 0 : HANDLE(d);
}

JNIEXPORT jlong JNICALL Java_org_gdfo_Diagnosis_nProfile(JNIEnv *env, jclass cls, jlong profile, jobject objective,
							 jint min_pct, jint max_pct)
{
	gdfo_diag_options o;
	gdfo_objective obj;
	gdfo_diagnosis *d = NULL;

	if (gdfo__jni_check_handle(env, profile) || options(env, &o, &obj, objective, min_pct, max_pct))
		return 0;
	return gdfo__jni_fail(env, gdfo_diagnose_profile(&d, PTR(profile), &o)) ? 0 : HANDLE(d);
}

JNIEXPORT void JNICALL Java_org_gdfo_Diagnosis_nFree(JNIEnv *env, jclass cls, jlong h)
{
	gdfo_diagnosis_free(PTR(h));
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Diagnosis_nToJson(JNIEnv *env, jclass cls, jlong h, jint parts)
{
	char *s = NULL;
	int rc;
	if (gdfo__jni_check_handle(env, h))
		return NULL;
	rc = gdfo_diagnosis_to_json(&s, PTR(h), (unsigned)parts);
	return gdfo__jni_take_string(env, rc, s);
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Diagnosis_nConf(JNIEnv *env, jclass cls, jlong h)
{
	char *s = NULL;
	int rc;
	if (gdfo__jni_check_handle(env, h))
		return NULL;
	rc = gdfo_diagnosis_conf(&s, PTR(h));
	return gdfo__jni_take_string(env, rc, s);
}

JNIEXPORT jint JNICALL Java_org_gdfo_Diagnosis_nFindingCount(JNIEnv *env, jclass cls, jlong h)
{
	if (gdfo__jni_check_handle(env, h))
		return 0;
	return (jint)gdfo_diagnosis_finding_count(PTR(h));
}
