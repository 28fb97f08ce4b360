/* Helpers shared by the gdfo subcommands, and the small ones. */
#include <string.h>

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
