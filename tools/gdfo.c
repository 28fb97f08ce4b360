/*
 * gdfo: the command-line front end of libgdfo.
 * Exit status: 0 success, 2 bad input or usage, 1 any other failure.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{"advise", gdfo__cli_advise, "advise a Spark configuration for the next run; the what-if table over executors"},
	{"audit", gdfo__cli_audit, "print a state directory's audit log (a table, or --json)"},
	{"diagnose", gdfo__cli_diagnose, "ranked findings from a Spark event log, a job profile or telemetry"},
	{"feedback", gdfo__cli_feedback, "report a run's telemetry for a plan of a state directory"},
	{"generate", gdfo__cli_generate, "write a generated pipeline (retail-etl, iot-streaming, tpch, tpcds, random)"},
	{"ingest", gdfo__cli_ingest, "read a Spark event log: summary, profile, pipeline, telemetry"},
	{"inspect", gdfo__cli_inspect, "validate a pipeline and describe it"},
	{"loop", gdfo__cli_loop, "run the closed loop against the simulator as the engine"},
	{"optimize", gdfo__cli_optimize, "plan a pipeline with the rule-based optimizer"},
	{"simulate", gdfo__cli_simulate, "simulate a pipeline or plan, or replay a job profile"},
	{"space", gdfo__cli_space, "list a pipeline's decision space; apply, sample or locate points"},
	{"train", gdfo__cli_train, "train the learned optimizer's policy model in the simulator"},
	{"version", gdfo__cli_version, "print the library version"},
};

static void usage(FILE *f)
{
	size_t i;
	fprintf(f, "usage: gdfo COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'gdfo COMMAND --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version"))
		return gdfo__cli_version(argc - 1, argv + 1);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "gdfo: unknown command '%s' (try 'gdfo --help')\n", gdfo__cli_quote(argv[1]));
	return 2;
}
