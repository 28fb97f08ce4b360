/*
 * The closed loop's guardrails (lib/loop/policy.c, docs/policy.md): the
 * gdfo-policy/1 reader and writer, errors word for word, and the check
 * of a plan of the rule-based optimizer against a policy.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "gdfo/gdfo.h"
#include "loop/loop_internal.h"
#include "plan/plan_internal.h"
#include "testutil.h"

#define ALL_KINDS ((uint32_t)((1u << GDFO_CHANGE_KIND_COUNT) - 1))
#define HEAD "{\"format\": \"gdfo-policy/1\", "

/* Cleared: the defaults, owning nothing. */
static void assert_cleared(const gdfo__policy *p)
{
	gdfo__policy d;

	gdfo__policy_defaults(&d);
	ck_assert_ptr_null(p->protected_stages);
	ck_assert_uint_eq(p->n_protected, 0);
	ck_assert_msg(gdfo__policy_equal(p, &d), "the policy is not cleared");
}

static int parse(gdfo__policy *p, const char *doc)
{
	memset(p, 0xab, sizeof(*p)); /* parse need not find it initialized */
	return gdfo__policy_parse(p, doc, strlen(doc));
}

START_TEST(defaults)
{
	gdfo__policy p, q;

	gdfo__policy_defaults(&p);
	ck_assert(p.max_executors == 0 && p.max_cores_per_executor == 0 && p.max_memory_per_executor_bytes == 0);
	ck_assert(p.cost_ceiling == 0 && p.slo_ms == 0);
	ck_assert_ptr_null(p.protected_stages);
	ck_assert_uint_eq(p.n_protected, 0);
	ck_assert_uint_eq(p.allowed_kinds, ALL_KINDS);
	ck_assert_int_eq(p.approval_risk, GDFO_RISK_HIGH);
	ck_assert(p.explore_budget == 0.5 && p.max_regret == 0.05 && p.rollback_margin == 0.05 && p.min_gain == 0.01);
	ck_assert_int_eq(p.auto_off_runs, 6);
	ck_assert_int_eq(p.confirm_runs, 2);
	ck_assert_int_eq(p.gate_hold, 0);
	ck_assert_int_eq(p.gate_min_runs, 5);
	/* Every section and key is optional; null is the same as missing. */
	ck_assert_msg(parse(&q, "{\"format\": \"gdfo-policy/1\"}") == 0, "%s", gdfo_last_error());
	ck_assert(gdfo__policy_equal(&p, &q));
	ck_assert_msg(parse(&q, HEAD "\"limits\": {}, \"protected_stages\": [], \"approval\": null, "
				      "\"exploration\": {\"budget\": null}, \"allowed_changes\": null}") == 0,
		      "%s", gdfo_last_error());
	ck_assert(gdfo__policy_equal(&p, &q));
	gdfo__policy_clear(&q);
	assert_cleared(&q);
	gdfo__policy_clear(NULL);
}
END_TEST

START_TEST(a_printed_policy_shows_the_defaults)
{
	gdfo__policy p;
	char *json;

	gdfo__policy_defaults(&p);
	ck_assert_int_eq(gdfo__policy_to_json(&json, &p), 0);
	ck_assert_str_eq(json, "{\n"
			       "  \"format\": \"gdfo-policy/1\",\n"
			       "  \"limits\": {\n"
			       "    \"max_executors\": 0,\n"
			       "    \"max_cores_per_executor\": 0,\n"
			       "    \"max_memory_per_executor_bytes\": 0,\n"
			       "    \"cost_ceiling\": 0,\n"
			       "    \"slo_ms\": 0\n"
			       "  },\n"
			       "  \"protected_stages\": [],\n"
			       "  \"allowed_changes\": [\"push_filter\", \"fuse\", \"cache\", \"join_strategy\", \"partitions\", "
			       "\"reorder_joins\", \"priority\", \"resources\", \"file_sizing\"],\n"
			       "  \"approval\": {\n"
			       "    \"risk\": \"high\"\n"
			       "  },\n"
			       "  \"exploration\": {\n"
			       "    \"budget\": 0.5,\n"
			       "    \"max_regret\": 0.05,\n"
			       "    \"auto_off_runs\": 6\n"
			       "  },\n"
			       "  \"rollback\": {\n"
			       "    \"margin\": 0.05,\n"
			       "    \"confirm_runs\": 2,\n"
			       "    \"min_gain\": 0.01\n"
			       "  },\n"
			       "  \"gates\": {\n"
			       "    \"hold\": \"never\",\n"
			       "    \"min_runs\": 5\n"
			       "  }\n"
			       "}\n");
	gdfo_free(json);
}
END_TEST

/* Every field away from its default. */
static const char *const full =
	HEAD "\"limits\": {\"max_executors\": 64, \"max_cores_per_executor\": 8, "
	"\"max_memory_per_executor_bytes\": 34359738368, \"cost_ceiling\": 12.5, \"slo_ms\": 600000},"
	"\"protected_stages\": [\"load_orders\", \"\\u00e9t\\u00e9 \\\"q\\\"\", \"z\"],"
	"\"allowed_changes\": [\"partitions\", \"join_strategy\", \"file_sizing\"],"
	"\"approval\": {\"risk\": \"never\"},"
	"\"exploration\": {\"budget\": 0.1, \"max_regret\": 0.30000000000000004, \"auto_off_runs\": 1000},"
	"\"rollback\": {\"margin\": 1, \"confirm_runs\": 100, \"min_gain\": 0},"
	"\"gates\": {\"hold\": \"low\", \"min_runs\": 10000}}";

START_TEST(a_full_document_round_trips)
{
	gdfo__policy p, q;
	char *a, *b;

	ck_assert_msg(parse(&p, full) == 0, "%s", gdfo_last_error());
	ck_assert(p.max_executors == 64 && p.max_cores_per_executor == 8);
	ck_assert(p.max_memory_per_executor_bytes == 34359738368.0 && p.cost_ceiling == 12.5 && p.slo_ms == 600000);
	ck_assert_uint_eq(p.n_protected, 3);
	ck_assert_str_eq(p.protected_stages[0], "load_orders");
	ck_assert_str_eq(p.protected_stages[1], "\xc3\xa9t\xc3\xa9 \"q\"");
	ck_assert_uint_eq(p.allowed_kinds, (1u << GDFO_CHANGE_PARTITIONS) | (1u << GDFO_CHANGE_JOIN_STRATEGY) |
						   (1u << GDFO_CHANGE_FILE_SIZING));
	ck_assert_int_eq(p.approval_risk, 3);
	ck_assert(p.explore_budget == 0.1 && p.max_regret == 0.30000000000000004 && p.auto_off_runs == 1000);
	ck_assert(p.rollback_margin == 1 && p.confirm_runs == 100 && p.min_gain == 0);
	ck_assert_int_eq(p.gate_hold, 1);
	ck_assert_int_eq(p.gate_min_runs, 10000);
	ck_assert(gdfo__policy_protected(&p, "load_orders") && gdfo__policy_protected(&p, "z"));
	ck_assert(!gdfo__policy_protected(&p, "load_order") && !gdfo__policy_protected(&p, "") &&
		  !gdfo__policy_protected(NULL, "z") && !gdfo__policy_protected(&p, NULL));

	ck_assert_int_eq(gdfo__policy_to_json(&a, &p), 0);
	ck_assert_ptr_nonnull(strstr(a, "\"max_regret\": 0.30000000000000004"));
	ck_assert_ptr_nonnull(strstr(a, "\"allowed_changes\": [\"join_strategy\", \"partitions\", \"file_sizing\"]"));
	ck_assert_ptr_nonnull(strstr(a, "\"hold\": \"low\""));
	ck_assert_ptr_nonnull(strstr(a, "\"risk\": \"never\""));
	ck_assert_msg(gdfo__policy_parse(&q, a, strlen(a)) == 0, "own output refused: %s", gdfo_last_error());
	ck_assert(gdfo__policy_equal(&p, &q));
	ck_assert_int_eq(gdfo__policy_to_json(&b, &q), 0);
	ck_assert_str_eq(a, b);
	gdfo_free(a);
	gdfo_free(b);
	gdfo__policy_clear(&q);
	gdfo__policy_clear(&p);

	/* gates.hold and approval.risk at each level, and no change kind allowed */
	ck_assert_int_eq(parse(&q, HEAD "\"gates\": {\"hold\": \"never\"}, \"approval\": {\"risk\": \"low\"}, "
					"\"allowed_changes\": []}"), 0);
	ck_assert_int_eq(q.gate_hold, 0);
	ck_assert_int_eq(q.approval_risk, GDFO_RISK_LOW);
	ck_assert_uint_eq(q.allowed_kinds, 0);
	ck_assert_int_eq(gdfo__policy_to_json(&a, &q), 0);
	ck_assert_ptr_nonnull(strstr(a, "\"allowed_changes\": [],"));
	ck_assert_ptr_nonnull(strstr(a, "\"hold\": \"never\""));
	ck_assert_int_eq(gdfo__policy_parse(&p, a, strlen(a)), 0);
	ck_assert(gdfo__policy_equal(&p, &q));
	gdfo_free(a);
	gdfo__policy_clear(&p);
	gdfo__policy_clear(&q);
}
END_TEST

START_TEST(the_example_parses)
{
	gdfo__policy p;
	size_t len;
	char *text = tu_slurp("examples/policy.json", &len);

	ck_assert_msg(gdfo__policy_parse(&p, text, len) == 0, "%s", gdfo_last_error());
	ck_assert_uint_eq(p.n_protected, 2);
	ck_assert(gdfo__policy_protected(&p, "orders"));
	ck_assert_uint_eq(p.allowed_kinds & (1u << GDFO_CHANGE_REORDER_JOINS), 0);
	gdfo__policy_clear(&p);
	free(text);
}
END_TEST

/* A refused document: status, the message word for word, the policy cleared. */
typedef struct bad_case {
	const char *doc;
	int status;
	const char *message;
} bad_case;

#define KINDS "push_filter, fuse, cache, join_strategy, partitions, reorder_joins, priority, resources, file_sizing"

static const bad_case bad[] = {
	{HEAD "\"exploration\": {\"max_regret\": -1}}", GDFO_EFORMAT,
	 "policy: exploration.max_regret is -1; it must be in 0..1"},
	{HEAD "\"allowed_changes\": [\"fuse\", \"cache\", \"caching\"]}", GDFO_EFORMAT,
	 "policy: allowed_changes[2] 'caching' is not a change kind (" KINDS ")"},
	{HEAD "\"allowed_changes\": [\"fuse\", 3]}", GDFO_EFORMAT,
	 "policy: allowed_changes[1] is a number; it must be a change kind (" KINDS ")"},
	{HEAD "\"allowed_changes\": [\"fuse\", \"cache\", \"fuse\"]}", GDFO_EFORMAT,
	 "policy: allowed_changes[2] 'fuse' appears twice (also allowed_changes[0])"},
	{HEAD "\"allowed_changes\": \"fuse\"}", GDFO_EFORMAT,
	 "policy: allowed_changes is a string; it must be an array of change kinds"},
	{HEAD "\"limits\": {\"max_executors\": -1}}", GDFO_EFORMAT,
	 "policy: limits.max_executors is -1; it must be >= 0"},
	{HEAD "\"limits\": {\"slo_ms\": \"fast\"}}", GDFO_EFORMAT,
	 "policy: limits.slo_ms is a string; it must be a number >= 0"},
	{HEAD "\"limits\": {\"cost_ceiling\": 1e999}}", GDFO_EFORMAT,
	 "policy: limits.cost_ceiling is not a finite number; it must be >= 0"},
	{HEAD "\"limits\": {\"max_memory_per_executor_bytes\": -0.5}}", GDFO_EFORMAT,
	 "policy: limits.max_memory_per_executor_bytes is -0.5; it must be >= 0"},
	{HEAD "\"limits\": {\"max_cores_per_executor\": true}}", GDFO_EFORMAT,
	 "policy: limits.max_cores_per_executor is a boolean; it must be a number >= 0"},
	{HEAD "\"limits\": [64]}", GDFO_EFORMAT, "policy: limits is an array; it must be an object"},
	{HEAD "\"exploration\": {\"budget\": 1.5}}", GDFO_EFORMAT,
	 "policy: exploration.budget is 1.5; it must be in 0..1"},
	{HEAD "\"exploration\": {\"auto_off_runs\": 0}}", GDFO_EFORMAT,
	 "policy: exploration.auto_off_runs is 0; it must be an integer in 1..1000"},
	{HEAD "\"exploration\": {\"auto_off_runs\": 2.5}}", GDFO_EFORMAT,
	 "policy: exploration.auto_off_runs is 2.5; it must be an integer in 1..1000"},
	{HEAD "\"exploration\": {\"auto_off_runs\": 1001}}", GDFO_EFORMAT,
	 "policy: exploration.auto_off_runs is 1001; it must be an integer in 1..1000"},
	{HEAD "\"rollback\": {\"margin\": -0.1}}", GDFO_EFORMAT, "policy: rollback.margin is -0.1; it must be in 0..1"},
	{HEAD "\"rollback\": {\"min_gain\": 2}}", GDFO_EFORMAT, "policy: rollback.min_gain is 2; it must be in 0..1"},
	{HEAD "\"rollback\": {\"confirm_runs\": 101}}", GDFO_EFORMAT,
	 "policy: rollback.confirm_runs is 101; it must be an integer in 1..100"},
	{HEAD "\"rollback\": {\"confirm_runs\": 0}}", GDFO_EFORMAT,
	 "policy: rollback.confirm_runs is 0; it must be an integer in 1..100"},
	{HEAD "\"rollback\": {\"confirm_runs\": 2.5}}", GDFO_EFORMAT,
	 "policy: rollback.confirm_runs is 2.5; it must be an integer in 1..100"},
	{HEAD "\"protected_stages\": [\"a\", \"load_orders\", \"b\", \"load_orders\"]}", GDFO_EFORMAT,
	 "policy: protected_stages[3] 'load_orders' appears twice (also protected_stages[1])"},
	{HEAD "\"gates\": {\"min_runs\": 10001}}", GDFO_EFORMAT,
	 "policy: gates.min_runs is 10001; it must be an integer in 1..10000"},
	{HEAD "\"gates\": {\"min_runs\": 0}}", GDFO_EFORMAT,
	 "policy: gates.min_runs is 0; it must be an integer in 1..10000"},
	{HEAD "\"gates\": {\"hold\": \"severe\"}}", GDFO_EFORMAT,
	 "policy: gates.hold 'severe' is not one of low, medium, high, never"},
	{HEAD "\"gates\": {\"min_runs\": 5, \"min_runs\": 6}}", GDFO_EFORMAT,
	 "policy: gates: key \"min_runs\" appears twice"},
	{HEAD "\"approval\": {\"risk\": 2}}", GDFO_EFORMAT,
	 "policy: approval.risk is a number; it must be one of low, medium, high, never"},
	{HEAD "\"approval\": {\"risk\": \"HIGH\"}}", GDFO_EFORMAT,
	 "policy: approval.risk 'HIGH' is not one of low, medium, high, never"},
	{HEAD "\"protected_stages\": \"orders\"}", GDFO_EFORMAT,
	 "policy: protected_stages is a string; it must be an array of stage names"},
	{HEAD "\"protected_stages\": [\"orders\", 1]}", GDFO_EFORMAT,
	 "policy: protected_stages[1] is a number; it must be a stage name (a string)"},
	{HEAD "\"protected_stages\": [\"\"]}", GDFO_EFORMAT,
	 "policy: protected_stages[0] is empty; a stage name is 1..255 bytes"},
	{HEAD "\"protected_stages\": [\"ok\", \"\xff\xfe\"]}", GDFO_EFORMAT,
	 "policy: protected_stages[1] is not valid UTF-8"},
	{HEAD "\"protected_stages\": [\"a\", \"b\", \"c\", \"b\", \"a\"]}", GDFO_EFORMAT,
	 "policy: protected_stages[3] 'b' appears twice (also protected_stages[1])"},
	/* unknown keys, at the top and in a section */
	{HEAD "\"protected_stage\": [\"orders\"]}", GDFO_EFORMAT,
	 "policy: unknown key \"protected_stage\" (known: format, limits, protected_stages, allowed_changes, "
	 "approval, exploration, rollback, gates)"},
	{HEAD "\"limits\": {\"max_exec\": 4}}", GDFO_EFORMAT,
	 "policy: limits: unknown key \"max_exec\" (known: max_executors, max_cores_per_executor, "
	 "max_memory_per_executor_bytes, cost_ceiling, slo_ms)"},
	{HEAD "\"exploration\": {\"budget\": 0.5, \"auto_off\": 4}}", GDFO_EFORMAT,
	 "policy: exploration: unknown key \"auto_off\" (known: budget, max_regret, auto_off_runs)"},
	/* the document */
	{"{\"limits\": {}}", GDFO_EFORMAT, "policy: \"format\" is missing (expected \"gdfo-policy/1\")"},
	{"{\"format\": \"gdfo-pipeline/1\"}", GDFO_EFORMAT,
	 "policy: \"format\" is \"gdfo-pipeline/1\", expected \"gdfo-policy/1\""},
	{"{\"format\": \"gdfo-policy/2\"}", GDFO_EVERSION,
	 "policy: format version \"gdfo-policy/2\" is not supported (this library reads gdfo-policy/1)"},
	{HEAD "\"format\": \"gdfo-policy/1\"}", GDFO_EFORMAT, "policy: key \"format\" appears twice"},
	{"[1, 2]", GDFO_EFORMAT, "policy: the document is not a JSON object"},
	{"{\"format\": \"gdfo-policy/1\",\n \"limits\": {\"slo_ms\": }}", GDFO_EFORMAT,
	 "policy: not valid JSON at line 2, column 23"},
	{"", GDFO_EFORMAT, "policy: the document is empty"},
};

START_TEST(each_error_names_the_field)
{
	const bad_case *c = &bad[_i];
	gdfo__policy p;
	int rc = parse(&p, c->doc);

	ck_assert_msg(rc == c->status, "%s: got %s (%s), want %s", c->doc, gdfo_status_name(rc), gdfo_last_error(),
		      gdfo_status_name(c->status));
	ck_assert_str_eq(gdfo_last_error(), c->message);
	assert_cleared(&p);
}
END_TEST

/*
 * docs/policy.md: its JSON blocks are the example file and the printed
 * defaults; every error it quotes (indented "policy: " lines) is one of
 * the cases above, word for word.
 */
START_TEST(the_documentation_matches)
{
	size_t len, i, blocks = 0, quoted = 0;
	char *doc = tu_slurp("docs/policy.md", &len), *line, *save = NULL, *example, *printed;
	gdfo__policy p, q;
	gdfo__buf block = {0};
	int in_json = 0;

	example = tu_slurp("examples/policy.json", &len);
	ck_assert_int_eq(gdfo__policy_parse(&q, example, len), 0);
	gdfo__policy_defaults(&p);
	ck_assert_int_eq(gdfo__policy_to_json(&printed, &p), 0);
	for (line = strtok_r(doc, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strcmp(line, "```json")) {
			in_json = 1;
			block.len = 0;
			continue;
		}
		if (in_json && !strcmp(line, "```")) {
			in_json = 0;
			ck_assert_msg(gdfo__policy_parse(&p, block.data, block.len) == 0, "docs/policy.md block %zu: %s",
				      blocks, gdfo_last_error());
			if (blocks == 0) {
				ck_assert_msg(gdfo__policy_equal(&p, &q), "the example of docs/policy.md is not examples/policy.json");
				ck_assert_str_eq(block.data, example);
			} else {
				ck_assert_str_eq(block.data, printed);
			}
			gdfo__policy_clear(&p);
			blocks++;
			continue;
		}
		if (in_json) {
			ck_assert_int_eq(gdfo__buf_printf(&block, "%s\n", line), 0);
			continue;
		}
		if (!strncmp(line, "    policy: ", 12)) {
			for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
				if (!strcmp(line + 4, bad[i].message))
					break;
			ck_assert_msg(i < sizeof(bad) / sizeof(bad[0]), "docs/policy.md quotes an error no test gives: %s",
				      line + 4);
			quoted++;
		}
	}
	ck_assert_uint_eq(blocks, 2);
	ck_assert_uint_ge(quoted, 10);
	gdfo__buf_free(&block);
	gdfo__policy_clear(&q);
	gdfo_free(printed);
	free(example);
	free(doc);
}
END_TEST

/* A document of n names "s0", "s1", ... (and a repeat of the first as the last when dup). */
static char *names_doc(size_t n, int dup)
{
	gdfo__buf b = {0};
	size_t i;

	ck_assert_int_eq(gdfo__buf_puts(&b, HEAD "\"protected_stages\": ["), 0);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(gdfo__buf_printf(&b, "%s\"s%zu\"", i ? ", " : "", dup && i == n - 1 ? (size_t)0 : i), 0);
	ck_assert_int_eq(gdfo__buf_puts(&b, "]}"), 0);
	return b.data;
}

START_TEST(protected_stages_limits)
{
	gdfo__policy p;
	char *doc, name[300];

	/* GDFO__POLICY_STAGES_MAX names are fine, one more is not */
	doc = names_doc(GDFO__POLICY_STAGES_MAX, 0);
	ck_assert_msg(parse(&p, doc) == 0, "%s", gdfo_last_error());
	ck_assert_uint_eq(p.n_protected, GDFO__POLICY_STAGES_MAX);
	ck_assert(gdfo__policy_protected(&p, "s4095"));
	gdfo__policy_clear(&p);
	free(doc);
	doc = names_doc(GDFO__POLICY_STAGES_MAX + 1, 0);
	ck_assert_int_eq(parse(&p, doc), GDFO_EFORMAT);
	ck_assert_str_eq(gdfo_last_error(), "policy: protected_stages holds 4097 names; at most 4096 are allowed");
	assert_cleared(&p);
	free(doc);
	/* a repeat far apart is found */
	doc = names_doc(GDFO__POLICY_STAGES_MAX, 1);
	ck_assert_int_eq(parse(&p, doc), GDFO_EFORMAT);
	ck_assert_str_eq(gdfo_last_error(), "policy: protected_stages[4095] 's0' appears twice (also protected_stages[0])");
	assert_cleared(&p);
	free(doc);

	/* 255 bytes are fine, 256 are not; the message quotes a prefix cut on a UTF-8 boundary */
	memset(name, 'a', 255);
	name[255] = '\0';
	doc = malloc(600);
	snprintf(doc, 600, HEAD "\"protected_stages\": [\"%s\"]}", name);
	ck_assert_msg(parse(&p, doc) == 0, "%s", gdfo_last_error());
	ck_assert_uint_eq(strlen(p.protected_stages[0]), 255);
	gdfo__policy_clear(&p);
	for (size_t i = 0; i + 3 <= 258; i += 3)
		memcpy(name + i, "\xe2\x82\xac", 3); /* U+20AC, three bytes */
	name[258] = '\0';
	snprintf(doc, 600, HEAD "\"protected_stages\": [\"x\", \"%s\"]}", name);
	ck_assert_int_eq(parse(&p, doc), GDFO_EFORMAT);
	ck_assert_str_eq(gdfo_last_error(), "policy: protected_stages[1] '\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
					    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2"
					    "\x82\xac\xe2\x82\xac\xe2\x82\xac...' is 258 bytes long; a stage name is 1..255 bytes");
	ck_assert(gdfo__utf8_valid(gdfo_last_error(), strlen(gdfo_last_error())));
	assert_cleared(&p);
	/* a long unknown key is cut too */
	memset(name, 'k', 200);
	name[200] = '\0';
	snprintf(doc, 600, HEAD "\"%s\": 1}", name);
	ck_assert_int_eq(parse(&p, doc), GDFO_EFORMAT);
	ck_assert_str_eq(gdfo_last_error(), "policy: unknown key \"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...\" (known: "
					    "format, limits, protected_stages, allowed_changes, approval, exploration, "
					    "rollback, gates)");
	free(doc);
}
END_TEST

START_TEST(a_document_over_1_mib_is_refused)
{
	size_t n = ((size_t)1 << 20) + 1;
	char *doc = malloc(n);
	gdfo__policy p;
	const char *head = HEAD "\"limits\": {}}";

	memset(doc, ' ', n);
	memcpy(doc, head, strlen(head));
	ck_assert_int_eq(gdfo__policy_parse(&p, doc, n - 1), 0); /* 1 MiB of it, mostly spaces, is fine */
	memset(&p, 0xab, sizeof(p));
	ck_assert_int_eq(gdfo__policy_parse(&p, doc, n), GDFO_ERANGE);
	ck_assert_str_eq(gdfo_last_error(), "policy: the document is 1048577 bytes; a policy is at most 1 MiB (1048576 bytes)");
	assert_cleared(&p);
	ck_assert_int_eq(gdfo__policy_parse(&p, NULL, 3), GDFO_EINVAL);
	ck_assert_int_eq(gdfo__policy_parse(NULL, "{}", 2), GDFO_EINVAL);
	free(doc);
}
END_TEST

START_TEST(the_writer_refuses_what_no_document_holds)
{
	gdfo__policy p;
	char *json = (char *)1, *names[] = {"a", "b", "a"};

	gdfo__policy_defaults(&p);
	p.max_regret = 2;
	ck_assert_int_eq(gdfo__policy_to_json(&json, &p), GDFO_EINVAL);
	ck_assert_ptr_null(json);
	ck_assert_str_eq(gdfo_last_error(), "gdfo__policy_to_json: exploration.max_regret is 2; it must be in 0..1");
	gdfo__policy_defaults(&p);
	p.gate_hold = 4;
	ck_assert_int_eq(gdfo__policy_to_json(&json, &p), GDFO_EINVAL);
	gdfo__policy_defaults(&p);
	p.allowed_kinds = 1u << 20;
	ck_assert_int_eq(gdfo__policy_to_json(&json, &p), GDFO_EINVAL);
	gdfo__policy_defaults(&p);
	p.protected_stages = names;
	p.n_protected = 3;
	ck_assert_int_eq(gdfo__policy_to_json(&json, &p), GDFO_EINVAL);
	ck_assert_str_eq(gdfo_last_error(), "gdfo__policy_to_json: protected_stages[2] 'a' appears twice (also protected_stages[0])");
	ck_assert_int_eq(gdfo__policy_to_json(NULL, &p), GDFO_EINVAL);
	ck_assert_int_eq(gdfo__policy_to_json(&json, NULL), GDFO_EINVAL);
}
END_TEST

/* ---- check_plan on the rule-based optimizer's plan for retail_etl ---- */

static gdfo_graph *retail;
static gdfo_plan *retail_plan;

static void plan_setup(void)
{
	ck_assert_msg(gdfo_graph_load(&retail, "examples/pipelines/retail_etl.json") == 0, "%s", gdfo_last_error());
	ck_assert_msg(gdfo_optimize_rules(&retail_plan, retail, NULL, NULL) == 0, "%s", gdfo_last_error());
}

static void plan_teardown(void)
{
	gdfo_plan_free(retail_plan);
	gdfo_graph_free(retail);
}

/* The check of the retail plan against the policy of doc: its status, why in *why. */
static int check(const char *doc, char *why, size_t len)
{
	gdfo__policy p;
	int rc;

	ck_assert_msg(parse(&p, doc) == 0, "%s", gdfo_last_error());
	rc = gdfo__policy_check_plan(&p, retail, retail_plan, why, len);
	gdfo__policy_clear(&p);
	return rc;
}

/* The plan's change kinds as a bit set. */
static uint32_t plan_kinds(void)
{
	uint32_t k = 0;
	size_t i;

	for (i = 0; i < gdfo_plan_change_count(retail_plan); i++) {
		gdfo_change c = {.version = GDFO_CHANGE_VERSION};
		ck_assert_int_eq(gdfo_plan_change_at(&c, retail_plan, i), 0);
		k |= 1u << c.kind;
	}
	return k;
}

START_TEST(an_empty_policy_passes)
{
	char why[256] = "x";

	ck_assert_msg(check("{\"format\": \"gdfo-policy/1\"}", why, sizeof(why)) == 0, "%s", why);
	ck_assert_str_eq(why, "");
	/* limits at the plan's own knobs (8 executors, 4 cores, 8 GiB) pass: only above is a violation */
	ck_assert_msg(check(HEAD "\"limits\": {\"max_executors\": 8, \"max_cores_per_executor\": 4, "
				 "\"max_memory_per_executor_bytes\": 8589934592}, "
				 "\"protected_stages\": [\"not_a_stage\"]}",
			    why, sizeof(why)) == 0,
		      "%s", why);
	/* exactly the kinds the plan uses */
	{
		char doc[512];
		size_t n = (size_t)snprintf(doc, sizeof(doc), HEAD "\"allowed_changes\": [");
		int k, first = 1;
		for (k = 0; k < GDFO_CHANGE_KIND_COUNT; k++) {
			if (plan_kinds() & (1u << k)) {
				n += (size_t)snprintf(doc + n, sizeof(doc) - n, "%s\"%s\"", first ? "" : ", ",
						      gdfo_change_kind_name(k));
				first = 0;
			}
		}
		snprintf(doc + n, sizeof(doc) - n, "]}");
		ck_assert_msg(check(doc, why, sizeof(why)) == 0, "%s", why);
	}
	ck_assert_int_eq(gdfo__policy_check_plan(NULL, retail, retail_plan, why, sizeof(why)), GDFO_EINVAL);
}
END_TEST

START_TEST(a_protected_stage_the_plan_changes)
{
	char why[256];

	/* join 7's strategy is set (its first change) */
	ck_assert_int_eq(check(HEAD "\"protected_stages\": [\"join_products\"]}", why, sizeof(why)), GDFO_EILLEGAL);
	ck_assert_str_eq(why, "changes protected stage 'join_products' (join_strategy)");
	ck_assert_str_eq(gdfo_last_error(), "policy: the plan changes protected stage 'join_products' (join_strategy)");
	/* filter 6 is pushed down: named by the input's name, not the fused stage's */
	ck_assert_int_eq(check(HEAD "\"protected_stages\": [\"completed_only\"]}", why, sizeof(why)), GDFO_EILLEGAL);
	ck_assert_str_eq(why, "changes protected stage 'completed_only' (push_filter)");
	/* the first change that touches one of several */
	ck_assert_int_eq(check(HEAD "\"protected_stages\": [\"write_customer_ltv\", \"orders\"]}", why, sizeof(why)),
			 GDFO_EILLEGAL);
	ck_assert_str_eq(why, "changes protected stage 'orders' (partitions)");
	/* project 4 is fused into filter 6: no change names it, but it is gone from the plan */
	ck_assert_int_eq(check(HEAD "\"protected_stages\": [\"enrich_orders\"]}", why, sizeof(why)), GDFO_EILLEGAL);
	ck_assert_str_eq(why, "removes protected stage 'enrich_orders' (stage 4 is not in the plan's graph: fused "
			      "into another stage or removed)");
	/* why is cut to its size on a character boundary, and may be NULL */
	ck_assert_int_eq(check(HEAD "\"protected_stages\": [\"join_products\"]}", why, 8), GDFO_EILLEGAL);
	ck_assert_str_eq(why, "changes");
	ck_assert_int_eq(check(HEAD "\"protected_stages\": [\"join_products\"]}", NULL, 0), GDFO_EILLEGAL);
}
END_TEST

START_TEST(a_change_kind_the_policy_does_not_allow)
{
	char why[256];

	ck_assert(plan_kinds() & (1u << GDFO_CHANGE_FUSE));
	ck_assert_int_eq(check(HEAD "\"allowed_changes\": [\"push_filter\", \"cache\", \"join_strategy\", \"partitions\", "
				    "\"priority\", \"resources\", \"file_sizing\", \"reorder_joins\"]}",
			       why, sizeof(why)),
			 GDFO_EILLEGAL);
	ck_assert_str_eq(why, "makes a fuse change, which allowed_changes does not list (change 3: stages 6 "
			      "'completed_only', 4 'enrich_orders' fused into stage 6)");
	/* a kind outranks a protected stage and a limit */
	ck_assert_int_eq(check(HEAD "\"allowed_changes\": [], \"protected_stages\": [\"orders\"], "
				    "\"limits\": {\"max_executors\": 1}}",
			       why, sizeof(why)),
			 GDFO_EILLEGAL);
	ck_assert_str_eq(why, "makes a push_filter change, which allowed_changes does not list (change 1: filter 6 "
			      "'completed_only' moved below join 5 'join_customers', onto its input 4 'enrich_orders')");
}
END_TEST

START_TEST(a_knob_above_the_limits)
{
	char why[256];

	ck_assert_int_eq(check(HEAD "\"limits\": {\"max_executors\": 4}}", why, sizeof(why)), GDFO_EILLEGAL);
	ck_assert_str_eq(why, "sets executors to 8, above limits.max_executors 4");
	ck_assert_int_eq(check(HEAD "\"limits\": {\"max_cores_per_executor\": 2}}", why, sizeof(why)), GDFO_EILLEGAL);
	ck_assert_str_eq(why, "sets cores_per_executor to 4, above limits.max_cores_per_executor 2");
	ck_assert_int_eq(check(HEAD "\"limits\": {\"max_memory_per_executor_bytes\": 4294967296.5}}", why, sizeof(why)),
			 GDFO_EILLEGAL);
	ck_assert_str_eq(why, "sets memory_per_executor_bytes to 8589934592, above limits.max_memory_per_executor_bytes "
			      "4294967296.5");
	/* a protected stage outranks a limit */
	ck_assert_int_eq(check(HEAD "\"limits\": {\"max_executors\": 4}, \"protected_stages\": [\"products\"]}", why,
			       sizeof(why)),
			 GDFO_EILLEGAL);
	ck_assert_str_eq(why, "changes protected stage 'products' (partitions)");
}
END_TEST

/* 0 in the plan's knobs is the engine default: never above a limit. */
START_TEST(engine_default_knobs_pass)
{
	gdfo_graph_knobs k;
	gdfo_graph *g;
	gdfo_plan *plan;
	gdfo__policy p;
	char why[256];

	ck_assert_int_eq(gdfo_graph_clone(&g, retail), 0);
	gdfo_graph_knobs_init(&k, GDFO_GRAPH_KNOBS_VERSION);
	ck_assert_int_eq(gdfo_graph_set_knobs(g, &k), 0);
	ck_assert_int_eq(gdfo__plan_create(&plan, g, "test"), 0);
	ck_assert_int_eq(parse(&p, HEAD "\"limits\": {\"max_executors\": 1, \"max_cores_per_executor\": 1, "
				       "\"max_memory_per_executor_bytes\": 1}}"),
			 0);
	ck_assert_msg(gdfo__policy_check_plan(&p, g, plan, why, sizeof(why)) == 0, "%s", why);
	gdfo_plan_free(plan);
	k.cores_per_executor = 2;
	ck_assert_int_eq(gdfo_graph_set_knobs(g, &k), 0);
	ck_assert_int_eq(gdfo__plan_create(&plan, g, "test"), 0);
	ck_assert_int_eq(gdfo__policy_check_plan(&p, g, plan, why, sizeof(why)), GDFO_EILLEGAL);
	ck_assert_str_eq(why, "sets cores_per_executor to 2, above limits.max_cores_per_executor 1");
	gdfo__policy_clear(&p);
	gdfo_plan_free(plan);
	gdfo_graph_free(g);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("document");
	TCase *tp = tcase_create("check_plan");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, defaults);
	tcase_add_test(tc, a_printed_policy_shows_the_defaults);
	tcase_add_test(tc, a_full_document_round_trips);
	tcase_add_test(tc, the_example_parses);
	tcase_add_loop_test(tc, each_error_names_the_field, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, the_documentation_matches);
	tcase_add_test(tc, protected_stages_limits);
	tcase_add_test(tc, a_document_over_1_mib_is_refused);
	tcase_add_test(tc, the_writer_refuses_what_no_document_holds);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tp, plan_setup, plan_teardown);
	tcase_add_test(tp, an_empty_policy_passes);
	tcase_add_test(tp, a_protected_stage_the_plan_changes);
	tcase_add_test(tp, a_change_kind_the_policy_does_not_allow);
	tcase_add_test(tp, a_knob_above_the_limits);
	tcase_add_test(tp, engine_default_knobs_pass);
	suite_add_tcase(s, tp);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
