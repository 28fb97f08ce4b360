/*
 * Faithfulness of the simulator against real runs (docs/simulator.md).
 *
 * usage: bench/faithfulness spark NAME PROFILE.json TELEMETRY.json
 *        bench/faithfulness wf WFCOMMONS.json
 *
 * spark: replays the profile that `gdfo ingest --profile` built from a real
 * Spark event log, with the log's executor and core counts, and compares
 *   - every stage replayed alone (exact replay on the same cores) with the
 *     stage's measured duration (first task start to last task end);
 *   - the whole job with the measured application latency, two ways: the
 *     profile's DAG as is (independent jobs overlap), and "job-serial"
 *     (connected components of the DAG run one after another in stage-id
 *     order, as a driver submitting one action at a time does);
 *   - the scaling of real stages: bytes moved per core-second of task time.
 * wf: builds a profile from a WfCommons instance (one single-task stage per
 * workflow task, its measured runtime, the machine's cores) and compares
 * the simulated makespan with the measured one.
 * Prints one JSON object per input on stdout.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gdfo/gdfo.h"

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmpd);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n;
	char *b;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n + 1);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	if (b)
		b[n] = 0;
	fclose(f);
	return b;
}

static int find_root(int *par, int x)
{
	while (par[x] != x)
		x = par[x] = par[par[x]];
	return x;
}

/* The per-stage gap (ms) at which the replayed makespan equals target, by bisection; -1 if none. */
static double fit_gap(gdfo_sim *sim, const gdfo_profile *p, double target)
{
	gdfo_sim_options o;
	gdfo_sim_result r = {.version = GDFO_SIM_RESULT_VERSION};
	double lo = 0, hi = target, mid = 0;
	int it;
	gdfo_sim_options_init(&o, GDFO_SIM_OPTIONS_VERSION);
	if (gdfo_sim_run_profile(&r, sim, p, &o) || r.makespan_ms >= target)
		return -1;
	for (it = 0; it < 50; it++) {
		mid = 0.5 * (lo + hi);
		o.replay_stage_gap_ms = mid;
		if (gdfo_sim_run_profile(&r, sim, p, &o))
			return -1;
		if (r.makespan_ms < target)
			lo = mid;
		else
			hi = mid;
	}
	return mid;
}

static int spark(const char *name, const char *ppath, const char *tpath)
{
	gdfo_profile *p, *ser = NULL;
	gdfo_telemetry *t;
	gdfo_sim *sim;
	gdfo_sim_result r = {.version = GDFO_SIM_RESULT_VERSION}, rs = {.version = GDFO_SIM_RESULT_VERSION};
	gdfo_run_telemetry run = {.version = GDFO_RUN_TELEMETRY_VERSION};
	size_t n, i, k, ne = 0;
	double *err, *tput, meas_sum = 0;
	size_t nerr = 0, ntput = 0;
	int *par, *comp_order;
	double serial_ms = -1, gap = -1;

	if (gdfo_profile_load(&p, ppath) || gdfo_telemetry_load(&t, tpath) || gdfo_sim_create(&sim, NULL)) {
		fprintf(stderr, "faithfulness: %s\n", gdfo_last_error());
		return 1;
	}
	n = gdfo_profile_stage_count(p);
	err = calloc(n + 1, sizeof(double));
	tput = calloc(n + 1, sizeof(double));
	par = calloc(n + 1, sizeof(int));
	comp_order = calloc(n + 1, sizeof(int));
	gdfo_telemetry_get_run(&run, t);
	/* stages alone */
	for (i = 0; i < n; i++) {
		gdfo_profile_stage s = {.version = GDFO_PROFILE_STAGE_VERSION}, one = {.version = GDFO_PROFILE_STAGE_VERSION};
		gdfo_profile *q;
		gdfo_stage_telemetry st = {.version = GDFO_STAGE_TELEMETRY_VERSION};
		gdfo_profile_stage_at(&s, p, i);
		ne += s.n_parents;
		if (gdfo_telemetry_find(&st, t, s.id) || st.duration_ms < 0 || s.n_task_ms == 0)
			continue;
		one = s;
		one.parents = NULL;
		one.n_parents = 0;
		if (gdfo_profile_create(&q, "one", gdfo_profile_executors(p), gdfo_profile_cores_per_executor(p)) ||
		    gdfo_profile_add_stage(q, &one) || gdfo_sim_run_profile(&r, sim, q, NULL)) {
			fprintf(stderr, "faithfulness: %s\n", gdfo_last_error());
			return 1;
		}
		gdfo_profile_free(q);
		if (st.duration_ms >= 1) {
			err[nerr++] = fabs(r.makespan_ms - st.duration_ms) / st.duration_ms;
			meas_sum += st.duration_ms;
		}
		{
			double bytes = 0, work = 0;
			for (k = 0; k < s.n_task_ms; k++)
				work += s.task_ms[k];
			if (s.has_bytes & GDFO_PROFILE_INPUT_BYTES)
				bytes += (double)s.input_bytes;
			if (s.has_bytes & GDFO_PROFILE_SHUFFLE_READ_BYTES)
				bytes += (double)s.shuffle_read_bytes;
			if (s.has_bytes & GDFO_PROFILE_SHUFFLE_WRITE_BYTES)
				bytes += (double)s.shuffle_write_bytes;
			if (bytes >= 1e6 && work >= 1000)
				tput[ntput++] = bytes / (work / 1000.0);
		}
	}
	/* the DAG as is */
	if (gdfo_sim_run_profile(&r, sim, p, NULL)) {
		fprintf(stderr, "faithfulness: %s\n", gdfo_last_error());
		return 1;
	}
	/* job-serial: components in order, each waiting for the previous one */
	for (i = 0; i < n; i++)
		par[i] = (int)i;
	for (i = 0; i < n; i++) {
		gdfo_profile_stage s = {.version = GDFO_PROFILE_STAGE_VERSION};
		size_t pi;
		gdfo_profile_stage_at(&s, p, i);
		for (k = 0; k < s.n_parents; k++) {
			gdfo_profile_find(&pi, p, s.parents[k]);
			par[find_root(par, (int)i)] = find_root(par, (int)pi);
		}
	}
	if (!gdfo_profile_create(&ser, gdfo_profile_name(p), gdfo_profile_executors(p),
				 gdfo_profile_cores_per_executor(p))) {
		/* components ordered by their first stage; stages in profile order */
		int ok = 1, c, nc = 0;
		int64_t *prev_ids = calloc(n + 1, sizeof(int64_t)), *cur_ids = calloc(n + 1, sizeof(int64_t));
		int64_t *pl = calloc(n + ne + 1, sizeof(int64_t));
		size_t nprev = 0, ncur;
		for (i = 0; i < n; i++)
			if (find_root(par, (int)i) == (int)i || 1) {
				int rt = find_root(par, (int)i), seen = 0;
				for (c = 0; c < nc; c++)
					seen |= comp_order[c] == rt;
				if (!seen)
					comp_order[nc++] = rt;
			}
		for (c = 0; c < nc && ok; c++) {
			ncur = 0;
			for (i = 0; i < n && ok; i++) {
				gdfo_profile_stage s = {.version = GDFO_PROFILE_STAGE_VERSION};
				size_t m = 0;
				if (find_root(par, (int)i) != comp_order[c])
					continue;
				gdfo_profile_stage_at(&s, p, i);
				for (k = 0; k < s.n_parents; k++)
					pl[m++] = s.parents[k];
				if (s.n_parents == 0)
					for (k = 0; k < nprev; k++)
						pl[m++] = prev_ids[k];
				s.parents = pl;
				s.n_parents = m;
				if (gdfo_profile_add_stage(ser, &s))
					ok = 0;
				cur_ids[ncur++] = s.id;
			}
			memcpy(prev_ids, cur_ids, ncur * sizeof(int64_t));
			nprev = ncur;
		}
		if (ok && !gdfo_sim_run_profile(&rs, sim, ser, NULL)) {
			serial_ms = rs.makespan_ms;
			gap = fit_gap(sim, ser, run.latency_ms);
		}
		free(prev_ids);
		free(cur_ids);
		free(pl);
	}
	{
		double worst = 0;
		for (i = 0; i < nerr; i++)
			if (err[i] > worst)
				worst = err[i];
		printf("{\"bench\": \"sim-faithfulness\", \"input\": \"%s\", \"kind\": \"spark\", \"executors\": %d, \"cores\": %d, "
		       "\"stages\": %zu, \"stage_err_median\": %.4f, \"stage_err_worst\": %.4f, "
		       "\"measured_ms\": %.0f, \"sim_dag_ms\": %.0f, \"sim_serial_ms\": %.0f, \"stage_ms_sum\": %.0f, "
		       "\"bytes_per_core_s_median\": %.0f, \"stages_with_bytes\": %zu, \"fit_stage_gap_ms\": %.1f}\n",
		       name, gdfo_profile_executors(p), gdfo_profile_cores_per_executor(p), nerr, median(err, nerr), worst,
		       run.latency_ms, r.makespan_ms, serial_ms, meas_sum, median(tput, ntput), ntput, gap);
	}
	free(err);
	free(tput);
	free(par);
	free(comp_order);
	gdfo_profile_free(ser);
	gdfo_profile_free(p);
	gdfo_telemetry_free(t);
	gdfo_sim_free(sim);
	return 0;
}

static int wf(const char *path)
{
	char *text = slurp(path);
	cJSON *root, *w, *spec, *exe, *tasks, *etasks, *mach;
	gdfo_profile *p;
	gdfo_sim *sim;
	gdfo_sim_result r = {.version = GDFO_SIM_RESULT_VERSION};
	int n, i, j, cores = 48, added = 0, *done;
	double makespan, *rt;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	if (!text || !(root = cJSON_Parse(text))) {
		fprintf(stderr, "faithfulness: cannot read %s\n", path);
		return 1;
	}
	w = cJSON_GetObjectItem(root, "workflow");
	spec = cJSON_GetObjectItem(w, "specification");
	exe = cJSON_GetObjectItem(w, "execution");
	tasks = cJSON_GetObjectItem(spec, "tasks");
	etasks = cJSON_GetObjectItem(exe, "tasks");
	makespan = cJSON_GetObjectItem(exe, "makespanInSeconds")->valuedouble * 1000.0;
	mach = cJSON_GetArrayItem(cJSON_GetObjectItem(exe, "machines"), 0);
	if (mach && cJSON_GetObjectItem(mach, "cpu"))
		cores = cJSON_GetObjectItem(cJSON_GetObjectItem(mach, "cpu"), "coreCount")->valueint;
	n = cJSON_GetArraySize(tasks);
	rt = calloc((size_t)n, sizeof(double));
	done = calloc((size_t)n, sizeof(int));
	for (i = 0; i < n; i++) {
		const char *id = cJSON_GetObjectItem(cJSON_GetArrayItem(tasks, i), "id")->valuestring;
		for (j = 0; j < cJSON_GetArraySize(etasks); j++) {
			cJSON *e = cJSON_GetArrayItem(etasks, j);
			if (!strcmp(cJSON_GetObjectItem(e, "id")->valuestring, id))
				rt[i] = cJSON_GetObjectItem(e, "runtimeInSeconds")->valuedouble * 1000.0;
		}
	}
	if (gdfo_profile_create(&p, base, 1, cores) || gdfo_sim_create(&sim, NULL))
		return 1;
	/* add tasks once their parents are in (Kahn by repeated passes) */
	while (added < n) {
		int progress = 0;
		for (i = 0; i < n; i++) {
			cJSON *t = cJSON_GetArrayItem(tasks, i), *ps = cJSON_GetObjectItem(t, "parents");
			int np = cJSON_GetArraySize(ps), ready = 1, q;
			int64_t pids[256];
			gdfo_profile_stage s = {.version = GDFO_PROFILE_STAGE_VERSION};
			if (done[i])
				continue;
			for (q = 0; q < np && q < 256; q++) {
				const char *pid = cJSON_GetArrayItem(ps, q)->valuestring;
				for (j = 0; j < n; j++)
					if (!strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(tasks, j), "id")->valuestring, pid)) {
						if (!done[j])
							ready = 0;
						pids[q] = j;
					}
			}
			if (!ready)
				continue;
			gdfo_profile_stage_init(&s, GDFO_PROFILE_STAGE_VERSION);
			s.id = i;
			s.parents = pids;
			s.n_parents = (size_t)(np < 256 ? np : 256);
			s.num_tasks = 1;
			s.task_ms = &rt[i];
			s.n_task_ms = 1;
			if (gdfo_profile_add_stage(p, &s)) {
				fprintf(stderr, "faithfulness: %s\n", gdfo_last_error());
				return 1;
			}
			done[i] = 1;
			added++;
			progress = 1;
		}
		if (!progress) {
			fprintf(stderr, "faithfulness: %s has a cycle\n", path);
			return 1;
		}
	}
	if (gdfo_sim_run_profile(&r, sim, p, NULL)) {
		fprintf(stderr, "faithfulness: %s\n", gdfo_last_error());
		return 1;
	}
	printf("{\"bench\": \"sim-faithfulness\", \"input\": \"%s\", \"kind\": \"wfcommons\", \"tasks\": %d, \"cores\": %d, "
	       "\"measured_ms\": %.0f, \"sim_ms\": %.0f, \"err\": %.4f, \"critical_path_ms\": %.0f, \"work_ms\": %.0f, \"fit_stage_gap_ms\": %.1f}\n",
	       base, n, cores, makespan, r.makespan_ms, fabs(r.makespan_ms - makespan) / makespan, r.critical_path_ms,
	       r.work_ms, fit_gap(sim, p, makespan));
	free(rt);
	free(done);
	cJSON_Delete(root);
	free(text);
	gdfo_profile_free(p);
	gdfo_sim_free(sim);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "spark"))
		return spark(argv[2], argv[3], argv[4]);
	if (argc == 3 && !strcmp(argv[1], "wf"))
		return wf(argv[2]);
	fprintf(stderr, "usage: %s spark NAME PROFILE.json TELEMETRY.json | wf WFCOMMONS.json\n", argv[0]);
	return 2;
}
