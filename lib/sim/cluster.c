/*
 * Cluster parameters of the execution model: defaults, validation and the
 * gdfo-cluster/1 JSON format. One table describes every field (name, type,
 * range, default) so that the reader, the writer, the validator and the
 * documentation cannot drift apart.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/abi.h"
#include "core/json_write.h"
#include "io/json_util.h"
#include "sim/sim_internal.h"

enum { F_I32, F_I64, F_DBL };

typedef struct field {
	const char *name;
	int type;
	size_t off;
	double min, max, def;
} field;

#define MIB (1024.0 * 1024.0)
#define GIB (1024.0 * MIB)
#define D(n, lo, hi, dv) {#n, F_DBL, offsetof(gdfo_sim_cluster, n), lo, hi, dv}

/* Defaults: see docs/simulator.md for where each comes from. */
static const field fields[] = {
	{"executors", F_I32, offsetof(gdfo_sim_cluster, executors), 1, 100000, 8},
	{"cores_per_executor", F_I32, offsetof(gdfo_sim_cluster, cores_per_executor), 1, 1024, 4},
	{"shuffle_partitions", F_I32, offsetof(gdfo_sim_cluster, shuffle_partitions), 1, 1000000, 200},
	{"memory_per_executor_bytes", F_I64, offsetof(gdfo_sim_cluster, memory_per_executor_bytes), 64 * MIB,
	 1099511627776.0 * 64, 8 * GIB},
	D(memory_fraction, 1e-3, 1, 0.6),
	D(storage_fraction, 0, 1, 0.5),
	D(scan_bytes_per_s, 1, 1e13, 150e6),
	D(process_bytes_per_s, 1, 1e13, 400e6),
	D(network_bytes_per_s, 1, 1e13, 1.25e9),
	D(disk_bytes_per_s, 1, 1e13, 400e6),
	D(write_bytes_per_s, 1, 1e13, 80e6),
	D(materialize_bytes_per_s, 1, 1e13, 500e6),
	D(cpu_ns_per_row, 0, 1e9, 50),
	D(sort_ns_per_row_log2, 0, 1e9, 8),
	D(hash_ns_per_row, 0, 1e9, 40),
	D(task_launch_ms, 0, 1e9, 10),
	D(stage_overhead_ms, 0, 1e9, 50),
	D(executor_start_ms, 0, 1e9, 3000),
	D(file_open_ms, 0, 1e9, 15),
	D(file_commit_ms, 0, 1e9, 40),
	D(split_bytes, 1024, 1e15, 128 * MIB),
	D(source_file_bytes, 1024, 1e15, 128 * MIB),
	D(broadcast_threshold_bytes, 0, 1e15, 10 * MIB),
	D(broadcast_max_bytes, 0, 1e15, 8 * GIB),
	D(memory_expansion, 1, 1000, 2),
	D(spill_penalty, 0, 1000, 2),
	D(price_per_executor_s, 0, 1e9, 0),
	D(storage_price_per_byte, 0, 1, 2.3e-11),
	D(table_reads_per_run, 0, 1e6, 1),
	D(price_per_core_s, 0, 1e9, 0.031611 / 3600),
	D(price_per_gib_s, 0, 1e9, 0.004237 / 3600),
};

#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

static double get(const gdfo_sim_cluster *c, const field *f)
{
	const char *p = (const char *)c + f->off;
	switch (f->type) {
	case F_I32: return (double)*(const int32_t *)p;
	case F_I64: return (double)*(const int64_t *)p;
	default: return *(const double *)p;
	}
}

static void set(gdfo_sim_cluster *c, const field *f, double v)
{
	char *p = (char *)c + f->off;
	switch (f->type) {
	case F_I32: *(int32_t *)p = (int32_t)v; break;
	case F_I64: *(int64_t *)p = (int64_t)v; break;
	default: *(double *)p = v; break;
	}
}

int gdfo_sim_cluster_init(gdfo_sim_cluster *c, unsigned int version)
{
	gdfo_sim_cluster d;
	size_t i;
	memset(&d, 0, sizeof(d));
	for (i = 0; i < N_FIELDS; i++)
		set(&d, &fields[i], fields[i].def);
	return gdfo__abi_init(c, version, &d, GDFO__ABI_SIM_CLUSTER, "gdfo_sim_cluster_init");
}

int gdfo_sim_cluster_validate(const gdfo_sim_cluster *c)
{
	size_t i;
	if (!c)
		return gdfo__error(GDFO_EINVAL, "cluster is NULL");
	if (c->version != gdfo__abi_latest(GDFO__ABI_SIM_CLUSTER)) {
		gdfo_sim_cluster full;
		int rc;
		gdfo_sim_cluster_init(&full, GDFO_SIM_CLUSTER_VERSION);
		if ((rc = gdfo__abi_in(&full, c, &full, GDFO__ABI_SIM_CLUSTER, "gdfo_sim_cluster_validate")))
			return rc;
		return gdfo_sim_cluster_validate(&full);
	}
	for (i = 0; i < N_FIELDS; i++) {
		double v = get(c, &fields[i]);
		if (!gdfo__finite(v) || v < fields[i].min || v > fields[i].max)
			return gdfo__error(GDFO_EINVAL, "cluster: %s is %g; it must be in %g..%g", fields[i].name, v,
					   fields[i].min, fields[i].max);
	}
	return 0;
}

static int from_cjson(gdfo_sim_cluster *out, const cJSON *root)
{
	const cJSON *it;
	size_t i;
	int rc;

	if ((rc = gdfo__json_check_format(root, "gdfo-cluster", "cluster")))
		return rc;
	if ((rc = gdfo__json_expect_object(root, "cluster")))
		return rc;
	for (it = root->child; it; it = it->next) {
		int known = !strcmp(it->string, "format") || !strcmp(it->string, "name") ||
			    !strcmp(it->string, "description");
		for (i = 0; i < N_FIELDS && !known; i++)
			if (!strcmp(it->string, fields[i].name))
				known = 1;
		if (!known)
			return gdfo__error(GDFO_EFORMAT, "cluster: unknown field '%s' (a misspelt constant would be ignored; see docs/simulator.md for the fields)",
					   it->string);
	}
	for (i = 0; i < N_FIELDS; i++) {
		const field *f = &fields[i];
		if (f->type == F_DBL) {
			double v;
			if ((rc = gdfo__json_number(&v, root, f->name, "cluster", 0, get(out, f), f->min, f->max)))
				return rc;
			set(out, f, v);
		} else {
			int64_t v;
			if ((rc = gdfo__json_int(&v, root, f->name, "cluster", 0, (int64_t)get(out, f),
						 (int64_t)f->min, (int64_t)f->max)))
				return rc;
			set(out, f, (double)v);
		}
	}
	{
		const char *name;
		if ((rc = gdfo__json_string(&name, root, "name", "cluster", 0, NULL)))
			return rc;
	}
	return gdfo_sim_cluster_validate(out);
}

int gdfo_sim_cluster_from_json(gdfo_sim_cluster *out, const char *json, size_t len)
{
	cJSON *root;
	gdfo_sim_cluster c;
	int rc;
	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_sim_cluster_from_json: out is NULL");
	gdfo_sim_cluster_init(&c, GDFO_SIM_CLUSTER_VERSION);
	if ((rc = gdfo__json_parse(&root, json, len, "cluster")))
		return rc;
	rc = from_cjson(&c, root);
	cJSON_Delete(root);
	if (!rc)
		*out = c;
	return rc;
}

int gdfo_sim_cluster_load(gdfo_sim_cluster *out, const char *path)
{
	cJSON *root;
	gdfo_sim_cluster c;
	int rc;
	if (!out || !path)
		return gdfo__error(GDFO_EINVAL, "gdfo_sim_cluster_load: NULL argument");
	gdfo_sim_cluster_init(&c, GDFO_SIM_CLUSTER_VERSION);
	if ((rc = gdfo__json_load(&root, path, "cluster")))
		return rc;
	rc = from_cjson(&c, root);
	cJSON_Delete(root);
	if (rc)
		return gdfo__error_prefix(rc, "'%s'", path);
	*out = c;
	return 0;
}

int gdfo_sim_cluster_to_json(char **out, const gdfo_sim_cluster *c)
{
	gdfo__jsonw w = {0};
	size_t i;
	int rc;
	if (out)
		*out = NULL;
	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_sim_cluster_to_json: out is NULL");
	if ((rc = gdfo_sim_cluster_validate(c)))
		return rc;
	gdfo__jsonw_raw(&w, "{\n  \"format\": \"%s\"", GDFO_SIM_CLUSTER_FORMAT);
	for (i = 0; i < N_FIELDS; i++) {
		gdfo__jsonw_raw(&w, ",\n  \"%s\": ", fields[i].name);
		gdfo__jsonw_number(&w, get(c, &fields[i]), fields[i].type == F_DBL ? 17 : 0, fields[i].name);
	}
	gdfo__jsonw_raw(&w, "\n}\n");
	return gdfo__jsonw_finish(&w, out);
}
