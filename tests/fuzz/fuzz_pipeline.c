/* libFuzzer target: gdfo_graph_from_json, and gdfo_graph_to_json round trips. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	gdfo_graph *g = (gdfo_graph *)1, *h = NULL;
	char *a = NULL, *b = NULL;
	int rc = gdfo_graph_from_json(&g, (const char *)data, size);

	if (rc) {
		fuzz_rejected(rc, g);
		return 0;
	}
	FUZZ_REQUIRE(gdfo_graph_validate(g) == 0, "accepted an invalid graph: %s", gdfo_last_error());
	FUZZ_REQUIRE(gdfo_graph_to_json(&a, g) == 0, "%s", gdfo_last_error());
	FUZZ_REQUIRE(gdfo_graph_from_json(&h, a, strlen(a)) == 0, "own output refused: %s", gdfo_last_error());
	FUZZ_REQUIRE(gdfo_graph_to_json(&b, h) == 0, "%s", gdfo_last_error());
	fuzz_same(a, b, "pipeline");
	gdfo_free(a);
	gdfo_free(b);
	gdfo_graph_free(h);
	gdfo_graph_free(g);
	return 0;
}
