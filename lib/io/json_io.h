/*
 * Building blocks of the pipeline and telemetry JSON codecs, for formats
 * that embed them (plans embed a pipeline; cluster files read "cluster").
 */
#ifndef GDFO_JSON_IO_H
#define GDFO_JSON_IO_H

#include <cjson/cJSON.h>

#include "gdfo/graph.h"
#include "gdfo/telemetry.h"

/*
 * Reads a pipeline object (name, knobs, cluster, stages; "format" is not
 * checked) and validates it. path prefixes error locations ("" at the root).
 */
int gdfo__json_read_graph(gdfo_graph **out, const cJSON *obj, const char *path);

/* Adds name, knobs, cluster and stages of g to obj. */
int gdfo__json_write_graph_fields(cJSON *obj, const gdfo_graph *g);

/* A complete pipeline document, "format" first. */
int gdfo__json_graph_to_cjson(cJSON **out, const gdfo_graph *g);

/* Read the optional "knobs" / "cluster" members of obj (zeroed when absent). */
int gdfo__json_read_graph_knobs(gdfo_graph_knobs *out, const cJSON *obj, const char *path);
int gdfo__json_read_cluster(gdfo_cluster *out, const cJSON *obj, const char *path);

/* Telemetry object (run and stages) without the format check / with "format". */
int gdfo__json_read_telemetry(gdfo_telemetry **out, const cJSON *obj, const char *path);
int gdfo__json_telemetry_to_cjson(cJSON **out, const gdfo_telemetry *t);

#endif
