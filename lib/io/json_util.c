/*
 * Path-tracking JSON field readers over cJSON.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_write.h"
#include "core/alloc.h"
#include "io/json_util.h"

int gdfo__json_oom(void)
{
	return gdfo__error(GDFO_ENOMEM, "out of memory building JSON");
}

int gdfo__json_parse(cJSON **out, const char *json, size_t len, const char *what)
{
	const char *end = NULL;
	unsigned long failures = gdfo__alloc_failures();
	cJSON *root;

	*out = NULL;
	if (!json)
		return gdfo__error(GDFO_EINVAL, "%s: JSON text is NULL", what);
	if (len > GDFO__JSON_MAX_BYTES)
		return gdfo__error(GDFO_ERANGE, "%s: document of %zu bytes exceeds the %zu-byte limit", what,
				   len, GDFO__JSON_MAX_BYTES);
	if (len == 0)
		return gdfo__error(GDFO_EFORMAT, "%s: the document is empty", what);
	root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	if (!root) {
		size_t off, line = 1, col = 1, i;
		if (gdfo__alloc_failures() != failures)
			return gdfo__error(GDFO_ENOMEM, "%s: out of memory parsing JSON", what);
		end = cJSON_GetErrorPtr();
		off = (end && end >= json && end <= json + len) ? (size_t)(end - json) : 0;
		for (i = 0; i < off; i++) {
			if (json[i] == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		if (memchr(json, '\0', len) && (size_t)((const char *)memchr(json, '\0', len) - json) < len - 1)
			return gdfo__error(GDFO_EFORMAT, "%s: not JSON (binary data at byte %zu)", what,
					   (size_t)((const char *)memchr(json, '\0', len) - json));
		return gdfo__error(GDFO_EFORMAT, "%s: not valid JSON at line %zu, column %zu%s", what, line,
				   col, off >= len ? " (the document ends early)" : "");
	}
	/* Only whitespace may follow the value. */
	if (end) {
		const char *p = end, *stop = json + len;
		while (p < stop && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t' || *p == '\0'))
			p++;
		if (p < stop) {
			cJSON_Delete(root);
			return gdfo__error(GDFO_EFORMAT, "%s: unexpected text after the JSON value at byte %zu",
					   what, (size_t)(p - json));
		}
	}
	*out = root;
	return 0;
}

int gdfo__json_load(cJSON **out, const char *path, const char *what)
{
	char *text;
	size_t len;
	int rc;

	*out = NULL;
	if ((rc = gdfo__file_read_text(&text, &len, path, GDFO__JSON_MAX_BYTES)))
		return rc;
	rc = gdfo__json_parse(out, text, len, what);
	free(text);
	if (rc)
		return gdfo__error_prefix(rc, "'%s'", path);
	return 0;
}

int gdfo__json_check_format(const cJSON *root, const char *family, const char *what)
{
	const cJSON *f;
	size_t n = strlen(family);
	int rc;

	if (!cJSON_IsObject(root))
		return gdfo__error(GDFO_EFORMAT, "%s: the document is not a JSON object", what);
	if ((rc = gdfo__json_expect_object(root, "$")))
		return rc;
	f = cJSON_GetObjectItemCaseSensitive(root, "format");
	if (!f)
		return gdfo__error(GDFO_EFORMAT, "%s: \"format\" is missing (expected \"%s/1\")", what, family);
	if (!cJSON_IsString(f))
		return gdfo__error(GDFO_EFORMAT, "%s: \"format\" is not a string (expected \"%s/1\")", what, family);
	if (strncmp(f->valuestring, family, n) != 0 || f->valuestring[n] != '/')
		return gdfo__error(GDFO_EFORMAT, "%s: \"format\" is \"%.80s\", expected \"%s/1\"", what,
				   f->valuestring, family);
	if (strcmp(f->valuestring + n + 1, "1") != 0)
		return gdfo__error(GDFO_EVERSION, "%s: format version \"%.80s\" is not supported (this library reads %s/1)",
				   what, f->valuestring, family);
	return 0;
}

void gdfo__json_path_key(char *out, const char *parent, const char *key)
{
	if (!parent || !*parent || !strcmp(parent, "$"))
		snprintf(out, GDFO__PATH_MAX, "%s", key);
	else
		snprintf(out, GDFO__PATH_MAX, "%s.%s", parent, key);
}

void gdfo__json_path_index(char *out, const char *parent, size_t i)
{
	snprintf(out, GDFO__PATH_MAX, "%s[%zu]", parent, i);
}

const char *gdfo__json_type_name(const cJSON *item)
{
	if (cJSON_IsObject(item))
		return "an object";
	if (cJSON_IsArray(item))
		return "an array";
	if (cJSON_IsString(item))
		return "a string";
	if (cJSON_IsNumber(item))
		return "a number";
	if (cJSON_IsBool(item))
		return "a boolean";
	if (cJSON_IsNull(item))
		return "null";
	return "invalid";
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int gdfo__json_expect_object(const cJSON *item, const char *path)
{
	const cJSON *a, *b;
	const char **keys;
	size_t n = 0, i;

	if (!cJSON_IsObject(item))
		return gdfo__error(GDFO_EFORMAT, "%s: expected an object, found %s", path, gdfo__json_type_name(item));
	for (a = item->child; a; a = a->next)
		n++;
	if (n <= 16) {
		for (a = item->child; a; a = a->next)
			for (b = a->next; b; b = b->next)
				if (!strcmp(a->string, b->string))
					goto dup;
		return 0;
	}
	/* Wide objects (hostile input): sort the keys instead of comparing all pairs. */
	keys = gdfo__malloc(n * sizeof(*keys));
	if (!keys)
		return GDFO_ENOMEM;
	i = 0;
	for (a = item->child; a; a = a->next)
		keys[i++] = a->string;
	qsort(keys, n, sizeof(*keys), cmp_keys);
	for (i = 1; i < n; i++) {
		if (!strcmp(keys[i - 1], keys[i])) {
			int rc = gdfo__error(GDFO_EFORMAT, "%s: key \"%.80s\" appears twice", path, keys[i]);
			free(keys);
			return rc;
		}
	}
	free(keys);
	return 0;
dup:
	return gdfo__error(GDFO_EFORMAT, "%s: key \"%.80s\" appears twice", path, a->string);
}

int gdfo__json_check_utf8(const cJSON *item, const char *path)
{
	if (!cJSON_IsString(item))
		return gdfo__error(GDFO_EFORMAT, "%s: expected a string, found %s", path, gdfo__json_type_name(item));
	if (!gdfo__utf8_valid(item->valuestring, strlen(item->valuestring)))
		return gdfo__error(GDFO_EFORMAT, "%s: the string is not valid UTF-8", path);
	return 0;
}

int gdfo__json_only_keys(const cJSON *obj, const char *const *allowed, const char *path)
{
	const cJSON *c;
	size_t i;

	for (c = obj->child; c; c = c->next) {
		for (i = 0; allowed[i]; i++)
			if (!strcmp(c->string, allowed[i]))
				break;
		if (!allowed[i])
			return gdfo__error(GDFO_EFORMAT, "%s: unknown key \"%.80s\"", path, c->string);
	}
	return 0;
}

static const cJSON *field(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return (v && !cJSON_IsNull(v)) ? v : NULL;
}

static int missing(const char *key, const char *path)
{
	char p[GDFO__PATH_MAX];
	gdfo__json_path_key(p, path, key);
	return gdfo__error(GDFO_EFORMAT, "%s: required field is missing", p);
}

int gdfo__json_number(double *out, const cJSON *obj, const char *key, const char *path,
		      int required, double def, double min, double max)
{
	const cJSON *v = field(obj, key);
	char p[GDFO__PATH_MAX];

	*out = def;
	if (!v)
		return required ? missing(key, path) : 0;
	gdfo__json_path_key(p, path, key);
	if (!cJSON_IsNumber(v))
		return gdfo__error(GDFO_EFORMAT, "%s: expected a number, found %s", p, gdfo__json_type_name(v));
	if (!isfinite(v->valuedouble))
		return gdfo__error(GDFO_EFORMAT, "%s: the number is too large to represent", p);
	if (v->valuedouble < min || v->valuedouble > max)
		return gdfo__error(GDFO_EFORMAT, "%s: %g is outside the allowed range [%g, %g]", p,
				   v->valuedouble, min, max);
	*out = v->valuedouble;
	return 0;
}

int gdfo__json_int(int64_t *out, const cJSON *obj, const char *key, const char *path,
		   int required, int64_t def, int64_t min, int64_t max)
{
	const cJSON *v = field(obj, key);
	char p[GDFO__PATH_MAX];
	double d;

	*out = def;
	if (!v)
		return required ? missing(key, path) : 0;
	gdfo__json_path_key(p, path, key);
	if (!cJSON_IsNumber(v))
		return gdfo__error(GDFO_EFORMAT, "%s: expected an integer, found %s", p, gdfo__json_type_name(v));
	d = v->valuedouble;
	if (!isfinite(d) || d != floor(d))
		return gdfo__error(GDFO_EFORMAT, "%s: expected an integer, found %g", p, d);
	if (d < -GDFO__JSON_MAX_INT || d > GDFO__JSON_MAX_INT || d < (double)min || d > (double)max)
		return gdfo__error(GDFO_EFORMAT, "%s: %.0f is outside the allowed range [%lld, %lld]", p, d,
				   (long long)min, (long long)max);
	*out = (int64_t)d;
	return 0;
}

int gdfo__json_string(const char **out, const cJSON *obj, const char *key, const char *path,
		      int required, const char *def)
{
	const cJSON *v = field(obj, key);
	char p[GDFO__PATH_MAX];

	*out = def;
	if (!v)
		return required ? missing(key, path) : 0;
	gdfo__json_path_key(p, path, key);
	if (gdfo__json_check_utf8(v, p))
		return GDFO_EFORMAT;
	*out = v->valuestring;
	return 0;
}

int gdfo__json_bool(int *out, const cJSON *obj, const char *key, const char *path, int required,
		    int def)
{
	const cJSON *v = field(obj, key);
	char p[GDFO__PATH_MAX];

	*out = def;
	if (!v)
		return required ? missing(key, path) : 0;
	if (!cJSON_IsBool(v)) {
		gdfo__json_path_key(p, path, key);
		return gdfo__error(GDFO_EFORMAT, "%s: expected true or false, found %s", p, gdfo__json_type_name(v));
	}
	*out = cJSON_IsTrue(v);
	return 0;
}

int gdfo__json_enum(int32_t *out, const cJSON *obj, const char *key, const char *path,
		    int required, int32_t def, const char *(*name_of)(int), int count)
{
	const char *s;
	char p[GDFO__PATH_MAX];
	gdfo__buf names = {0};
	int i, rc;

	*out = def;
	if ((rc = gdfo__json_string(&s, obj, key, path, required, NULL)) || !s)
		return rc;
	for (i = 0; i < count; i++) {
		if (!strcmp(s, name_of(i))) {
			*out = i;
			return 0;
		}
	}
	for (i = 0; i < count; i++)
		gdfo__buf_printf(&names, "%s%s", i ? ", " : "", name_of(i));
	gdfo__json_path_key(p, path, key);
	rc = gdfo__error(GDFO_EFORMAT, "%s: \"%.80s\" is not one of: %s", p, s,
			 names.data ? names.data : "");
	gdfo__buf_free(&names);
	return rc;
}

int gdfo__json_array(const cJSON **out, const cJSON *obj, const char *key, const char *path,
		     int required)
{
	const cJSON *v = field(obj, key);
	char p[GDFO__PATH_MAX];

	*out = NULL;
	if (!v)
		return required ? missing(key, path) : 0;
	if (!cJSON_IsArray(v)) {
		gdfo__json_path_key(p, path, key);
		return gdfo__error(GDFO_EFORMAT, "%s: expected an array, found %s", p, gdfo__json_type_name(v));
	}
	*out = v;
	return 0;
}

/*
 * cJSON prints doubles with 15 significant digits and accepts the result
 * when it is only approximately equal, which breaks exact round trips:
 * the number goes in as raw text from the one formatter.
 */
cJSON *gdfo__json_create_number(double v)
{
	char buf[GDFO__JSON_NUMBER_MAX];

	if (!isfinite(v))
		return NULL;
	gdfo__json_format_number(buf, v, 0, "a number");
	return cJSON_CreateRaw(buf);
}

int gdfo__json_add_number(cJSON *obj, const char *key, double v)
{
	cJSON *n;

	if (!isfinite(v))
		return gdfo__error(GDFO_ERANGE, "cannot write \"%s\": %g is not a JSON number", key, v);
	n = gdfo__json_create_number(v);
	if (!n || !cJSON_AddItemToObject(obj, key, n)) {
		cJSON_Delete(n);
		return gdfo__json_oom();
	}
	return 0;
}

int gdfo__json_append_number(cJSON *arr, double v)
{
	cJSON *n;

	if (!isfinite(v))
		return gdfo__error(GDFO_ERANGE, "cannot write %g: it is not a JSON number", v);
	n = gdfo__json_create_number(v);
	if (!n || !cJSON_AddItemToArray(arr, n)) {
		cJSON_Delete(n);
		return gdfo__json_oom();
	}
	return 0;
}

int gdfo__json_print(char **out, const cJSON *item)
{
	char *s = cJSON_Print(item);
	size_t n;

	*out = NULL;
	if (!s)
		return gdfo__json_oom();
	/* cJSON allocates with malloc, so gdfo_free (free) releases it; add a newline. */
	n = strlen(s);
	*out = gdfo__realloc(s, n + 2);
	if (!*out) {
		free(s);
		return GDFO_ENOMEM;
	}
	(*out)[n] = '\n';
	(*out)[n + 1] = '\0';
	return 0;
}

int gdfo__json_fingerprint(uint64_t *out, int *present, const cJSON *obj, const char *key, const char *path)
{
	const char *hex = NULL;
	char p[GDFO__PATH_MAX];
	uint64_t v = 0;
	size_t i;
	int rc;

	*out = 0;
	*present = 0;
	gdfo__json_path_key(p, path, key);
	if ((rc = gdfo__json_string(&hex, obj, key, path, 0, NULL)) || !hex)
		return rc;
	for (i = 0; hex[i]; i++) {
		char ch = hex[i];
		int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
		if (d < 0 || i >= 16)
			break;
		v = v << 4 | (uint64_t)d;
	}
	if (i != 16 || hex[i])
		return gdfo__error(GDFO_EFORMAT, "%s must be 16 lower-case hex digits (gdfo_graph_fingerprint)", p);
	*out = v;
	*present = 1;
	return 0;
}
