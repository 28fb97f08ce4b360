/* libFuzzer target: gdfo_telemetry_from_json and its writer. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	gdfo_telemetry *t = (gdfo_telemetry *)1, *u = NULL;
	char *a = NULL, *b = NULL;
	int rc = gdfo_telemetry_from_json(&t, (const char *)data, size);

	if (rc) {
		fuzz_rejected(rc, t);
		return 0;
	}
	FUZZ_REQUIRE(gdfo_telemetry_to_json(&a, t) == 0, "%s", gdfo_last_error());
	FUZZ_REQUIRE(gdfo_telemetry_from_json(&u, a, strlen(a)) == 0, "own output refused: %s", gdfo_last_error());
	FUZZ_REQUIRE(gdfo_telemetry_to_json(&b, u) == 0, "%s", gdfo_last_error());
	fuzz_same(a, b, "telemetry");
	gdfo_free(a);
	gdfo_free(b);
	gdfo_telemetry_free(u);
	gdfo_telemetry_free(t);
	return 0;
}
