/*
 * A validating JSON scanner for event-log lines. It never allocates and
 * never builds a tree: callers walk the objects they care about and skip
 * everything else. Skipping is the hot path (task accumulables and
 * executor metrics make up most of a log), so strings are scanned eight
 * bytes at a time.
 */
#include <stdlib.h>
#include <string.h>

#include "io/ingest_internal.h"

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Non-zero when any byte of x is '"', '\\', a control character or >= 0x80. */
static inline uint64_t special8(uint64_t x)
{
	uint64_t q = x ^ (ONES * '"');
	uint64_t b = x ^ (ONES * '\\');
	return (((q - ONES) & ~q) | ((b - ONES) & ~b) | ((x - ONES * 0x20) & ~x) | x) & HIGHS;
}

static const unsigned char hexval[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
	['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* Cursor at the opening quote. Leaves it after the closing quote. */
static int scan_string(gdfo__js *j, int *esc)
{
	const unsigned char *p = j->p + 1, *end = j->end;

	*esc = 0;
	for (;;) {
		while (p + 8 <= end) {
			uint64_t x;
			memcpy(&x, p, 8);
			if (special8(x))
				break;
			p += 8;
		}
		while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
			p++;
		if (p >= end)
			return -1;
		if (*p == '"') {
			j->p = p + 1;
			return 0;
		}
		if (*p == '\\') {
			if (p + 1 >= end)
				return -1;
			switch (p[1]) {
			case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
				p += 2;
				break;
			case 'u':
				if (end - p < 6 || !hexval[p[2]] || !hexval[p[3]] || !hexval[p[4]] || !hexval[p[5]])
					return -1;
				p += 6;
				break;
			default:
				return -1;
			}
			*esc = 1;
			continue;
		}
		if (*p < 0x20)
			return -1;
		{
			size_t n = gdfo__utf8_seq(p, end);
			if (!n)
				return -1;
			p += n;
		}
	}
}

/*
 * Cursor at '-' or a digit. Validates the number; *is_int says whether it
 * had no fraction or exponent and fit int64.
 */
static int scan_number(gdfo__js *j, int64_t *v, int *is_int)
{
	const unsigned char *p = j->p, *end = j->end;
	int neg = 0, overflow = 0, frac = 0;
	uint64_t acc = 0;

	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	if (p >= end || *p < '0' || *p > '9')
		return -1;
	if (*p == '0') {
		p++;
	} else {
		const unsigned char *first = p;
		while (p < end && *p >= '0' && *p <= '9') {
			acc = acc * 10 + (unsigned)(*p - '0');
			p++;
		}
		if (p - first > 19)
			overflow = 1; /* 19 digits fit uint64; the int64 range is checked below */
	}
	if (p < end && *p == '.') {
		frac = 1;
		p++;
		if (p >= end || *p < '0' || *p > '9')
			return -1;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		frac = 1;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return -1;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	j->p = p;
	*is_int = 0;
	if (frac || overflow)
		return 0;
	if (neg) {
		if (acc > (uint64_t)INT64_MAX + 1)
			return 0;
		*v = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
	} else {
		if (acc > (uint64_t)INT64_MAX)
			return 0;
		*v = (int64_t)acc;
	}
	*is_int = 1;
	return 0;
}

static int scan_literal(gdfo__js *j, const char *lit, size_t n)
{
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n))
		return -1;
	j->p += n;
	return 0;
}

/* A scalar value at the cursor (after whitespace). */
static int scan_scalar(gdfo__js *j)
{
	int esc, is_int;
	int64_t v;

	switch (*j->p) {
	case '"':
		return scan_string(j, &esc);
	case 't':
		return scan_literal(j, "true", 4);
	case 'f':
		return scan_literal(j, "false", 5);
	case 'n':
		return scan_literal(j, "null", 4);
	default:
		return scan_number(j, &v, &is_int);
	}
}

int gdfo__js_skip(gdfo__js *j)
{
	unsigned char stack[GDFO__JS_MAX_DEPTH]; /* 1 object, 0 array */
	int depth = 0, esc;

value:
	gdfo__js_ws(j);
	if (j->p >= j->end)
		return -1;
	if (*j->p == '{') {
		j->p++;
		gdfo__js_ws(j);
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			goto after;
		}
		if (depth == GDFO__JS_MAX_DEPTH)
			return -1;
		stack[depth++] = 1;
		goto key;
	}
	if (*j->p == '[') {
		j->p++;
		gdfo__js_ws(j);
		if (j->p < j->end && *j->p == ']') {
			j->p++;
			goto after;
		}
		if (depth == GDFO__JS_MAX_DEPTH)
			return -1;
		stack[depth++] = 0;
		goto value;
	}
	if (scan_scalar(j))
		return -1;
after:
	if (depth == 0)
		return 0;
	gdfo__js_ws(j);
	if (j->p >= j->end)
		return -1;
	if (stack[depth - 1]) {
		if (*j->p == ',') {
			j->p++;
			goto key;
		}
		if (*j->p == '}') {
			j->p++;
			depth--;
			goto after;
		}
		return -1;
	}
	if (*j->p == ',') {
		j->p++;
		goto value;
	}
	if (*j->p == ']') {
		j->p++;
		depth--;
		goto after;
	}
	return -1;
key:
	gdfo__js_ws(j);
	if (j->p >= j->end || *j->p != '"' || scan_string(j, &esc))
		return -1;
	gdfo__js_ws(j);
	if (j->p >= j->end || *j->p != ':')
		return -1;
	j->p++;
	goto value;
}

int gdfo__js_string(gdfo__js *j, gdfo__jstr *out)
{
	const unsigned char *start;

	gdfo__js_ws(j);
	if (j->p >= j->end || *j->p != '"')
		return -1;
	start = j->p + 1;
	if (scan_string(j, &out->esc))
		return -1;
	out->s = (const char *)start;
	out->n = (size_t)(j->p - 1 - start);
	return 0;
}

int gdfo__js_int(gdfo__js *j, int64_t *v, int *ok)
{
	*ok = 0;
	gdfo__js_ws(j);
	if (j->p >= j->end)
		return -1;
	if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))
		return scan_number(j, v, ok);
	return gdfo__js_skip(j);
}

int gdfo__js_str_or_skip(gdfo__js *j, gdfo__jstr *out, int *ok)
{
	*ok = 0;
	gdfo__js_ws(j);
	if (j->p >= j->end)
		return -1;
	if (*j->p == '"') {
		*ok = 1;
		return gdfo__js_string(j, out);
	}
	return gdfo__js_skip(j);
}

static int container_begin(gdfo__js *j, unsigned char open, unsigned char close)
{
	gdfo__js_ws(j);
	if (j->p >= j->end)
		return -1;
	if (*j->p != open)
		return gdfo__js_skip(j) ? -1 : 2;
	j->p++;
	gdfo__js_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return 0;
	}
	return 1;
}

static int container_next(gdfo__js *j, unsigned char close)
{
	gdfo__js_ws(j);
	if (j->p >= j->end)
		return -1;
	if (*j->p == ',') {
		j->p++;
		return 1;
	}
	if (*j->p == close) {
		j->p++;
		return 0;
	}
	return -1;
}

int gdfo__js_obj_begin(gdfo__js *j)
{
	return container_begin(j, '{', '}');
}

int gdfo__js_obj_next(gdfo__js *j)
{
	return container_next(j, '}');
}

int gdfo__js_arr_begin(gdfo__js *j)
{
	return container_begin(j, '[', ']');
}

int gdfo__js_arr_next(gdfo__js *j)
{
	return container_next(j, ']');
}

int gdfo__js_obj_key(gdfo__js *j, gdfo__jstr *key)
{
	if (gdfo__js_string(j, key))
		return -1;
	gdfo__js_ws(j);
	if (j->p >= j->end || *j->p != ':')
		return -1;
	j->p++;
	return 0;
}

/* ---- decoding ------------------------------------------------------------------ */

static size_t put_utf8(char *o, unsigned long cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static unsigned long hex4(const unsigned char *p)
{
	return ((unsigned long)(hexval[p[0]] - 1) << 12) | ((unsigned long)(hexval[p[1]] - 1) << 8) |
	       ((unsigned long)(hexval[p[2]] - 1) << 4) | (unsigned long)(hexval[p[3]] - 1);
}

/*
 * Decodes a validated string into o, which has room for at least s->n
 * bytes (decoding never grows: an escape is at least as long as its UTF-8).
 */
static size_t decode(const gdfo__jstr *s, char *o)
{
	const unsigned char *p = (const unsigned char *)s->s, *end = p + s->n;
	size_t k = 0;

	while (p < end) {
		if (*p != '\\') {
			o[k++] = (char)*p++;
			continue;
		}
		switch (p[1]) {
		case 'b': o[k++] = '\b'; p += 2; break;
		case 'f': o[k++] = '\f'; p += 2; break;
		case 'n': o[k++] = '\n'; p += 2; break;
		case 'r': o[k++] = '\r'; p += 2; break;
		case 't': o[k++] = '\t'; p += 2; break;
		case 'u': {
			unsigned long cp = hex4(p + 2);
			p += 6;
			if (cp >= 0xd800 && cp <= 0xdbff && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
				unsigned long lo = hex4(p + 2);
				if (lo >= 0xdc00 && lo <= 0xdfff) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					p += 6;
				}
			}
			if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd;
			k += put_utf8(o + k, cp);
			break;
		}
		default: o[k++] = (char)p[1]; p += 2; break;
		}
	}
	return k;
}

long gdfo__jstr_decode(const gdfo__jstr *s, char *buf, size_t cap)
{
	size_t k;
	if (!s->esc) {
		if (s->n + 1 > cap)
			return -1;
		memcpy(buf, s->s, s->n);
		buf[s->n] = 0;
		return (long)s->n;
	}
	if (s->n + 1 > cap) {
		/* may still fit after decoding; decode into a heap copy */
		char *tmp = gdfo__malloc(s->n + 1);
		if (!tmp)
			return -1;
		k = decode(s, tmp);
		if (k + 1 > cap) {
			free(tmp);
			return -1;
		}
		memcpy(buf, tmp, k);
		free(tmp);
	} else {
		k = decode(s, buf);
	}
	buf[k] = 0;
	return (long)k;
}

char *gdfo__jstr_dup(const gdfo__jstr *s)
{
	char *o = gdfo__malloc(s->n + 1);
	size_t k;
	if (!o)
		return NULL;
	k = s->esc ? decode(s, o) : (memcpy(o, s->s, s->n), s->n);
	o[k] = 0;
	return o;
}

int gdfo__jstr_eq(const gdfo__jstr *s, const char *lit, size_t n)
{
	char buf[256];
	long k;

	if (!s->esc)
		return s->n == n && !memcmp(s->s, lit, n);
	if (n >= sizeof(buf) || s->n < n)
		return 0;
	k = gdfo__jstr_decode(s, buf, sizeof(buf));
	return k == (long)n && !memcmp(buf, lit, n);
}
