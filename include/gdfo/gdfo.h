/*
 * libgdfo — the Generative Data Flow Optimizer.
 *
 * One include for the whole public API. Each topic has its own header;
 * their comments are the specification (what a function does, every
 * status it returns, who owns what, whether it is thread-safe).
 *
 *   common.h     status codes, last error, version, gdfo_free
 *   graph.h      pipeline graphs: stages, statistics, knobs, cluster
 *   telemetry.h  what a run measured, per stage and per run
 *   plan.h       an optimized plan: rewritten graph, changes, predictions
 *   rewrite.h    legality-checked plan transformations
 *   rules.h      the rule-based optimizer (baseline and safe fallback)
 *   profile.h    measured job profiles (gdfo-job-profile/1)
 *   ingest.h     Spark event-log ingestion
 *   sim.h        execution model and discrete-event simulator
 *   nn.h         the graph encoder (transformer over the pipeline DAG)
 *   diag.h       diagnostics, the Spark advisor and the what-if table
 */
#ifndef GDFO_GDFO_H
#define GDFO_GDFO_H

#include "common.h"
#include "graph.h"
#include "telemetry.h"
#include "plan.h"
#include "rewrite.h"
#include "rules.h"
#include "profile.h"
#include "ingest.h"
#include "objective.h"
#include "sim.h"
#include "generate.h"
#include "nn.h"
#include "reward.h"
#include "judge.h"
#include "space.h"
#include "diag.h"
#include "optimizer.h"
#include "learn.h"
#include "loop.h"

#endif
