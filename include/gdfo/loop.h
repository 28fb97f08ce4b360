/*
 * The closed loop (docs/loop.md): an optimizer handle opened on a state
 * directory remembers every pipeline it planned (by fingerprint,
 * gdfo_graph_fingerprint), learns from the runs the host reports back,
 * and keeps each pipeline safe while it explores.
 *
 *   gdfo_optimizer_open(&opt, "/var/lib/app/gdfo", &opts);
 *   gdfo_optimizer_plan(&plan, opt, graph, telemetry, objective);
 *   ... run gdfo_plan_graph(plan), measure it ...
 *   gdfo_optimizer_feedback(&fb, opt, gdfo_plan_id(plan), measured);
 *
 * Per pipeline the handle keeps a known-good plan (at first the input as
 * the host gave it) and the runs measured for it. A plan call returns the
 * known-good plan, a candidate being confirmed, or a bounded exploration
 * (the learned optimizer's plan, or one neighbouring edit of the
 * known-good plan chosen by Q-learning), whose predicted regret against
 * the known-good plan is bounded by the policy. Feedback computes the
 * run's reward against the known-good plan's measured runs; a run worse
 * than that by more than the policy's rollback margin makes the next plan
 * the known-good one again (rollback) and marks the candidate bad; a
 * candidate better on confirm_runs runs in a row becomes known-good
 * (unless it needs approval and has none). After auto_off_runs
 * explorations in a row without a gain the pipeline stops exploring until
 * drift is detected. Drift (Page-Hinkley tests on the model's prediction
 * residuals and on the input's statistics) resets the known-good plan's
 * measurements, refits the calibration and restarts exploration. The
 * plan's notes and the audit log say which of these happened and why.
 *
 * Plans are points of the decision space (space.h), so a known-good plan
 * carries over to the same pipeline with new statistics: its structural
 * edits and relative knob choices are applied to the new input.
 *
 * The state directory (docs/loop.md "State directory") holds:
 *   journal       plan, feedback and approval records, CRC-framed, appended
 *   audit.jsonl   the audit log: one JSON object per line, appended
 *   policy.json   the gdfo-policy/1 guardrails (optional; defaults otherwise)
 *   lock          held (flock) while a handle is open
 * Opening replays the journal: every acknowledged record is applied again,
 * a torn record at the end (a crash during its write) is dropped, counted
 * (gdfo_loop_stats) and cut off.
 *
 * Durability: when gdfo_optimizer_feedback or gdfo_optimizer_approve
 * returns 0 the record is on stable storage (written and fsync'd, with
 * every plan record before it). With sync_every > 1 (group commit, the
 * host opts in) a 0 means the record was handed to the operating system:
 * it survives a crash of the process, and a crash of the machine only
 * once the group's fsync ran (every sync_every records, gdfo_optimizer_sync,
 * and close).
 *
 * Thread safety: plan calls on one handle may run concurrently from many
 * threads. Feedback, approval and sync serialize with them through the
 * handle's lock: a plan call holds it only to read its pipeline's state
 * and to append its record, never while it optimizes; feedback holds it
 * for its whole call (the journal write, its fsync and the update). The
 * library starts no threads. Only one handle (in any process) may have a
 * state directory open: a second open fails with GDFO_EIO.
 */
#ifndef GDFO_LOOP_H
#define GDFO_LOOP_H

#include "common.h"
#include "graph.h"
#include "optimizer.h"
#include "plan.h"
#include "telemetry.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest plan id, without its NUL: "<16 hex fingerprint>-<decimal sequence>". */
#define GDFO_PLAN_ID_MAX 40

/*
 * The id a stateful optimizer gave the plan (the key its feedback names),
 * or NULL for a plan made without a state directory. Borrowed.
 */
GDFO_API const char *gdfo_plan_id(const gdfo_plan *plan);

/* What the loop did in a plan call or a feedback call (bits). Append-only. */
typedef enum gdfo_loop_event {
	GDFO_EVENT_ROLLBACK = 1 << 0,    /* feedback: worse than known-good by more than the margin */
	GDFO_EVENT_KNOWN_GOOD = 1 << 1,  /* feedback: the plan became the pipeline's known-good */
	GDFO_EVENT_DRIFT = 1 << 2,       /* the inputs or the residuals shifted */
	GDFO_EVENT_AUTO_OFF = 1 << 3,    /* exploration stopped: no gain for auto_off_runs */
	GDFO_EVENT_GATE = 1 << 4,        /* plan: input statistics outside learned bounds */
	GDFO_EVENT_APPROVAL = 1 << 5,    /* plan: needs approval; feedback: gain awaits approval */
	GDFO_EVENT_FORECAST = 1 << 6,    /* plan: sized for a forecast volume */
	GDFO_EVENT_EXPLORE = 1 << 7,     /* plan: an exploration */
	GDFO_EVENT_BAD = 1 << 8          /* feedback: the run failed */
} gdfo_loop_event;
#define GDFO_LOOP_EVENT_COUNT 9

/* The name of one event bit ("rollback"), NULL for anything else. */
GDFO_API const char *gdfo_loop_event_name(int event);

/* What a stateful plan call returned (gdfo_plan_step's names). Append-only. */
typedef enum gdfo_loop_step {
	GDFO_STEP_NONE = 0,        /* no state directory */
	GDFO_STEP_KNOWN_GOOD = 1,  /* the known-good plan (nothing to explore, or exploration off) */
	GDFO_STEP_EXPLORE = 2,     /* a new candidate */
	GDFO_STEP_CONFIRM = 3,     /* a candidate that did better once, run again to confirm */
	GDFO_STEP_ROLLBACK = 4     /* the known-good plan after a regression */
} gdfo_loop_step;

#define GDFO_PLAN_LOOP_VERSION (1 + GDFO__GROWTH)

/* The loop's side of a plan. */
typedef struct gdfo_plan_loop {
	uint32_t version;        /* GDFO_PLAN_LOOP_VERSION */
	int32_t step;            /* gdfo_loop_step */
	int32_t events;          /* gdfo_loop_event bits */
	int32_t needs_approval;  /* 1: its risk is at or above the policy's approval level */
	uint64_t fingerprint;    /* the pipeline's */
	double predicted_regret; /* predicted reward of the known-good plan minus this one's (>= 0 worse) */
	double forecast_scale;   /* the source volume sized for / the input's (1 = no forecast) */
	int32_t runs;            /* runs of the pipeline with feedback before this plan */
	int32_t reserved;
	GDFO__GROWTH_FIELD
} gdfo_plan_loop;

/* Fills *out for plan (step NONE for a plan without a state). Errors: GDFO_EINVAL, GDFO_EVERSION. */
GDFO_API int gdfo_plan_loop_info(gdfo_plan_loop *out, const gdfo_plan *plan);

/* "known_good", "explore", "confirm", "rollback", "none"; NULL out of range. */
GDFO_API const char *gdfo_loop_step_name(int step);

#define GDFO_FEEDBACK_VERSION (1 + GDFO__GROWTH)

/* What a feedback call found. */
typedef struct gdfo_feedback {
	uint32_t version;            /* GDFO_FEEDBACK_VERSION */
	int32_t events;              /* gdfo_loop_event bits */
	double reward;               /* the run against the known-good plan (gdfo_reward_compute) */
	double baseline_latency_ms;  /* the known-good run it was compared with */
	double baseline_cost;
	int32_t baseline_measured;   /* 1: the known-good plan's measured median; 0: estimated
					from this run and the model's predicted ratio (no
					known-good run measured yet) */
	int32_t known_good;          /* 1: the plan is the pipeline's known-good now */
	int32_t runs;                /* runs of the pipeline with feedback, this one included */
	int32_t exploring;           /* 0: exploration is off for the pipeline (auto-off) */
	double residual;             /* ln(measured latency / predicted latency) */
	GDFO__GROWTH_FIELD
} gdfo_feedback;

/*
 * Reports what running the plan with id plan_id measured. telemetry
 * needs its run record (gdfo_telemetry_set_run: latency_ms > 0; success)
 * and may carry stage records of the plan's graph (they calibrate the
 * next plans on the graph that ran). out may be NULL. Each plan takes one
 * feedback. The run is learned from at once (calibration, Q, the value
 * head and a bounded policy step when the optimizer has a model;
 * docs/loop.md); a failed learning step is audited, not an error.
 * Errors: GDFO_EINVAL (NULL, no state directory, a plan id of another
 * form, telemetry without a run latency), GDFO_ENOTFOUND (no plan with that
 * id in this state), GDFO_EEXISTS (its feedback was given already),
 * GDFO_EIO (the journal could not be written or synced: nothing changed;
 * with group commit, a failed group sync after the record was applied
 * also returns it: the records since the last sync may not be on stable
 * storage), GDFO_ENOMEM (nothing changed).
 */
GDFO_API int gdfo_optimizer_feedback(gdfo_feedback *out, gdfo_optimizer *opt, const char *plan_id,
				     const gdfo_telemetry *telemetry);

/*
 * Records that who (non-empty) approved the plan with id plan_id, with an
 * optional note. Only an approved plan that needs approval can become
 * known-good. Durable as feedback is.
 * Errors: GDFO_EINVAL, GDFO_ENOTFOUND, GDFO_EEXISTS (approved already), GDFO_EIO, GDFO_ENOMEM.
 */
GDFO_API int gdfo_optimizer_approve(gdfo_optimizer *opt, const char *plan_id, const char *who,
				    const char *note);

/* Forces the journal and the audit log to stable storage (group commit). Errors: GDFO_EINVAL, GDFO_EIO. */
GDFO_API int gdfo_optimizer_sync(gdfo_optimizer *opt);

/*
 * Validates the gdfo-policy/1 file at path and makes it the state's policy
 * (copied atomically to STATE/policy.json and journaled, so that a replay
 * decides each record under the policy of its time; the audit log records
 * it). Plans made after it follow it; plan calls in flight keep their copy. Errors: GDFO_EINVAL (no state directory),
 * GDFO_EIO, GDFO_EFORMAT (the message names the field), GDFO_ENOMEM.
 */
GDFO_API int gdfo_optimizer_set_policy(gdfo_optimizer *opt, const char *path);

/*
 * Checks a gdfo-policy/1 document without a state (the CLI's and the
 * bindings' validation). Errors: GDFO_EINVAL, GDFO_EFORMAT (names the field), GDFO_ENOMEM.
 */
GDFO_API int gdfo_policy_check(const char *json, size_t len);

#define GDFO_LOOP_STATS_VERSION (1 + GDFO__GROWTH)

/* What the handle holds. */
typedef struct gdfo_loop_stats {
	uint32_t version;          /* GDFO_LOOP_STATS_VERSION */
	int32_t pipelines;         /* pipelines remembered */
	int64_t records;           /* journal records replayed and written */
	int64_t plans;             /* plans given ids */
	int64_t feedback;          /* feedback records */
	int32_t torn;              /* torn records dropped from the journal's end at open */
	int32_t reserved;
	GDFO__GROWTH_FIELD
} gdfo_loop_stats;

/* Errors: GDFO_EINVAL (NULL, no state directory), GDFO_EVERSION. */
GDFO_API int gdfo_loop_stats_get(gdfo_loop_stats *out, gdfo_optimizer *opt);

/*
 * The audit log of the state directory at state_dir as a JSON array (the
 * lines of audit.jsonl, docs/loop.md "Audit log"), oldest first, filtered
 * to one pipeline (its fingerprint in hex, NULL for all) and to events at
 * or after since (seconds since the epoch; 0 for all). Reads the file
 * without opening the state, so it may run beside an open handle.
 * Errors: GDFO_EINVAL, GDFO_EIO, GDFO_EFORMAT (a line that is not JSON:
 * its number), GDFO_ENOMEM.
 */
GDFO_API int gdfo_audit_read(char **out, const char *state_dir, const char *pipeline, double since);

#ifdef __cplusplus
}
#endif

#endif
