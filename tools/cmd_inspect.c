/* gdfo inspect PIPELINE.json: validate a pipeline and describe it. */
#include <string.h>
#include <stdlib.h>

#include "cli.h"

static const char inspect_help[] =
	"usage: gdfo inspect [--json] PIPELINE.json\n"
	"\n"
	"Reads a gdfo-pipeline/1 document, validates it and describes it:\n"
	"stages in topological order with operator, statistics and knobs.\n"
	"\n"
	"  --json   print the description as one JSON object\n"
	"\n"
	"Exit status: 0 valid, 2 invalid input or usage, 1 other failure.\n";

int gdfo__cli_inspect(int argc, char **argv)
{
	const char *path = NULL;
	int json = 0, i, rc;
	gdfo_graph *g;
	size_t n, k, *order;
	uint64_t fp;

	if (gdfo__cli_wants_help(argc, argv)) {
		fputs(inspect_help, stdout);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "gdfo inspect: unknown option '%s'\n", gdfo__cli_quote(argv[i]));
			return GDFO__EXIT_USAGE;
		} else if (!path)
			path = argv[i];
		else {
			fprintf(stderr, "gdfo inspect: more than one pipeline given\n");
			return GDFO__EXIT_USAGE;
		}
	}
	if (!path) {
		fprintf(stderr, "gdfo inspect: no pipeline given (usage: gdfo inspect PIPELINE.json)\n");
		return GDFO__EXIT_USAGE;
	}
	if ((rc = gdfo_graph_load(&g, path)))
		return gdfo__cli_fail("inspect", rc);
	n = gdfo_graph_stage_count(g);
	order = malloc(n * sizeof(*order));
	if (!order || gdfo_graph_topo_order(order, gdfo_graph_stage_count(g), g) || gdfo_graph_fingerprint(&fp, g)) {
		free(order);
		gdfo_graph_free(g);
		return gdfo__cli_fail("inspect", GDFO_ENOMEM);
	}
	if (json) {
		printf("{\"valid\": true, \"name\": \"%s\", \"stages\": %zu, \"fingerprint\": \"%016llx\"}\n",
		       gdfo_graph_name(g), n, (unsigned long long)fp);
	} else {
		printf("pipeline '%s': %zu stages, valid, fingerprint %016llx\n", gdfo_graph_name(g), n,
		       (unsigned long long)fp);
		printf("%6s  %-24s %-10s %14s %14s %8s %6s\n", "id", "name", "op", "rows_in", "bytes_in",
		       "partns", "prio");
		for (k = 0; k < n; k++) {
			gdfo_stage s;
			gdfo_stage_init(&s, GDFO_STAGE_VERSION);
			gdfo_graph_stage_at(&s, g, order[k]);
			printf("%6lld  %-24.24s %-10s %14.0f %14.0f %8d %6d\n", (long long)s.id, s.name,
			       gdfo_op_name(s.op), s.stats->rows_in, s.stats->bytes_in, s.knobs->partitions,
			       s.knobs->priority);
		}
	}
	free(order);
	gdfo_graph_free(g);
	return 0;
}
