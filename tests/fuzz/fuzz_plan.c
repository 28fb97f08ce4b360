/* libFuzzer target: gdfo_plan_from_json and its writer. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	gdfo_plan *p = (gdfo_plan *)1, *q = NULL;
	char *a = NULL, *b = NULL;
	int rc = gdfo_plan_from_json(&p, (const char *)data, size);

	if (rc) {
		fuzz_rejected(rc, p);
		return 0;
	}
	FUZZ_REQUIRE(gdfo_plan_to_json(&a, p) == 0, "%s", gdfo_last_error());
	FUZZ_REQUIRE(gdfo_plan_from_json(&q, a, strlen(a)) == 0, "own output refused: %s", gdfo_last_error());
	FUZZ_REQUIRE(gdfo_plan_to_json(&b, q) == 0, "%s", gdfo_last_error());
	fuzz_same(a, b, "plan");
	gdfo_free(a);
	gdfo_free(b);
	gdfo_plan_free(q);
	gdfo_plan_free(p);
	return 0;
}
