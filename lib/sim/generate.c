/*
 * The workload generator: seeded pipeline families for training and
 * benchmarks (docs/simulator.md, "Workload generator").
 *
 * Statistics are generated consistently with the execution model's flow
 * rule: a non-source stage's rows_in / bytes_in are the sums of its
 * parents' outputs, so the given statistics and the simulated volumes
 * agree on the generated pipeline and diverge only where a rewrite
 * changes the flow. Drift (run > 0) never consumes random numbers, so
 * run k of a seed is the same pipeline as run 0 with drifted data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/abi.h"
#include "graph/graph_internal.h"
#include "sim/sim_internal.h"

static const char *const family_names[GDFO_GEN_FAMILY_COUNT] = {
	"retail-etl", "iot-streaming", "tpch", "tpcds", "random"};

const char *gdfo_gen_family_name(int f)
{
	return f >= 0 && f < GDFO_GEN_FAMILY_COUNT ? family_names[f] : NULL;
}

int gdfo_gen_family_find(int *out, const char *name)
{
	int i;
	if (!out || !name)
		return gdfo__error(GDFO_EINVAL, "gdfo_gen_family_find: NULL argument");
	for (i = 0; i < GDFO_GEN_FAMILY_COUNT; i++)
		if (!strcmp(name, family_names[i])) {
			*out = i;
			return 0;
		}
	return gdfo__error(GDFO_ENOTFOUND, "unknown workload family '%s' (known: retail-etl, iot-streaming, tpch, tpcds, random)",
			   name);
}

int gdfo_gen_options_init(gdfo_gen_options *o, unsigned int version)
{
	gdfo_gen_options d;

	memset(&d, 0, sizeof(d));
	d.family = GDFO_GEN_RETAIL_ETL;
	d.seed = 1;
	d.growth_per_run = 0.05;
	d.skew_shift_per_run = 0.1;
	d.drift_column_run = 5;
	return gdfo__abi_init(o, version, &d, GDFO__ABI_GEN_OPTIONS, "gdfo_gen_options_init");
}

/* ---- builder ----------------------------------------------------------------- */

#define MAXP 8

typedef struct gen {
	gdfo_graph *g;
	gdfo__rng rng;
	const gdfo_gen_options *o;
	double volume;     /* drift: volume multiplier */
	double skew_add;   /* drift: added to skewed stages */
	int new_column;    /* drift: sources gain a column */
	int64_t next_id;
	double *rows_out, *w_out; /* by stage index */
	size_t cap;
	int rc;
} gen;

static double U(gen *G, double lo, double hi)
{
	return lo + (hi - lo) * gdfo__rng_uniform(&G->rng);
}

static double logU(gen *G, double lo, double hi)
{
	return exp(U(G, log(lo), log(hi)));
}

static int pick(gen *G, int n)
{
	int k = (int)(gdfo__rng_uniform(&G->rng) * n);
	return k < n ? k : n - 1;
}

/* A skew draw: mostly mild, sometimes heavy. */
static double skew_draw(gen *G)
{
	double u = U(G, 0, 1), s = u < 0.3 ? U(G, 2, 10) : U(G, 1, 1.5);
	return s;
}

/*
 * Adds a stage and returns its index (or -1 once an error happened).
 * Sources take rows and width; other stages derive their input from the
 * parents and scale the row width by wf.
 */
static long add(gen *G, const char *name, int op, const long *parents, int np, double sel, double wf,
		double cpu, double skew, const char *const *cr, size_t ncr, const char *const *cw,
		size_t ncw, double src_rows, double src_width)
{
	gdfo_stage s;
	gdfo_stage_stats stats;
	gdfo_stage_knobs knobs;
	double rows = 0, bytes = 0;
	int k, rc;
	size_t idx;
	char nm[64];

	if (G->rc)
		return -1;
	gdfo__stage_defaults(&s, &stats, &knobs);
	s.id = G->next_id++;
	snprintf(nm, sizeof(nm), "%s", name);
	s.name = nm;
	s.op = op;
	if (np == 0) {
		rows = floor(src_rows * G->volume);
		if (rows < 1)
			rows = 1;
		bytes = rows * src_width * (G->new_column ? 1.1 : 1.0);
	} else {
		for (k = 0; k < np; k++) {
			rows += G->rows_out[parents[k]];
			bytes += G->rows_out[parents[k]] * G->w_out[parents[k]];
		}
	}
	stats.rows_in = rows;
	stats.bytes_in = bytes;
	stats.selectivity = sel;
	stats.cpu_ns_per_row = cpu;
	stats.skew = skew > 1 ? skew + G->skew_add * (skew > 1.2) : 1;
	if (op == GDFO_OP_AGGREGATE || op == GDFO_OP_JOIN || op == GDFO_OP_WINDOW)
		stats.key_cardinality = floor(rows * (sel < 1 ? sel : 1) * 0.9) + 1;
	s.columns_read = cr;
	s.n_columns_read = ncr;
	s.columns_written = cw;
	s.n_columns_written = ncw;
	if (op == GDFO_OP_JOIN)
		s.join_type = GDFO_JOIN_INNER;
	if ((rc = gdfo_graph_add_stage(G->g, &s))) {
		G->rc = rc;
		return -1;
	}
	idx = G->g->n - 1;
	if (idx >= G->cap) {
		size_t nc = G->cap ? 2 * G->cap : 64;
		double *a = gdfo__realloc(G->rows_out, nc * sizeof(double)), *b;
		if (!a) {
			G->rc = GDFO_ENOMEM;
			return -1;
		}
		G->rows_out = a;
		b = gdfo__realloc(G->w_out, nc * sizeof(double));
		if (!b) {
			G->rc = GDFO_ENOMEM;
			return -1;
		}
		G->w_out = b;
		G->cap = nc;
	}
	G->rows_out[idx] = rows * sel;
	G->w_out[idx] = (rows > 0 ? bytes / rows : 0) * wf;
	for (k = 0; k < np; k++)
		if ((rc = gdfo__graph_link(G->g, (size_t)parents[k], idx))) {
			G->rc = rc;
			return -1;
		}
	return (long)idx;
}

#define P(...) ((const long[]){__VA_ARGS__}), (int)(sizeof((const long[]){__VA_ARGS__}) / sizeof(long))
#define COLS(...) ((const char *const[]){__VA_ARGS__}), (sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *))
#define NOCOLS NULL, 0

static long src(gen *G, const char *name, double rows, double width, const char *const *cols, size_t nc)
{
	static const char *const extra[] = {"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9",
					    "c10", "c11", "c12", "c13", "c14", "c15"};
	const char *buf[17];
	size_t k, n = nc < 16 ? nc : 16;
	if (!cols) {
		cols = extra;
		n = 6;
	}
	for (k = 0; k < n; k++)
		buf[k] = cols[k];
	if (G->new_column)
		buf[n++] = "drift_new_col";
	return add(G, name, GDFO_OP_SOURCE, NULL, 0, 1, 1, U(G, 60, 150), 1, NULL, 0, buf, n, rows, width);
}

static void set_join(gen *G, long idx, int strategy)
{
	if (idx >= 0)
		G->g->stages[idx].knobs.join_strategy = strategy;
}

/* ---- families ------------------------------------------------------------------ */

static void retail(gen *G, double scale)
{
	double orows = scale / 120.0;
	long o = src(G, "orders", orows, 120, COLS("order_id", "customer_id", "product_id", "quantity", "price", "order_ts", "status"));
	long c = src(G, "customers", orows / 25, 200, COLS("customer_id", "customer_name", "region", "segment"));
	long p = src(G, "products", orows / 500 + 100, 80, COLS("product_id", "category", "brand", "unit_cost"));
	long r = src(G, "returns", orows / 20, 60, COLS("order_id", "return_ts", "reason"));
	long d = add(G, "dedup_orders", GDFO_OP_AGGREGATE, P(o), U(G, 0.95, 0.99), 1, U(G, 150, 300), skew_draw(G), COLS("order_id", "order_ts"), NOCOLS, 0, 0);
	long e = add(G, "enrich_orders", GDFO_OP_PROJECT, P(d), 1, 1.1, U(G, 50, 120), 1, COLS("quantity", "price", "order_ts"), COLS("revenue", "order_date"), 0, 0);
	long jc = add(G, "join_customers", GDFO_OP_JOIN, P(e, c), U(G, 0.9, 0.98), 1.3, U(G, 200, 400), skew_draw(G), COLS("customer_id"), NOCOLS, 0, 0);
	long f = add(G, "completed_only", GDFO_OP_FILTER, P(jc), U(G, 0.6, 0.9), 1, U(G, 20, 40), 1, COLS("status"), NOCOLS, 0, 0);
	long jp = add(G, "join_products", GDFO_OP_JOIN, P(f, p), U(G, 0.95, 1.0), 1.2, U(G, 150, 300), skew_draw(G), COLS("product_id"), NOCOLS, 0, 0);
	long jr = add(G, "anti_join_returns", GDFO_OP_JOIN, P(jp, r), U(G, 0.85, 0.95), 1, U(G, 150, 300), 1, COLS("order_id"), NOCOLS, 0, 0);
	long a1 = add(G, "daily_revenue", GDFO_OP_AGGREGATE, P(jr), U(G, 1e-5, 1e-3), 0.5, U(G, 100, 250), skew_draw(G), COLS("order_date", "category", "revenue"), COLS("daily_revenue"), 0, 0);
	long a2 = add(G, "customer_ltv", GDFO_OP_AGGREGATE, P(jr), U(G, 0.02, 0.08), 0.5, U(G, 100, 250), skew_draw(G), COLS("customer_id", "revenue"), COLS("ltv"), 0, 0);
	long s2 = add(G, "rank_customers", GDFO_OP_SORT, P(a2), 1, 1, U(G, 50, 100), 1, COLS("ltv"), NOCOLS, 0, 0);
	add(G, "write_daily_revenue", GDFO_OP_SINK, P(a1), 1, 1, 20, 1, NOCOLS, NOCOLS, 0, 0);
	add(G, "write_customer_ltv", GDFO_OP_SINK, P(s2), 1, 1, 20, 1, NOCOLS, NOCOLS, 0, 0);
	add(G, "write_order_facts", GDFO_OP_SINK, P(jr), 1, 1, 20, 1, NOCOLS, NOCOLS, 0, 0);
	set_join(G, jc, GDFO_JOIN_SORT_MERGE);
	set_join(G, jp, GDFO_JOIN_SORT_MERGE);
	set_join(G, jr, GDFO_JOIN_AUTO);
	if (jr >= 0)
		G->g->stages[jr].join_type = GDFO_JOIN_ANTI;
}

static void iot(gen *G, double scale)
{
	double rows = scale / 200.0;
	long ev = src(G, "sensor_events", rows, 200, COLS("device_id", "ts", "payload", "firmware"));
	long dev = src(G, "devices", 20000 + U(G, 0, 200000), 150, COLS("device_id", "site", "model", "threshold"));
	long parse = add(G, "parse_payload", GDFO_OP_UDF, P(ev), 1, 0.6, U(G, 400, 1500), 1, COLS("payload"), COLS("temp", "vibration", "battery"), 0, 0);
	long valid = add(G, "valid_readings", GDFO_OP_FILTER, P(parse), U(G, 0.85, 0.98), 1, U(G, 15, 40), 1, COLS("temp", "battery"), NOCOLS, 0, 0);
	long j = add(G, "join_devices", GDFO_OP_JOIN, P(valid, dev), U(G, 0.95, 1.0), 1.3, U(G, 100, 250), skew_draw(G), COLS("device_id"), NOCOLS, 0, 0);
	long w = add(G, "rolling_stats", GDFO_OP_WINDOW, P(j), 1, 1.2, U(G, 200, 500), skew_draw(G), COLS("device_id", "ts"), COLS("temp_avg", "vib_p95"), 0, 0);
	long an = add(G, "detect_anomalies", GDFO_OP_FILTER, P(w), U(G, 0.001, 0.02), 1, U(G, 30, 80), 1, COLS("temp_avg", "threshold"), NOCOLS, 0, 0);
	long ag = add(G, "per_site_minute", GDFO_OP_AGGREGATE, P(j), U(G, 0.001, 0.01), 0.5, U(G, 80, 200), skew_draw(G), COLS("site", "ts"), COLS("site_temp"), 0, 0);
	long s1 = add(G, "write_alerts", GDFO_OP_SINK, P(an), 1, 1, 20, 1, NOCOLS, NOCOLS, 0, 0);
	long s2 = add(G, "write_site_metrics", GDFO_OP_SINK, P(ag), 1, 1, 20, 1, NOCOLS, NOCOLS, 0, 0);
	add(G, "write_raw_archive", GDFO_OP_SINK, P(valid), 1, 1, 20, 1, NOCOLS, NOCOLS, 0, 0);
	set_join(G, j, GDFO_JOIN_SORT_MERGE);
	(void)s1;
	(void)s2;
}

static void tpch(gen *G, double scale)
{
	double sf = scale / 1.0e9; /* ~1 GB of lineitem+orders per scale factor */
	long li = src(G, "lineitem", 6.0e6 * sf, 125, COLS("l_orderkey", "l_partkey", "l_suppkey", "l_quantity", "l_extendedprice", "l_discount", "l_shipdate", "l_returnflag"));
	long ord = src(G, "orders", 1.5e6 * sf, 110, COLS("o_orderkey", "o_custkey", "o_orderdate", "o_totalprice", "o_orderpriority"));
	long cu = src(G, "customer", 1.5e5 * sf + 10, 180, COLS("c_custkey", "c_nationkey", "c_mktsegment", "c_acctbal"));
	int q = pick(G, 4);
	if (q == 0) { /* q3: shipping priority */
		long fc = add(G, "filter_segment", GDFO_OP_FILTER, P(cu), 0.2, 1, 20, 1, COLS("c_mktsegment"), NOCOLS, 0, 0);
		long fo = add(G, "filter_orderdate", GDFO_OP_FILTER, P(ord), 0.48, 1, 20, 1, COLS("o_orderdate"), NOCOLS, 0, 0);
		long fl = add(G, "filter_shipdate", GDFO_OP_FILTER, P(li), 0.54, 1, 20, 1, COLS("l_shipdate"), NOCOLS, 0, 0);
		long j1 = add(G, "join_cust_orders", GDFO_OP_JOIN, P(fo, fc), 0.2 * 0.48 / 0.5, 1.2, 200, skew_draw(G), COLS("o_custkey"), NOCOLS, 0, 0);
		long j2 = add(G, "join_lineitem", GDFO_OP_JOIN, P(fl, j1), 0.15, 1.4, 250, skew_draw(G), COLS("l_orderkey"), NOCOLS, 0, 0);
		long a = add(G, "revenue_by_order", GDFO_OP_AGGREGATE, P(j2), 0.25, 0.4, 150, skew_draw(G), COLS("l_orderkey", "l_extendedprice"), COLS("revenue"), 0, 0);
		long s = add(G, "top_revenue", GDFO_OP_SORT, P(a), 1, 1, 60, 1, COLS("revenue"), NOCOLS, 0, 0);
		add(G, "write_result", GDFO_OP_SINK, P(s), 1, 1, 20, 1, NOCOLS, NOCOLS, 0, 0);
		set_join(G, j1, GDFO_JOIN_SORT_MERGE);
		set_join(G, j2, GDFO_JOIN_SORT_MERGE);
	} else if (q == 1) { /* q5: local supplier volume, six-way join */
		long su = src(G, "supplier", 1.0e4 * sf + 10, 160, COLS("s_suppkey", "s_nationkey"));
		long na = src(G, "nation", 25, 100, COLS("n_nationkey", "n_regionkey", "n_name"));
		long re = src(G, "region", 5, 100, COLS("r_regionkey", "r_name"));
		long fr = add(G, "filter_region", GDFO_OP_FILTER, P(re), 0.2, 1, 10, 1, COLS("r_name"), NOCOLS, 0, 0);
		long jn = add(G, "join_nation_region", GDFO_OP_JOIN, P(na, fr), 5.0 / 26.0, 1.2, 100, 1, COLS("n_regionkey"), NOCOLS, 0, 0);
		long fo = add(G, "filter_year", GDFO_OP_FILTER, P(ord), 0.15, 1, 20, 1, COLS("o_orderdate"), NOCOLS, 0, 0);
		long j1 = add(G, "join_cust", GDFO_OP_JOIN, P(fo, cu), 0.15 / 1.15, 1.2, 200, skew_draw(G), COLS("o_custkey"), NOCOLS, 0, 0);
		long j2 = add(G, "join_lineitem", GDFO_OP_JOIN, P(li, j1), 0.13, 1.3, 250, skew_draw(G), COLS("l_orderkey"), NOCOLS, 0, 0);
		long j3 = add(G, "join_supplier", GDFO_OP_JOIN, P(j2, su), 0.2, 1.1, 200, skew_draw(G), COLS("l_suppkey"), NOCOLS, 0, 0);
		long j4 = add(G, "join_nation", GDFO_OP_JOIN, P(j3, jn), 0.9, 1.1, 150, 1, COLS("s_nationkey"), NOCOLS, 0, 0);
		long a = add(G, "revenue_by_nation", GDFO_OP_AGGREGATE, P(j4), 1e-5, 0.5, 120, skew_draw(G), COLS("n_name", "l_extendedprice"), COLS("revenue"), 0, 0);
		long s = add(G, "order_by_revenue", GDFO_OP_SORT, P(a), 1, 1, 60, 1, COLS("revenue"), NOCOLS, 0, 0);
		add(G, "write_result", GDFO_OP_SINK, P(s), 1, 1, 20, 1, NOCOLS, NOCOLS, 0, 0);
		set_join(G, j1, GDFO_JOIN_SORT_MERGE);
		set_join(G, j2, GDFO_JOIN_SORT_MERGE);
		set_join(G, j3, GDFO_JOIN_SORT_MERGE);
	} else if (q == 2) { /* q18: large volume customers */
		long a1 = add(G, "qty_by_order", GDFO_OP_AGGREGATE, P(li), 0.25, 0.3, 150, skew_draw(G), COLS("l_orderkey", "l_quantity"), COLS("sum_qty"), 0, 0);
		long f1 = add(G, "big_orders", GDFO_OP_FILTER, P(a1), 0.001, 1, 20, 1, COLS("sum_qty"), NOCOLS, 0, 0);
		long j1 = add(G, "semi_join_orders", GDFO_OP_JOIN, P(ord, f1), 0.001, 1, 200, 1, COLS("o_orderkey"), NOCOLS, 0, 0);
		long j2 = add(G, "join_customer", GDFO_OP_JOIN, P(j1, cu), 0.01, 1.3, 200, 1, COLS("o_custkey"), NOCOLS, 0, 0);
		long j3 = add(G, "join_lineitem", GDFO_OP_JOIN, P(li, j2), 0.001, 1.2, 250, skew_draw(G), COLS("l_orderkey"), NOCOLS, 0, 0);
		long a2 = add(G, "sum_by_customer", GDFO_OP_AGGREGATE, P(j3), 0.15, 0.5, 120, 1, COLS("c_custkey", "l_quantity"), COLS("total_qty"), 0, 0);
		long s = add(G, "order_by_price", GDFO_OP_SORT, P(a2), 1, 1, 60, 1, COLS("o_totalprice"), NOCOLS, 0, 0);
		add(G, "write_result", GDFO_OP_SINK, P(s), 1, 1, 20, 1, NOCOLS, NOCOLS, 0, 0);
		set_join(G, j1, GDFO_JOIN_SORT_MERGE);
		set_join(G, j3, GDFO_JOIN_SORT_MERGE);
		if (j1 >= 0)
			G->g->stages[j1].join_type = GDFO_JOIN_SEMI;
	} else { /* q1: pricing summary, one scan and a wide aggregate */
		long f = add(G, "filter_shipdate", GDFO_OP_FILTER, P(li), 0.98, 1, 20, 1, COLS("l_shipdate"), NOCOLS, 0, 0);
		long pr = add(G, "compute_charges", GDFO_OP_PROJECT, P(f), 1, 1.1, 80, 1, COLS("l_extendedprice", "l_discount"), COLS("disc_price", "charge"), 0, 0);
		long a = add(G, "summary_by_flag", GDFO_OP_AGGREGATE, P(pr), 1e-6, 0.8, 200, skew_draw(G), COLS("l_returnflag"), COLS("sum_qty", "avg_price"), 0, 0);
		long s = add(G, "order_by_flag", GDFO_OP_SORT, P(a), 1, 1, 30, 1, COLS("l_returnflag"), NOCOLS, 0, 0);
		add(G, "write_result", GDFO_OP_SINK, P(s), 1, 1, 20, 1, NOCOLS, NOCOLS, 0, 0);
		(void)ord;
		(void)cu;
	}
}

static void tpcds(gen *G, double scale)
{
	static const char *const chan[3] = {"store", "catalog", "web"};
	static const double share[3] = {0.57, 0.29, 0.14};
	double fact_rows = scale / 110.0;
	long dd = src(G, "date_dim", 73049, 140, COLS("d_date_sk", "d_year", "d_moy"));
	long it = src(G, "item", 2.0e4 + fact_rows / 2.0e4, 280, COLS("i_item_sk", "i_category", "i_brand"));
	long cu = src(G, "customer", 1.0e5 + fact_rows / 300, 130, COLS("c_customer_sk", "c_birth_country"));
	long fdd = add(G, "filter_date", GDFO_OP_FILTER, P(dd), U(G, 0.003, 0.02), 1, 10, 1, COLS("d_year", "d_moy"), NOCOLS, 0, 0);
	long aggs[3];
	int k, nch = 2 + pick(G, 2);
	char nm[64];
	for (k = 0; k < nch; k++) {
		long f, j1, j2, j3;
		snprintf(nm, sizeof(nm), "%s_sales", chan[k]);
		f = src(G, nm, fact_rows * share[k], 110, COLS("sold_date_sk", "item_sk", "customer_sk", "quantity", "sales_price"));
		snprintf(nm, sizeof(nm), "%s_join_date", chan[k]);
		j1 = add(G, nm, GDFO_OP_JOIN, P(f, fdd), U(G, 0.003, 0.02), 1.1, 150, skew_draw(G), COLS("sold_date_sk"), NOCOLS, 0, 0);
		snprintf(nm, sizeof(nm), "%s_join_item", chan[k]);
		j2 = add(G, nm, GDFO_OP_JOIN, P(j1, it), U(G, 0.5, 0.95), 1.4, 180, skew_draw(G), COLS("item_sk"), NOCOLS, 0, 0);
		snprintf(nm, sizeof(nm), "%s_join_customer", chan[k]);
		j3 = add(G, nm, GDFO_OP_JOIN, P(j2, cu), U(G, 0.6, 0.95), 1.2, 180, skew_draw(G), COLS("customer_sk"), NOCOLS, 0, 0);
		snprintf(nm, sizeof(nm), "%s_by_category", chan[k]);
		aggs[k] = add(G, nm, GDFO_OP_AGGREGATE, P(j3), U(G, 0.001, 0.05), 0.6, 140, skew_draw(G), COLS("i_category", "sales_price"), COLS("sales"), 0, 0);
		set_join(G, j1, GDFO_JOIN_SORT_MERGE);
		set_join(G, j2, GDFO_JOIN_SORT_MERGE);
		set_join(G, j3, GDFO_JOIN_SORT_MERGE);
	}
	{
		long u = nch == 2 ? add(G, "union_channels", GDFO_OP_UNION, P(aggs[0], aggs[1]), 1, 1, 5, 1, NOCOLS, NOCOLS, 0, 0)
				  : add(G, "union_channels", GDFO_OP_UNION, P(aggs[0], aggs[1], aggs[2]), 1, 1, 5, 1, NOCOLS, NOCOLS, 0, 0);
		long a = add(G, "rollup", GDFO_OP_AGGREGATE, P(u), U(G, 0.05, 0.3), 1, 120, 1, COLS("i_category"), COLS("total_sales"), 0, 0);
		long w = add(G, "rank_in_category", GDFO_OP_WINDOW, P(a), 1, 1.1, 90, skew_draw(G), COLS("i_category", "total_sales"), COLS("rank"), 0, 0);
		long f = add(G, "top_100", GDFO_OP_FILTER, P(w), U(G, 0.01, 0.2), 1, 10, 1, COLS("rank"), NOCOLS, 0, 0);
		add(G, "write_result", GDFO_OP_SINK, P(f), 1, 1, 20, 1, NOCOLS, NOCOLS, 0, 0);
	}
}

static void random_dag(gen *G, double scale, int want)
{
	int n = want > 0 ? want : 8 + pick(G, 33), layers, l, k, made = 0, nsrc;
	long *idx, *layer_start;
	char nm[64];
	static const int narrow_ops[] = {GDFO_OP_FILTER, GDFO_OP_PROJECT, GDFO_OP_UDF, GDFO_OP_AGGREGATE,
					 GDFO_OP_SORT, GDFO_OP_WINDOW, GDFO_OP_FILTER, GDFO_OP_PROJECT};
	if (n < 2)
		n = 2;
	layers = (int)ceil(sqrt((double)n));
	if (layers < 2)
		layers = 2;
	idx = gdfo__calloc((size_t)n + 1, sizeof(long));
	layer_start = gdfo__calloc((size_t)layers + 1, sizeof(long));
	if (!idx || !layer_start) {
		free(idx);
		free(layer_start);
		G->rc = GDFO_ENOMEM;
		return;
	}
	nsrc = 1 + n / (2 * layers);
	for (l = 0; l < layers && made < n; l++) {
		int width = l == 0 ? nsrc : (int)ceil((double)(n - made) / (layers - l));
		layer_start[l] = made;
		for (k = 0; k < width && made < n; k++) {
			if (l == 0) {
				snprintf(nm, sizeof(nm), "source_%d", k);
				idx[made] = src(G, nm, scale / nsrc / 100.0 * U(G, 0.2, 1.8), 100, NULL, 0);
			} else {
				/* fan-in: 1..3 parents from earlier layers (one from the previous) */
				long par[3];
				int np = 1, j, op;
				double r = U(G, 0, 1);
				par[0] = idx[layer_start[l - 1] + pick(G, (int)(layer_start[l] - layer_start[l - 1]))];
				if (r < 0.35 && layer_start[l] > 1)
					np = r < 0.1 ? 3 : 2;
				for (j = 1; j < np; j++) {
					long cand = idx[pick(G, (int)layer_start[l])];
					int dup = 0, q;
					for (q = 0; q < j; q++)
						dup |= par[q] == cand;
					if (dup) {
						np = j;
						break;
					}
					par[j] = cand;
				}
				if (np == 1) {
					op = narrow_ops[pick(G, 8)];
					snprintf(nm, sizeof(nm), "%s_%d", gdfo_op_name(op), made);
					idx[made] = add(G, nm, op, par, 1,
							op == GDFO_OP_FILTER ? U(G, 0.05, 0.9)
							: op == GDFO_OP_AGGREGATE ? U(G, 0.001, 0.3) : 1,
							op == GDFO_OP_PROJECT ? U(G, 0.5, 1.5) : 1, U(G, 20, 600),
							op == GDFO_OP_FILTER || op == GDFO_OP_PROJECT ? 1 : skew_draw(G),
							COLS("c0"), NOCOLS, 0, 0);
				} else {
					op = U(G, 0, 1) < 0.75 ? GDFO_OP_JOIN : GDFO_OP_UNION;
					snprintf(nm, sizeof(nm), "%s_%d", gdfo_op_name(op), made);
					idx[made] = add(G, nm, op, par, np, op == GDFO_OP_JOIN ? U(G, 0.05, 1.2) : 1,
							op == GDFO_OP_JOIN ? 1.3 : 1, U(G, 50, 300),
							op == GDFO_OP_JOIN ? skew_draw(G) : 1, COLS("c1"), NOCOLS, 0, 0);
				}
			}
			if (G->rc)
				goto done;
			made++;
		}
	}
	/* every stage without consumers that is not a sink gets one */
	for (k = 0; k < made; k++) {
		if (idx[k] < 0 || G->g->stages[idx[k]].n_children > 0)
			continue;
		snprintf(nm, sizeof(nm), "sink_%d", k);
		add(G, nm, GDFO_OP_SINK, &idx[k], 1, 1, 1, 20, 1, NULL, 0, NULL, 0, 0, 0);
		if (G->rc)
			break;
	}
done:
	free(idx);
	free(layer_start);
}

int gdfo_generate(gdfo_graph **out, const gdfo_gen_options *options)
{
	gdfo_gen_options opts;
	const gdfo_gen_options *o = &opts;
	gen G;
	gdfo_graph_knobs kn;
	gdfo_cluster cl;
	double scale;
	char name[96];
	int rc;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_generate: out is NULL");
	*out = NULL;
	if ((rc = gdfo__abi_in(&opts, options, NULL, GDFO__ABI_GEN_OPTIONS, "gdfo_generate")))
		return rc;
	if (o->family < 0 || o->family >= GDFO_GEN_FAMILY_COUNT)
		return gdfo__error(GDFO_EINVAL, "generator options: family %d is not one of 0..%d", o->family,
				   GDFO_GEN_FAMILY_COUNT - 1);
	if (!gdfo__finite(o->scale_bytes) || o->scale_bytes < 0 || o->scale_bytes > 1e16)
		return gdfo__error(GDFO_EINVAL, "generator options: scale_bytes must be in 0..1e16");
	if (o->stages < 0 || o->stages == 1 || o->stages > 10000)
		return gdfo__error(GDFO_EINVAL, "generator options: stages must be 0 or 2..10000");
	if (o->run < 0 || o->run > 1000000)
		return gdfo__error(GDFO_EINVAL, "generator options: run must be in 0..1000000");
	if (!gdfo__finite(o->growth_per_run) || o->growth_per_run < -0.5 || o->growth_per_run > 10)
		return gdfo__error(GDFO_EINVAL, "generator options: growth_per_run must be in -0.5..10");
	if (!gdfo__finite(o->skew_shift_per_run) || o->skew_shift_per_run < -10 || o->skew_shift_per_run > 100)
		return gdfo__error(GDFO_EINVAL, "generator options: skew_shift_per_run must be in -10..100");
	if (o->drift_column_run < 0)
		return gdfo__error(GDFO_EINVAL, "generator options: drift_column_run must be >= 0");

	memset(&G, 0, sizeof(G));
	G.o = o;
	gdfo__rng_seed(&G.rng, o->seed * 0x2545f4914f6cdd1dULL + (uint64_t)o->family);
	G.volume = pow(1 + o->growth_per_run, o->run);
	G.skew_add = o->skew_shift_per_run * o->run;
	if (G.skew_add < -0.2)
		G.skew_add = -0.2; /* keeps skewed stages above 1 */
	G.new_column = o->drift_column_run > 0 && o->run >= o->drift_column_run;
	if (o->family == GDFO_GEN_IOT_STREAMING)
		scale = o->scale_bytes > 0 ? o->scale_bytes : logU(&G, 1e6, 1e10);
	else
		scale = o->scale_bytes > 0 ? o->scale_bytes : logU(&G, 1e7, 1e12);
	snprintf(name, sizeof(name), "%s-s%llu-r%d", family_names[o->family], (unsigned long long)o->seed, o->run);
	if ((rc = gdfo_graph_create(&G.g, name)))
		return rc;
	/* cluster and the host's default blueprint */
	{
		static const int cores[] = {2, 4, 8, 16};
		gdfo_graph_knobs_init(&kn, GDFO_GRAPH_KNOBS_VERSION);
		gdfo_cluster_init(&cl, GDFO_CLUSTER_VERSION);
		kn.executors = (int32_t)floor(logU(&G, 2, 64));
		kn.cores_per_executor = cores[pick(&G, 4)];
		kn.memory_per_executor_bytes = (int64_t)(kn.cores_per_executor * (int64_t)floor(U(&G, 1, 4.99)) *
							 1073741824LL);
		cl.executors_available = kn.executors * 2;
		{
			/* a cloud's core and memory prices (GCP N2 on demand) times a regional factor */
			double f = U(&G, 0.5, 3);
			cl.price_per_core_s = f * 0.031611 / 3600;
			cl.price_per_gib_s = f * 0.004237 / 3600;
		}
		cl.slo_ms = o->family == GDFO_GEN_IOT_STREAMING ? floor(U(&G, 10, 60)) * 1000.0 : 0;
	}
	switch (o->family) {
	case GDFO_GEN_RETAIL_ETL: retail(&G, scale); break;
	case GDFO_GEN_IOT_STREAMING: iot(&G, scale); break;
	case GDFO_GEN_TPCH: tpch(&G, scale); break;
	case GDFO_GEN_TPCDS: tpcds(&G, scale); break;
	default: random_dag(&G, scale, o->stages); break;
	}
	free(G.rows_out);
	free(G.w_out);
	if (!G.rc && (rc = gdfo_graph_set_knobs(G.g, &kn)))
		G.rc = rc;
	if (!G.rc && (rc = gdfo_graph_set_cluster(G.g, &cl)))
		G.rc = rc;
	if (!G.rc && (rc = gdfo_graph_validate(G.g)))
		G.rc = rc;
	if (G.rc) {
		gdfo_graph_free(G.g);
		return G.rc;
	}
	*out = G.g;
	return 0;
}
