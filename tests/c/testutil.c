/* Helpers shared by the C test suites. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static size_t split_cols(const char **out, char *buf, size_t bufsize, size_t cap, const char *list)
{
	size_t n = 0;
	char *p, *save = NULL;

	if (!list || !*list)
		return 0;
	snprintf(buf, bufsize, "%s", list);
	for (p = strtok_r(buf, ",", &save); p && n < cap; p = strtok_r(NULL, ",", &save))
		out[n++] = p;
	return n;
}

void tu_add_stage(gdfo_graph *g, int64_t id, const char *name, int op, const char *rd,
		  const char *wr, double rows, double bytes, double sel, double cpu)
{
	gdfo_stage s = {.version = GDFO_STAGE_VERSION};
	gdfo_stage_stats st = {.version = GDFO_STAGE_STATS_VERSION};
	const char *r[16], *w[16];
	char rb[512], wb[512];

	ck_assert_int_eq(gdfo_stage_init(&s, GDFO_STAGE_VERSION), 0);
	ck_assert_int_eq(gdfo_stage_stats_init(&st, GDFO_STAGE_STATS_VERSION), 0);
	s.stats = &st;
	s.id = id;
	s.name = name;
	s.op = op;
	st.rows_in = rows;
	st.bytes_in = bytes;
	st.selectivity = sel;
	st.cpu_ns_per_row = cpu;
	s.n_columns_read = split_cols(r, rb, sizeof(rb), 16, rd);
	s.columns_read = r;
	s.n_columns_written = split_cols(w, wb, sizeof(wb), 16, wr);
	s.columns_written = w;
	ck_assert_msg(gdfo_graph_add_stage(g, &s) == 0, "%s", gdfo_last_error());
}

void tu_init(gdfo_stage *s, gdfo_stage_stats *st, gdfo_stage_knobs *kn)
{
	ck_assert_int_eq(gdfo_stage_init(s, GDFO_STAGE_VERSION), 0);
	ck_assert_int_eq(gdfo_stage_stats_init(st, GDFO_STAGE_STATS_VERSION), 0);
	ck_assert_int_eq(gdfo_stage_knobs_init(kn, GDFO_STAGE_KNOBS_VERSION), 0);
	s->stats = st;
	s->knobs = kn;
}

void tu_own(gdfo_stage *s, gdfo_stage_stats *st, gdfo_stage_knobs *kn)
{
	*st = *s->stats;
	*kn = *s->knobs;
	s->stats = st;
	s->knobs = kn;
}

void tu_edge(gdfo_graph *g, int64_t parent, int64_t child)
{
	ck_assert_msg(gdfo_graph_add_edge(g, parent, child) == 0, "%s", gdfo_last_error());
}

gdfo_stage tu_get(const gdfo_graph *g, int64_t id)
{
	gdfo_stage s = {.version = GDFO_STAGE_VERSION};
	size_t i;

	ck_assert_msg(gdfo_graph_find(&i, g, id) == 0, "stage %lld missing", (long long)id);
	gdfo_stage_init(&s, GDFO_STAGE_VERSION);
	ck_assert_int_eq(gdfo_graph_stage_at(&s, g, i), 0);
	return s;
}

const char *tu_parents_of(const gdfo_graph *g, int64_t id)
{
	static char buf[256];
	const size_t *p;
	size_t n, i, idx, len = 0;

	ck_assert_int_eq(gdfo_graph_find(&idx, g, id), 0);
	ck_assert_int_eq(gdfo_graph_parents(&p, &n, g, idx), 0);
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		gdfo_stage s = {.version = GDFO_STAGE_VERSION};
		gdfo_stage_init(&s, GDFO_STAGE_VERSION);
		gdfo_graph_stage_at(&s, g, p[i]);
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%lld", i ? "," : "",
					(long long)s.id);
	}
	return buf;
}

gdfo_graph *tu_generate(int family, uint64_t seed, int stages)
{
	gdfo_gen_options o;
	gdfo_graph *g;
	gdfo_gen_options_init(&o, GDFO_GEN_OPTIONS_VERSION);
	o.family = family;
	o.seed = seed;
	o.stages = stages;
	ck_assert_msg(gdfo_generate(&g, &o) == 0, "%s", gdfo_last_error());
	return g;
}

gdfo_graph *tu_corpus(int i)
{
	static const char *const examples[] = {"examples/pipelines/retail_etl.json",
					       "examples/pipelines/iot_telemetry.json",
					       "examples/pipelines/tpch_q5.json"};
	gdfo_graph *g;
	if (i < 3) {
		ck_assert_msg(gdfo_graph_load(&g, examples[i]) == 0, "%s", gdfo_last_error());
		return g;
	}
	i -= 3;
	return tu_generate(i % 5, (uint64_t)(1 + i / 5), 0);
}

const char *tu_shared_data(void)
{
	const char *d = getenv("GDFO_SHARED_DATA");
	return d && *d ? d : "../shared/data";
}

char *tu_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = (size_t)n;
	return buf;
}
