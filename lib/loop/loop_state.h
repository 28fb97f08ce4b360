/*
 * The state directory's files: the journal (journal.c) and the audit log
 * (audit.c). The loop itself is state.c.
 */
#ifndef GDFO_LOOP_STATE_H
#define GDFO_LOOP_STATE_H

#include "loop/loop_internal.h"

/* Largest journal record, and journal (docs/loop.md "Limits"). */
#define GDFO__JOURNAL_RECORD_MAX (64 << 20)
#define GDFO__JOURNAL_MAX ((uint64_t)4 << 30)

/* Applies one record's payload at open (replay). */
typedef int (*gdfo__journal_apply)(void *ctx, const char *payload, size_t len);

typedef struct gdfo__journal {
	int fd;
	char *path;
	uint64_t end;      /* bytes of good records */
	int64_t records;   /* records read and written */
	int32_t unsynced;  /* appended since the last fsync */
} gdfo__journal;

/*
 * Opens (creating) the journal at path and applies every good record in
 * order; a torn last record is cut off and *torn set. On failure the
 * journal is closed. Errors: GDFO_EIO, GDFO_ECHECKSUM (damage before good
 * records), GDFO_EFORMAT (too large), GDFO_ENOMEM, and apply's.
 */
int gdfo__journal_open(gdfo__journal *j, const char *path, gdfo__journal_apply apply, void *ctx, int32_t *torn);
/* Appends one record; with sync, fsyncs it (and everything before). Errors: GDFO_EIO. */
int gdfo__journal_append(gdfo__journal *j, const char *payload, size_t len, int sync);
int gdfo__journal_sync(gdfo__journal *j);
void gdfo__journal_close(gdfo__journal *j);

/* The audit log: JSON lines appended to STATE/audit.jsonl. */
typedef struct gdfo__audit {
	int fd;
	char *path;
	int32_t unsynced;
} gdfo__audit;

int gdfo__audit_open(gdfo__audit *a, const char *path);
/*
 * Appends one line: {"ts": ..., "time": "<UTC ISO 8601>", "event": event,
 * "pipeline": "<hex>" (when fp), "plan": id (when given), then fields}
 * where fields is the text of more members ("\"reward\":0.1,...") or NULL.
 */
int gdfo__audit_write(gdfo__audit *a, double ts, const char *event, uint64_t fp, int has_fp, const char *plan_id,
		      const char *fields);
int gdfo__audit_sync(gdfo__audit *a);
void gdfo__audit_close(gdfo__audit *a);

#endif
