/*
 * libFuzzer target: gdfo_space_from_json for one pipeline (the retail-etl
 * family, seed 1), its writer, and applying points of an accepted space.
 */
#include "fuzz.h"

static gdfo_graph *graph(void)
{
	static gdfo_graph *g;
	if (!g) {
		gdfo_gen_options o;
		gdfo_gen_options_init(&o, GDFO_GEN_OPTIONS_VERSION);
		FUZZ_REQUIRE(gdfo_generate(&g, &o) == 0, "%s", gdfo_last_error());
	}
	return g;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	gdfo_space *s = (gdfo_space *)1, *t = NULL;
	char *a = NULL, *b = NULL;
	int32_t *p;
	uint64_t rng = size;
	size_t dim, k;
	int rc = gdfo_space_from_json(&s, graph(), (const char *)data, size);

	if (rc) {
		fuzz_rejected(rc, s);
		return 0;
	}
	FUZZ_REQUIRE(gdfo_space_to_json(&a, s) == 0, "%s", gdfo_last_error());
	FUZZ_REQUIRE(gdfo_space_from_json(&t, graph(), a, strlen(a)) == 0, "own output refused: %s", gdfo_last_error());
	FUZZ_REQUIRE(gdfo_space_to_json(&b, t) == 0, "%s", gdfo_last_error());
	fuzz_same(a, b, "space");
	/* Points of an accepted space apply, or are refused cleanly. */
	dim = gdfo_space_dim(s);
	p = calloc(dim + 1, sizeof(*p));
	FUZZ_REQUIRE(p != NULL, "out of memory");
	for (k = 0; k < 4; k++) {
		gdfo_plan *plan = NULL;
		FUZZ_REQUIRE(gdfo_space_sample(p, dim, s, &rng) == 0, "%s", gdfo_last_error());
		rc = gdfo_space_apply(&plan, s, p, dim, "fuzz");
		if (rc)
			fuzz_rejected(rc, plan);
		gdfo_plan_free(plan);
	}
	free(p);
	gdfo_free(a);
	gdfo_free(b);
	gdfo_space_free(t);
	gdfo_space_free(s);
	return 0;
}
