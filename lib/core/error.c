/*
 * Per-thread last-error message, version queries and gdfo_free.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

#define GDFO__ERRMSG_MAX 512

static _Thread_local char errmsg[GDFO__ERRMSG_MAX];
static _Thread_local int errset;

static void flatten(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r' || *s == '\t')
			*s = ' ';
}

int gdfo__verror(int status, const char *fmt, va_list ap)
{
	vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
	flatten(errmsg);
	errset = 1;
	return status;
}

int gdfo__error(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	gdfo__verror(status, fmt, ap);
	va_end(ap);
	return status;
}

int gdfo__error_prefix(int status, const char *fmt, ...)
{
	char prefix[GDFO__ERRMSG_MAX];
	char old[GDFO__ERRMSG_MAX];
	va_list ap;

	snprintf(old, sizeof(old), "%s", errset ? errmsg : "unknown error");
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	return gdfo__error(status, "%s: %s", prefix, old);
}

const char *gdfo_last_error(void)
{
	return errset ? errmsg : "no error";
}

const char *gdfo_status_name(int status)
{
	switch (status) {
	case GDFO_OK: return "GDFO_OK";
	case GDFO_EINVAL: return "GDFO_EINVAL";
	case GDFO_ENOMEM: return "GDFO_ENOMEM";
	case GDFO_EIO: return "GDFO_EIO";
	case GDFO_EFORMAT: return "GDFO_EFORMAT";
	case GDFO_ECYCLE: return "GDFO_ECYCLE";
	case GDFO_ENOTFOUND: return "GDFO_ENOTFOUND";
	case GDFO_EEXISTS: return "GDFO_EEXISTS";
	case GDFO_ERANGE: return "GDFO_ERANGE";
	case GDFO_EVERSION: return "GDFO_EVERSION";
	case GDFO_ECHECKSUM: return "GDFO_ECHECKSUM";
	case GDFO_EILLEGAL: return "GDFO_EILLEGAL";
	case GDFO_EINTERNAL: return "GDFO_EINTERNAL";
	case GDFO_EUNSUPPORTED: return "GDFO_EUNSUPPORTED";
	case GDFO_ECANCELED: return "GDFO_ECANCELED";
	case GDFO_EANOMALY: return "GDFO_EANOMALY";
	}
	return "GDFO_UNKNOWN";
}

void gdfo_version(int *major, int *minor, int *patch)
{
	if (major)
		*major = GDFO_VERSION_MAJOR;
	if (minor)
		*minor = GDFO_VERSION_MINOR;
	if (patch)
		*patch = GDFO_VERSION_PATCH;
}

const char *gdfo_version_string(void)
{
	return GDFO_VERSION_STRING;
}

void gdfo_free(void *ptr)
{
	free(ptr);
}
