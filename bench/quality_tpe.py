#!/usr/bin/env python3
"""Optuna TPE over the decision space, judged by the benchmark's judge.

The TPE rows of the plan-quality benchmark (docs/quality.md): for every
pipeline of a split of bench/quality_suite.json, every objective it lists
and every TPE budget of the suite ("budgets": {"tpe": [10, 50]}), an
Optuna study (TPESampler(seed), ask/tell) searches gdfo.Space through the
Python binding, each trial judged once by gdfo.Judge (the suite's judge
settings, the pipeline's cluster, calibrated to the telemetry of an
ingested log). One JSON line per pipeline x objective x budget:

  {"bench": "quality", "method": "tpe-10", "pipeline": ..., "family": ...,
   "split": ..., "objective": ..., "latency_change": rel, "throughput_change":
   rel, "cost_change": rel, "reward": R, "success": 0|1, "judge_runs": n,
   "optimizer_ms_per_decision": ms, "optimizer_ms_per_trial": ms,
   "optimizer_cpu_ms_per_trial": ms, "point": [...], "dim": d, "wall_s": s}

for the best trial by reward (the first of equals), re-judged by a judge on
other seeds (REPORT_SEED, as bench/quality.c does) for the reported numbers;
changes are relative to that judge's baseline, the input's own runs.
optimizer_ms_per_decision is Optuna's own time for the whole study to that
budget (ask plus tell, without applying points or judging them: the time
to decide one plan), optimizer_ms_per_trial the same per trial (wall
clock; optimizer_cpu_ms_per_trial in process CPU time, which a loaded
machine does not inflate); wall_s the study's time to that budget,
everything included (not the judge that measures the input's SLO baseline).

One study per pipeline x objective is run to the largest budget: a TPE
study of budget b is, trial for trial, the first b trials of a longer one
with the same seed (the sampler sees the same history), so tpe-10 is read
off the first 10 trials of tpe-50 and its optimizer time is that of those
10 trials. Note that with Optuna's default n_startup_trials (10) the first
10 trials are the sampler's random draws: tpe-10 is random search by
Optuna's random numbers.

Each decision is one categorical parameter named by the decision's name;
its choices are the legal choice indices, so Optuna never proposes a
masked value.

Drift (the suite's "drift" scenarios, one judge run per step): step k is
`gdfo generate FAMILY --seed S --run k --scale-bytes B --growth G
--skew-shift 0 --column-run 0` (G = 0 unless the scenario gives "growth"),
and from step `shift` on the "after" change applies (scale_factor
multiplies B; skew_shift and column_run become --skew-shift and
--column-run). Each step's judge scores against that step's input.
"tpe-continuing" runs one study over all steps (each step asks one point,
judges it on the step's pipeline and tells its reward); "tpe-restart"
starts a new study at the shift. A study's parameters are the decisions of
the space it started on; at a later step a decision the step's space lacks
is not set, and a choice that is masked there falls back to keep (0) (a
volume change can move a broadcast over the bound); "remapped" counts them.
One line per step:

  {"bench": "quality-drift", "method": ..., "scenario": ..., "step": k,
   "reward": R, "latency_ms": ..., "cost": ..., "success": 0|1,
   "judge_runs": 1, "remapped": n}

Usage (from the project root, after `make`):
  /usr/bin/python3 bench/quality_tpe.py [--split eval] [--out bench/results/tpe.jsonl]
      [--quick] [--no-drift] [--only-drift] [--seed 1] [--limit N]
--quick: two pipelines, budgets 3 and 5, one drift scenario of 4 steps.
The CLI is $GDFO_CLI (default build/gdfo); the library $GDFO_LIBRARY
(default build/libgdfo.so). Progress goes to standard error.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

from quality_suite import drift_step_args  # bench/, the script's folder, is on sys.path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("GDFO_LIBRARY", os.path.join(ROOT, "build", "libgdfo.so"))
sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))

import gdfo  # noqa: E402

try:
    import optuna
except ImportError:
    sys.exit("quality_tpe.py: needs Optuna (Debian's python3-optuna: bash .ci/deps.sh --bench)")

optuna.logging.set_verbosity(optuna.logging.WARNING)

OBJECTIVE_FIELDS = ("throughput_weight", "latency_weight", "cost_weight", "slo_ms",
                    "cost_ceiling", "failure_penalty")


def cli():
    return os.environ.get("GDFO_CLI") or os.path.join(ROOT, "build", "gdfo")


def run_cli(args):
    r = subprocess.run([cli()] + args, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("gdfo %s: %s" % (" ".join(args), r.stderr.strip()))
    return r.stdout


def path_in_root(p):
    return p if os.path.isabs(p) else os.path.join(ROOT, p)


class Progress:
    def __init__(self):
        self.t0 = time.monotonic()

    def __call__(self, msg):
        sys.stderr.write("[%7.1f s] %s\n" % (time.monotonic() - self.t0, msg))
        sys.stderr.flush()


# ------------------------------------------------------------------ inputs


def materialize(entry, tmp):
    """(graph, telemetry or None) of a suite entry."""
    name = entry["name"]
    if entry["source"] == "generate":
        out = os.path.join(tmp, name + ".json")
        args = ["generate", entry["family"], "--seed", str(entry["seed"]),
                "--scale-bytes", "%d" % entry["scale_bytes"], "--out", out]
        if "stages" in entry:
            args += ["--stages", str(entry["stages"])]
        run_cli(args)
        return gdfo.Graph.load(out), None
    if entry["source"] == "file":
        return gdfo.Graph.load(path_in_root(entry["path"])), None
    if entry["source"] == "eventlog":
        log = path_in_root(entry["path"])
        pipe, tel = os.path.join(tmp, name + ".json"), os.path.join(tmp, name + ".telemetry.json")
        run_cli(["ingest", "--pipeline", "-o", pipe, log])
        run_cli(["ingest", "--telemetry", "-o", tel, log])
        return gdfo.Graph.load(pipe), gdfo.Telemetry.load(tel)
    raise ValueError("%s: unknown source %r" % (name, entry["source"]))


def cluster_of(suite, name):
    """None (built-in model), a path or a dict, as gdfo.Space/Judge take it."""
    c = suite["clusters"][name]
    return path_in_root(c) if isinstance(c, str) else c


def objective_of(spec, baseline_latency_ms):
    """gdfo.Objective from a suite objective; slo_factor x the input's judged latency."""
    o = gdfo.Objective(**{k: float(spec[k]) for k in OBJECTIVE_FIELDS if k in spec})
    if spec.get("slo_factor"):
        o.slo_ms = float(spec["slo_factor"]) * baseline_latency_ms
    return o


def judge_settings(suite):
    j = suite["judge"]
    return dict(runs=int(j["runs"]), seed=int(j["seed"]), noise_sigma=float(j["noise_sigma"]),
                straggler_prob=float(j["straggler_prob"]),
                straggler_factor=float(j["straggler_factor"]))


# ------------------------------------------------------------------ the study


class Study:
    """An Optuna ask/tell study over one space's decisions."""

    def __init__(self, space, seed):
        self.names, self.dists = [], {}
        for d in space.decisions:
            name = d.name if d.name not in self.dists else "%s #%d" % (d.name, d.index)
            self.names.append(name)
            self.dists[name] = optuna.distributions.CategoricalDistribution(d.legal)
        self.study = optuna.create_study(direction="maximize",
                                         sampler=optuna.samplers.TPESampler(seed=seed))
        self.optimizer_s = 0.0      # wall clock
        self.optimizer_cpu_s = 0.0  # this process's CPU: unaffected by a loaded machine
        self.trials = 0

    def ask(self):
        t, c = time.perf_counter(), time.process_time()
        trial = self.study.ask(self.dists)
        self.optimizer_s += time.perf_counter() - t
        self.optimizer_cpu_s += time.process_time() - c
        return trial, {n: trial.params[n] for n in self.names}

    def tell(self, trial, value):
        t, c = time.perf_counter(), time.process_time()
        if value is None:
            self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
        else:
            self.study.tell(trial, value)
        self.optimizer_s += time.perf_counter() - t
        self.optimizer_cpu_s += time.process_time() - c
        self.trials += 1


def point_for(space, params):
    """A point of space from a study's parameters (by decision name); a
    decision the study lacks keeps, a choice masked here falls back to keep.
    Returns (point, remapped)."""
    point, remapped, seen = [], 0, set()
    for d in space.decisions:
        name = d.name if d.name not in seen else "%s #%d" % (d.name, d.index)
        seen.add(d.name)
        c = params.get(name, 0)
        if c >= len(d.choices) or not d.choices[c].legal:
            c, remapped = 0, remapped + 1
        point.append(c)
    return point, remapped


# The report judge's seed (bench/quality.c uses the same).
REPORT_SEED = 1000003


def judge_point(space, judge, point):
    with space.apply(point, "tpe") as plan:
        return judge.judge(plan)


def rel(x, base):
    return x / base - 1 if base > 0 else 0.0


def tpe_pipeline(entry, suite, objective_name, budgets, seed, graph, telemetry, emit):
    """One study to max(budgets) for a pipeline and objective; a record per budget."""
    cluster = cluster_of(suite, entry["cluster"])
    js = judge_settings(suite)
    spec = suite["objectives"][objective_name]
    with gdfo.Judge(graph, cluster=cluster, telemetry=telemetry, **js) as j0:
        base_latency = j0.baseline.latency_ms
    objective = objective_of(spec, base_latency)
    # The study searches with the suite's judge; the plan it picks is reported by
    # a judge on other seeds, as bench/quality.c does (docs/quality.md "The judge").
    rs = dict(js, seed=REPORT_SEED)
    with gdfo.Space(graph, cluster=cluster) as space, \
            gdfo.Judge(graph, objective=objective, cluster=cluster, telemetry=telemetry, **js) as judge, \
            gdfo.Judge(graph, objective=objective, cluster=cluster, telemetry=telemetry, **rs) as reporter:
        base = reporter.baseline
        study = Study(space, seed)
        best, marks, t0 = None, {}, time.perf_counter()
        for k in range(1, max(budgets) + 1):
            trial, params = study.ask()
            point = [params[n] for n in study.names]
            try:
                r, o = judge_point(space, judge, point)
            except gdfo.GdfoError as e:
                sys.stderr.write("  %s: trial %d: %s\n" % (entry["name"], k, e))
                study.tell(trial, None)
            else:
                study.tell(trial, r.reward)
                if best is None or r.reward > best[0].reward:
                    best = (r, o, point)
            if k in budgets:
                marks[k] = (best, study.optimizer_s, study.optimizer_cpu_s, study.trials,
                            judge.count, time.perf_counter() - t0)
        for b in sorted(budgets):
            found, opt_s, opt_cpu_s, trials, runs, wall_s = marks[b]
            if found is None:
                sys.stderr.write("  %s, %s: no trial of tpe-%d could be judged\n"
                                 % (entry["name"], objective_name, b))
                continue
            point = found[2]
            r, o = judge_point(space, reporter, point)
            emit({"bench": "quality", "method": "tpe-%d" % b, "pipeline": entry["name"],
                  "family": entry.get("family", entry["source"]), "split": entry["split"],
                  "objective": objective_name,
                  "latency_change": rel(o.latency_ms, base.latency_ms),
                  "throughput_change": rel(o.throughput, base.throughput),
                  "cost_change": rel(o.cost, base.cost), "reward": r.reward,
                  "latency_ms": o.latency_ms, "cost": o.cost,
                  "success": 1 if o.success else 0, "judge_runs": runs,
                  "optimizer_ms_per_decision": 1000.0 * opt_s,
                  "optimizer_ms_per_trial": 1000.0 * opt_s / max(trials, 1),
                  "optimizer_cpu_ms_per_trial": 1000.0 * opt_cpu_s / max(trials, 1),
                  "point": point, "dim": space.dim, "wall_s": wall_s})


# ------------------------------------------------------------------ drift


def drift(suite, scenarios, seed, tmp, emit, progress):
    # A step's run is judged on the report seeds, as the other methods' drift
    # rows are (bench/quality.c): the study learns from that run's reward.
    js = dict(judge_settings(suite), seed=REPORT_SEED)
    for sc in scenarios:
        spec = suite["objectives"][sc["objective"]]
        for method in ("tpe-continuing", "tpe-restart"):
            study = None
            for k in range(sc["steps"]):
                path = os.path.join(tmp, "%s-%d.json" % (sc["name"], k))
                run_cli(["generate", sc["family"], "--out", path] + drift_step_args(sc, k))
                with gdfo.Graph.load(path) as g, gdfo.Space(g) as space:
                    base_latency = None
                    if spec.get("slo_factor"):
                        with gdfo.Judge(g, **js) as j0:
                            base_latency = j0.baseline.latency_ms
                    objective = objective_of(spec, base_latency or 0)
                    if study is None or (method == "tpe-restart" and k == sc["shift"]):
                        study = Study(space, seed)
                    trial, params = study.ask()
                    point, remapped = point_for(space, params)
                    with gdfo.Judge(g, objective=objective, **js) as judge:
                        r, o = judge_point(space, judge, point)
                        runs = judge.count
                    study.tell(trial, r.reward)
                    emit({"bench": "quality-drift", "method": method, "scenario": sc["name"],
                          "step": k, "shift": sc["shift"], "reward": r.reward, "latency_ms": o.latency_ms,
                          "cost": o.cost, "success": 1 if o.success else 0, "judge_runs": runs,
                          "remapped": remapped})
            progress("drift %s %s: %d steps" % (sc["name"], method, sc["steps"]))


def summarize(path, progress):
    """Per method: records, share with R > 0, median R, Optuna's median ms per
    trial (wall and CPU), the studies' total wall time."""
    def median(xs):
        xs = sorted(xs)
        return xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2

    with open(path, encoding="utf-8") as f:
        recs = [json.loads(line) for line in f if line.strip()]
    for m in sorted({r["method"] for r in recs if r["bench"] == "quality"},
                    key=lambda m: int(m.split("-")[1])):
        rs = [r for r in recs if r.get("method") == m]
        progress("%s: %d records, R > 0 on %d, median R %.3f; Optuna per trial: median %.1f ms "
                 "wall, %.1f ms CPU; studies' wall time to this budget %.1f s"
                 % (m, len(rs), sum(r["reward"] > 0 for r in rs), median([r["reward"] for r in rs]),
                    median([r["optimizer_ms_per_trial"] for r in rs]),
                    median([r["optimizer_cpu_ms_per_trial"] for r in rs]),
                    sum(r["wall_s"] for r in rs)))


# ------------------------------------------------------------------ main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--suite", default=os.path.join(ROOT, "bench", "quality_suite.json"))
    ap.add_argument("--split", default="eval", choices=("eval", "train"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "tpe.jsonl"))
    ap.add_argument("--seed", type=int, default=1, help="TPESampler seed (1)")
    ap.add_argument("--quick", action="store_true",
                    help="two pipelines, budgets 3 and 5, one short drift scenario")
    ap.add_argument("--limit", type=int, default=0, help="first N pipelines of the split only")
    ap.add_argument("--no-drift", action="store_true")
    ap.add_argument("--only-drift", action="store_true")
    args = ap.parse_args()

    with open(args.suite, encoding="utf-8") as f:
        suite = json.load(f)
    if suite.get("format") != "gdfo-quality-suite/1":
        sys.exit("%s: not a gdfo-quality-suite/1 document" % args.suite)
    entries = [e for e in suite["pipelines"] if e["split"] == args.split]
    budgets = [int(b) for b in suite["budgets"]["tpe"]]
    scenarios = suite.get("drift", [])
    if args.quick:
        entries = [e for e in entries if e["source"] == "file"][:1] + \
            [e for e in entries if e["source"] == "eventlog"][:1]
        budgets = [3, 5]
        scenarios = [dict(s, steps=4, shift=2) for s in scenarios[:1]]
    if args.limit:
        entries = entries[:args.limit]
    if args.only_drift:
        entries = []
    if args.no_drift:
        scenarios = []

    progress = Progress()
    progress("quality_tpe: %s split, %d pipelines, budgets %s, %d drift scenarios; Optuna %s, "
             "TPESampler(seed=%d); judge %s; %s, %d CPUs, Python %s"
             % (args.split, len(entries), budgets, len(scenarios), optuna.__version__, args.seed,
                json.dumps(suite["judge"]), platform.machine(), os.cpu_count(),
                platform.python_version()))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    totals = {"judge_s": 0.0}
    with open(args.out, "w", encoding="utf-8") as out, tempfile.TemporaryDirectory() as tmp:
        def emit(rec):
            out.write(json.dumps(rec) + "\n")
            out.flush()

        for i, e in enumerate(entries):
            graph, telemetry = materialize(e, tmp)
            try:
                for obj in e["objectives"]:
                    t = time.monotonic()
                    tpe_pipeline(e, suite, obj, budgets, args.seed, graph, telemetry, emit)
                    progress("pipeline %d/%d %s, %s: %.1f s" % (i + 1, len(entries), e["name"], obj,
                                                                 time.monotonic() - t))
            finally:
                graph.close()
                if telemetry is not None:
                    telemetry.close()
        if scenarios:
            drift(suite, scenarios, args.seed, tmp, emit, progress)
    summarize(args.out, progress)
    progress("done: %s" % args.out)


if __name__ == "__main__":
    main()
