/*
 * Durability of the closed loop's state directory (issue 12): a child
 * process drives the loop (plan, simulate, approve when needed, feedback,
 * now and then sync or close and reopen) on one state directory and is
 * killed with SIGKILL after a random delay, again and again. After each
 * kill the state must open, with at most one torn record cut, hold every
 * record the child acknowledged (a second feedback or approval of it is
 * refused with GDFO_EEXISTS; the feedback count is at least the acks) and
 * its audit log must read.
 *
 * Three kills in four come 0..M ms after the child's open has finished
 * (it says so on the pipe), the others 0..M ms after it started (during
 * the process's start or the journal's replay).
 *
 * "Acknowledged" is what the parent received: the child writes "F <id>" or
 * "A <id>" to a pipe with one write(2) after gdfo_optimizer_feedback or
 * gdfo_optimizer_approve returned 0 (sync_every 1: the record was
 * fsync'd); a line the child had no time to write was never acknowledged.
 *
 *   loop_crash [--kills N] [--max-delay-ms M] [--seed S] [--model FILE]
 *              [--state DIR] [--keep] [PIPELINE.json...]
 *
 * Exit 0 when every check held; prints the figures (kills, acks, torn
 * records cut, records, time) on one line. `make test` runs 40 kills,
 * `make test-durability` 200.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gdfo/gdfo.h"

#define MAX_PIPES 8

static const char *default_pipes[] = {"examples/pipelines/retail_etl.json", "examples/pipelines/tpch_q5.json"};

static void die(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "loop_crash: ");
	fprintf(stderr, fmt, a, b);
	fprintf(stderr, "\n");
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* One acknowledgement line, written whole with one write(2) (atomic on a pipe). */
static void ack(int fd, char kind, const char *id)
{
	char line[GDFO_PLAN_ID_MAX + 8];
	int n = snprintf(line, sizeof(line), "%c %s\n", kind, id);
	if (write(fd, line, (size_t)n) != n)
		_exit(3);
}

static gdfo_optimizer *open_state(const char *state, const char *model)
{
	gdfo_optimizer_options oo;
	gdfo_optimizer *opt = NULL;
	gdfo_optimizer_options_init(&oo, GDFO_OPTIMIZER_OPTIONS_VERSION);
	oo.model_path = model;
	if (gdfo_optimizer_open(&opt, state, &oo))
		return NULL;
	return opt;
}

/* The child: the loop until it is killed. Exits only on a failure. */
static int child(const char *state, const char *model, int fd, char **files, int n_files, uint64_t seed)
{
	gdfo_graph *g[MAX_PIPES];
	gdfo_optimizer *opt;
	uint64_t r = seed | 1;
	long k;
	int i;

	for (i = 0; i < n_files; i++)
		if (gdfo_graph_load(&g[i], files[i]))
			die("%s: %s", files[i], gdfo_last_error());
	if (!(opt = open_state(state, model))) {
		dprintf(fd, "E open: %s\n", gdfo_last_error());
		return 2;
	}
	if (write(fd, "O\n", 2) != 2)
		return 3;
	for (k = 0;; k++) {
		gdfo_plan *plan = NULL;
		gdfo_plan_loop info = {.version = GDFO_PLAN_LOOP_VERSION};
		gdfo_sim *sim = NULL;
		gdfo_sim_options so;
		gdfo_sim_result res = {.version = GDFO_SIM_RESULT_VERSION};
		gdfo_telemetry *tel = NULL;
		uint64_t x = rnd(&r);
		int rc;

		rc = gdfo_optimizer_plan(&plan, opt, g[x % (uint64_t)n_files], NULL, NULL);
		if (rc == GDFO_EANOMALY)
			continue;
		if (rc) {
			dprintf(fd, "E plan: %s\n", gdfo_last_error());
			return 2;
		}
		gdfo_plan_loop_info(&info, plan);
		if (info.needs_approval && (x >> 8) % 2 == 0) {
			if (gdfo_optimizer_approve(opt, gdfo_plan_id(plan), "loop_crash", "approved")) {
				dprintf(fd, "E approve: %s\n", gdfo_last_error());
				return 2;
			}
			ack(fd, 'A', gdfo_plan_id(plan));
		}
		gdfo_sim_options_init(&so, GDFO_SIM_OPTIONS_VERSION);
		so.noise_sigma = 0.1;
		so.seed = x;
		if (gdfo_sim_create(&sim, NULL) || gdfo_sim_run_graph(&res, sim, gdfo_plan_graph(plan), &so) ||
		    gdfo_sim_telemetry(&tel, sim, gdfo_plan_graph(plan))) {
			dprintf(fd, "E simulate: %s\n", gdfo_last_error());
			return 2;
		}
		/* one plan in 8 never gets its feedback: plans without runs stay in the journal */
		if ((x >> 16) % 8) {
			if (gdfo_optimizer_feedback(NULL, opt, gdfo_plan_id(plan), tel)) {
				dprintf(fd, "E feedback: %s\n", gdfo_last_error());
				return 2;
			}
			ack(fd, 'F', gdfo_plan_id(plan));
		}
		gdfo_telemetry_free(tel);
		gdfo_sim_free(sim);
		gdfo_plan_free(plan);
		if ((x >> 24) % 16 == 0 && gdfo_optimizer_sync(opt)) {
			dprintf(fd, "E sync: %s\n", gdfo_last_error());
			return 2;
		}
		if ((x >> 32) % 24 == 0) { /* close (its fsync) and replay */
			gdfo_optimizer_close(opt);
			if (!(opt = open_state(state, model))) {
				dprintf(fd, "E reopen: %s\n", gdfo_last_error());
				return 2;
			}
		}
	}
}

typedef struct acks {
	char (*id)[GDFO_PLAN_ID_MAX + 1];
	char *kind;
	size_t n, cap;
} acks;

static void acks_add(acks *a, char kind, const char *id)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 1024;
		a->id = realloc(a->id, a->cap * sizeof(*a->id));
		a->kind = realloc(a->kind, a->cap);
		if (!a->id || !a->kind)
			die("%s%s", "out of memory", "");
	}
	snprintf(a->id[a->n], sizeof(a->id[a->n]), "%s", id);
	a->kind[a->n++] = kind;
}

/* Reads the child's lines from buf; keeps a partial last line for the next read. */
static void take_lines(acks *a, char *buf, size_t *len, long *n_feedback, long *n_approve, int *opened,
		       int *child_error)
{
	char *p = buf, *nl;
	while ((nl = memchr(p, '\n', (size_t)(buf + *len - p)))) {
		*nl = 0;
		if ((p[0] == 'F' || p[0] == 'A') && p[1] == ' ') {
			acks_add(a, p[0], p + 2);
			*(p[0] == 'F' ? n_feedback : n_approve) += 1;
		} else if (p[0] == 'O' && !p[1]) {
			*opened = 1;
		} else {
			fprintf(stderr, "loop_crash: child: %s\n", p);
			*child_error = 1;
		}
		p = nl + 1;
	}
	*len = (size_t)(buf + *len - p);
	memmove(buf, p, *len);
}

/* After a kill: the state opens and holds every acknowledged record. */
static int verify(const char *state, const acks *a, long n_feedback, int *torn, long long *records)
{
	gdfo_optimizer *opt = open_state(state, "");
	gdfo_loop_stats st = {.version = GDFO_LOOP_STATS_VERSION};
	gdfo_telemetry *tel;
	gdfo_run_telemetry run;
	char *audit = NULL;
	size_t i;
	int bad = 0, rc;

	if (!opt) {
		fprintf(stderr, "loop_crash: the state does not open after the kill: %s (%s)\n", gdfo_last_error(),
			state);
		return 1;
	}
	if (gdfo_loop_stats_get(&st, opt)) {
		fprintf(stderr, "loop_crash: stats: %s\n", gdfo_last_error());
		bad = 1;
	}
	*torn = st.torn;
	*records = st.records;
	if (st.torn < 0 || st.torn > 1) {
		fprintf(stderr, "loop_crash: %d torn records at open (a crash tears at most one)\n", st.torn);
		bad = 1;
	}
	if (st.feedback < n_feedback) {
		fprintf(stderr, "loop_crash: the state holds %lld feedback records, %ld were acknowledged\n",
			(long long)st.feedback, n_feedback);
		bad = 1;
	}
	gdfo_telemetry_create(&tel);
	gdfo_run_telemetry_init(&run, GDFO_RUN_TELEMETRY_VERSION);
	run.latency_ms = 1000;
	gdfo_telemetry_set_run(tel, &run);
	for (i = 0; i < a->n; i++) {
		rc = a->kind[i] == 'F' ? gdfo_optimizer_feedback(NULL, opt, a->id[i], tel)
				       : gdfo_optimizer_approve(opt, a->id[i], "verify", NULL);
		if (rc != GDFO_EEXISTS) {
			fprintf(stderr, "loop_crash: acknowledged %s of plan %s is lost: a second one gave %s (%s)\n",
				a->kind[i] == 'F' ? "feedback" : "approval", a->id[i], gdfo_status_name(rc),
				rc ? gdfo_last_error() : "accepted");
			bad = 1;
			break;
		}
	}
	gdfo_telemetry_free(tel);
	gdfo_optimizer_close(opt);
	if ((rc = gdfo_audit_read(&audit, state, NULL, 0))) {
		fprintf(stderr, "loop_crash: the audit log does not read after the kill: %s\n", gdfo_last_error());
		bad = 1;
	}
	gdfo_free(audit);
	return bad;
}

static void rm_state(const char *dir)
{
	static const char *const files[] = {"journal", "audit.jsonl", "policy.json", "lock"};
	char p[4200];
	size_t i;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

int main(int argc, char **argv)
{
	const char *state = NULL, *model = "";
	char *files[MAX_PIPES], tmpdir[4096], fdarg[16], seedarg[32];
	int n_files = 0, kills = 200, max_delay = 300, keep = 0, i, is_child = 0, child_fd = -1;
	uint64_t seed = 0;
	acks a = {0};
	long n_feedback = 0, n_approve = 0, torn_total = 0, exited = 0, kills_after_open = 0;
	long long records = 0;
	double t0 = now_s();

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--keep")) {
			keep = 1;
		} else if (i + 1 < argc && !strcmp(argv[i], "--kills")) {
			kills = atoi(argv[++i]);
		} else if (i + 1 < argc && !strcmp(argv[i], "--max-delay-ms")) {
			max_delay = atoi(argv[++i]);
		} else if (i + 1 < argc && !strcmp(argv[i], "--seed")) {
			seed = strtoull(argv[++i], NULL, 10);
		} else if (i + 1 < argc && !strcmp(argv[i], "--model")) {
			model = argv[++i];
		} else if (i + 1 < argc && !strcmp(argv[i], "--state")) {
			state = argv[++i];
		} else if (i + 1 < argc && !strcmp(argv[i], "--child-fd")) {
			is_child = 1;
			child_fd = atoi(argv[++i]);
		} else if (argv[i][0] == '-') {
			die("unknown option '%s'%s (see the comment at the top of tests/loop/crash.c)", argv[i], "");
		} else if (n_files < MAX_PIPES) {
			files[n_files++] = argv[i];
		}
	}
	if (!n_files)
		for (i = 0; i < 2; i++)
			files[n_files++] = (char *)default_pipes[i];
	if (is_child) {
		if (!state)
			die("%s%s", "--child-fd needs --state", "");
		return child(state, model, child_fd, files, n_files, seed);
	}
	if (!seed)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
	if (!state) {
		const char *t = getenv("TMPDIR");
		snprintf(tmpdir, sizeof(tmpdir), "%s/gdfo-loop-crash-XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(tmpdir))
			die("a temporary state directory: %s%s", strerror(errno), "");
		state = tmpdir;
	}
	printf("loop_crash: %d kills after 0..%d ms, seed %llu, state %s, model %s\n", kills, max_delay,
	       (unsigned long long)seed, state, *model ? model : "none (rules)");
	fflush(stdout);
	{
		uint64_t r = seed | 1;
		int k;
		for (k = 0; k < kills; k++) {
			int p[2], st, child_error = 0, torn = 0, opened = 0;
			char buf[8192];
			size_t len = 0;
			pid_t pid;
			double until, delay;
			int from_open;
			char *cargv[MAX_PIPES + 12];
			int c = 0, f;

			if (pipe(p))
				die("pipe: %s%s", strerror(errno), "");
			fcntl(p[0], F_SETFD, FD_CLOEXEC);
			snprintf(fdarg, sizeof(fdarg), "%d", p[1]);
			snprintf(seedarg, sizeof(seedarg), "%llu", (unsigned long long)rnd(&r));
			cargv[c++] = argv[0];
			cargv[c++] = "--child-fd";
			cargv[c++] = fdarg;
			cargv[c++] = "--state";
			cargv[c++] = (char *)state;
			cargv[c++] = "--model";
			cargv[c++] = (char *)model;
			cargv[c++] = "--seed";
			cargv[c++] = seedarg;
			for (f = 0; f < n_files; f++)
				cargv[c++] = files[f];
			cargv[c] = NULL;
			if ((pid = fork()) < 0)
				die("fork: %s%s", strerror(errno), "");
			if (pid == 0) {
				execv("/proc/self/exe", cargv);
				_exit(127);
			}
			close(p[1]);
			/* three kills in four count the delay from the end of the
			 * child's open (the loop running), one from its start (the
			 * process starting, the journal replaying) */
			from_open = rnd(&r) % 4 != 0;
			delay = (double)(rnd(&r) % (uint64_t)(max_delay + 1)) / 1000.0;
			until = now_s() + (from_open ? 30 : delay);
			for (;;) { /* read acks until the moment to kill */
				struct pollfd pf = {p[0], POLLIN, 0};
				double left;
				ssize_t n;
				if (from_open && opened) {
					until = now_s() + delay;
					from_open = 0;
				}
				left = until - now_s();
				if (left <= 0)
					break;
				if (poll(&pf, 1, (int)(left * 1000) + 1) <= 0)
					continue;
				n = read(p[0], buf + len, sizeof(buf) - 1 - len);
				if (n <= 0)
					break; /* the child exited */
				len += (size_t)n;
				take_lines(&a, buf, &len, &n_feedback, &n_approve, &opened, &child_error);
			}
			kill(pid, SIGKILL);
			for (;;) { /* what it wrote before it died was acknowledged */
				ssize_t n = read(p[0], buf + len, sizeof(buf) - 1 - len);
				if (n < 0 && errno == EINTR)
					continue;
				if (n <= 0)
					break;
				len += (size_t)n;
				take_lines(&a, buf, &len, &n_feedback, &n_approve, &opened, &child_error);
			}
			close(p[0]);
			if (waitpid(pid, &st, 0) < 0)
				die("waitpid: %s%s", strerror(errno), "");
			if (!WIFSIGNALED(st)) {
				exited++;
				fprintf(stderr, "loop_crash: kill %d: the child exited with %d before the kill\n", k,
					WIFEXITED(st) ? WEXITSTATUS(st) : -1);
				child_error = 1;
			}
			if (child_error || verify(state, &a, n_feedback, &torn, &records)) {
				fprintf(stderr, "loop_crash: FAILED at kill %d of %d (seed %llu); state kept in %s\n", k + 1,
					kills, (unsigned long long)seed, state);
				return 1;
			}
			torn_total += torn;
			kills_after_open += opened;
		}
	}
	printf("loop_crash: %d kills (%ld after the child's open, the rest during its start or replay), %ld feedback "
	       "and %ld approvals acknowledged, all present after every kill; %ld torn records cut; %lld journal "
	       "records; %.1f s\n",
	       kills, kills_after_open, n_feedback, n_approve, torn_total, records, now_s() - t0);
	if (!keep)
		rm_state(state);
	free(a.id);
	free(a.kind);
	return 0;
}
