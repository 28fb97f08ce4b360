/*
 * Shared helpers of the JNI glue: one .c file per Java class (zstd-jni's
 * layout), each including this header.
 *
 * Conventions (zstd-jni / RocksJava style):
 *  - Native pointers travel as jlong; the Java side (NativeHandle,
 *    NativeOptions) never passes a freed one, and 0 is refused here too.
 *  - Strings cross as UTF-8 byte[] in both directions (never NewStringUTF,
 *    which wants modified UTF-8 and can abort the JVM on invalid bytes).
 *  - Every failing libgdfo call becomes a GdfoException(status, message)
 *    thrown before returning; NULL arrays and out-of-range indices are
 *    refused with GDFO_EINVAL / the library's GDFO_ERANGE, never a crash.
 *  - Input structs (gdfo_rules_options, gdfo_stage) live on the C side,
 *    owned by a Java options object that holds their pointer; Java sets
 *    them one named field at a time (RocksJava's options objects). Records
 *    Java passes in are read through their accessors by name; results are
 *    Java records built through their constructors, or package-private
 *    holder objects filled field by field by name. C structs are only ever
 *    touched through named fields, and no positional array crosses, so
 *    neither side depends on the other's field order.
 */
#ifndef GDFO_JNI_COMMON_H
#define GDFO_JNI_COMMON_H

#include <jni.h>
#include <stddef.h>
#include <stdint.h>

#include "gdfo/gdfo.h"

#define PTR(h) ((void *)(intptr_t)(h))
#define HANDLE(p) ((jlong)(intptr_t)(p))

/* A Java byte[] holding s (NULL s gives NULL, no exception). */
jbyteArray gdfo__jni_bytes(JNIEnv *env, const char *s);

/* Throws GdfoException(status, msg) unless an exception is pending. */
void gdfo__jni_throw(JNIEnv *env, int status, const char *msg);

/* Throws GdfoException for rc < 0 with gdfo_last_error(); returns 1 if it threw. */
int gdfo__jni_fail(JNIEnv *env, int rc);

/* Refuses a 0 handle (GDFO_EINVAL); returns 1 if it threw. */
int gdfo__jni_check_handle(JNIEnv *env, jlong h);

/* Refuses a negative index (GDFO_ERANGE, "<what> index is negative"); returns 1 if it threw. */
int gdfo__jni_check_index(JNIEnv *env, jint index, const char *what);

/*
 * A malloc'd copy of a byte[] with a NUL appended (NULL after throwing).
 * With path set, an embedded NUL is refused (it would silently cut the
 * path short); what names the argument in messages.
 */
char *gdfo__jni_copy_bytes(JNIEnv *env, jbyteArray a, size_t *len, int path, const char *what);

/* Hands a library-allocated string to Java and frees it (throws for rc < 0). */
jbyteArray gdfo__jni_take_string(JNIEnv *env, int rc, char *s);

jlongArray gdfo__jni_long_array(JNIEnv *env, const int64_t *v, size_t n);

/* A byte[][] of n strings (NULL after throwing). */
jobjectArray gdfo__jni_string_array(JNIEnv *env, const char *const *s, size_t n);

/* A new object of class name through its constructor of signature sig. */
jobject gdfo__jni_new(JNIEnv *env, const char *name, const char *sig, ...);

/*
 * Reads a Java record component through its accessor (named, so the
 * record's component order does not matter): "()D", "()J" or "()Z".
 * Return 1 after throwing (a NULL record, a missing accessor).
 */
int gdfo__jni_get_double(JNIEnv *env, jobject obj, const char *accessor, double *out);
int gdfo__jni_get_long(JNIEnv *env, jobject obj, const char *accessor, int64_t *out);
int gdfo__jni_get_boolean(JNIEnv *env, jobject obj, const char *accessor, int32_t *out);

/*
 * Sets a field of a Java object by name (package-private holder classes the
 * Java side turns into public records): "J", "I", "D", or an object
 * signature ("[B", "[J", "[D"). Return 1 after throwing (no such field).
 */
int gdfo__jni_set_long(JNIEnv *env, jobject obj, const char *field, int64_t v);
int gdfo__jni_set_int(JNIEnv *env, jobject obj, const char *field, int32_t v);
int gdfo__jni_set_double(JNIEnv *env, jobject obj, const char *field, double v);
/* Sets the field to v and deletes the local reference v (NULL v: returns 1 if an exception is pending, else sets null). */
int gdfo__jni_set_object(JNIEnv *env, jobject obj, const char *field, const char *sig, jobject v);

/*
 * Reads an org.gdfo.Diagnosis.Objective record (not null) into *out over
 * gdfo_objective_init's defaults; 1 after throwing.
 */
int gdfo__jni_objective(JNIEnv *env, jobject objective, gdfo_objective *out);

jdoubleArray gdfo__jni_double_array(JNIEnv *env, const double *v, size_t n);

/* The load / parse / to-JSON / save shapes every handle class shares. */
jlong gdfo__jni_parse(JNIEnv *env, jbyteArray json, int (*fn)(void **, const char *, size_t));
jlong gdfo__jni_load(JNIEnv *env, jbyteArray path, int (*fn)(void **, const char *));
void gdfo__jni_save(JNIEnv *env, jlong h, jbyteArray path, int (*fn)(const void *, const char *));
jbyteArray gdfo__jni_json(JNIEnv *env, jlong h, int (*fn)(char **, const void *));

/* The gdfo_stage an org.gdfo.StageSpec holds (jni_stage_spec.c); spec is not 0. */
const gdfo_stage *gdfo__jni_stage_spec(jlong spec);

/*
 * Sets a StageFields holder's fieldNames, fieldValues, fieldTypes and fieldEnums from
 * every row of the stats and knobs field tables (gdfo_field_at); 1 with a
 * Java exception pending on failure.
 */
int gdfo__jni_stage_fields(JNIEnv *env, jobject out, const gdfo_stage *s);

#endif
