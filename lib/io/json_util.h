/*
 * Helpers for reading gdfo JSON documents with cJSON: every error names
 * the JSON path of the offending value ("stages[3].parents[1]").
 * Numbers must be finite (cJSON turns 1e999 into inf: refused here);
 * integers must be integral and in range; duplicate keys are refused.
 */
#ifndef GDFO_JSON_UTIL_H
#define GDFO_JSON_UTIL_H

#include <cjson/cJSON.h>

#include "core/internal.h"

#define GDFO__PATH_MAX 160

/* Largest document the readers accept, and the largest exact integer. */
#define GDFO__JSON_MAX_BYTES ((size_t)1 << 30)
#define GDFO__JSON_MAX_INT 9007199254740991.0 /* 2^53 - 1: every integer up to it is exact */

/* Parses len bytes; on a syntax error names the line and column. `what` names the document. */
int gdfo__json_parse(cJSON **out, const char *json, size_t len, const char *what);

/* Reads a whole file and parses it. */
int gdfo__json_load(cJSON **out, const char *path, const char *what);

/*
 * Checks that root is an object whose "format" is "<family>/<version>" with
 * a version this library reads (1). Errors: GDFO_EFORMAT, GDFO_EVERSION.
 */
int gdfo__json_check_format(const cJSON *root, const char *family, const char *what);

/* Builds "parent.key" or "parent[i]" into out. */
void gdfo__json_path_key(char *out, const char *parent, const char *key);
void gdfo__json_path_index(char *out, const char *parent, size_t i);

/* GDFO_EFORMAT unless item is an object with no duplicate keys; path names it. */
int gdfo__json_expect_object(const cJSON *item, const char *path);

/*
 * Refuses keys of obj not listed in allowed (NULL-terminated): closed
 * sets such as statistics, where a misspelt key would be silently lost.
 */
int gdfo__json_only_keys(const cJSON *obj, const char *const *allowed, const char *path);

/*
 * Field getters. A missing (or null) field leaves *out at def and returns
 * 0 unless required. Wrong types, non-finite or out-of-range values give
 * GDFO_EFORMAT naming "path.key".
 */
int gdfo__json_number(double *out, const cJSON *obj, const char *key, const char *path,
		      int required, double def, double min, double max);
int gdfo__json_int(int64_t *out, const cJSON *obj, const char *key, const char *path,
		   int required, int64_t def, int64_t min, int64_t max);
int gdfo__json_string(const char **out, const cJSON *obj, const char *key, const char *path,
		      int required, const char *def);
/* GDFO_EFORMAT unless item is a string of well-formed UTF-8 (path names it). */
int gdfo__json_check_utf8(const cJSON *item, const char *path);
int gdfo__json_bool(int *out, const cJSON *obj, const char *key, const char *path, int required,
		    int def);
/* An enum given by name: *out is the index of the name in names[0..count). */
int gdfo__json_enum(int32_t *out, const cJSON *obj, const char *key, const char *path,
		    int required, int32_t def, const char *(*name_of)(int), int count);
/*
 * A 64-bit fingerprint written as 16 lower-case hex digits (a JSON number
 * cannot hold it). *present is 0 when the field is missing or null.
 */
int gdfo__json_fingerprint(uint64_t *out, int *present, const cJSON *obj, const char *key, const char *path);
/* An array field (missing -> *out NULL when not required). */
int gdfo__json_array(const cJSON **out, const cJSON *obj, const char *key, const char *path,
		     int required);

/*
 * Writer side. Numbers are printed in the shortest form that reads back
 * as the identical double; non-finite values are refused (not JSON).
 * Use these instead of cJSON_AddNumberToObject/cJSON_CreateNumber.
 */
cJSON *gdfo__json_create_number(double v); /* NULL for non-finite or OOM */
int gdfo__json_add_number(cJSON *obj, const char *key, double v);
int gdfo__json_append_number(cJSON *arr, double v);

/* Prints item unformatted-but-indented into a gdfo_free-able string. */
int gdfo__json_print(char **out, const cJSON *item);

/* Records the OOM status when a cJSON builder returned NULL. */
int gdfo__json_oom(void);

/* "an object", "a number", ... for messages about item's type. */
const char *gdfo__json_type_name(const cJSON *item);

#endif
