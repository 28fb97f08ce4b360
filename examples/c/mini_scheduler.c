/*
 * A tiny scheduler that links libgdfo: it loads a pipeline, asks the rule-based
 * optimizer for a plan, prints why each change was made, and then "runs" the
 * stages in the plan's priority order (highest first among ready stages).
 *
 *   mini_scheduler PIPELINE.json
 */
#include <stdio.h>
#include <stdlib.h>

#include <gdfo/gdfo.h>

static int fail(const char *what)
{
	fprintf(stderr, "mini_scheduler: %s: %s\n", what, gdfo_last_error());
	return 2;
}

int main(int argc, char **argv)
{
	gdfo_graph *g;
	gdfo_plan *plan;
	const gdfo_graph *pg;
	size_t n, i, k, done = 0, *waiting;
	unsigned char *ran;

	if (argc != 2) {
		fprintf(stderr, "usage: mini_scheduler PIPELINE.json\n");
		return 2;
	}
	if (gdfo_graph_load(&g, argv[1]))
		return fail("loading the pipeline");
	if (gdfo_optimize_rules(&plan, g, NULL, NULL)) {
		gdfo_graph_free(g);
		return fail("optimizing");
	}
	printf("libgdfo %s: %zu change(s) to '%s'\n", gdfo_version_string(),
	       gdfo_plan_change_count(plan), gdfo_graph_name(g));
	for (i = 0; i < gdfo_plan_change_count(plan); i++) {
		gdfo_change c = {.version = GDFO_CHANGE_VERSION};
		gdfo_plan_change_at(&c, plan, i);
		printf("  [%s] %s\n         because %s\n", gdfo_change_kind_name(c.kind), c.what, c.why);
	}

	/* Run the rewritten graph: repeatedly pick the ready stage with the highest priority. */
	pg = gdfo_plan_graph(plan);
	n = gdfo_graph_stage_count(pg);
	waiting = calloc(n, sizeof(*waiting));
	ran = calloc(n, 1);
	if (!waiting || !ran) {
		fprintf(stderr, "mini_scheduler: out of memory\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		const size_t *par;
		gdfo_graph_parents(&par, &waiting[i], pg, i);
	}
	printf("execution order:\n");
	while (done < n) {
		size_t best = n;
		gdfo_stage s, b;
		gdfo_stage_init(&s, GDFO_STAGE_VERSION);
		b = s;
		for (i = 0; i < n; i++) {
			if (ran[i] || waiting[i])
				continue;
			gdfo_graph_stage_at(&s, pg, i);
			if (best == n || s.knobs->priority > b.knobs->priority) {
				best = i;
				b = s;
			}
		}
		if (best == n)
			break; /* cannot happen for a validated graph */
		{
			const size_t *ch;
			size_t nch;
			ran[best] = 1;
			done++;
			gdfo_graph_children(&ch, &nch, pg, best);
			for (k = 0; k < nch; k++)
				waiting[ch[k]]--;
		}
		printf("  %-24s %-9s partitions=%-5d priority=%d\n", b.name, gdfo_op_name(b.op),
		       b.knobs->partitions, b.knobs->priority);
	}
	free(waiting);
	free(ran);
	gdfo_plan_free(plan);
	gdfo_graph_free(g);
	return 0;
}
