/*
 * The audit log (docs/loop.md "Audit log"): one JSON object per line,
 * appended to STATE/audit.jsonl, never rewritten; and its reader,
 * gdfo_audit_read, which filters it without opening the state.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/json_write.h"
#include "gdfo/loop.h"
#include "io/json_util.h"
#include "loop/loop_state.h"

/* Largest audit log gdfo_audit_read reads. */
#define AUDIT_READ_MAX ((size_t)1 << 30)

int gdfo__audit_open(gdfo__audit *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->fd = -1;
	if (!(a->path = gdfo__strdup(path)))
		return GDFO_ENOMEM;
	a->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
	if (a->fd < 0) {
		int rc = gdfo__error(GDFO_EIO, "audit log '%s': %s", path, strerror(errno));
		gdfo__audit_close(a);
		return rc;
	}
	/* a line a crash cut short (no newline) is ended, so the next one stays whole */
	{
		off_t end = lseek(a->fd, 0, SEEK_END);
		char last = '\n';
		if (end > 0 && pread(a->fd, &last, 1, end - 1) == 1 && last != '\n' && write(a->fd, "\n", 1) != 1) {
			int rc = gdfo__error(GDFO_EIO, "audit log '%s': %s", path, strerror(errno));
			gdfo__audit_close(a);
			return rc;
		}
	}
	return 0;
}

static void iso_time(char *buf, size_t n, double ts)
{
	time_t t = (time_t)floor(ts);
	struct tm tm;
	if (!(ts >= 0 && ts < 253402300800.0) || !gmtime_r(&t, &tm)) {
		snprintf(buf, n, "unknown");
		return;
	}
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int gdfo__audit_write(gdfo__audit *a, double ts, const char *event, uint64_t fp, int has_fp, const char *plan_id,
		      const char *fields)
{
	gdfo__jsonw w = {0};
	char when[32], *line;
	size_t len, done = 0;
	int rc;

	iso_time(when, sizeof(when), ts);
	gdfo__jsonw_raw(&w, "{\"ts\":");
	gdfo__jsonw_number(&w, ts, 0, "audit time");
	gdfo__jsonw_raw(&w, ",\"time\":\"%s\",\"event\":", when);
	gdfo__jsonw_string(&w, event);
	if (has_fp)
		gdfo__jsonw_raw(&w, ",\"pipeline\":\"%016llx\"", (unsigned long long)fp);
	if (plan_id) {
		gdfo__jsonw_raw(&w, ",\"plan\":");
		gdfo__jsonw_string(&w, plan_id);
	}
	if (fields && *fields)
		gdfo__jsonw_raw(&w, ",%s", fields);
	gdfo__jsonw_raw(&w, "}\n");
	if ((rc = gdfo__jsonw_finish(&w, &line)))
		return rc;
	len = strlen(line);
	/* O_APPEND: one write per line, so concurrent readers see whole lines */
	while (done < len) {
		ssize_t n = write(a->fd, line + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = gdfo__error(GDFO_EIO, "audit log '%s': %s", a->path, strerror(n < 0 ? errno : EIO));
			free(line);
			return rc;
		}
		done += (size_t)n;
	}
	free(line);
	a->unsynced++;
	return 0;
}

int gdfo__audit_sync(gdfo__audit *a)
{
	if (!a->unsynced)
		return 0;
	if (fdatasync(a->fd))
		return gdfo__error(GDFO_EIO, "audit log '%s': fsync: %s", a->path, strerror(errno));
	a->unsynced = 0;
	return 0;
}

void gdfo__audit_close(gdfo__audit *a)
{
	if (a->fd >= 0) {
		if (a->unsynced)
			(void)fdatasync(a->fd);
		close(a->fd);
	}
	free(a->path);
	memset(a, 0, sizeof(*a));
	a->fd = -1;
}

int gdfo_audit_read(char **out, const char *state_dir, const char *pipeline, double since)
{
	char path[4096], *text = NULL, *p, *end;
	size_t len, lineno = 0;
	cJSON *arr = NULL;
	int rc;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_audit_read: out is NULL");
	*out = NULL;
	if (!state_dir || !*state_dir)
		return gdfo__error(GDFO_EINVAL, "gdfo_audit_read: no state directory");
	if (!(since >= 0) || !isfinite(since))
		return gdfo__error(GDFO_EINVAL, "gdfo_audit_read: since must be a time >= 0 (seconds since the epoch)");
	if (pipeline && (strlen(pipeline) != 16 || strspn(pipeline, "0123456789abcdefABCDEF") != 16))
		return gdfo__error(GDFO_EINVAL, "pipeline '%.40s' is not a fingerprint (16 hex digits)", pipeline);
	if ((size_t)snprintf(path, sizeof(path), "%s/audit.jsonl", state_dir) >= sizeof(path))
		return gdfo__error(GDFO_EINVAL, "state directory path is too long");
	if ((rc = gdfo__file_read(&text, &len, path, AUDIT_READ_MAX)))
		return rc;
	if (!(arr = cJSON_CreateArray())) {
		rc = gdfo__json_oom();
		goto out;
	}
	for (p = text; p < text + len; p = end + 1) {
		cJSON *line;
		const cJSON *v;
		end = memchr(p, '\n', (size_t)(text + len - p));
		if (!end)
			break; /* a line being written: not whole yet */
		lineno++;
		if (end == p)
			continue;
		if ((rc = gdfo__json_parse(&line, p, (size_t)(end - p), "audit log line"))) {
			if (rc == GDFO_EFORMAT)
				rc = gdfo__error(GDFO_EFORMAT, "audit log '%s': line %zu is not a JSON object", path,
						 lineno);
			goto out;
		}
		v = cJSON_GetObjectItemCaseSensitive(line, "ts");
		if (!cJSON_IsObject(line) || !cJSON_IsNumber(v)) {
			cJSON_Delete(line);
			rc = gdfo__error(GDFO_EFORMAT, "audit log '%s': line %zu has no \"ts\"", path, lineno);
			goto out;
		}
		if (v->valuedouble < since) {
			cJSON_Delete(line);
			continue;
		}
		if (pipeline) {
			const cJSON *fp = cJSON_GetObjectItemCaseSensitive(line, "pipeline");
			if (!cJSON_IsString(fp) || strcasecmp(fp->valuestring, pipeline)) {
				cJSON_Delete(line);
				continue;
			}
		}
		if (!cJSON_AddItemToArray(arr, line)) {
			cJSON_Delete(line);
			rc = gdfo__json_oom();
			goto out;
		}
	}
	rc = gdfo__json_print(out, arr);
out:
	cJSON_Delete(arr);
	free(text);
	return rc;
}
