/* libFuzzer target: gdfo_sim_cluster_from_json and its writer. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	gdfo_sim_cluster c, d;
	char *a = NULL, *b = NULL;
	int rc = gdfo_sim_cluster_from_json(&c, (const char *)data, size);

	if (rc) {
		fuzz_rejected(rc, NULL);
		return 0;
	}
	FUZZ_REQUIRE(gdfo_sim_cluster_validate(&c) == 0, "accepted an invalid cluster: %s", gdfo_last_error());
	FUZZ_REQUIRE(gdfo_sim_cluster_to_json(&a, &c) == 0, "%s", gdfo_last_error());
	FUZZ_REQUIRE(gdfo_sim_cluster_from_json(&d, a, strlen(a)) == 0, "own output refused: %s", gdfo_last_error());
	FUZZ_REQUIRE(gdfo_sim_cluster_to_json(&b, &d) == 0, "%s", gdfo_last_error());
	fuzz_same(a, b, "cluster");
	gdfo_free(a);
	gdfo_free(b);
	return 0;
}
