/* gdfo train -o MODEL: train the learned optimizer's policy model (docs/learning.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char train_help[] =
	"usage: gdfo train -o MODEL [--seed N] [--warm N] [--ppo N] [--batch N] [--group N] [--epochs N]\n"
	"                  [--expert-budget N] [--d-model N] [--layers N] [--lr F]\n"
	"                  [--checkpoint-every N] [--init MODEL] [--json] [--quiet]\n"
	"                  [--pipeline P.json [--cluster C.json] [--objective SPEC]]\n"
	"\n"
	"Trains the learned optimizer's policy in the simulator: a warm start that\n"
	"imitates plans found by searching with the execution model, then proximal\n"
	"policy optimization against the judge (docs/learning.md). MODEL is written\n"
	"atomically as a checkpoint every --checkpoint-every updates (with\n"
	"MODEL.state: optimizer moments and position); when MODEL.state exists,\n"
	"training resumes from it and ends with the weights an uninterrupted run\n"
	"would give. Deterministic from --seed on one BLAS thread\n"
	"(OPENBLAS_NUM_THREADS=1).\n"
	"\n"
	"  -o MODEL            the model file (GDFO-NN; gdfo optimize --model reads it)\n"
	"  --seed N            seed of everything random (1)\n"
	"  --warm N            imitation episodes (4096)\n"
	"  --ppo N             PPO episodes (4096)\n"
	"  --batch N           episodes per update (32)\n"
	"  --group N           PPO plans sampled per pipeline; their mean reward is the\n"
	"                      baseline (4; 1: the value head's prediction)\n"
	"  --epochs N          PPO passes per batch (2)\n"
	"  --expert-budget N   execution-model evaluations per expert search (160)\n"
	"  --d-model N         encoder width (32); --layers N: blocks (2)\n"
	"  --lr F              AdamW learning rate (0.001)\n"
	"  --entropy F         entropy bonus (0.01); --clip F: PPO clip (0.2)\n"
	"  --checkpoint-every N  updates between checkpoints (20)\n"
	"  --init MODEL        start from these weights\n"
	"  --pipeline FILE     train on this one pipeline (with --cluster, --objective)\n"
	"  --json              one JSON object per update on stdout (the default when\n"
	"                      stdout is not a terminal); else a progress line\n"
	"  --quiet             no progress\n";

typedef struct prog {
	int json, quiet;
} prog;

static int on_progress(const gdfo_train_progress *p, void *ctx)
{
	const prog *pr = ctx;
	if (pr->quiet)
		return 0;
	if (pr->json) {
		printf("{\"phase\": \"%s\", \"episode\": %lld, \"episodes\": %lld, \"update\": %lld, \"reward\": %.6g, "
		       "\"reward_avg\": %.6g, \"policy_loss\": %.6g, \"value_loss\": %.6g, \"entropy\": %.6g, "
		       "\"grad_norm\": %.6g, \"elapsed_s\": %.3f, \"eta_s\": %.1f}\n",
		       p->phase ? "ppo" : "warm", (long long)p->episode, (long long)p->episodes_total, (long long)p->update,
		       p->reward, p->reward_avg, p->policy_loss, p->value_loss, p->entropy, p->grad_norm, p->elapsed_s,
		       p->eta_s);
		fflush(stdout);
	} else {
		fprintf(stderr, "\r%-4s episode %lld/%lld  update %lld  reward %+.3f (avg %+.3f)  loss %.3f  entropy %.2f  ETA %.0f s   ",
			p->phase ? "ppo" : "warm", (long long)p->episode, (long long)p->episodes_total, (long long)p->update,
			p->reward, p->reward_avg, p->policy_loss, p->entropy, p->eta_s);
		if (p->episode >= p->episodes_total)
			fputc('\n', stderr);
	}
	return 0;
}

static int parse_long(const char *s, long long *out)
{
	char *end;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno || end == s || *end;
}

int gdfo__cli_train(int argc, char **argv)
{
	gdfo_train_options o;
	gdfo_nn_encoder *enc = NULL;
	gdfo_graph *g = NULL;
	gdfo_sim_cluster cl;
	gdfo_objective obj;
	prog pr = {!isatty(1), 0};
	const char *outp = NULL, *pipeline = NULL, *cluster = NULL, *objective = NULL;
	int i, rc;

	if (gdfo__cli_wants_help(argc, argv)) {
		fputs(train_help, stdout);
		return 0;
	}
	gdfo_train_options_init(&o, GDFO_TRAIN_OPTIONS_VERSION);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		long long n = 0;
		if (!strcmp(a, "--json")) {
			pr.json = 1;
			continue;
		}
		if (!strcmp(a, "--quiet")) {
			pr.quiet = 1;
			continue;
		}
		if (!v) {
			fprintf(stderr, "gdfo train: %s needs a value (try --help)\n", gdfo__cli_quote(a));
			return GDFO__EXIT_USAGE;
		}
		i++;
		if (!strcmp(a, "-o"))
			outp = v;
		else if (!strcmp(a, "--init"))
			o.init_model = v;
		else if (!strcmp(a, "--pipeline"))
			pipeline = v;
		else if (!strcmp(a, "--cluster"))
			cluster = v;
		else if (!strcmp(a, "--objective"))
			objective = v;
		else if (!strcmp(a, "--lr"))
			o.lr = strtof(v, NULL);
		else if (!strcmp(a, "--entropy"))
			o.entropy_coef = strtof(v, NULL);
		else if (!strcmp(a, "--clip"))
			o.clip = strtof(v, NULL);
		else if (parse_long(v, &n)) {
			fprintf(stderr, "gdfo train: %s takes an integer, got '%s'\n", a, gdfo__cli_quote(v));
			return GDFO__EXIT_USAGE;
		} else if (!strcmp(a, "--seed"))
			o.seed = (uint64_t)n;
		else if (!strcmp(a, "--warm"))
			o.warm_episodes = n;
		else if (!strcmp(a, "--ppo"))
			o.ppo_episodes = n;
		else if (!strcmp(a, "--batch"))
			o.batch_episodes = (int32_t)n;
		else if (!strcmp(a, "--group"))
			o.group = (int32_t)n;
		else if (!strcmp(a, "--epochs"))
			o.epochs = (int32_t)n;
		else if (!strcmp(a, "--expert-budget"))
			o.expert_budget = (int32_t)n;
		else if (!strcmp(a, "--d-model"))
			o.d_model = (uint32_t)n;
		else if (!strcmp(a, "--layers"))
			o.n_layers = (uint32_t)n;
		else if (!strcmp(a, "--checkpoint-every"))
			o.checkpoint_every = (int32_t)n;
		else {
			fprintf(stderr, "gdfo train: unknown option '%s' (try --help)\n", gdfo__cli_quote(a));
			return GDFO__EXIT_USAGE;
		}
	}
	if (!outp) {
		fprintf(stderr, "gdfo train: -o MODEL is required (try --help)\n");
		return GDFO__EXIT_USAGE;
	}
	o.checkpoint = outp;
	if (pipeline) {
		if ((rc = gdfo_graph_load(&g, pipeline)))
			return gdfo__cli_fail("train", rc);
		o.pipeline = g;
	}
	if (cluster) {
		if ((rc = gdfo_sim_cluster_load(&cl, cluster))) {
			gdfo_graph_free(g);
			return gdfo__cli_fail("train", rc);
		}
		o.cluster = &cl;
	}
	if (objective) {
		gdfo_objective_init(&obj, GDFO_OBJECTIVE_VERSION);
		if (gdfo__cli_parse_objective(objective, &obj) < 0) {
			fprintf(stderr, "gdfo train: bad --objective '%s'\n", gdfo__cli_quote(objective));
			gdfo_graph_free(g);
			return GDFO__EXIT_USAGE;
		}
		o.objective = &obj;
	}
	o.progress = on_progress;
	o.progress_ctx = &pr;
	rc = gdfo_train(&enc, &o);
	gdfo_graph_free(g);
	if (rc)
		return gdfo__cli_fail("train", rc);
	rc = gdfo_nn_save(enc, outp);
	gdfo_nn_free(enc);
	if (rc)
		return gdfo__cli_fail("train", rc);
	if (!pr.quiet && !pr.json)
		fprintf(stderr, "gdfo train: wrote %s\n", outp);
	return 0;
}
