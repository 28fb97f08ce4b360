/* gdfo ingest LOG: Spark event log -> summary, job profile, pipeline or telemetry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char ingest_help[] =
	"usage: gdfo ingest [--summary | --profile | --pipeline | --telemetry] [-o FILE] [--name NAME] LOG\n"
	"\n"
	"Reads a Spark History Server event log (plain, .zstd or .gz; the codec is\n"
	"detected from the file's first bytes) and prints one JSON document:\n"
	"\n"
	"  --summary    counts over the log (default): stages_completed, stages_failed,\n"
	"               tasks, tasks_failed, executor_run_ms, shuffle_write_bytes,\n"
	"               shuffle_read_bytes, memory_spill_bytes, disk_spill_bytes,\n"
	"               executors_added, executors_removed, malformed_lines, app_duration_ms\n"
	"  --profile    a gdfo-job-profile/1 of the completed stages (measured task times)\n"
	"  --pipeline   a gdfo-pipeline/1 graph of the completed stages\n"
	"  --telemetry  a gdfo-telemetry/1 record of the run and of each stage\n"
	"  -o FILE      write the document to FILE instead of standard output\n"
	"  --name NAME  name of the pipeline or profile (default: the App Name)\n"
	"\n"
	"Malformed lines are counted and skipped; unknown events are ignored.\n"
	"A progress bar goes to standard error when it is a terminal.\n"
	"Exit status: 0 success, 2 bad input or usage, 1 other failure.\n";

static void progress(void *user, uint64_t done, uint64_t total)
{
	(void)user;
	if (total) {
		int pct = (int)(100.0 * (double)done / (double)total);
		int bar = pct / 4, i;
		fprintf(stderr, "\rgdfo ingest: [");
		for (i = 0; i < 25; i++)
			fputc(i < bar ? '#' : ' ', stderr);
		fprintf(stderr, "] %3d%%", pct > 100 ? 100 : pct);
		if (done >= total)
			fputc('\n', stderr);
	} else {
		fprintf(stderr, "\rgdfo ingest: %llu MB read", (unsigned long long)(done >> 20));
	}
	fflush(stderr);
}

static int write_out(const char *path, const char *text)
{
	FILE *f;
	size_t n = strlen(text);

	if (!path) {
		if (fwrite(text, 1, n, stdout) != n || fputc('\n', stdout) == EOF || fflush(stdout)) {
			fprintf(stderr, "gdfo ingest: cannot write to standard output\n");
			return GDFO__EXIT_FAIL;
		}
		return 0;
	}
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "gdfo ingest: cannot open '%s' for writing\n", path);
		return GDFO__EXIT_USAGE;
	}
	if (fwrite(text, 1, n, f) != n || fputc('\n', f) == EOF) {
		fclose(f);
		fprintf(stderr, "gdfo ingest: cannot write '%s'\n", path);
		return GDFO__EXIT_FAIL;
	}
	if (fclose(f)) {
		fprintf(stderr, "gdfo ingest: cannot write '%s'\n", path);
		return GDFO__EXIT_FAIL;
	}
	return 0;
}

int gdfo__cli_ingest(int argc, char **argv)
{
	enum { SUMMARY, PROFILE, PIPELINE, TELEMETRY } what = SUMMARY;
	const char *path = NULL, *out_path = NULL, *name = NULL;
	gdfo_ingest_options opts;
	gdfo_eventlog *log = NULL;
	char *text = NULL;
	int i, rc, modes = 0;

	if (gdfo__cli_wants_help(argc, argv)) {
		fputs(ingest_help, stdout);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--summary"))
			what = SUMMARY, modes++;
		else if (!strcmp(a, "--profile"))
			what = PROFILE, modes++;
		else if (!strcmp(a, "--pipeline"))
			what = PIPELINE, modes++;
		else if (!strcmp(a, "--telemetry"))
			what = TELEMETRY, modes++;
		else if (!strcmp(a, "-o") || !strcmp(a, "--name")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "gdfo ingest: %s needs a value\n", gdfo__cli_quote(a));
				return GDFO__EXIT_USAGE;
			}
			if (a[1] == 'o')
				out_path = argv[++i];
			else
				name = argv[++i];
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "gdfo ingest: unknown option '%s' (try 'gdfo ingest --help')\n", gdfo__cli_quote(a));
			return GDFO__EXIT_USAGE;
		} else if (!path)
			path = a;
		else {
			fprintf(stderr, "gdfo ingest: more than one event log given\n");
			return GDFO__EXIT_USAGE;
		}
	}
	if (modes > 1) {
		fprintf(stderr, "gdfo ingest: give only one of --summary, --profile, --pipeline, --telemetry\n");
		return GDFO__EXIT_USAGE;
	}
	if (!path) {
		fprintf(stderr, "gdfo ingest: no event log given (usage: gdfo ingest [--summary|--profile|--pipeline|--telemetry] LOG)\n");
		return GDFO__EXIT_USAGE;
	}
	gdfo_ingest_options_init(&opts, GDFO_INGEST_OPTIONS_VERSION);
	opts.name = name;
	if (isatty(STDERR_FILENO)) {
		opts.progress = progress;
		opts.progress_every_bytes = 4 << 20;
	}
	if ((rc = gdfo_eventlog_read(&log, path, &opts)))
		return gdfo__cli_fail("ingest", rc);
	switch (what) {
	case SUMMARY:
		rc = gdfo_eventlog_summary_json(&text, log);
		break;
	case PROFILE: {
		gdfo_profile *p;
		if (!(rc = gdfo_eventlog_profile(&p, log))) {
			rc = gdfo_profile_to_json(&text, p);
			gdfo_profile_free(p);
		}
		break;
	}
	case PIPELINE: {
		gdfo_graph *g;
		if (!(rc = gdfo_eventlog_graph(&g, log))) {
			rc = gdfo_graph_to_json(&text, g);
			gdfo_graph_free(g);
		}
		break;
	}
	case TELEMETRY: {
		gdfo_telemetry *t;
		if (!(rc = gdfo_eventlog_telemetry(&t, log))) {
			rc = gdfo_telemetry_to_json(&text, t);
			gdfo_telemetry_free(t);
		}
		break;
	}
	}
	gdfo_eventlog_free(log);
	if (rc)
		return gdfo__cli_fail("ingest", rc);
	/* documents from the library end with a newline already; print exactly one */
	{
		size_t n = strlen(text);
		while (n && text[n - 1] == '\n')
			text[--n] = 0;
	}
	rc = write_out(out_path, text);
	gdfo_free(text);
	return rc;
}
