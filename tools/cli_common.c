/* Helpers shared by the gdfo subcommands, and the small ones. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int gdfo__cli_exit_code(int status)
{
	switch (status) {
	case GDFO_OK:
		return GDFO__EXIT_OK;
	case GDFO_EINVAL: case GDFO_EFORMAT: case GDFO_ECYCLE: case GDFO_ENOTFOUND:
	case GDFO_EEXISTS: case GDFO_ERANGE: case GDFO_EVERSION: case GDFO_ECHECKSUM:
	case GDFO_EILLEGAL: case GDFO_EIO:
		return GDFO__EXIT_USAGE;
	default:
		return GDFO__EXIT_FAIL;
	}
}

int gdfo__cli_fail(const char *cmd, int status)
{
	fprintf(stderr, "gdfo %s: %s\n", cmd, gdfo_last_error());
	return gdfo__cli_exit_code(status);
}

int gdfo__cli_wants_help(int argc, char **argv)
{
	int i;
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	return 0;
}

const char *gdfo__cli_quote(const char *s)
{
	static char buf[2][GDFO__CLI_QUOTE_MAX + 4];
	static int which;
	char *b = buf[which ^= 1];

	if (strlen(s) <= GDFO__CLI_QUOTE_MAX)
		return s;
	memcpy(b, s, GDFO__CLI_QUOTE_MAX);
	strcpy(b + GDFO__CLI_QUOTE_MAX, "...");
	return b;
}

int gdfo__cli_version(int argc, char **argv)
{
	if (gdfo__cli_wants_help(argc, argv)) {
		printf("usage: gdfo version\n\nPrints the libgdfo version.\n");
		return 0;
	}
	printf("gdfo %s\n", gdfo_version_string());
	return 0;
}

/* "throughput=1,latency=1,cost=1": weights not named are 0 once one is named. */
int gdfo__cli_parse_objective(const char *spec, gdfo_objective *o)
{
	const char *p = spec;
	int weights = 0;

	gdfo_objective_init(o, GDFO_OBJECTIVE_VERSION);
	while (*p) {
		const char *eq = strchr(p, '='), *comma;
		char key[32];
		double v;
		char *end;
		size_t n;

		if (!eq || (size_t)(eq - p) >= sizeof(key))
			return -1;
		n = (size_t)(eq - p);
		memcpy(key, p, n);
		key[n] = 0;
		v = strtod(eq + 1, &end);
		comma = end;
		if (end == eq + 1 || (*comma && *comma != ',') || !isfinite(v))
			return -1;
		if (!strcmp(key, "throughput") || !strcmp(key, "latency") || !strcmp(key, "cost")) {
			if (!weights++)
				o->throughput_weight = o->latency_weight = o->cost_weight = 0;
			*(key[0] == 't' ? &o->throughput_weight : key[0] == 'l' ? &o->latency_weight : &o->cost_weight) = v;
		} else if (!strcmp(key, "slo_ms")) {
			o->slo_ms = v;
		} else if (!strcmp(key, "cost_ceiling")) {
			o->cost_ceiling = v;
		} else if (!strcmp(key, "failure_penalty")) {
			o->failure_penalty = v;
		} else {
			return -1;
		}
		p = *comma ? comma + 1 : comma;
	}
	return 0;
}

/*
 * The model the learned optimizer uses when none is named: $GDFO_MODEL,
 * else models/default.gdfonn one directory above the executable's (the
 * build tree of a checkout), else NULL (the library's installed default).
 */
const char *gdfo__cli_default_model(char *buf, size_t size)
{
	const char *env = getenv(GDFO_MODEL_ENV);
	ssize_t n;
	char *slash;

	if (env)
		return env;
	n = readlink("/proc/self/exe", buf, size - 40);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	if (!(slash = strrchr(buf, '/')))
		return NULL;
	*slash = '\0';
	if (!(slash = strrchr(buf, '/')))
		return NULL;
	strcpy(slash, "/models/default.gdfonn");
	return access(buf, R_OK) == 0 ? buf : NULL;
}
