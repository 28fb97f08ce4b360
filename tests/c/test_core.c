/*
 * The shared helpers of lib/core: the id -> index map, the topological
 * order, the UTF-8 check and the JSON writer.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/idmap.h"
#include "core/internal.h"
#include "core/json_write.h"
#include "core/topo.h"
#include "gdfo/gdfo.h"
#include "sim/sim_internal.h"

/* ---- id map ---------------------------------------------------------------- */

static int64_t test_id(size_t i)
{
	/* spread over the whole int64 range, negative ids included */
	return (int64_t)((uint64_t)i * 0x9e3779b97f4a7c15ULL);
}

START_TEST(idmap_finds_every_id)
{
	gdfo__idmap m = {0};
	size_t i, n = 5000;

	ck_assert_uint_eq(gdfo__idmap_get(&m, 7), (size_t)-1);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(gdfo__idmap_put(&m, test_id(i), i), 0);
		ck_assert_uint_ge(m.cap, 2 * m.n + 2);
	}
	ck_assert_int_eq(gdfo__idmap_put(&m, INT64_MIN, n), 0);
	ck_assert_int_eq(gdfo__idmap_put(&m, INT64_MAX, n + 1), 0);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(gdfo__idmap_get(&m, test_id(i)), i);
	ck_assert_uint_eq(gdfo__idmap_get(&m, INT64_MIN), n);
	ck_assert_uint_eq(gdfo__idmap_get(&m, INT64_MAX), n + 1);
	ck_assert_uint_eq(gdfo__idmap_get(&m, test_id(n)), (size_t)-1);
	ck_assert_uint_eq(gdfo__idmap_get(&m, 12345), (size_t)-1);
	gdfo__idmap_free(&m);
	ck_assert_ptr_null(m.slots);
	ck_assert_uint_eq(gdfo__idmap_get(&m, test_id(1)), (size_t)-1);
}
END_TEST

START_TEST(idmap_clear_renumbers_without_growing)
{
	gdfo__idmap m = {0};
	gdfo__idmap_slot *slots;
	size_t i, cap;

	for (i = 0; i < 100; i++)
		ck_assert_int_eq(gdfo__idmap_put(&m, (int64_t)i * 10, i), 0);
	slots = m.slots;
	cap = m.cap;
	/* remove id 0: every index shifts down by one, as a graph does */
	gdfo__idmap_clear(&m);
	ck_assert_uint_eq(m.n, 0);
	ck_assert_uint_eq(gdfo__idmap_get(&m, 10), (size_t)-1);
	for (i = 1; i < 100; i++)
		ck_assert_int_eq(gdfo__idmap_put(&m, (int64_t)i * 10, i - 1), 0);
	ck_assert_ptr_eq(m.slots, slots);
	ck_assert_uint_eq(m.cap, cap);
	ck_assert_uint_eq(gdfo__idmap_get(&m, 0), (size_t)-1);
	for (i = 1; i < 100; i++)
		ck_assert_uint_eq(gdfo__idmap_get(&m, (int64_t)i * 10), i - 1);
	/* reserve ahead: no table change while filling up to it */
	gdfo__idmap_free(&m);
	ck_assert_int_eq(gdfo__idmap_reserve(&m, 1000), 0);
	slots = m.slots;
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(gdfo__idmap_put(&m, -(int64_t)i, i), 0);
	ck_assert_ptr_eq(m.slots, slots);
	ck_assert_uint_eq(gdfo__idmap_get(&m, -999), 999);
	gdfo__idmap_free(&m);
}
END_TEST

/* ---- topological order ---------------------------------------------------------- */

/* A DAG as per-node child lists (at most 4 children). */
typedef struct tdag {
	size_t n;
	size_t nc[16];
	size_t c[16][4];
} tdag;

static size_t td_n_children(const void *u, size_t v)
{
	return ((const tdag *)u)->nc[v];
}

static size_t td_child(const void *u, size_t v, size_t k)
{
	return ((const tdag *)u)->c[v][k];
}

static void td_edge(tdag *d, size_t p, size_t c)
{
	d->c[p][d->nc[p]++] = c;
}

static void order_str(char *buf, const size_t *order, size_t n)
{
	size_t i, len = 0;
	buf[0] = '\0';
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(buf + len, "%s%zu", i ? "," : "", order[i]);
}

START_TEST(topo_tie_breaking)
{
	/*
	 * 4 and 0 are sources; 4 -> 3, 4 -> 1, 0 -> 2, 3 -> 2, 1 -> 2.
	 * FIFO: sources by index (0, 4), then 4's children in list order (3, 1).
	 * SMALLEST: the smallest ready index each time.
	 */
	tdag d = {.n = 5};
	gdfo__topo t = {5, &d, td_n_children, td_child, GDFO__TOPO_FIFO, 0};
	size_t order[5], work[10];
	char s[64];

	td_edge(&d, 4, 3);
	td_edge(&d, 4, 1);
	td_edge(&d, 0, 2);
	td_edge(&d, 3, 2);
	td_edge(&d, 1, 2);
	ck_assert_uint_eq(gdfo__topo_order(order, work, &t), 5);
	order_str(s, order, 5);
	ck_assert_str_eq(s, "0,4,3,1,2");
	t.tie = GDFO__TOPO_SMALLEST;
	ck_assert_uint_eq(gdfo__topo_order(order, work, &t), 5);
	order_str(s, order, 5);
	ck_assert_str_eq(s, "0,4,1,3,2");
}
END_TEST

START_TEST(topo_cycles)
{
	/* 0 -> 1 -> 2 -> 1 (a cycle), 2 -> 3, and 4 alone */
	tdag d = {.n = 5};
	gdfo__topo t = {5, &d, td_n_children, td_child, GDFO__TOPO_SMALLEST, 0};
	size_t order[5], work[10];
	char s[64];

	td_edge(&d, 0, 1);
	td_edge(&d, 1, 2);
	td_edge(&d, 2, 1);
	td_edge(&d, 2, 3);
	ck_assert_uint_eq(gdfo__topo_order(order, work, &t), 2);
	order_str(s, order, 2);
	ck_assert_str_eq(s, "0,4");
	/* unplaced parents left: non-zero exactly on and behind the cycle */
	ck_assert_uint_eq(work[0], 0);
	ck_assert_uint_eq(work[1], 1);
	ck_assert_uint_eq(work[2], 1);
	ck_assert_uint_eq(work[3], 1);
	ck_assert_uint_eq(work[4], 0);
	t.tie = GDFO__TOPO_FIFO;
	ck_assert_uint_eq(gdfo__topo_order(order, work, &t), 2);
	/* break_cycles: 1 is the smallest unplaced node, placed despite 2 -> 1 */
	t.tie = GDFO__TOPO_SMALLEST;
	t.break_cycles = 1;
	ck_assert_uint_eq(gdfo__topo_order(order, work, &t), 5);
	order_str(s, order, 5);
	ck_assert_str_eq(s, "0,4,1,2,3");
	t.tie = GDFO__TOPO_FIFO;
	ck_assert_uint_eq(gdfo__topo_order(order, work, &t), 5);
	order_str(s, order, 5);
	ck_assert_str_eq(s, "0,4,1,2,3");
}
END_TEST

START_TEST(topo_breaks_each_cycle_once)
{
	/* two cycles and no source: 0 <-> 1, 2 <-> 3; the edge 1 -> 0 reaches 0 after it was forced */
	tdag d = {.n = 4};
	gdfo__topo t = {4, &d, td_n_children, td_child, GDFO__TOPO_SMALLEST, 1};
	size_t order[4], work[8];
	char s[64];

	td_edge(&d, 0, 1);
	td_edge(&d, 1, 0);
	td_edge(&d, 2, 3);
	td_edge(&d, 3, 2);
	ck_assert_uint_eq(gdfo__topo_order(order, work, &t), 4);
	order_str(s, order, 4);
	ck_assert_str_eq(s, "0,1,2,3");
	t.tie = GDFO__TOPO_FIFO;
	ck_assert_uint_eq(gdfo__topo_order(order, work, &t), 4);
	order_str(s, order, 4);
	ck_assert_str_eq(s, "0,1,2,3");
}
END_TEST

/* Parent lists for csr_from_parents. */
typedef struct plist {
	size_t np[8];
	size_t p[8][4];
} plist;

static size_t pl_n(const void *u, size_t v)
{
	return ((const plist *)u)->np[v];
}

static size_t pl_p(const void *u, size_t v, size_t k)
{
	return ((const plist *)u)->p[v][k];
}

START_TEST(topo_random_dags_respect_edges)
{
	unsigned seed = 12345;
	int round;

	for (round = 0; round < 200; round++) {
		/* edges only from a higher to a lower label of a random relabelling */
		tdag d = {.n = 16};
		size_t label[16], pos[16], order[16], work[32], i, j, k;
		int tie = round & 1;
		gdfo__topo t = {16, &d, td_n_children, td_child, tie, 0};
		for (i = 0; i < 16; i++)
			label[i] = i;
		for (i = 15; i > 0; i--) {
			seed = seed * 1103515245u + 12345u;
			j = (seed >> 16) % (i + 1);
			k = label[i], label[i] = label[j], label[j] = k;
		}
		for (i = 0; i < 16; i++)
			for (j = 0; j < 16 && d.nc[i] < 4; j++) {
				seed = seed * 1103515245u + 12345u;
				if (label[i] > label[j] && (seed >> 16) % 5 == 0)
					td_edge(&d, i, j);
			}
		ck_assert_uint_eq(gdfo__topo_order(order, work, &t), 16);
		for (i = 0; i < 16; i++)
			pos[order[i]] = i;
		for (i = 0; i < 16; i++)
			for (k = 0; k < d.nc[i]; k++)
				ck_assert_uint_lt(pos[i], pos[d.c[i][k]]);
	}
}
END_TEST

START_TEST(topo_csr_from_parents)
{
	/* 3 has parents 2, 0; 2 has parent 0; 1 has parent 3 */
	plist pl = {{0, 1, 1, 2}, {{0}, {3}, {0}, {2, 0}}};
	gdfo__topo_csr c;
	gdfo__topo t = {4, &c, gdfo__topo_csr_n_children, gdfo__topo_csr_child, GDFO__TOPO_FIFO, 0};
	size_t order[4], work[4];
	char s[64];

	ck_assert_int_eq(gdfo__topo_csr_from_parents(&c, 4, pl_n, pl_p, &pl), 0);
	/* children in increasing child index */
	ck_assert_uint_eq(gdfo__topo_csr_n_children(&c, 0), 2);
	ck_assert_uint_eq(gdfo__topo_csr_child(&c, 0, 0), 2);
	ck_assert_uint_eq(gdfo__topo_csr_child(&c, 0, 1), 3);
	ck_assert_uint_eq(gdfo__topo_csr_n_children(&c, 1), 0);
	ck_assert_uint_eq(gdfo__topo_csr_n_children(&c, 2), 1);
	ck_assert_uint_eq(gdfo__topo_csr_child(&c, 3, 0), 1);
	ck_assert_uint_eq(gdfo__topo_order(order, work, &t), 4);
	order_str(s, order, 4);
	ck_assert_str_eq(s, "0,2,3,1");
	gdfo__topo_csr_free(&c);
	ck_assert_ptr_null(c.start);
}
END_TEST

/* ---- UTF-8 ------------------------------------------------------------------------- */

START_TEST(utf8_check)
{
	static const struct {
		const char *s;
		int valid;
	} cases[] = {
		{"", 1},
		{"plain ascii", 1},
		{"caf\xc3\xa9", 1},                 /* U+00E9 */
		{"\xe0\xa0\x80", 1},                /* U+0800, smallest 3-byte */
		{"\xef\xbf\xbf", 1},                /* U+FFFF */
		{"\xf0\x90\x80\x80", 1},            /* U+10000 */
		{"\xf4\x8f\xbf\xbf", 1},            /* U+10FFFF */
		{"\xed\x9f\xbf", 1},                /* U+D7FF, just below the surrogates */
		{"\xc0\x80", 0},                    /* overlong NUL */
		{"\xc1\xbf", 0},                    /* overlong */
		{"\xe0\x9f\xbf", 0},                /* overlong 3-byte */
		{"\xf0\x8f\xbf\xbf", 0},            /* overlong 4-byte */
		{"\xed\xa0\x80", 0},                /* U+D800 surrogate */
		{"\xed\xbf\xbf", 0},                /* U+DFFF surrogate */
		{"\xf4\x90\x80\x80", 0},            /* above U+10FFFF */
		{"\xf5\x80\x80\x80", 0},
		{"\x80", 0},                        /* lone continuation */
		{"\xc3", 0},                        /* truncated */
		{"\xe2\x82", 0},                    /* truncated */
		{"\xe2\x28\xa1", 0},                /* bad continuation */
		{"ok\xff", 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(gdfo__utf8_valid(cases[i].s, strlen(cases[i].s)) == cases[i].valid,
			      "case %zu", i);
	/* the length bounds the check: a sequence cut by n is refused */
	ck_assert_int_eq(gdfo__utf8_valid("\xc3\xa9", 1), 0);
	ck_assert_int_eq(gdfo__utf8_valid("a\0b", 3), 1);
}
END_TEST

/* ---- JSON writing ---------------------------------------------------------------------- */

static const char *num(double v, int digits)
{
	static char buf[GDFO__JSON_NUMBER_MAX];
	ck_assert_int_eq(gdfo__json_format_number(buf, v, digits, "x"), 0);
	return buf;
}

START_TEST(json_numbers)
{
	char buf[GDFO__JSON_NUMBER_MAX];
	double v;

	ck_assert_str_eq(num(0, 0), "0");
	ck_assert_str_eq(num(-0.0, 0), "-0.0");
	ck_assert_str_eq(num(42, 0), "42");
	ck_assert_str_eq(num(-7, 0), "-7");
	ck_assert_str_eq(num(0.1, 0), "0.1");
	ck_assert_str_eq(num(1.0 / 3, 0), "0.3333333333333333");
	ck_assert_str_eq(num(9007199254740991.0, 0), "9007199254740991");
	ck_assert_str_eq(num(1e300, 0), "1e+300");
	ck_assert_str_eq(num(5e-324, 0), "4.94065645841247e-324");
	/* shortest means it reads back identical */
	for (v = 1e-5; v < 1e20; v *= 3.7)
		ck_assert(strtod(num(v, 0), NULL) == v);
	ck_assert_str_eq(num(1.0 / 3, 10), "0.3333333333");
	ck_assert_str_eq(num(1234567, 3), "1.23e+06");
	ck_assert_str_eq(num(0.1, 17), "0.10000000000000001");

	ck_assert_int_eq(gdfo__json_format_number(buf, NAN, 0, "\"makespan_ms\""), GDFO_ERANGE);
	ck_assert_str_eq(buf, "");
	ck_assert_str_eq(gdfo_last_error(), "cannot write \"makespan_ms\": nan is not a JSON number");
	ck_assert_int_eq(gdfo__json_format_number(buf, -INFINITY, 10, "x"), GDFO_ERANGE);
	ck_assert_int_eq(gdfo__json_format_number(buf, INFINITY, 0, "x"), GDFO_ERANGE);
}
END_TEST

START_TEST(json_writer)
{
	gdfo__jsonw w = {0};
	char *out = (char *)1;

	gdfo__jsonw_raw(&w, "{\"name\": ");
	gdfo__jsonw_string(&w, "a \"q\" \\ tab\there\x01 caf\xc3\xa9");
	gdfo__jsonw_raw(&w, ", \"n\": %d, \"v\": ", 3);
	gdfo__jsonw_number(&w, 2.5, 0, "v");
	gdfo__jsonw_raw(&w, "}");
	ck_assert_int_eq(gdfo__jsonw_finish(&w, &out), 0);
	ck_assert_str_eq(out, "{\"name\": \"a \\\"q\\\" \\\\ tab\\u0009here\\u0001 caf\xc3\xa9\", \"n\": 3, \"v\": 2.5}");
	gdfo_free(out);

	/* the first failure sticks and nothing is returned */
	gdfo__jsonw_raw(&w, "[");
	gdfo__jsonw_number(&w, 1, 0, "first");
	gdfo__jsonw_number(&w, NAN, 10, "second");
	gdfo__jsonw_number(&w, INFINITY, 10, "third");
	gdfo__jsonw_raw(&w, "]");
	ck_assert_int_eq(w.rc, GDFO_ERANGE);
	ck_assert_str_eq(w.buf.data, "[1");
	ck_assert_int_eq(gdfo__jsonw_finish(&w, &out), GDFO_ERANGE);
	ck_assert_ptr_null(out);
	ck_assert_str_eq(gdfo_last_error(), "cannot write second: nan is not a JSON number");

	/* an empty text is "" rather than NULL */
	ck_assert_int_eq(gdfo__jsonw_finish(&w, &out), 0);
	ck_assert_str_eq(out, "");
	gdfo_free(out);
}
END_TEST

/* The simulator wrote NaN and infinity as 0; the result JSON now fails instead. */
START_TEST(sim_result_json_refuses_non_finite)
{
	gdfo_gen_options go;
	gdfo_graph *g;
	gdfo_sim *sim;
	gdfo_sim_result r = {.version = GDFO_SIM_RESULT_VERSION};
	char *json = NULL;

	ck_assert_int_eq(gdfo_gen_options_init(&go, GDFO_GEN_OPTIONS_VERSION), 0);
	ck_assert_int_eq(gdfo_generate(&g, &go), 0);
	ck_assert_int_eq(gdfo_sim_create(&sim, NULL), 0);
	ck_assert_int_eq(gdfo_sim_run_graph(&r, sim, g, NULL), 0);
	ck_assert_int_eq(gdfo_sim_result_to_json(&json, sim), 0);
	ck_assert_ptr_nonnull(json);
	gdfo_free(json);

	sim->result.utilization = NAN;
	ck_assert_int_eq(gdfo_sim_result_to_json(&json, sim), GDFO_ERANGE);
	ck_assert_ptr_null(json);
	ck_assert_str_eq(gdfo_last_error(), "simulation result: cannot write utilization: nan is not a JSON number");
	sim->result.utilization = 0.5;
	sim->sr[0].end_ms = INFINITY;
	ck_assert_int_eq(gdfo_sim_result_to_json(&json, sim), GDFO_ERANGE);
	ck_assert_str_eq(gdfo_last_error(), "simulation result: cannot write end_ms: inf is not a JSON number");
	gdfo_sim_free(sim);
	gdfo_graph_free(g);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("core");
	TCase *t = tcase_create("core");
	tcase_add_test(t, idmap_finds_every_id);
	tcase_add_test(t, idmap_clear_renumbers_without_growing);
	tcase_add_test(t, topo_tie_breaking);
	tcase_add_test(t, topo_cycles);
	tcase_add_test(t, topo_breaks_each_cycle_once);
	tcase_add_test(t, topo_random_dags_respect_edges);
	tcase_add_test(t, topo_csr_from_parents);
	tcase_add_test(t, utf8_check);
	tcase_add_test(t, json_numbers);
	tcase_add_test(t, json_writer);
	tcase_add_test(t, sim_result_json_refuses_non_finite);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
