/* Helpers shared by the per-class JNI files (see jni_common.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jni_common.h"

static jbyteArray bytes_n(JNIEnv *env, const char *s, size_t n)
{
	jbyteArray a;

	if (n > INT32_MAX) {
		jclass c = (*env)->FindClass(env, "java/lang/OutOfMemoryError");
		if (c)
			(*env)->ThrowNew(env, c, "libgdfo string larger than a Java array");
		return NULL;
	}
	a = (*env)->NewByteArray(env, (jsize)n);
	if (a && n)
		(*env)->SetByteArrayRegion(env, a, 0, (jsize)n, (const jbyte *)s);
	return a;
}

jbyteArray gdfo__jni_bytes(JNIEnv *env, const char *s)
{
	return s ? bytes_n(env, s, strlen(s)) : NULL;
}

void gdfo__jni_throw(JNIEnv *env, int status, const char *msg)
{
	jclass cls;
	jmethodID ctor;
	jbyteArray m;
	jobject ex;

	if ((*env)->ExceptionCheck(env))
		return;
	cls = (*env)->FindClass(env, "org/gdfo/GdfoException");
	if (!cls)
		return;
	ctor = (*env)->GetMethodID(env, cls, "<init>", "(I[B)V");
	if (!ctor)
		return;
	m = gdfo__jni_bytes(env, msg ? msg : "unknown error");
	if (!m)
		return;
	ex = (*env)->NewObject(env, cls, ctor, (jint)status, m);
	if (ex)
		(*env)->Throw(env, (jthrowable)ex);
}

int gdfo__jni_fail(JNIEnv *env, int rc)
{
	if (rc >= 0)
		return 0;
	gdfo__jni_throw(env, rc, gdfo_last_error());
	return 1;
}

int gdfo__jni_check_handle(JNIEnv *env, jlong h)
{
	if (h == 0) {
		gdfo__jni_throw(env, GDFO_EINVAL, "native handle is null (closed object?)");
		return 1;
	}
	return 0;
}

int gdfo__jni_check_index(JNIEnv *env, jint index, const char *what)
{
	char msg[64];

	if (index >= 0)
		return 0;
	snprintf(msg, sizeof(msg), "%s index is negative", what);
	gdfo__jni_throw(env, GDFO_ERANGE, msg);
	return 1;
}

char *gdfo__jni_copy_bytes(JNIEnv *env, jbyteArray a, size_t *len, int path, const char *what)
{
	char msg[64];
	jsize n;
	char *buf;

	if (!a) {
		snprintf(msg, sizeof(msg), "%s is null", what);
		gdfo__jni_throw(env, GDFO_EINVAL, msg);
		return NULL;
	}
	n = (*env)->GetArrayLength(env, a);
	buf = malloc((size_t)n + 1);
	if (!buf) {
		gdfo__jni_throw(env, GDFO_ENOMEM, "out of memory copying a Java byte array");
		return NULL;
	}
	(*env)->GetByteArrayRegion(env, a, 0, n, (jbyte *)buf);
	buf[n] = '\0';
	if (path && memchr(buf, '\0', (size_t)n)) {
		free(buf);
		snprintf(msg, sizeof(msg), "%s contains a NUL character", what);
		gdfo__jni_throw(env, GDFO_EINVAL, msg);
		return NULL;
	}
	if (len)
		*len = (size_t)n;
	return buf;
}

jbyteArray gdfo__jni_take_string(JNIEnv *env, int rc, char *s)
{
	jbyteArray a;

	if (gdfo__jni_fail(env, rc))
		return NULL;
	a = gdfo__jni_bytes(env, s);
	gdfo_free(s);
	return a;
}

jlongArray gdfo__jni_long_array(JNIEnv *env, const int64_t *v, size_t n)
{
	jlongArray a;
	size_t i;

	if (!(a = (*env)->NewLongArray(env, (jsize)n)))
		return NULL;
	for (i = 0; i < n; i++) {
		jlong x = (jlong)v[i];
		(*env)->SetLongArrayRegion(env, a, (jsize)i, 1, &x);
	}
	return a;
}

jobjectArray gdfo__jni_string_array(JNIEnv *env, const char *const *s, size_t n)
{
	jclass bc;
	jobjectArray a;
	size_t i;

	if (!(bc = (*env)->FindClass(env, "[B")) || !(a = (*env)->NewObjectArray(env, (jsize)n, bc, NULL)))
		return NULL;
	for (i = 0; i < n; i++) {
		jbyteArray b = gdfo__jni_bytes(env, s[i]);
		if (!b)
			return NULL;
		(*env)->SetObjectArrayElement(env, a, (jsize)i, b);
		(*env)->DeleteLocalRef(env, b);
	}
	return a;
}

jobject gdfo__jni_new(JNIEnv *env, const char *name, const char *sig, ...)
{
	jclass cls;
	jmethodID ctor;
	jobject obj;
	va_list ap;

	if (!(cls = (*env)->FindClass(env, name)) || !(ctor = (*env)->GetMethodID(env, cls, "<init>", sig)))
		return NULL;
	va_start(ap, sig);
	obj = (*env)->NewObjectV(env, cls, ctor, ap);
	va_end(ap);
	(*env)->DeleteLocalRef(env, cls);
	return obj;
}

static jmethodID accessor(JNIEnv *env, jobject obj, const char *name, const char *sig)
{
	jclass cls;
	jmethodID m;

	if (!obj) {
		gdfo__jni_throw(env, GDFO_EINVAL, "record is null");
		return NULL;
	}
	cls = (*env)->GetObjectClass(env, obj);
	m = (*env)->GetMethodID(env, cls, name, sig);
	(*env)->DeleteLocalRef(env, cls);
	return m;
}

int gdfo__jni_get_double(JNIEnv *env, jobject obj, const char *name, double *out)
{
	jmethodID m = accessor(env, obj, name, "()D");

	if (!m)
		return 1;
	*out = (*env)->CallDoubleMethod(env, obj, m);
	return (*env)->ExceptionCheck(env) ? 1 : 0;
}

int gdfo__jni_get_long(JNIEnv *env, jobject obj, const char *name, int64_t *out)
{
	jmethodID m = accessor(env, obj, name, "()J");

	if (!m)
		return 1;
	*out = (*env)->CallLongMethod(env, obj, m);
	return (*env)->ExceptionCheck(env) ? 1 : 0;
}

int gdfo__jni_get_boolean(JNIEnv *env, jobject obj, const char *name, int32_t *out)
{
	jmethodID m = accessor(env, obj, name, "()Z");

	if (!m)
		return 1;
	*out = (*env)->CallBooleanMethod(env, obj, m) ? 1 : 0;
	return (*env)->ExceptionCheck(env) ? 1 : 0;
}

static jfieldID field_id(JNIEnv *env, jobject obj, const char *name, const char *sig)
{
	jclass cls;
	jfieldID f;

	if (!obj) {
		gdfo__jni_throw(env, GDFO_EINVAL, "holder object is null");
		return NULL;
	}
	cls = (*env)->GetObjectClass(env, obj);
	f = (*env)->GetFieldID(env, cls, name, sig);
	(*env)->DeleteLocalRef(env, cls);
	return f;
}

int gdfo__jni_set_long(JNIEnv *env, jobject obj, const char *field, int64_t v)
{
	jfieldID f = field_id(env, obj, field, "J");

	if (!f)
		return 1;
	(*env)->SetLongField(env, obj, f, (jlong)v);
	return 0;
}

int gdfo__jni_set_int(JNIEnv *env, jobject obj, const char *field, int32_t v)
{
	jfieldID f = field_id(env, obj, field, "I");

	if (!f)
		return 1;
	(*env)->SetIntField(env, obj, f, (jint)v);
	return 0;
}

int gdfo__jni_set_double(JNIEnv *env, jobject obj, const char *field, double v)
{
	jfieldID f = field_id(env, obj, field, "D");

	if (!f)
		return 1;
	(*env)->SetDoubleField(env, obj, f, (jdouble)v);
	return 0;
}

int gdfo__jni_set_object(JNIEnv *env, jobject obj, const char *field, const char *sig, jobject v)
{
	jfieldID f;

	if (!v && (*env)->ExceptionCheck(env))
		return 1;
	f = field_id(env, obj, field, sig);
	if (f)
		(*env)->SetObjectField(env, obj, f, v);
	if (v)
		(*env)->DeleteLocalRef(env, v);
	return f ? 0 : 1;
}

jdoubleArray gdfo__jni_double_array(JNIEnv *env, const double *v, size_t n)
{
	jdoubleArray a;

	if ((a = (*env)->NewDoubleArray(env, (jsize)n)) && n)
		(*env)->SetDoubleArrayRegion(env, a, 0, (jsize)n, (const jdouble *)v);
	return a;
}

jlong gdfo__jni_parse(JNIEnv *env, jbyteArray json, int (*fn)(void **, const char *, size_t))
{
	size_t len;
	char *text = gdfo__jni_copy_bytes(env, json, &len, 0, "text");
	void *out = NULL;
	int rc;

	if (!text)
		return 0;
	rc = fn(&out, text, len);
	free(text);
	return gdfo__jni_fail(env, rc) ? 0 : HANDLE(out);
}

jlong gdfo__jni_load(JNIEnv *env, jbyteArray path, int (*fn)(void **, const char *))
{
	char *p = gdfo__jni_copy_bytes(env, path, NULL, 1, "path");
	void *out = NULL;
	int rc;

	if (!p)
		return 0;
	rc = fn(&out, p);
	free(p);
	return gdfo__jni_fail(env, rc) ? 0 : HANDLE(out);
}

void gdfo__jni_save(JNIEnv *env, jlong h, jbyteArray path, int (*fn)(const void *, const char *))
{
	char *p;

	if (gdfo__jni_check_handle(env, h) || !(p = gdfo__jni_copy_bytes(env, path, NULL, 1, "path")))
		return;
	gdfo__jni_fail(env, fn(PTR(h), p));
	free(p);
}

jbyteArray gdfo__jni_json(JNIEnv *env, jlong h, int (*fn)(char **, const void *))
{
	char *s = NULL;
	int rc;

	if (gdfo__jni_check_handle(env, h))
		return NULL;
	rc = fn(&s, PTR(h)); /* before take_string reads s: argument order is unspecified */
	return gdfo__jni_take_string(env, rc, s);
}

int gdfo__jni_objective(JNIEnv *env, jobject objective, gdfo_objective *out)
{
	return gdfo__jni_fail(env, gdfo_objective_init(out, GDFO_OBJECTIVE_VERSION)) ||
	       gdfo__jni_get_double(env, objective, "throughputWeight", &out->throughput_weight) ||
	       gdfo__jni_get_double(env, objective, "latencyWeight", &out->latency_weight) ||
	       gdfo__jni_get_double(env, objective, "costWeight", &out->cost_weight) ||
	       gdfo__jni_get_double(env, objective, "sloMs", &out->slo_ms) ||
	       gdfo__jni_get_double(env, objective, "costCeiling", &out->cost_ceiling) ||
	       gdfo__jni_get_double(env, objective, "failurePenalty", &out->failure_penalty);
}
