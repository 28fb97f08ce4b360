/*
 * libFuzzer target: the event-log reader on plain, zstd and gzip input (the
 * codec is detected from the first bytes; the seeds hold all three). An
 * accepted log's summary, pipeline, telemetry and profile must be
 * producible or refused cleanly, and those documents round-trip.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	gdfo_ingest_options o;
	gdfo_eventlog *log = (gdfo_eventlog *)1;
	gdfo_graph *g = (gdfo_graph *)1, *h = NULL;
	gdfo_profile *p = (gdfo_profile *)1, *q = NULL;
	gdfo_telemetry *t = (gdfo_telemetry *)1;
	char *a = NULL, *b = NULL;
	int rc;

	gdfo_ingest_options_init(&o, GDFO_INGEST_OPTIONS_VERSION);
	o.max_line_bytes = 1 << 16; /* exercise the overlong-line paths on small inputs */
	rc = gdfo_eventlog_read_memory(&log, data, size, &o);
	if (rc) {
		fuzz_rejected(rc, log);
		return 0;
	}
	FUZZ_REQUIRE(gdfo_eventlog_summary_json(&a, log) == 0, "%s", gdfo_last_error());
	gdfo_free(a);
	a = NULL;
	if ((rc = gdfo_eventlog_graph(&g, log))) {
		fuzz_rejected(rc, g);
	} else {
		FUZZ_REQUIRE(gdfo_graph_to_json(&a, g) == 0, "%s", gdfo_last_error());
		FUZZ_REQUIRE(gdfo_graph_from_json(&h, a, strlen(a)) == 0, "ingested pipeline refused: %s",
			     gdfo_last_error());
		FUZZ_REQUIRE(gdfo_graph_to_json(&b, h) == 0, "%s", gdfo_last_error());
		fuzz_same(a, b, "ingested pipeline");
		gdfo_free(a);
		gdfo_free(b);
		a = b = NULL;
		gdfo_graph_free(h);
		gdfo_graph_free(g);
	}
	if ((rc = gdfo_eventlog_telemetry(&t, log)))
		fuzz_rejected(rc, t);
	else
		gdfo_telemetry_free(t);
	if ((rc = gdfo_eventlog_profile(&p, log))) {
		fuzz_rejected(rc, p);
	} else {
		FUZZ_REQUIRE(gdfo_profile_to_json(&a, p) == 0, "%s", gdfo_last_error());
		FUZZ_REQUIRE(gdfo_profile_from_json(&q, a, strlen(a)) == 0, "ingested profile refused: %s",
			     gdfo_last_error());
		FUZZ_REQUIRE(gdfo_profile_to_json(&b, q) == 0, "%s", gdfo_last_error());
		fuzz_same(a, b, "ingested profile");
		gdfo_free(a);
		gdfo_free(b);
		gdfo_profile_free(q);
		gdfo_profile_free(p);
	}
	gdfo_eventlog_free(log);
	return 0;
}
