#!/usr/bin/env python3
"""The plan-quality benchmark (`make bench-quality`; docs/quality.md).

Materializes the suite's pipelines (bench/quality_suite.json), runs the C
methods (build/bench/quality: static, rules, random, local search, best
known) and Optuna TPE (bench/quality_tpe.py, through the Python binding)
on each, runs the drift scenarios, then writes the report: tables on
stdout, one JSON object per method x pipeline x objective appended to
bench/results/latest.jsonl, and the figures under docs/.

Usage: /usr/bin/python3 bench/quality.py [--split eval|train] [--quick]
       [--jobs N] [--no-tpe] [--no-drift] [--results DIR] [--figures DIR]
"""
import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD", "build")


def log(msg):
    sys.stderr.write("[quality %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def run(cmd, **kw):
    r = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), r.returncode, r.stderr.strip()[-500:]))
    return r.stdout


def cluster_file(suite, name, tmp):
    """Path of the cluster model named in the suite, or None for the defaults."""
    c = suite["clusters"][name]
    if c is None:
        return None
    if isinstance(c, str):
        return os.path.join(ROOT, c)
    path = os.path.join(tmp, "cluster-%s.json" % name)
    if not os.path.exists(path):
        with open(path, "w") as f:
            json.dump(c, f)
    return path


def materialize(entry, tmp, gdfo):
    """Writes the entry's pipeline (and telemetry) to tmp; returns (pipeline, telemetry)."""
    out = os.path.join(tmp, entry["name"] + ".json")
    tel = None
    if entry["source"] == "generate":
        cmd = [gdfo, "generate", entry["family"], "--seed", str(entry["seed"]),
               "--scale-bytes", repr(float(entry["scale_bytes"])), "--out", out]
        if "stages" in entry:
            cmd += ["--stages", str(entry["stages"])]
        for key, flag in (("run", "--run"), ("growth", "--growth"), ("skew_shift", "--skew-shift"),
                          ("column_run", "--column-run")):
            if key in entry:
                cmd += [flag, str(entry[key])]
        run(cmd)
    elif entry["source"] == "file":
        out = os.path.join(ROOT, entry["path"])
    elif entry["source"] == "eventlog":
        tel = os.path.join(tmp, entry["name"] + ".telemetry.json")
        run([gdfo, "ingest", "--pipeline", "-o", out, os.path.join(ROOT, entry["path"])])
        run([gdfo, "ingest", "--telemetry", "-o", tel, os.path.join(ROOT, entry["path"])])
    else:
        raise ValueError("unknown source %r" % entry["source"])
    return out, tel


def objective_args(suite, names):
    args = []
    for n in names:
        o = suite["objectives"][n]
        spec = "%s=%g,%g,%g" % (n, o["throughput_weight"], o["latency_weight"], o["cost_weight"])
        if o.get("slo_factor"):
            spec += ",%g" % o["slo_factor"]
        args += ["--objective", spec]
    return args


def c_methods(suite, entry, tmp, budgets, runs, methods=None, extra=None):
    """Runs build/bench/quality on one pipeline; returns its records."""
    gdfo = os.path.join(BUILD, "gdfo")
    pipeline, tel = materialize(entry, tmp, gdfo)
    cmd = [os.path.join(BUILD, "bench", "quality"), pipeline, "--name", entry["name"],
           "--runs", str(runs), "--random", str(budgets["random"]), "--local", str(budgets["local"]),
           "--best", str(budgets["best_known"]), "--exhaustive-max", str(budgets["exhaustive_max"])]
    if tel:
        cmd += ["--telemetry", tel]
    c = cluster_file(suite, entry["cluster"], tmp)
    if c:
        cmd += ["--cluster", c]
    if methods:
        cmd += ["--methods", methods]
    if extra:
        cmd += extra
    cmd += objective_args(suite, entry["objectives"])
    t0 = time.time()
    out = run(cmd)
    recs = [json.loads(line) for line in out.splitlines() if line.strip()]
    for r in recs:
        r["family"] = entry.get("family", entry["source"])
        r["split"] = entry["split"]
        r["cluster"] = entry["cluster"]
    return recs, time.time() - t0


def drift_entries(scenario):
    """The scenario's steps as suite entries (docs/quality.md "Drift")."""
    steps = []
    for k in range(scenario["steps"]):
        e = {"name": "%s-step%d" % (scenario["name"], k), "split": "drift", "source": "generate",
             "family": scenario["family"], "seed": scenario["seed"], "run": k,
             "scale_bytes": scenario["scale_bytes"], "growth": 0, "skew_shift": 0, "column_run": 0,
             "cluster": "default", "objectives": [scenario["objective"]]}
        if k >= scenario["shift"]:
            after = scenario["after"]
            if "scale_factor" in after:
                e["scale_bytes"] = scenario["scale_bytes"] * after["scale_factor"]
            if "skew_shift" in after:
                e["skew_shift"] = after["skew_shift"]
            if "column_run" in after:
                e["column_run"] = after["column_run"]
        steps.append(e)
    return steps


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", default=os.path.join(ROOT, "bench", "quality_suite.json"))
    ap.add_argument("--split", default="eval", choices=["eval", "train"])
    ap.add_argument("--quick", action="store_true", help="two pipelines, small budgets (make test)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--no-tpe", action="store_true")
    ap.add_argument("--no-drift", action="store_true")
    ap.add_argument("--results", default=os.path.join(ROOT, "bench", "results"))
    ap.add_argument("--figures", default=os.path.join(ROOT, "docs"))
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "default.gdfonn"),
                    help="policy model of the learned methods (none: no learned rows)")
    ap.add_argument("--methods", default=None, help="only these C methods (comma-separated)")
    ap.add_argument("--report-only", action="store_true",
                    help="redo the report from the last run's results/quality-raw.json")
    a = ap.parse_args()
    if a.report_only:
        with open(os.path.join(a.results, "quality-raw.json")) as f:
            raw = json.load(f)
        sys.path.insert(0, os.path.join(ROOT, "bench"))
        import quality_report
        quality_report.report(raw["records"], raw["drift"], raw["front"], a.results, a.figures,
                              raw["elapsed"], raw["tpe_secs"])
        return

    with open(a.suite) as f:
        suite = json.load(f)
    budgets = dict(suite["budgets"])
    runs = suite["judge"]["runs"]
    entries = [e for e in suite["pipelines"] if e["split"] == a.split]
    scenarios = suite["drift"]
    if a.quick:
        entries = entries[:2]
        for e in entries:
            e["objectives"] = e["objectives"][:2]
        budgets.update({"random": 5, "local": 5, "best_known": 20, "exhaustive_max": 20, "tpe": [3, 5]})
        scenarios = scenarios[:1]
        scenarios[0] = dict(scenarios[0], steps=4, shift=2)
    os.makedirs(a.results, exist_ok=True)
    t_start = time.time()
    records, drift = [], []
    with tempfile.TemporaryDirectory() as tmp:
        front_file = os.path.join(tmp, "front.jsonl")
        with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
            futs = {}
            front_of = next((e["name"] for e in entries if e["name"] == "example-retail_etl"), entries[0]["name"])
            learned = ["--model", a.model] if a.model and os.path.exists(a.model) else []
            if not learned:
                log("no policy model at %s (make model): no learned rows" % a.model)
            for e in entries:
                extra = (["--front", front_file] if e["name"] == front_of else []) + learned
                futs[pool.submit(c_methods, suite, e, tmp, budgets, runs, a.methods, extra)] = e
            for n, fut in enumerate(concurrent.futures.as_completed(futs), 1):
                recs, secs = fut.result()
                records += recs
                log("C methods %d/%d %s (%.1f s)" % (n, len(entries), futs[fut]["name"], secs))
            if not a.no_drift:
                dbud = dict(budgets, best_known=min(budgets["best_known"], 150))

                def scenario(sc):
                    """The steps in order: the rules of step k read the telemetry of
                    step k-1's rules plan run (the host's last run)."""
                    out, last = [], None
                    for k, e in enumerate(drift_entries(sc)):
                        rec = os.path.join(tmp, "%s.rules-run.json" % e["name"])
                        extra = ["--record-rules", rec] + (["--rules-telemetry", last] if last else [])
                        recs, _ = c_methods(suite, e, tmp, dbud, runs, "static,rules,best-known", extra)
                        last = rec
                        for r in recs:
                            out.append({"bench": "quality-drift", "method": r["method"], "scenario": sc["name"],
                                        "step": k, "shift": sc["shift"], "reward": r["reward"],
                                        "latency_ms": r["latency_ms"], "cost": r["cost"], "success": r["success"],
                                        "judge_runs": 1 if r["method"] == "rules" else 0 if r["method"] == "static"
                                        else r["judge_runs"]})
                    return out
                for recs in pool.map(scenario, scenarios):
                    drift += recs
                log("drift: %d scenarios x %d steps" % (len(scenarios), scenarios[0]["steps"]))
        front = []
        if os.path.exists(front_file):
            with open(front_file) as f:
                front = [json.loads(line) for line in f]
        tpe_secs = 0.0
        if not a.no_tpe:
            tpe_out = os.path.join(tmp, "tpe.jsonl")
            script = os.path.join(ROOT, "bench", "quality_tpe.py")
            have_optuna = subprocess.run(["/usr/bin/python3", "-c", "import optuna"], capture_output=True).returncode == 0
            if not have_optuna:
                log("Optuna is not installed (bash .ci/deps.sh --bench): no TPE rows")
            elif os.path.exists(script):
                t0 = time.time()
                cmd = ["/usr/bin/python3", script, "--suite", a.suite, "--split", a.split, "--out", tpe_out]
                if a.quick:
                    cmd.append("--quick")
                if a.no_drift:
                    cmd.append("--no-drift")
                subprocess.run(cmd, cwd=ROOT, check=True, env=dict(os.environ, GDFO_CLI=os.path.join(BUILD, "gdfo")))
                tpe_secs = time.time() - t0
                with open(tpe_out) as f:
                    for line in f:
                        r = json.loads(line)
                        (drift if r["bench"] == "quality-drift" else records).append(r)
            else:
                log("bench/quality_tpe.py not found: no TPE rows")
    elapsed = time.time() - t_start
    # Everything measured, before the report: `--report-only` redraws from it.
    with open(os.path.join(a.results, "quality-raw.json"), "w") as f:
        json.dump({"records": records, "drift": drift, "front": front, "elapsed": elapsed,
                   "tpe_secs": tpe_secs}, f)
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    import quality_report
    quality_report.report(records, drift, front, a.results, a.figures, elapsed, tpe_secs, quick=a.quick)


if __name__ == "__main__":
    main()
