/* org.gdfo.Gdfo: version, status names, the last error. */
#include "jni_common.h"
#include "org_gdfo_Gdfo.h"

JNIEXPORT jintArray JNICALL Java_org_gdfo_Gdfo_nVersion(JNIEnv *env, jclass cls)
{
	int v[3];
	jint j[3];
	jintArray a;

	gdfo_version(&v[0], &v[1], &v[2]);
	j[0] = v[0];
	j[1] = v[1];
	j[2] = v[2];
	if ((a = (*env)->NewIntArray(env, 3)))
		(*env)->SetIntArrayRegion(env, a, 0, 3, j);
	return a;
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Gdfo_nStatusName(JNIEnv *env, jclass cls, jint status)
{
	return gdfo__jni_bytes(env, gdfo_status_name(status));
}

JNIEXPORT jbyteArray JNICALL Java_org_gdfo_Gdfo_nLastError(JNIEnv *env, jclass cls)
{
	return gdfo__jni_bytes(env, gdfo_last_error());
}
