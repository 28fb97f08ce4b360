/*
 * Guessing a stage's operator from an event log. Spark names no operator
 * per stage: the Stage Name, the RDD names and RDD scopes hint at the
 * operators a stage ran (op_hint, scope_hint, collected while the events
 * are read), and pick_op chooses the one the stage is modelled as, with
 * its number of parents, when the graph is built.
 */
#include <string.h>

#include "io/ingest_internal.h"

static int contains(const char *s, size_t n, const char *needle)
{
	size_t m = strlen(needle), i;
	if (m > n)
		return 0;
	for (i = 0; i + m <= n; i++)
		if (s[i] == needle[0] && !memcmp(s + i, needle, m))
			return 1;
	return 0;
}

/*
 * Operators suggested by a Spark SQL plan node, RDD scope or RDD/stage
 * operation name. Order matters: "SortMergeJoin" is a join, not a sort.
 */
uint32_t gdfo__eventlog_op_hint(const char *s, size_t n)
{
	if (contains(s, n, "Join") || contains(s, n, "join") || contains(s, n, "Cartesian") ||
	    contains(s, n, "cogroup") || contains(s, n, "ZippedPartitions"))
		return 1u << GDFO_OP_JOIN;
	if (contains(s, n, "Aggregate") || contains(s, n, "reduceByKey") || contains(s, n, "groupBy") ||
	    contains(s, n, "aggregateByKey") || contains(s, n, "combineByKey") || contains(s, n, "countByKey") ||
	    contains(s, n, "distinct"))
		return 1u << GDFO_OP_AGGREGATE;
	if (contains(s, n, "Window"))
		return 1u << GDFO_OP_WINDOW;
	if (contains(s, n, "InsertInto") || contains(s, n, "WriteFiles") || contains(s, n, "saveAs") ||
	    contains(s, n, "DataWritingCommand") || contains(s, n, "AppendData") || contains(s, n, "OverwriteByExpression"))
		return 1u << GDFO_OP_SINK;
	if (contains(s, n, "Sort") || contains(s, n, "sortBy") || contains(s, n, "TakeOrdered") ||
	    contains(s, n, "takeOrdered"))
		return 1u << GDFO_OP_SORT;
	if (contains(s, n, "Union") || contains(s, n, "union"))
		return 1u << GDFO_OP_UNION;
	if (contains(s, n, "Filter") || contains(s, n, "filter"))
		return 1u << GDFO_OP_FILTER;
	if (contains(s, n, "Scan") || contains(s, n, "FileScanRDD") || contains(s, n, "HadoopRDD") ||
	    contains(s, n, "textFile") || contains(s, n, "parallelize") || contains(s, n, "makeRDD") ||
	    contains(s, n, "ParallelCollectionRDD"))
		return 1u << GDFO_OP_SOURCE;
	if (contains(s, n, "Python") || contains(s, n, "ArrowEval") || contains(s, n, "BatchEval") ||
	    contains(s, n, "ScalaUDF"))
		return 1u << GDFO_OP_UDF;
	return 0;
}

/* The "name" inside an RDD Scope string such as {"id":"2","name":"Exchange"}. */
uint32_t gdfo__eventlog_scope_hint(const gdfo__jstr *scope)
{
	char buf[1024];
	long n = gdfo__jstr_decode(scope, buf, sizeof(buf));
	gdfo__js j;
	gdfo__jstr k, v;
	int r, ok;
	uint32_t bits = 0;

	if (n < 0)
		return 0;
	j.p = (const unsigned char *)buf;
	j.end = j.p + n;
	r = gdfo__js_obj_begin(&j);
	while (r == 1) {
		if (gdfo__js_obj_key(&j, &k))
			return bits;
		if (GDFO__KEY(&k, "name")) {
			if (gdfo__js_str_or_skip(&j, &v, &ok))
				return bits;
			if (ok) {
				char name[256];
				long m = gdfo__jstr_decode(&v, name, sizeof(name));
				if (m > 0)
					bits = gdfo__eventlog_op_hint(name, (size_t)m);
			}
		} else if (gdfo__js_skip(&j)) {
			return bits;
		}
		r = gdfo__js_obj_next(&j);
	}
	return bits;
}

int gdfo__eventlog_pick_op(uint32_t bits, size_t n_parents)
{
#define HAS(op) (bits & (1u << (op)))
	if (HAS(GDFO_OP_SINK))
		return GDFO_OP_SINK;
	if (n_parents == 0)
		return GDFO_OP_SOURCE;
	if (n_parents >= 2 && HAS(GDFO_OP_UNION) && !HAS(GDFO_OP_JOIN))
		return GDFO_OP_UNION;
	if (n_parents >= 2 && HAS(GDFO_OP_JOIN))
		return GDFO_OP_JOIN;
	if (HAS(GDFO_OP_WINDOW))
		return GDFO_OP_WINDOW;
	if (HAS(GDFO_OP_AGGREGATE))
		return GDFO_OP_AGGREGATE;
	if (HAS(GDFO_OP_SORT))
		return GDFO_OP_SORT;
	if (n_parents >= 2)
		return GDFO_OP_JOIN; /* several shuffle inputs with the operators hidden by codegen */
	if (HAS(GDFO_OP_FILTER))
		return GDFO_OP_FILTER;
	if (HAS(GDFO_OP_UDF))
		return GDFO_OP_UDF;
	return GDFO_OP_PROJECT;
#undef HAS
}
