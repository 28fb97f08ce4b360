/*
 * libFuzzer target: the closed loop's gdfo-policy/1 reader and writer
 * (lib/loop/policy.c). A rejected input leaves the policy cleared (the
 * defaults, owning nothing) and a one-line message; an accepted one
 * round-trips through the writer to an equal policy, and its check of a
 * plan (the rules' plan of a generated retail pipeline) is 0 or
 * GDFO_EILLEGAL with a one-line reason.
 */
#include "fuzz.h"
#include "loop/loop_internal.h"

static gdfo_graph *graph;
static gdfo_plan *plan;

static void setup(void)
{
	gdfo_gen_options o;

	if (plan)
		return;
	gdfo_gen_options_init(&o, GDFO_GEN_OPTIONS_VERSION);
	FUZZ_REQUIRE(gdfo_generate(&graph, &o) == 0, "%s", gdfo_last_error());
	FUZZ_REQUIRE(gdfo_optimize_rules(&plan, graph, NULL, NULL) == 0, "%s", gdfo_last_error());
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	gdfo__policy p, q, d;
	char *a = NULL, *b = NULL, why[256];
	int rc;

	setup();
	memset(&p, 0xab, sizeof(p));
	rc = gdfo__policy_parse(&p, (const char *)data, size);
	if (rc) {
		fuzz_rejected(rc, NULL);
		gdfo__policy_defaults(&d);
		FUZZ_REQUIRE(p.protected_stages == NULL && gdfo__policy_equal(&p, &d), "a refused policy is not cleared");
		return 0;
	}
	FUZZ_REQUIRE(gdfo__policy_to_json(&a, &p) == 0, "%s", gdfo_last_error());
	FUZZ_REQUIRE(gdfo__policy_parse(&q, a, strlen(a)) == 0, "own output refused: %s\n%s", gdfo_last_error(), a);
	FUZZ_REQUIRE(gdfo__policy_equal(&p, &q), "the policy does not round-trip:\n%s", a);
	FUZZ_REQUIRE(gdfo__policy_to_json(&b, &q) == 0, "%s", gdfo_last_error());
	fuzz_same(a, b, "policy");
	rc = gdfo__policy_check_plan(&p, graph, plan, why, sizeof(why));
	FUZZ_REQUIRE(rc == 0 || rc == GDFO_EILLEGAL, "check_plan: %s (%s)", gdfo_status_name(rc), gdfo_last_error());
	FUZZ_REQUIRE(rc ? why[0] && !strchr(why, '\n') : !why[0], "check_plan's why '%s'", why);
	gdfo_free(a);
	gdfo_free(b);
	gdfo__policy_clear(&q);
	gdfo__policy_clear(&p);
	return 0;
}
