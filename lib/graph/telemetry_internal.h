/* Telemetry's representation, for the JSON codec and the learning loop. */
#ifndef GDFO_TELEMETRY_INTERNAL_H
#define GDFO_TELEMETRY_INTERNAL_H

#include <stdio.h>

#include "core/internal.h"
#include "gdfo/telemetry.h"

struct gdfo_telemetry {
	gdfo_run_telemetry run;
	gdfo_stage_telemetry *stages;
	size_t n, cap;
	uint64_t fingerprint;  /* of the pipeline measured, when has_fingerprint */
	int has_fingerprint;
};

/* Table of the double-valued measurements, shared by checks and JSON. */
typedef struct gdfo__field {
	const char *name;
	size_t offset;
} gdfo__field;

extern const gdfo__field gdfo__stage_telemetry_fields[]; /* NULL-terminated */
extern const gdfo__field gdfo__run_telemetry_fields[];

#endif
