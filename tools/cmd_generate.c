/* gdfo generate FAMILY --seed S: write a generated pipeline. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char generate_help[] =
	"usage: gdfo generate FAMILY [--seed S] [--run K] [--scale-bytes B] [--stages N]\n"
	"                     [--growth G] [--skew-shift D] [--column-run K] [--out FILE]\n"
	"\n"
	"Writes a generated gdfo-pipeline/1 document (stdout unless --out).\n"
	"FAMILY is one of: retail-etl, iot-streaming, tpch, tpcds, random.\n"
	"\n"
	"  --seed S          random seed: shape, sizes, skew, cluster (default 1)\n"
	"  --run K           position in a drifting sequence of runs (default 0)\n"
	"  --scale-bytes B   total source bytes (default: drawn, 10 MB..1 TB;\n"
	"                    iot-streaming: 1 MB..10 GB per micro-batch)\n"
	"  --stages N        random family: stage count before sinks (default: 8..40)\n"
	"  --growth G        drift: volume growth per run (default 0.05)\n"
	"  --skew-shift D    drift: skew added per run on skewed stages (default 0.1)\n"
	"  --column-run K    drift: sources gain a column from run K, 0 = never (default 5)\n"
	"  --out FILE        write to FILE (atomically) instead of stdout\n"
	"\n"
	"Exit status: 0 success, 2 invalid input or usage, 1 other failure.\n";

static int bad(const char *opt, const char *v)
{
	fprintf(stderr, "gdfo generate: invalid value '%s' for %s (see 'gdfo generate --help')\n", gdfo__cli_quote(v), opt);
	return GDFO__EXIT_USAGE;
}

int gdfo__cli_generate(int argc, char **argv)
{
	gdfo_gen_options o;
	gdfo_graph *g = NULL;
	const char *family = NULL, *outp = NULL;
	char *json = NULL, *end;
	int i, rc, fam;

	if (gdfo__cli_wants_help(argc, argv)) {
		fputs(generate_help, stdout);
		return 0;
	}
	gdfo_gen_options_init(&o, GDFO_GEN_OPTIONS_VERSION);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (a[0] != '-') {
			if (family) {
				fprintf(stderr, "gdfo generate: more than one family given ('%s', '%s')\n", gdfo__cli_quote(family), gdfo__cli_quote(a));
				return GDFO__EXIT_USAGE;
			}
			family = a;
			continue;
		}
		if (!v) {
			fprintf(stderr, "gdfo generate: option %s needs a value (see 'gdfo generate --help')\n", gdfo__cli_quote(a));
			return GDFO__EXIT_USAGE;
		}
		errno = 0;
		if (!strcmp(a, "--seed")) {
			o.seed = strtoull(v, &end, 10);
			if (errno || *end || end == v || v[0] == '-')
				return bad(a, v);
		} else if (!strcmp(a, "--run")) {
			long x = strtol(v, &end, 10);
			if (errno || *end || end == v || x < 0 || x > 1000000)
				return bad(a, v);
			o.run = (int32_t)x;
		} else if (!strcmp(a, "--stages")) {
			long x = strtol(v, &end, 10);
			if (errno || *end || end == v || x < 2 || x > 10000)
				return bad(a, v);
			o.stages = (int32_t)x;
		} else if (!strcmp(a, "--column-run")) {
			long x = strtol(v, &end, 10);
			if (errno || *end || end == v || x < 0 || x > 1000000)
				return bad(a, v);
			o.drift_column_run = (int32_t)x;
		} else if (!strcmp(a, "--scale-bytes") || !strcmp(a, "--growth") || !strcmp(a, "--skew-shift")) {
			double x = strtod(v, &end);
			if (errno || *end || end == v)
				return bad(a, v);
			if (!strcmp(a, "--scale-bytes"))
				o.scale_bytes = x;
			else if (!strcmp(a, "--growth"))
				o.growth_per_run = x;
			else
				o.skew_shift_per_run = x;
		} else if (!strcmp(a, "--out")) {
			outp = v;
		} else {
			fprintf(stderr, "gdfo generate: unknown option '%s' (see 'gdfo generate --help')\n", gdfo__cli_quote(a));
			return GDFO__EXIT_USAGE;
		}
		i++;
	}
	if (!family) {
		fprintf(stderr, "gdfo generate: no family given (retail-etl, iot-streaming, tpch, tpcds, random)\n");
		return GDFO__EXIT_USAGE;
	}
	if ((rc = gdfo_gen_family_find(&fam, family)))
		return gdfo__cli_fail("generate", rc);
	o.family = fam;
	if ((rc = gdfo_generate(&g, &o)))
		return gdfo__cli_fail("generate", rc);
	if (outp)
		rc = gdfo_graph_save(g, outp);
	else if (!(rc = gdfo_graph_to_json(&json, g)))
		fputs(json, stdout);
	gdfo_free(json);
	gdfo_graph_free(g);
	if (rc)
		return gdfo__cli_fail("generate", rc);
	return 0;
}
