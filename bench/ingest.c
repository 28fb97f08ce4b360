/*
 * Event-log parse speed: times gdfo_eventlog_read on one file, REPS times,
 * and prints one JSON line with the median, the spread and the peak RSS of
 * this process (which does nothing but parse). bench/ingest.sh runs it next
 * to Python's json module on the same file.
 *
 * usage: ingest FILE [REPS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "gdfo/gdfo.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int reps = argc > 2 ? atoi(argv[2]) : 7, i;
	double *t;
	struct stat st;
	struct rusage ru;
	gdfo_eventlog_summary sum = {.version = GDFO_EVENTLOG_SUMMARY_VERSION};
	double mb;

	if (argc < 2 || reps < 1) {
		fprintf(stderr, "usage: ingest FILE [REPS]\n");
		return 2;
	}
	if (stat(argv[1], &st)) {
		fprintf(stderr, "ingest: cannot stat %s\n", argv[1]);
		return 2;
	}
	mb = (double)st.st_size / 1e6;
	t = calloc((size_t)reps, sizeof(*t));
	if (!t)
		return 1;
	memset(&sum, 0, sizeof(sum));
	sum.version = GDFO_EVENTLOG_SUMMARY_VERSION;
	for (i = 0; i < reps; i++) {
		gdfo_eventlog *log;
		double t0 = now();
		int rc = gdfo_eventlog_read(&log, argv[1], NULL);
		t[i] = now() - t0;
		if (rc) {
			fprintf(stderr, "ingest: %s\n", gdfo_last_error());
			return 1;
		}
		gdfo_eventlog_get_summary(&sum, log);
		gdfo_eventlog_free(log);
	}
	qsort(t, (size_t)reps, sizeof(*t), cmp);
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"reps\": %d, \"mb\": %.3f, \"median_s\": %.6f, \"min_s\": %.6f, \"max_s\": %.6f, "
	       "\"mb_s\": %.1f, \"peak_rss_mb\": %.1f, \"lines\": %lld, \"tasks\": %lld, \"malformed\": %lld}\n",
	       reps, mb, t[reps / 2], t[0], t[reps - 1], mb / t[reps / 2], (double)ru.ru_maxrss / 1024.0,
	       (long long)sum.lines, (long long)sum.tasks, (long long)sum.malformed_lines);
	free(t);
	return 0;
}
