/*
 * The plan container, its risk policy, explanation and JSON codec
 * (gdfo-plan/1): exact round trips and errors that name the JSON path.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gdfo/gdfo.h"
#include "testutil.h"
#include "plan/plan_internal.h"


/* src 1 -> filter 2 -> sink 3 */
static gdfo_graph *tiny(void)
{
	gdfo_graph *g;
	ck_assert_int_eq(gdfo_graph_create(&g, "tiny"), 0);
	tu_add_stage(g, 1, "src", GDFO_OP_SOURCE, "", "a,b", 1000, 1e6, 1, 10);
	tu_add_stage(g, 2, "keep", GDFO_OP_FILTER, "a", "", 1000, 1e6, 0.1, 5);
	tu_add_stage(g, 3, "out", GDFO_OP_SINK, "", "", 100, 1e5, 1, 50);
	tu_edge(g, 1, 2);
	tu_edge(g, 2, 3);
	return g;
}

static gdfo_change change(int kind, const int64_t *ids, size_t n, const char *what, const char *why)
{
	gdfo_change c = {.version = GDFO_CHANGE_VERSION};
	memset(&c, 0, sizeof(c));
	c.kind = kind;
	c.stage_ids = ids;
	c.n_stage_ids = n;
	c.attended_ids = ids;
	c.n_attended_ids = n;
	c.what = what;
	c.why = why;
	c.expected_gain = 0.125;
	c.confidence = 0.3333333333333333;
	return c;
}

START_TEST(container)
{
	gdfo_graph *g = tiny();
	gdfo_plan *p;
	gdfo_change c = {.version = GDFO_CHANGE_VERSION}, got = {.version = GDFO_CHANGE_VERSION};
	gdfo_prediction pr = {.version = GDFO_PREDICTION_VERSION};
	int64_t ids[2] = {2, 3};
	char *text;

	ck_assert_int_eq(gdfo__plan_create(&p, g, "rules"), 0);
	gdfo_graph_free(g); /* the plan holds its own copy */
	ck_assert_str_eq(gdfo_graph_name(gdfo_plan_graph(p)), "tiny");
	ck_assert_str_eq(gdfo_plan_source(p), "rules");
	ck_assert_uint_eq(gdfo_plan_change_count(p), 0);
	ck_assert_int_eq(gdfo_plan_risk(p), GDFO_RISK_LOW);
	ck_assert_int_eq(gdfo_plan_prediction(&pr, p), 0);
	ck_assert_double_eq(pr.latency_ms, -1);
	ck_assert_double_eq(pr.throughput, -1);

	c = change(GDFO_CHANGE_PARTITIONS, ids, 2, "stage 2 'keep' partitions 0 -> 8", "it reads 1 MB");
	ck_assert_int_eq(gdfo__plan_add_change(p, &c), 0);
	ck_assert_uint_eq(gdfo_plan_change_count(p), 1);
	ck_assert_int_eq(gdfo_plan_change_at(&got, p, 0), 0);
	ck_assert_int_eq(got.kind, GDFO_CHANGE_PARTITIONS);
	ck_assert_str_eq(got.what, c.what);
	ck_assert_ptr_ne(got.what, c.what); /* copied */
	ck_assert_uint_eq(got.n_stage_ids, 2);
	ck_assert_int_eq(got.stage_ids[1], 3);
	ck_assert_int_eq(gdfo_plan_change_at(&got, p, 1), GDFO_ERANGE);
	ck_assert_int_eq(gdfo_plan_change_at(NULL, p, 0), GDFO_EINVAL);
	/* no values given (memset): no field, both values 0 as given */
	ck_assert_ptr_null(got.field);
	ck_assert_ptr_null(got.old_label);
	ck_assert_ptr_null(got.new_label);

	/* What was set from what to what, copied. */
	c.field = "partitions";
	c.old_value = 0;
	c.new_value = 8;
	c.old_label = "engine default";
	c.new_label = "8";
	ck_assert_int_eq(gdfo__plan_add_change(p, &c), 0);
	ck_assert_int_eq(gdfo_plan_change_at(&got, p, 1), 0);
	ck_assert_str_eq(got.field, "partitions");
	ck_assert_ptr_ne(got.field, c.field);
	ck_assert_double_eq(got.old_value, 0);
	ck_assert_double_eq(got.new_value, 8);
	ck_assert_str_eq(got.old_label, "engine default");
	ck_assert_str_eq(got.new_label, "8");
	/* a caller built against 0.2 gets the 0.2 fields and nothing past them */
	{
		gdfo_change old = {.version = 1};
		old.field = (const char *)1;
		ck_assert_int_eq(gdfo_plan_change_at(&old, p, 1), 0);
		ck_assert_str_eq(old.what, c.what);
		ck_assert_ptr_eq(old.field, (const char *)1);
	}
	c.field = "";
	ck_assert_int_eq(gdfo__plan_add_change(p, &c), GDFO_EINVAL);
	ck_assert_str_eq(gdfo_last_error(), "change field must be 1 to 64 bytes long, not 0");
	c.field = "partitions";
	c.new_value = INFINITY;
	ck_assert_int_eq(gdfo__plan_add_change(p, &c), GDFO_EINVAL);
	ck_assert_str_eq(gdfo_last_error(), "change new_value is infinite; it must be finite or NaN (not applicable)");
	c.new_value = NAN; /* not applicable: allowed */
	c.new_label = NULL;
	ck_assert_int_eq(gdfo__plan_add_change(p, &c), 0);
	ck_assert_int_eq(gdfo_plan_change_at(&got, p, 2), 0);
	ck_assert(isnan(got.new_value));
	ck_assert_ptr_null(got.new_label);
	gdfo_plan_free(p);
	ck_assert_int_eq(gdfo__plan_create(&p, g = tiny(), "rules"), 0);
	gdfo_graph_free(g);
	c = change(GDFO_CHANGE_PARTITIONS, ids, 2, "stage 2 'keep' partitions 0 -> 8", "it reads 1 MB");
	ck_assert_int_eq(gdfo__plan_add_change(p, &c), 0);

	/* Every change must explain itself, within ranges. */
	c.why = "";
	ck_assert_int_eq(gdfo__plan_add_change(p, &c), GDFO_EINVAL);
	ck_assert_str_eq(gdfo_last_error(), "change why is empty; every change explains itself");
	c.why = "ok";
	c.confidence = 1.5;
	ck_assert_int_eq(gdfo__plan_add_change(p, &c), GDFO_EINVAL);
	c.confidence = 0.5;
	c.kind = GDFO_CHANGE_KIND_COUNT;
	ck_assert_int_eq(gdfo__plan_add_change(p, &c), GDFO_EINVAL);
	ck_assert_uint_eq(gdfo_plan_change_count(p), 1);

	pr.latency_ms = 800;
	pr.baseline_latency_ms = 1000;
	ck_assert_int_eq(gdfo__plan_set_prediction(p, &pr), 0);
	pr.cost = -3;
	ck_assert_int_eq(gdfo__plan_set_prediction(p, &pr), GDFO_EINVAL);
	ck_assert_int_eq(gdfo__plan_set_risk(p, 3), GDFO_EINVAL);
	ck_assert_int_eq(gdfo__plan_set_risk(p, GDFO_RISK_HIGH), 0);

	ck_assert_int_eq(gdfo_plan_explain(&text, p), 0);
	ck_assert_ptr_nonnull(strstr(text, "plan for pipeline 'tiny' by the rules optimizer: 1 change, risk high (needs approval)"));
	ck_assert_ptr_nonnull(strstr(text, "latency     800 ms vs 1000 ms for the input pipeline (-20.0 %)"));
	ck_assert_ptr_nonnull(strstr(text, "cost        unknown"));
	ck_assert_ptr_nonnull(strstr(text, "1. [partitions] stage 2 'keep' partitions 0 -> 8"));
	ck_assert_ptr_nonnull(strstr(text, "   why: it reads 1 MB"));
	ck_assert_ptr_nonnull(strstr(text, "expected gain: 12.5 %, confidence 0.33"));
	gdfo_free(text);
	ck_assert_int_eq(gdfo_plan_explain(&text, NULL), GDFO_EINVAL);
	ck_assert_ptr_null(text);
	gdfo_plan_free(p);

	/* NULL-safe getters. */
	gdfo_plan_free(NULL);
	ck_assert_ptr_null(gdfo_plan_graph(NULL));
	ck_assert_uint_eq(gdfo_plan_change_count(NULL), 0);
	ck_assert_int_eq(gdfo_plan_risk(NULL), GDFO_RISK_LOW);
	ck_assert_str_eq(gdfo_change_kind_name(GDFO_CHANGE_REORDER_JOINS), "reorder_joins");
	ck_assert_ptr_null(gdfo_change_kind_name(-1));
	ck_assert_str_eq(gdfo_risk_name(GDFO_RISK_MEDIUM), "medium");
	ck_assert_ptr_null(gdfo_risk_name(9));
}
END_TEST

START_TEST(risk_policy)
{
	gdfo_graph *base = tiny(), *g;
	gdfo_graph_knobs k = {.version = GDFO_GRAPH_KNOBS_VERSION, .executors = 10, .cores_per_executor = 4,
			      .memory_per_executor_bytes = 4LL << 30};
	gdfo_cluster cl = {.version = GDFO_CLUSTER_VERSION, .executors_available = 40,
			   .price_per_executor_s = 0.0001};
	gdfo_plan *p;
	int64_t ids[1] = {2};
	gdfo_change c = {.version = GDFO_CHANGE_VERSION};

	ck_assert_int_eq(gdfo_graph_set_knobs(base, &k), 0);
	ck_assert_int_eq(gdfo_graph_set_cluster(base, &cl), 0);
	ck_assert_int_eq(gdfo__plan_create(&p, base, "test"), 0);
	g = gdfo__plan_graph_mut(p);
	ck_assert_int_eq(gdfo__plan_assess_risk(p, base), GDFO_RISK_LOW);
	k.executors = 12; /* +20 %: low */
	gdfo_graph_set_knobs(g, &k);
	ck_assert_int_eq(gdfo__plan_assess_risk(p, base), GDFO_RISK_LOW);
	k.executors = 15; /* +50 %: medium */
	gdfo_graph_set_knobs(g, &k);
	ck_assert_int_eq(gdfo__plan_assess_risk(p, base), GDFO_RISK_MEDIUM);
	k.executors = 5; /* halved: high */
	gdfo_graph_set_knobs(g, &k);
	ck_assert_int_eq(gdfo__plan_assess_risk(p, base), GDFO_RISK_HIGH);
	k.executors = 10;
	k.memory_per_executor_bytes = 16LL << 30; /* memory x4: high */
	gdfo_graph_set_knobs(g, &k);
	ck_assert_int_eq(gdfo__plan_assess_risk(p, base), GDFO_RISK_HIGH);
	k.memory_per_executor_bytes = 4LL << 30;
	gdfo_graph_set_knobs(g, &k);
	c = change(GDFO_CHANGE_FUSE, ids, 1, "stages fused", "a narrow chain");
	ck_assert_int_eq(gdfo__plan_add_change(p, &c), 0);
	ck_assert_int_eq(gdfo__plan_assess_risk(p, base), GDFO_RISK_MEDIUM);
	c = change(GDFO_CHANGE_REORDER_JOINS, ids, 1, "joins reordered", "selective join first");
	ck_assert_int_eq(gdfo__plan_add_change(p, &c), 0);
	ck_assert_int_eq(gdfo__plan_assess_risk(p, base), GDFO_RISK_HIGH);
	gdfo_plan_free(p);

	/* More executors than the cluster has: high. */
	ck_assert_int_eq(gdfo__plan_create(&p, base, "test"), 0);
	k.executors = 11;
	gdfo_graph_set_knobs(base, &k);
	k.executors = 41 > 40 ? 41 : 40;
	ck_assert_int_eq(gdfo__plan_assess_risk(p, base), GDFO_RISK_LOW);
	gdfo_graph_set_knobs(gdfo__plan_graph_mut(p), &k);
	ck_assert_int_eq(gdfo__plan_assess_risk(p, base), GDFO_RISK_HIGH);
	gdfo_plan_free(p);
	gdfo_graph_free(base);
}
END_TEST

/* A plan with everything filled in: the rules on a small star, plus a prediction. */
static gdfo_plan *full_plan(void)
{
	gdfo_graph *g;
	gdfo_plan *p;
	gdfo_prediction pr = {.version = GDFO_PREDICTION_VERSION, .latency_ms = 1234.5, .throughput = 98765.4321,
			      .cost = 0.07, .baseline_latency_ms = 1500.25, .baseline_cost = 0.1};

	ck_assert_int_eq(gdfo_graph_create(&g, "star \"quoted\" \xc3\xa9"), 0);
	tu_add_stage(g, 1, "orders", GDFO_OP_SOURCE, "", "order_id,cust_id,status", 1e6, 1.0e8 / 3, 1, 10.5);
	tu_add_stage(g, 2, "customers", GDFO_OP_SOURCE, "", "cust_id,region", 1e4, 1e6, 1, 10);
	tu_add_stage(g, 3, "j", GDFO_OP_JOIN, "cust_id", "", 1.01e6, 1.01e8, 0.99, 100);
	tu_add_stage(g, 4, "f", GDFO_OP_FILTER, "status", "", 1e6, 1.2e8, 0.1 + 0.2, 5);
	tu_add_stage(g, 5, "out", GDFO_OP_SINK, "", "", 5e5, 6e7, 1, 50);
	tu_add_stage(g, 6, "audit", GDFO_OP_SINK, "", "", 5e5, 6e7, 1, 50);
	tu_edge(g, 1, 3);
	tu_edge(g, 2, 3);
	tu_edge(g, 3, 4);
	tu_edge(g, 4, 5);
	tu_edge(g, 4, 6);
	ck_assert_msg(gdfo_optimize_rules(&p, g, NULL, NULL) == 0, "%s", gdfo_last_error());
	ck_assert_int_eq(gdfo__plan_set_prediction(p, &pr), 0);
	ck_assert_uint_gt(gdfo_plan_change_count(p), 2);
	gdfo_graph_free(g);
	return p;
}

/* Every field of a field set equal in a and b (padding is not compared). */
static int same_fields(int set, const void *a, const void *b)
{
	gdfo_field_info f = {.version = GDFO_FIELD_INFO_VERSION};
	size_t i, w;

	for (i = 0; i < gdfo_field_count(set); i++) {
		ck_assert_int_eq(gdfo_field_at(&f, set, i), 0);
		w = f.type == GDFO_FIELD_DOUBLE || f.type == GDFO_FIELD_INT64 ? 8 : 4;
		if (memcmp((const char *)a + f.offset, (const char *)b + f.offset, w))
			return 0;
	}
	return 1;
}

static void assert_same_plan(const gdfo_plan *a, const gdfo_plan *b)
{
	gdfo_prediction pa = {.version = GDFO_PREDICTION_VERSION}, pb = {.version = GDFO_PREDICTION_VERSION};
	size_t i, k;

	ck_assert_str_eq(gdfo_plan_source(a), gdfo_plan_source(b));
	ck_assert_int_eq(gdfo_plan_risk(a), gdfo_plan_risk(b));
	gdfo_plan_prediction(&pa, a);
	gdfo_plan_prediction(&pb, b);
	/* field by field: the padding after version is not part of the value */
	ck_assert(pa.latency_ms == pb.latency_ms && pa.throughput == pb.throughput && pa.cost == pb.cost &&
		  pa.baseline_latency_ms == pb.baseline_latency_ms && pa.baseline_cost == pb.baseline_cost);
	ck_assert_uint_eq(gdfo_plan_change_count(a), gdfo_plan_change_count(b));
	for (i = 0; i < gdfo_plan_change_count(a); i++) {
		gdfo_change x = {.version = GDFO_CHANGE_VERSION}, y = {.version = GDFO_CHANGE_VERSION};
		gdfo_plan_change_at(&x, a, i);
		gdfo_plan_change_at(&y, b, i);
		ck_assert_int_eq(x.kind, y.kind);
		ck_assert_str_eq(x.what, y.what);
		ck_assert_str_eq(x.why, y.why);
		ck_assert(x.expected_gain == y.expected_gain); /* bit-exact doubles */
		ck_assert(x.confidence == y.confidence);
		ck_assert_uint_eq(x.n_stage_ids, y.n_stage_ids);
		ck_assert_uint_eq(x.n_attended_ids, y.n_attended_ids);
		for (k = 0; k < x.n_stage_ids; k++)
			ck_assert_int_eq(x.stage_ids[k], y.stage_ids[k]);
		for (k = 0; k < x.n_attended_ids; k++)
			ck_assert_int_eq(x.attended_ids[k], y.attended_ids[k]);
		ck_assert_pstr_eq(x.field, y.field);
		ck_assert((isnan(x.old_value) && isnan(y.old_value)) || x.old_value == y.old_value);
		ck_assert((isnan(x.new_value) && isnan(y.new_value)) || x.new_value == y.new_value);
		ck_assert_pstr_eq(x.old_label, y.old_label);
		ck_assert_pstr_eq(x.new_label, y.new_label);
	}
	for (i = 0; i < gdfo_graph_stage_count(gdfo_plan_graph(a)); i++) {
		gdfo_stage x = {.version = GDFO_STAGE_VERSION}, y = {.version = GDFO_STAGE_VERSION};
		gdfo_graph_stage_at(&x, gdfo_plan_graph(a), i);
		gdfo_graph_stage_at(&y, gdfo_plan_graph(b), i);
		ck_assert_int_eq(x.id, y.id);
		ck_assert(same_fields(GDFO_FIELDS_STAGE_STATS, x.stats, y.stats));
		ck_assert(same_fields(GDFO_FIELDS_STAGE_KNOBS, x.knobs, y.knobs));
		ck_assert_uint_eq(x.fused_ops, y.fused_ops);
	}
}

START_TEST(json_round_trip)
{
	gdfo_plan *p = full_plan(), *q, *r;
	char *a, *b, path[] = "/tmp/gdfo-plan-test-XXXXXX";
	int fd;

	ck_assert_int_eq(gdfo_plan_to_json(&a, p), 0);
	ck_assert_ptr_nonnull(strstr(a, "\"gdfo-plan/1\""));
	ck_assert_ptr_nonnull(strstr(a, "\"gdfo-pipeline/1\""));
	/* the star's small customers input is broadcast: its values are written */
	ck_assert_ptr_nonnull(strstr(a, "\"field\":\t\"join_strategy\""));
	ck_assert_ptr_nonnull(strstr(a, "\"new_label\""));
	ck_assert_msg(gdfo_plan_from_json(&q, a, strlen(a)) == 0, "%s", gdfo_last_error());
	assert_same_plan(p, q);
	ck_assert_int_eq(gdfo_plan_to_json(&b, q), 0);
	ck_assert_str_eq(a, b);
	gdfo_free(b);

	/* Through a file. */
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(gdfo_plan_save(q, path), 0);
	ck_assert_msg(gdfo_plan_load(&r, path) == 0, "%s", gdfo_last_error());
	assert_same_plan(p, r);
	unlink(path);
	gdfo_plan_free(q);
	ck_assert_int_eq(gdfo_plan_load(&q, "/nonexistent/plan.json"), GDFO_EIO);
	ck_assert_ptr_null(q);
	gdfo_plan_free(r);
	gdfo_free(a);
	gdfo_plan_free(p);

	/* Unknown predictions are omitted and read back as -1. */
	{
		gdfo_graph *g = tiny();
		gdfo_prediction pr = {.version = GDFO_PREDICTION_VERSION};
		ck_assert_int_eq(gdfo__plan_create(&p, g, "learned"), 0);
		gdfo_graph_free(g);
		ck_assert_int_eq(gdfo_plan_to_json(&a, p), 0);
		ck_assert_ptr_null(strstr(a, "latency_ms"));
		ck_assert_int_eq(gdfo_plan_from_json(&q, a, strlen(a)), 0);
		gdfo_plan_prediction(&pr, q);
		ck_assert_double_eq(pr.latency_ms, -1);
		ck_assert_double_eq(pr.baseline_cost, -1);
		ck_assert_str_eq(gdfo_plan_source(q), "learned");
		gdfo_plan_free(q);
		gdfo_free(a);
		gdfo_plan_free(p);
	}
}
END_TEST

static const char *PIPE =
	"{\"format\": \"gdfo-pipeline/1\", \"name\": \"t\", \"stages\": ["
	"{\"id\": 1, \"name\": \"src\", \"op\": \"source\", \"parents\": []},"
	"{\"id\": 2, \"name\": \"out\", \"op\": \"sink\", \"parents\": [1]}]}";

/* Parses a plan made of the given parts; expects failure with exactly msg. */
static void bad(const char *head, const char *changes, const char *pipeline, int status, const char *msg)
{
	char doc[4096];
	gdfo_plan *p = (gdfo_plan *)1;

	snprintf(doc, sizeof(doc), "{%s \"changes\": %s, \"pipeline\": %s}", head, changes, pipeline);
	ck_assert_int_eq(gdfo_plan_from_json(&p, doc, strlen(doc)), status);
	ck_assert_ptr_null(p);
	ck_assert_str_eq(gdfo_last_error(), msg);
}

#define HEAD "\"format\": \"gdfo-plan/1\", \"source\": \"rules\", \"risk\": \"low\","
#define CH(extra) "[{\"kind\": \"cache\", \"stage_ids\": [1], \"what\": \"w\", \"why\": \"y\", " \
	"\"expected_gain\": 0.1, \"confidence\": 0.5" extra "}]"

/* Change values: read and written back; a change written before 0.3 (no values) still loads. */
START_TEST(json_change_values)
{
	gdfo_change c = {.version = GDFO_CHANGE_VERSION};
	gdfo_plan *p;
	char doc[4096], *out;

	snprintf(doc, sizeof(doc), "{%s \"changes\": %s, \"pipeline\": %s}", HEAD,
		 CH(", \"field\": \"cache\", \"old\": 0, \"new\": 2, \"old_label\": \"none\", \"new_label\": \"disk\""), PIPE);
	ck_assert_msg(gdfo_plan_from_json(&p, doc, strlen(doc)) == 0, "%s", gdfo_last_error());
	ck_assert_int_eq(gdfo_plan_change_at(&c, p, 0), 0);
	ck_assert_str_eq(c.field, "cache");
	ck_assert_double_eq(c.old_value, GDFO_CACHE_NONE);
	ck_assert_double_eq(c.new_value, GDFO_CACHE_DISK);
	ck_assert_str_eq(c.old_label, "none");
	ck_assert_str_eq(c.new_label, "disk");
	ck_assert_int_eq(gdfo_plan_to_json(&out, p), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"attended_ids\":\t[],\n\t\t\t\"field\":\t\"cache\",\n\t\t\t\"old\":\t0,\n"
					  "\t\t\t\"new\":\t2,\n\t\t\t\"old_label\":\t\"none\",\n\t\t\t\"new_label\":\t\"disk\"\n"));
	gdfo_free(out);
	gdfo_plan_free(p);

	/* Only some of them: the rest stay unknown and are not written. */
	snprintf(doc, sizeof(doc), "{%s \"changes\": %s, \"pipeline\": %s}", HEAD, CH(", \"field\": \"fuse\", \"old\": 3"), PIPE);
	ck_assert_msg(gdfo_plan_from_json(&p, doc, strlen(doc)) == 0, "%s", gdfo_last_error());
	ck_assert_int_eq(gdfo_plan_change_at(&c, p, 0), 0);
	ck_assert_str_eq(c.field, "fuse");
	ck_assert_double_eq(c.old_value, 3);
	ck_assert(isnan(c.new_value));
	ck_assert_ptr_null(c.new_label);
	ck_assert_int_eq(gdfo_plan_to_json(&out, p), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"old\":\t3\n"));
	ck_assert_ptr_null(strstr(out, "\"new\""));
	gdfo_free(out);
	gdfo_plan_free(p);

	/* Written before 0.3: no field, values NaN, labels NULL, and written back as it was. */
	snprintf(doc, sizeof(doc), "{%s \"changes\": %s, \"pipeline\": %s}", HEAD, CH(""), PIPE);
	ck_assert_msg(gdfo_plan_from_json(&p, doc, strlen(doc)) == 0, "%s", gdfo_last_error());
	ck_assert_int_eq(gdfo_plan_change_at(&c, p, 0), 0);
	ck_assert_ptr_null(c.field);
	ck_assert(isnan(c.old_value) && isnan(c.new_value));
	ck_assert_ptr_null(c.old_label);
	ck_assert_ptr_null(c.new_label);
	ck_assert_int_eq(gdfo_plan_to_json(&out, p), 0);
	ck_assert_ptr_null(strstr(out, "\"field\""));
	ck_assert_ptr_null(strstr(out, "\"old"));
	ck_assert_ptr_null(strstr(out, "_label\""));
	gdfo_free(out);
	gdfo_plan_free(p);
}
END_TEST

START_TEST(bad_json)
{
	gdfo_plan *p;
	char doc[4096];

	/* The good one parses. */
	snprintf(doc, sizeof(doc), "{%s \"changes\": %s, \"pipeline\": %s}", HEAD, CH(""), PIPE);
	ck_assert_msg(gdfo_plan_from_json(&p, doc, strlen(doc)) == 0, "%s", gdfo_last_error());
	gdfo_plan_free(p);
	bad(HEAD, CH(", \"field\": 5"), PIPE, GDFO_EFORMAT, "changes[0].field: expected a string, found a number");
	bad(HEAD, CH(", \"old\": \"none\""), PIPE, GDFO_EFORMAT, "changes[0].old: expected a number, found a string");
	bad(HEAD, CH(", \"new_label\": [1]"), PIPE, GDFO_EFORMAT, "changes[0].new_label: expected a string, found an array");
	bad(HEAD, CH(", \"field\": \"\""), PIPE, GDFO_EFORMAT,
	    "changes[0]: change field must be 1 to 64 bytes long, not 0");

	ck_assert_int_eq(gdfo_plan_from_json(&p, "not json", 8), GDFO_EFORMAT);
	ck_assert_int_eq(gdfo_plan_from_json(&p, "", 0), GDFO_EFORMAT);
	ck_assert_int_eq(gdfo_plan_from_json(&p, "{\"format\": \"gdfo-plan/1\"", 24), GDFO_EFORMAT);
	ck_assert_int_eq(gdfo_plan_from_json(NULL, "{}", 2), GDFO_EINVAL);
	bad("\"format\": \"gdfo-pipeline/1\", \"source\": \"rules\", \"risk\": \"low\",", "[]", PIPE, GDFO_EFORMAT,
	    "plan JSON: \"format\" is \"gdfo-pipeline/1\", expected \"gdfo-plan/1\"");
	bad("\"format\": \"gdfo-plan/2\", \"source\": \"rules\", \"risk\": \"low\",", "[]", PIPE, GDFO_EVERSION,
	    "plan JSON: format version \"gdfo-plan/2\" is not supported (this library reads gdfo-plan/1)");
	bad("\"format\": \"gdfo-plan/1\", \"risk\": \"low\",", "[]", PIPE, GDFO_EFORMAT,
	    "source: required field is missing");
	bad("\"format\": \"gdfo-plan/1\", \"source\": \"rules\", \"risk\": \"extreme\",", "[]", PIPE, GDFO_EFORMAT,
	    "risk: \"extreme\" is not one of: low, medium, high");
	bad(HEAD, "{}", PIPE, GDFO_EFORMAT, "changes: expected an array, found an object");
	bad(HEAD, "[]", "[]", GDFO_EFORMAT, "pipeline: expected an object, found an array");
	bad(HEAD, "[]", "{\"format\": \"gdfo-pipeline/1\", \"stages\": [{\"id\": 1, \"name\": \"src\", \"op\": \"source\", \"parents\": [7]}]}",
	    GDFO_EFORMAT, "pipeline.stages[0].parents[0]: stage 1 'src' lists parent 7, which does not exist");
	bad(HEAD, "[{\"kind\": \"teleport\"}]", PIPE, GDFO_EFORMAT, "changes[0].kind: \"teleport\" is not a change kind");
	bad(HEAD, CH(", \"colour\": 1"), PIPE, GDFO_EFORMAT, "changes[0]: unknown key \"colour\"");
	bad(HEAD, "[{\"kind\": \"cache\", \"stage_ids\": [9], \"what\": \"w\", \"why\": \"y\", \"expected_gain\": 0, \"confidence\": 0}]",
	    PIPE, GDFO_EFORMAT, "changes[0].stage_ids[0]: stage 9 is not in the plan's pipeline");
	bad(HEAD, "[{\"kind\": \"cache\", \"stage_ids\": [1.5], \"what\": \"w\", \"why\": \"y\", \"expected_gain\": 0, \"confidence\": 0}]",
	    PIPE, GDFO_EFORMAT, "changes[0].stage_ids[0]: expected a stage id (a non-negative integer)");
	bad(HEAD, "[{\"kind\": \"cache\", \"what\": \"w\", \"why\": \"y\", \"expected_gain\": 0, \"confidence\": 2}]",
	    PIPE, GDFO_EFORMAT, "changes[0].confidence: 2 is outside the allowed range [0, 1]");
	bad(HEAD, "[{\"kind\": \"cache\", \"what\": \"w\", \"why\": \"y\", \"expected_gain\": 1e999, \"confidence\": 0}]",
	    PIPE, GDFO_EFORMAT, "changes[0].expected_gain: the number is too large to represent");
	bad(HEAD, "[{\"kind\": \"cache\", \"what\": \"w\", \"expected_gain\": 0, \"confidence\": 0}]",
	    PIPE, GDFO_EFORMAT, "changes[0].why: required field is missing");
	bad(HEAD, "[{\"kind\": \"cache\", \"what\": \"w\", \"why\": \"\", \"expected_gain\": 0, \"confidence\": 0}]",
	    PIPE, GDFO_EFORMAT, "changes[0]: change why is empty; every change explains itself");
	bad(HEAD, "[{\"kind\": \"cache\", \"what\": 5, \"why\": \"y\", \"expected_gain\": 0, \"confidence\": 0}]",
	    PIPE, GDFO_EFORMAT, "changes[0].what: expected a string, found a number");
	bad(HEAD " \"prediction\": {\"latency_ms\": -5},", "[]", PIPE, GDFO_EFORMAT,
	    "prediction.latency_ms: -5 is outside the allowed range [0, 1e+300]");
	bad(HEAD " \"prediction\": {\"latency\": 5},", "[]", PIPE, GDFO_EFORMAT, "prediction: unknown key \"latency\"");
	bad(HEAD " \"risk\": \"low\",", "[]", PIPE, GDFO_EFORMAT, "$: key \"risk\" appears twice");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, container);
	tcase_add_test(tc, risk_policy);
	tcase_add_test(tc, json_round_trip);
	tcase_add_test(tc, json_change_values);
	tcase_add_test(tc, bad_json);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
