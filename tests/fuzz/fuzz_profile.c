/* libFuzzer target: gdfo_profile_from_json and its writer. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	gdfo_profile *p = (gdfo_profile *)1, *q = NULL;
	char *a = NULL, *b = NULL;
	int rc = gdfo_profile_from_json(&p, (const char *)data, size);

	if (rc) {
		fuzz_rejected(rc, p);
		return 0;
	}
	FUZZ_REQUIRE(gdfo_profile_to_json(&a, p) == 0, "%s", gdfo_last_error());
	FUZZ_REQUIRE(gdfo_profile_from_json(&q, a, strlen(a)) == 0, "own output refused: %s", gdfo_last_error());
	FUZZ_REQUIRE(gdfo_profile_to_json(&b, q) == 0, "%s", gdfo_last_error());
	fuzz_same(a, b, "profile");
	gdfo_free(a);
	gdfo_free(b);
	gdfo_profile_free(q);
	gdfo_profile_free(p);
	return 0;
}
