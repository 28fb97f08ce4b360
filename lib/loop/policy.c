/*
 * The closed loop's guardrails: the gdfo-policy/1 document (docs/policy.md)
 * and the check of a plan against it. One table describes every scalar
 * field (section, key, type, range, default), so that the defaults, the
 * reader, the writer's check and the messages cannot drift apart.
 *
 * Unlike the pipeline and plan documents, a policy is a closed set at
 * every level: a misspelt guardrail ("protected_stage") must be an error,
 * never a silent default.
 */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_write.h"
#include "io/json_util.h"
#include "gdfo/loop.h"
#include "loop/loop_internal.h"
#include "plan/plan_internal.h"

#define WHAT "policy"
#define FAMILY "gdfo-policy"
/* A policy is a small hand-written file: anything larger is a mistake. */
#define MAX_BYTES ((size_t)1 << 20)
/* Bytes of a string a message quotes before cutting it ("..."); of a change's what. */
#define CUT 40
#define CUT_WHAT 120
#define ALL_KINDS ((uint32_t)((1u << GDFO_CHANGE_KIND_COUNT) - 1))

enum { F_NUM, F_INT, F_RISK, F_HOLD };

typedef struct field {
	const char *section;
	const char *key;
	int type;
	size_t off;
	double min, max, def;
} field;

#define NUM(s, k, m, lo, hi, d) {s, k, F_NUM, offsetof(gdfo__policy, m), lo, hi, d}
#define INT(s, k, m, lo, hi, d) {s, k, F_INT, offsetof(gdfo__policy, m), lo, hi, d}

/* In document order; the defaults are those of loop_internal.h. */
static const field fields[] = {
	NUM("limits", "max_executors", max_executors, 0, DBL_MAX, 0),
	NUM("limits", "max_cores_per_executor", max_cores_per_executor, 0, DBL_MAX, 0),
	NUM("limits", "max_memory_per_executor_bytes", max_memory_per_executor_bytes, 0, DBL_MAX, 0),
	NUM("limits", "cost_ceiling", cost_ceiling, 0, DBL_MAX, 0),
	NUM("limits", "slo_ms", slo_ms, 0, DBL_MAX, 0),
	{"approval", "risk", F_RISK, offsetof(gdfo__policy, approval_risk), 0, 3, GDFO_RISK_HIGH},
	NUM("exploration", "budget", explore_budget, 0, 1, 0.5),
	NUM("exploration", "max_regret", max_regret, 0, 1, 0.05),
	INT("exploration", "auto_off_runs", auto_off_runs, 1, 1000, 6),
	NUM("rollback", "margin", rollback_margin, 0, 1, 0.05),
	INT("rollback", "confirm_runs", confirm_runs, 1, 100, 2),
	NUM("rollback", "min_gain", min_gain, 0, 1, 0.01),
	{"gates", "hold", F_HOLD, offsetof(gdfo__policy, gate_hold), 0, 3, 0},
	INT("gates", "min_runs", gate_min_runs, 1, 10000, 5),
};

/* The sections of scalar fields, and every top-level key, in document order. */
static const char *const sections[] = {"limits", "approval", "exploration", "rollback", "gates"};
static const char *const root_keys[] = {"format", "limits", "protected_stages", "allowed_changes",
					"approval", "exploration", "rollback", "gates", NULL};

/*
 * The four level names of approval.risk and gates.hold. approval.risk
 * stores the gdfo_risk (never = 3); gates.hold the severity (never = 0).
 */
static const char *const levels[] = {"low", "medium", "high", "never"};
#define LEVELS "low, medium, high, never"

static int level_value(int type, int i)
{
	return type == F_RISK ? i : (i + 1) % 4;
}

static const char *level_name(int type, int v)
{
	return levels[type == F_RISK ? v : (v + 3) % 4];
}

static double get(const gdfo__policy *p, const field *f)
{
	const char *base = (const char *)p + f->off;
	if (f->type == F_NUM)
		return *(const double *)base;
	return *(const int32_t *)base;
}

static void set(gdfo__policy *p, const field *f, double v)
{
	char *base = (char *)p + f->off;
	if (f->type == F_NUM)
		*(double *)base = v;
	else
		*(int32_t *)base = (int32_t)v;
}

/* s as a message quotes it: at most max bytes, cut on a UTF-8 boundary, then "..." (buf: max + 4). */
static const char *cut_at(char *buf, size_t max, const char *s)
{
	size_t n = 0;

	while (n <= max && s[n])
		n++;
	if (n <= max)
		return s;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	memcpy(buf, s, n);
	memcpy(buf + n, "...", 4);
	return buf;
}

static const char *cut(char buf[CUT + 4], const char *s)
{
	return cut_at(buf, CUT, s);
}

/* What a field must be: "in 0..1", ">= 0", "an integer in 1..100". */
static void range_text(char *out, size_t size, const field *f, int noun)
{
	if (f->type == F_INT)
		snprintf(out, size, "an integer in %.0f..%.0f", f->min, f->max);
	else if (f->type != F_NUM)
		snprintf(out, size, "one of " LEVELS);
	else if (f->max == DBL_MAX)
		snprintf(out, size, "%s>= 0", noun ? "a number " : "");
	else
		snprintf(out, size, "%sin %g..%g", noun ? "a number " : "", f->min, f->max);
}

/* 0 when v is a valid value of f, else status with "<who>: <section>.<key> is v; it must be ...". */
static int check_value(const field *f, double v, int status, const char *who)
{
	char num[GDFO__JSON_NUMBER_MAX], range[64];

	if (isfinite(v) && v >= f->min && v <= f->max && (f->type == F_NUM || v == floor(v)))
		return 0;
	range_text(range, sizeof(range), f, 0);
	if (!isfinite(v))
		return gdfo__error(status, "%s: %s.%s is not a finite number; it must be %s", who, f->section, f->key,
				   range);
	gdfo__json_format_number(num, v, 0, f->key);
	return gdfo__error(status, "%s: %s.%s is %s; it must be %s", who, f->section, f->key, num, range);
}

/* A protected stage name: 1..GDFO__NAME_MAX bytes of UTF-8. */
static int check_name(const char *s, size_t i, int status, const char *who)
{
	char c[CUT + 4];
	size_t n;

	if (!s)
		return gdfo__error(status, "%s: protected_stages[%zu] is NULL", who, i);
	n = strlen(s);
	if (!n)
		return gdfo__error(status, "%s: protected_stages[%zu] is empty; a stage name is 1..%d bytes", who, i,
				   GDFO__NAME_MAX);
	if (!gdfo__utf8_valid(s, n))
		return gdfo__error(status, "%s: protected_stages[%zu] is not valid UTF-8", who, i);
	if (n > GDFO__NAME_MAX)
		return gdfo__error(status, "%s: protected_stages[%zu] '%s' is %zu bytes long; a stage name is 1..%d bytes",
				   who, i, cut(c, s), n, GDFO__NAME_MAX);
	return 0;
}

/*
 * Slots of the protected list (pointers to its entries, so that a slot
 * also gives the entry's position) sorted by name, then by position.
 */
typedef char **slot;

static int cmp_slots(const void *a, const void *b)
{
	const slot x = *(const slot *)a, y = *(const slot *)b;
	int c = strcmp(*x, *y);
	return c ? c : (x > y) - (x < y);
}

static int sort_slots(slot **out, const gdfo__policy *p)
{
	size_t i;

	*out = gdfo__malloc(p->n_protected * sizeof(**out));
	if (!*out)
		return GDFO_ENOMEM;
	for (i = 0; i < p->n_protected; i++)
		(*out)[i] = &p->protected_stages[i];
	qsort(*out, p->n_protected, sizeof(**out), cmp_slots);
	return 0;
}

/* The first repeated name in list order, naming both places. */
static int check_duplicates(const gdfo__policy *p, int status, const char *who)
{
	slot *slots;
	char c[CUT + 4];
	size_t i, first = 0, at = (size_t)-1;
	int rc;

	if (p->n_protected < 2)
		return 0;
	if ((rc = sort_slots(&slots, p)))
		return rc;
	for (i = 1; i < p->n_protected; i++) {
		size_t j = (size_t)(slots[i] - p->protected_stages);
		if (j < at && !strcmp(*slots[i], *slots[i - 1])) {
			at = j;
			first = (size_t)(slots[i - 1] - p->protected_stages);
		}
	}
	free(slots);
	if (at == (size_t)-1)
		return 0;
	return gdfo__error(status, "%s: protected_stages[%zu] '%s' appears twice (also protected_stages[%zu])", who, at,
			   cut(c, p->protected_stages[at]), first);
}

void gdfo__policy_defaults(gdfo__policy *p)
{
	size_t i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < GDFO__ARRAY_LEN(fields); i++)
		set(p, &fields[i], fields[i].def);
	p->allowed_kinds = ALL_KINDS;
}

void gdfo__policy_clear(gdfo__policy *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n_protected; i++)
		free(p->protected_stages[i]);
	free(p->protected_stages);
	gdfo__policy_defaults(p);
}

/* ---- reader ---------------------------------------------------------------- */

/* Refuses a key of obj not in keys (NULL-terminated), listing the known ones. */
static int only_keys(const cJSON *obj, const char *const *keys, const char *section)
{
	const cJSON *c;
	char known[256], k[CUT + 4];
	size_t i, n = 0;

	for (c = obj->child; c; c = c->next) {
		for (i = 0; keys[i]; i++)
			if (!strcmp(c->string, keys[i]))
				break;
		if (keys[i])
			continue;
		known[0] = '\0';
		for (i = 0; keys[i]; i++)
			n += (size_t)snprintf(known + n, n < sizeof(known) ? sizeof(known) - n : 0, "%s%s", i ? ", " : "",
					      keys[i]);
		return gdfo__error(GDFO_EFORMAT, WHAT ": %s%sunknown key \"%s\" (known: %s)", section ? section : "",
				   section ? ": " : "", cut(k, c->string), known);
	}
	return 0;
}

static int read_field(gdfo__policy *p, const field *f, const cJSON *sec)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(sec, f->key);
	char range[64], c[CUT + 4];
	int i;

	if (!v || cJSON_IsNull(v))
		return 0;
	if (f->type == F_RISK || f->type == F_HOLD) {
		if (!cJSON_IsString(v))
			return gdfo__error(GDFO_EFORMAT, WHAT ": %s.%s is %s; it must be one of " LEVELS, f->section,
					   f->key, gdfo__json_type_name(v));
		for (i = 0; i < 4; i++) {
			if (!strcmp(v->valuestring, levels[i])) {
				set(p, f, level_value(f->type, i));
				return 0;
			}
		}
		return gdfo__error(GDFO_EFORMAT, WHAT ": %s.%s '%s' is not one of " LEVELS, f->section, f->key,
				   cut(c, v->valuestring));
	}
	if (!cJSON_IsNumber(v)) {
		range_text(range, sizeof(range), f, 1);
		return gdfo__error(GDFO_EFORMAT, WHAT ": %s.%s is %s; it must be %s", f->section, f->key, gdfo__json_type_name(v),
				   range);
	}
	if (check_value(f, v->valuedouble, GDFO_EFORMAT, WHAT))
		return GDFO_EFORMAT;
	set(p, f, v->valuedouble);
	return 0;
}

static int read_section(gdfo__policy *p, const cJSON *root, const char *section)
{
	const cJSON *sec = cJSON_GetObjectItemCaseSensitive(root, section);
	const char *keys[8];
	char path[64];
	size_t i, n = 0;
	int rc;

	if (!sec || cJSON_IsNull(sec))
		return 0;
	if (!cJSON_IsObject(sec))
		return gdfo__error(GDFO_EFORMAT, WHAT ": %s is %s; it must be an object", section, gdfo__json_type_name(sec));
	snprintf(path, sizeof(path), WHAT ": %s", section);
	if ((rc = gdfo__json_expect_object(sec, path)))
		return rc; /* GDFO_ENOMEM on a wide object */
	for (i = 0; i < GDFO__ARRAY_LEN(fields); i++)
		if (!strcmp(fields[i].section, section))
			keys[n++] = fields[i].key;
	keys[n] = NULL;
	if ((rc = only_keys(sec, keys, section)))
		return rc;
	for (i = 0; i < GDFO__ARRAY_LEN(fields); i++)
		if (!strcmp(fields[i].section, section) && (rc = read_field(p, &fields[i], sec)))
			return rc;
	return 0;
}

static int read_protected(gdfo__policy *p, const cJSON *root)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "protected_stages"), *it;
	size_t n = 0, i = 0;
	int rc;

	if (!arr || cJSON_IsNull(arr))
		return 0;
	if (!cJSON_IsArray(arr))
		return gdfo__error(GDFO_EFORMAT, WHAT ": protected_stages is %s; it must be an array of stage names",
				   gdfo__json_type_name(arr));
	for (it = arr->child; it; it = it->next)
		n++;
	if (n > GDFO__POLICY_STAGES_MAX)
		return gdfo__error(GDFO_EFORMAT, WHAT ": protected_stages holds %zu names; at most %d are allowed", n,
				   GDFO__POLICY_STAGES_MAX);
	if (!n)
		return 0;
	if (!(p->protected_stages = gdfo__calloc(n, sizeof(*p->protected_stages))))
		return GDFO_ENOMEM;
	for (it = arr->child; it; it = it->next, i++) {
		if (!cJSON_IsString(it))
			return gdfo__error(GDFO_EFORMAT, WHAT ": protected_stages[%zu] is %s; it must be a stage name (a string)",
					   i, gdfo__json_type_name(it));
		if ((rc = check_name(it->valuestring, i, GDFO_EFORMAT, WHAT)))
			return rc;
		if (!(p->protected_stages[i] = gdfo__strdup(it->valuestring)))
			return GDFO_ENOMEM;
		p->n_protected = i + 1;
	}
	return check_duplicates(p, GDFO_EFORMAT, WHAT);
}

/* "push_filter, fuse, ..." into out. */
static void kind_list(char *out, size_t size)
{
	size_t n = 0;
	int k;

	out[0] = '\0';
	for (k = 0; k < GDFO_CHANGE_KIND_COUNT; k++)
		n += (size_t)snprintf(out + n, n < size ? size - n : 0, "%s%s", k ? ", " : "", gdfo_change_kind_name(k));
}

static int read_allowed(gdfo__policy *p, const cJSON *root)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "allowed_changes"), *it, *jt;
	char names[256], c[CUT + 4];
	uint32_t kinds = 0;
	size_t i = 0, j;
	int k;

	if (!arr || cJSON_IsNull(arr))
		return 0;
	if (!cJSON_IsArray(arr))
		return gdfo__error(GDFO_EFORMAT, WHAT ": allowed_changes is %s; it must be an array of change kinds",
				   gdfo__json_type_name(arr));
	kind_list(names, sizeof(names));
	for (it = arr->child; it; it = it->next, i++) {
		if (!cJSON_IsString(it))
			return gdfo__error(GDFO_EFORMAT, WHAT ": allowed_changes[%zu] is %s; it must be a change kind (%s)", i,
					   gdfo__json_type_name(it), names);
		if ((k = gdfo__change_kind_from_name(it->valuestring)) < 0)
			return gdfo__error(GDFO_EFORMAT, WHAT ": allowed_changes[%zu] '%s' is not a change kind (%s)", i,
					   cut(c, it->valuestring), names);
		if (kinds & (1u << k)) {
			for (j = 0, jt = arr->child; jt != it && strcmp(jt->valuestring, it->valuestring); jt = jt->next)
				j++;
			return gdfo__error(GDFO_EFORMAT, WHAT ": allowed_changes[%zu] '%s' appears twice (also allowed_changes[%zu])",
					   i, it->valuestring, j);
		}
		kinds |= 1u << k;
	}
	p->allowed_kinds = kinds;
	return 0;
}

int gdfo__policy_parse(gdfo__policy *out, const char *json, size_t len)
{
	gdfo__policy p;
	cJSON *root = NULL;
	size_t i;
	int rc;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo__policy_parse: out is NULL");
	gdfo__policy_defaults(out);
	if (!json)
		return gdfo__error(GDFO_EINVAL, "gdfo__policy_parse: json is NULL");
	if (len > MAX_BYTES)
		return gdfo__error(GDFO_ERANGE, WHAT ": the document is %zu bytes; a policy is at most 1 MiB (%zu bytes)",
				   len, MAX_BYTES);
	gdfo__policy_defaults(&p);
	if ((rc = gdfo__json_parse(&root, json, len, WHAT)))
		return rc;
	if (cJSON_IsObject(root) && (rc = gdfo__json_expect_object(root, WHAT)))
		goto fail;
	if ((rc = gdfo__json_check_format(root, FAMILY, WHAT)) || (rc = only_keys(root, root_keys, NULL)) ||
	    (rc = read_section(&p, root, "limits")) || (rc = read_protected(&p, root)) ||
	    (rc = read_allowed(&p, root)))
		goto fail;
	for (i = 1; i < GDFO__ARRAY_LEN(sections); i++)
		if ((rc = read_section(&p, root, sections[i])))
			goto fail;
	cJSON_Delete(root);
	*out = p;
	return 0;
fail:
	cJSON_Delete(root);
	gdfo__policy_clear(&p);
	return rc;
}

/* ---- writer ---------------------------------------------------------------- */

/* Whether p is a policy the reader would give (the writer refuses others). */
static int validate(const gdfo__policy *p, const char *who)
{
	size_t i;
	int rc;

	for (i = 0; i < GDFO__ARRAY_LEN(fields); i++)
		if ((rc = check_value(&fields[i], get(p, &fields[i]), GDFO_EINVAL, who)))
			return rc;
	if (p->allowed_kinds & ~ALL_KINDS)
		return gdfo__error(GDFO_EINVAL, "%s: allowed_kinds 0x%x has bits of no change kind", who,
				   (unsigned)p->allowed_kinds);
	if (p->n_protected > GDFO__POLICY_STAGES_MAX || (p->n_protected && !p->protected_stages))
		return gdfo__error(GDFO_EINVAL, "%s: protected_stages holds %zu names%s; at most %d are allowed", who,
				   p->n_protected, p->protected_stages ? "" : " but is NULL", GDFO__POLICY_STAGES_MAX);
	for (i = 0; i < p->n_protected; i++)
		if ((rc = check_name(p->protected_stages[i], i, GDFO_EINVAL, who)))
			return rc;
	return check_duplicates(p, GDFO_EINVAL, who);
}

static void write_section(gdfo__jsonw *w, const gdfo__policy *p, const char *section)
{
	size_t i;
	int first = 1;

	gdfo__jsonw_raw(w, ",\n  \"%s\": {", section);
	for (i = 0; i < GDFO__ARRAY_LEN(fields); i++) {
		const field *f = &fields[i];
		if (strcmp(f->section, section))
			continue;
		gdfo__jsonw_raw(w, "%s\n    \"%s\": ", first ? "" : ",", f->key);
		first = 0;
		if (f->type == F_RISK || f->type == F_HOLD)
			gdfo__jsonw_raw(w, "\"%s\"", level_name(f->type, (int)get(p, f)));
		else
			gdfo__jsonw_number(w, get(p, f), 0, f->key);
	}
	gdfo__jsonw_raw(w, "\n  }");
}

int gdfo__policy_to_json(char **out, const gdfo__policy *p)
{
	gdfo__jsonw w = {0};
	size_t i;
	int k, rc, first = 1;

	if (out)
		*out = NULL;
	if (!out || !p)
		return gdfo__error(GDFO_EINVAL, "gdfo__policy_to_json: %s is NULL", out ? "p" : "out");
	if ((rc = validate(p, "gdfo__policy_to_json")))
		return rc;
	gdfo__jsonw_raw(&w, "{\n  \"format\": \"" FAMILY "/1\"");
	write_section(&w, p, "limits");
	gdfo__jsonw_raw(&w, ",\n  \"protected_stages\": [");
	for (i = 0; i < p->n_protected; i++) {
		gdfo__jsonw_raw(&w, "%s\n    ", i ? "," : "");
		gdfo__jsonw_string(&w, p->protected_stages[i]);
	}
	gdfo__jsonw_raw(&w, "%s],\n  \"allowed_changes\": [", p->n_protected ? "\n  " : "");
	for (k = 0; k < GDFO_CHANGE_KIND_COUNT; k++) {
		if (!(p->allowed_kinds & (1u << k)))
			continue;
		gdfo__jsonw_raw(&w, "%s\"%s\"", first ? "" : ", ", gdfo_change_kind_name(k));
		first = 0;
	}
	gdfo__jsonw_raw(&w, "]");
	for (i = 1; i < GDFO__ARRAY_LEN(sections); i++)
		write_section(&w, p, sections[i]);
	gdfo__jsonw_raw(&w, "\n}\n");
	return gdfo__jsonw_finish(&w, out);
}

/* ---- the check of a plan --------------------------------------------------- */

int gdfo__policy_protected(const gdfo__policy *p, const char *name)
{
	size_t i;

	if (!p || !name)
		return 0;
	for (i = 0; i < p->n_protected; i++)
		if (p->protected_stages[i] && !strcmp(p->protected_stages[i], name))
			return 1;
	return 0;
}

/* Records the violation in why (cut on a UTF-8 boundary) and as the last error. */
static int violation(char *why, size_t why_len, const char *fmt, ...) GDFO__PRINTF(3, 4);
static int violation(char *why, size_t why_len, const char *fmt, ...)
{
	char text[512];
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (why && why_len) {
		n = strlen(text);
		if (n >= why_len) {
			n = why_len - 1;
			while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
				n--;
		}
		memcpy(why, text, n);
		why[n] = '\0';
	}
	return gdfo__error(GDFO_EILLEGAL, WHAT ": the plan %s", text);
}

static int cmp_name_slot(const void *key, const void *b)
{
	return strcmp((const char *)key, **(const slot *)b);
}

/* The name of stage id: in the input graph, else in the plan's (a stage the plan made); NULL if neither. */
static const char *stage_name(const gdfo_graph *input, const gdfo_graph *g, int64_t id)
{
	size_t i = gdfo__graph_index(input, id);

	if (i != (size_t)-1)
		return input->stages[i].name;
	i = gdfo__graph_index(g, id);
	return i != (size_t)-1 ? g->stages[i].name : NULL;
}

/* The protected stages the plan's changes touch or its graph lost. */
static int check_protected(const gdfo__policy *p, const gdfo_graph *input, const gdfo_plan *plan, char *why,
			   size_t why_len)
{
	const gdfo_graph *g = plan->graph;
	slot *slots;
	char c[CUT + 4];
	size_t i, j;
	int rc = 0;

	if (!p->n_protected)
		return 0;
	if ((rc = sort_slots(&slots, p)))
		return rc;
#define PROTECTED(name) ((name) && bsearch((name), slots, p->n_protected, sizeof(*slots), cmp_name_slot))
	for (i = 0; i < plan->n_changes && !rc; i++) {
		const gdfo__change *ch = &plan->changes[i];
		/* a priority orders a stage's tasks against others; it changes nothing of the stage */
		if (ch->kind == GDFO_CHANGE_PRIORITY)
			continue;
		for (j = 0; j < ch->n_stage_ids && !rc; j++) {
			const char *name = stage_name(input, g, ch->stage_ids[j]);
			if (PROTECTED(name))
				rc = violation(why, why_len, "changes protected stage '%s' (%s)", cut(c, name),
					       gdfo_change_kind_name(ch->kind));
		}
	}
	/* A fused stage keeps its first member's id: the others are gone from the plan. */
	for (i = 0; i < input->n && !rc; i++) {
		const gdfo__stage *s = &input->stages[i];
		if (gdfo__graph_index(g, s->id) == (size_t)-1 && PROTECTED(s->name))
			rc = violation(why, why_len,
				       "removes protected stage '%s' (stage %lld is not in the plan's graph: fused into another stage or removed)",
				       cut(c, s->name), (long long)s->id);
	}
#undef PROTECTED
	free(slots);
	return rc;
}

static int check_knob(double value, double limit, const char *knob, char *why, size_t why_len)
{
	char v[GDFO__JSON_NUMBER_MAX], l[GDFO__JSON_NUMBER_MAX];

	if (limit <= 0 || value <= limit)
		return 0;
	gdfo__json_format_number(v, value, 0, knob);
	gdfo__json_format_number(l, limit, 0, knob);
	return violation(why, why_len, "sets %s to %s, above limits.max_%s %s", knob, v, knob, l);
}

int gdfo__policy_check_plan(const gdfo__policy *p, const gdfo_graph *input, const gdfo_plan *plan, char *why,
			    size_t why_len)
{
	const gdfo_graph_knobs *k;
	char c[CUT_WHAT + 4];
	size_t i;
	int rc;

	if (why && why_len)
		why[0] = '\0';
	if (!p || !input || !plan)
		return gdfo__error(GDFO_EINVAL, "gdfo__policy_check_plan: %s is NULL", !p ? "p" : !input ? "input" : "plan");
	for (i = 0; i < plan->n_changes; i++) {
		const gdfo__change *ch = &plan->changes[i];
		if (ch->kind < 0 || ch->kind >= GDFO_CHANGE_KIND_COUNT || !(p->allowed_kinds & (1u << ch->kind)))
			return violation(why, why_len, "makes a %s change, which allowed_changes does not list (change %zu: %s)",
					 gdfo_change_kind_name(ch->kind) ? gdfo_change_kind_name(ch->kind) : "unknown",
					 i + 1, cut_at(c, CUT_WHAT, ch->what ? ch->what : ""));
	}
	if ((rc = check_protected(p, input, plan, why, why_len)))
		return rc;
	k = &plan->graph->knobs;
	if ((rc = check_knob(k->executors, p->max_executors, "executors", why, why_len)) ||
	    (rc = check_knob(k->cores_per_executor, p->max_cores_per_executor, "cores_per_executor", why, why_len)) ||
	    (rc = check_knob((double)k->memory_per_executor_bytes, p->max_memory_per_executor_bytes,
			     "memory_per_executor_bytes", why, why_len)))
		return rc;
	return 0;
}

int gdfo__policy_equal(const gdfo__policy *a, const gdfo__policy *b)
{
	size_t i;

	if (a->max_executors != b->max_executors || a->max_cores_per_executor != b->max_cores_per_executor ||
	    a->max_memory_per_executor_bytes != b->max_memory_per_executor_bytes ||
	    a->cost_ceiling != b->cost_ceiling || a->slo_ms != b->slo_ms || a->n_protected != b->n_protected ||
	    a->allowed_kinds != b->allowed_kinds || a->approval_risk != b->approval_risk ||
	    a->explore_budget != b->explore_budget || a->max_regret != b->max_regret ||
	    a->auto_off_runs != b->auto_off_runs || a->confirm_runs != b->confirm_runs ||
	    a->rollback_margin != b->rollback_margin || a->min_gain != b->min_gain || a->gate_hold != b->gate_hold ||
	    a->gate_min_runs != b->gate_min_runs)
		return 0;
	for (i = 0; i < a->n_protected; i++)
		if (strcmp(a->protected_stages[i], b->protected_stages[i]))
			return 0;
	return 1;
}
