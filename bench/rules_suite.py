#!/usr/bin/python3
"""Rules plans against their input on generated pipelines (docs/rules.md).

For every pipeline (gdfo generate FAMILY --seed S) and cluster (the built-in
model, examples/clusters/dataproc-8x16.json):
  - the rules plan under each objective (latency=1, cost=1, and 1,1,1) with
    the simulator check on, predicted by `gdfo optimize` (deterministic DES):
    it must never be worse than the input under that objective;
  - the same rules without the check (--no-check), for comparison;
  - the DES judge with noise: `gdfo simulate --noise 0.2 --runs 5` on the
    (1,1,1) plan and on the input; "better" is a positive (1,1,1) reward
    (throughput gain - latency increase - cost increase) of the noisy means.
Prints a markdown table and the totals; exits 1 if a plan is predicted worse.
Environment: BUILD (default build).
"""
import json, os, subprocess, sys, tempfile

G = os.path.join(os.environ.get("BUILD", "build"), "gdfo")
FAMILIES = ["retail-etl", "iot-streaming", "tpch", "tpcds", "random"]
SEEDS = [1, 2, 3, 4, 5, 6]
CLUSTERS = [("default", None), ("dataproc-8x16", "examples/clusters/dataproc-8x16.json")]
OBJECTIVES = [("latency", "latency=1"), ("cost", "cost=1"), ("1,1,1", "throughput=1,latency=1,cost=1")]


def gdfo(*args):
    return subprocess.run([G] + list(args), check=True, capture_output=True, text=True).stdout


def reward(lat, cost, blat, bcost):
    """(1,1,1) reward against the input; same records, so throughput gain = blat/lat - 1."""
    return (blat / lat - 1) - (lat / blat - 1) - (cost / bcost - 1)


def main():
    tmp = tempfile.mkdtemp()
    rows, worse, better, judged, lat_better = [], 0, 0, 0, 0
    for fam in FAMILIES:
        for seed in SEEDS:
            path = os.path.join(tmp, "%s-%d.json" % (fam, seed))
            gdfo("generate", fam, "--seed", str(seed), "--out", path)
            for cname, cfile in CLUSTERS:
                copt = ["--cluster", cfile] if cfile else []
                pred = {}
                for oname, spec in OBJECTIVES:
                    plan = json.loads(gdfo("optimize", "--rules", *copt, "--objective", spec, path))
                    p = plan["prediction"]
                    pred[oname] = (p["latency_ms"], p["cost"], p["baseline_latency_ms"], p["baseline_cost"],
                                   len(plan["changes"]), len(plan.get("rejected", [])))
                    if oname == "1,1,1":
                        planfile = os.path.join(tmp, "plan-%s-%d-%s.json" % (fam, seed, cname))
                        with open(planfile, "w") as f:
                            json.dump(plan, f)
                un = json.loads(gdfo("optimize", "--rules", *copt, "--no-check", path))["prediction"]
                lat, cost, blat, bcost, nch, nrej = pred["1,1,1"]
                bad = []
                if pred["latency"][0] > pred["latency"][2]:
                    bad.append("latency")
                if pred["cost"][1] > pred["cost"][3]:
                    bad.append("cost")
                if reward(lat, cost, blat, bcost) < -1e-12:
                    bad.append("1,1,1")
                worse += bool(bad)
                noise = ["--noise", "0.2", "--runs", "5"]
                si = json.loads(gdfo("simulate", "--pipeline", path, *copt, *noise))
                sp = json.loads(gdfo("simulate", "--plan", planfile, *copt, *noise))
                r = reward(sp["makespan_ms"], sp["cost"], si["makespan_ms"], si["cost"])
                judged += 1
                better += r > 0
                lat_better += sp["makespan_ms"] < si["makespan_ms"]
                rows.append("| %s %d | %s | %d / %d | %+.1f %% | %+.1f %% | %+.1f / %+.1f / %+.1f %% | %+.1f / %+.1f %% | %+.1f / %+.1f / %+.1f %% | %s |" % (
                    fam, seed, cname, nch, nrej,
                    100 * (pred["latency"][0] / pred["latency"][2] - 1),
                    100 * (pred["cost"][1] / pred["cost"][3] - 1),
                    100 * (lat / blat - 1), 100 * (cost / bcost - 1),
                    100 * reward(lat, cost, blat, bcost) / 3,
                    100 * (un["latency_ms"] / un["baseline_latency_ms"] - 1),
                    100 * (un["cost"] / un["baseline_cost"] - 1),
                    100 * (sp["makespan_ms"] / si["makespan_ms"] - 1),
                    100 * (sp["cost"] / si["cost"] - 1),
                    100 * r / 3, ", ".join(bad) or "no"))
    print("| pipeline (family seed) | cluster | (1,1,1) plan: changes / rejected | latency plan: latency "
          "| cost plan: cost | (1,1,1) plan: latency / cost / objective | unchecked: latency / cost "
          "| DES + noise, (1,1,1) plan: latency / cost / objective | predicted worse? |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    print()
    print("pipelines x clusters: %d; predicted worse than the input under some objective: %d" % (judged, worse))
    print("DES judge with noise (0.2, 5 runs), (1,1,1) plan better than the input: %d of %d (%.1f %%); "
          "faster: %d of %d" % (better, judged, 100.0 * better / judged, lat_better, judged))
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
