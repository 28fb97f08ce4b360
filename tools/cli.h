/* Subcommands of the gdfo CLI; each takes argv starting at its own name. */
#ifndef GDFO_CLI_H
#define GDFO_CLI_H

#include <stdio.h>

#include "gdfo/gdfo.h"

#define GDFO__EXIT_OK 0
#define GDFO__EXIT_FAIL 1
#define GDFO__EXIT_USAGE 2

/* Maps a library status to the CLI's exit code (bad input 2, otherwise 1). */
int gdfo__cli_exit_code(int status);

/* Prints "gdfo CMD: <last error>" on stderr and returns the exit code. */
int gdfo__cli_fail(const char *cmd, int status);

/* 1 when argv holds --help or -h. */
int gdfo__cli_wants_help(int argc, char **argv);

/*
 * s for an error message: at most GDFO__CLI_QUOTE_MAX bytes of it, with
 * "..." when cut, so that a huge argument is not repeated whole. The
 * result lives in one of two static buffers (two quotes per message).
 */
#define GDFO__CLI_QUOTE_MAX 64
const char *gdfo__cli_quote(const char *s);

/*
 * Parses an objective ("throughput=1,latency=1,cost=1", keys throughput,
 * latency, cost, slo_ms, cost_ceiling, failure_penalty; the weights not named
 * are 0 once one is named) over gdfo_objective_init's defaults. Returns -1 on
 * a malformed spec; the caller validates the values (gdfo_objective_validate).
 */
int gdfo__cli_parse_objective(const char *spec, gdfo_objective *o);

/*
 * The model the learned optimizer uses when none is named: $GDFO_MODEL,
 * else models/default.gdfonn one directory above the executable's (a
 * build tree), else NULL (the library's installed default). buf holds it.
 */
const char *gdfo__cli_default_model(char *buf, size_t size);

int gdfo__cli_advise(int argc, char **argv);
int gdfo__cli_audit(int argc, char **argv);
int gdfo__cli_feedback(int argc, char **argv);
int gdfo__cli_loop(int argc, char **argv);
int gdfo__cli_diagnose(int argc, char **argv);
int gdfo__cli_generate(int argc, char **argv);
int gdfo__cli_ingest(int argc, char **argv);
int gdfo__cli_inspect(int argc, char **argv);
int gdfo__cli_optimize(int argc, char **argv);
int gdfo__cli_simulate(int argc, char **argv);
int gdfo__cli_space(int argc, char **argv);
int gdfo__cli_train(int argc, char **argv);
int gdfo__cli_version(int argc, char **argv);

#endif
