/*
 * JSON text writing (lib/core/json_write.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/json_write.h"

int gdfo__json_format_number(char *buf, double v, int digits, const char *what)
{
	int prec;

	buf[0] = '\0';
	if (!isfinite(v))
		return gdfo__error(GDFO_ERANGE, "cannot write %s: %g is not a JSON number", what, v);
	if (digits > 0) {
		snprintf(buf, GDFO__JSON_NUMBER_MAX, "%.*g", digits > 17 ? 17 : digits, v);
		return 0;
	}
	if (v == 0) {
		snprintf(buf, GDFO__JSON_NUMBER_MAX, "%s", signbit(v) ? "-0.0" : "0");
		return 0;
	}
	if (fabs(v) < 9007199254740992.0 && v == floor(v)) {
		snprintf(buf, GDFO__JSON_NUMBER_MAX, "%.0f", v);
		return 0;
	}
	/* cJSON's 15 digits do not always read back as the same double */
	for (prec = 15; prec <= 17; prec++) {
		snprintf(buf, GDFO__JSON_NUMBER_MAX, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	return 0;
}

void gdfo__jsonw_raw(gdfo__jsonw *w, const char *fmt, ...)
{
	va_list ap;
	gdfo__buf *b = &w->buf;
	void *data;
	int n;

	if (w->rc)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		w->rc = gdfo__error(GDFO_EINTERNAL, "bad format string");
		return;
	}
	data = b->data;
	if ((w->rc = gdfo__grow(&data, &b->cap, b->len + (size_t)n + 1, 1)))
		return;
	b->data = data;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void gdfo__jsonw_string(gdfo__jsonw *w, const char *s)
{
	const char *run = s;

	if (w->rc)
		return;
	w->rc = gdfo__buf_puts(&w->buf, "\"");
	for (; *s && !w->rc; s++) {
		unsigned char c = (unsigned char)*s;
		if (c != '"' && c != '\\' && c >= 0x20)
			continue;
		if (!(w->rc = gdfo__buf_put(&w->buf, run, (size_t)(s - run))))
			w->rc = c < 0x20 ? gdfo__buf_printf(&w->buf, "\\u%04x", c)
					 : gdfo__buf_printf(&w->buf, "\\%c", c);
		run = s + 1;
	}
	if (!w->rc)
		w->rc = gdfo__buf_put(&w->buf, run, (size_t)(s - run));
	if (!w->rc)
		w->rc = gdfo__buf_puts(&w->buf, "\"");
}

void gdfo__jsonw_number(gdfo__jsonw *w, double v, int digits, const char *what)
{
	char num[GDFO__JSON_NUMBER_MAX];

	if (w->rc)
		return;
	if (!(w->rc = gdfo__json_format_number(num, v, digits, what)))
		w->rc = gdfo__buf_puts(&w->buf, num);
}

int gdfo__jsonw_finish(gdfo__jsonw *w, char **out)
{
	int rc = w->rc;

	*out = NULL;
	if (rc) {
		gdfo__buf_free(&w->buf);
		w->rc = 0;
		return rc;
	}
	return gdfo__buf_detach(&w->buf, out);
}
