#!/usr/bin/env python3
"""Re-measures the model effects of issue 9 "Why" that docs/simulator.md
("Effects re-measured (issue 9)") explains: compaction_every on
tpch seed 1, target_file_bytes on random seed 4 and on 30 generated
pipelines, and the risk of a plan predicted slower than its input.

Run after make: /usr/bin/python3 bench/effects.py (BUILD=build by default).
Deterministic DES (gdfo simulate defaults), the built-in cluster model.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile

BUILD = os.environ.get("BUILD", "build")
G = os.path.join(BUILD, "gdfo")
TMP = tempfile.mkdtemp()


def run(*args):
    out = subprocess.run([G] + [str(a) for a in args], capture_output=True, text=True)
    if out.returncode:
        sys.exit("gdfo %s: %s" % (" ".join(map(str, args)), out.stderr.strip()))
    return out.stdout


def generate(family, seed):
    return json.loads(run("generate", family, "--seed", seed))


def simulate(doc, *extra):
    path = os.path.join(TMP, "p.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    return json.loads(run("simulate", "--pipeline", path, *extra))


def set_sinks(doc, knob, value):
    for s in doc["stages"]:
        if s["op"] == "sink":
            s.setdefault("knobs", {})[knob] = value


def main():
    print("# compaction_every on tpch seed 1 (latency, s; the sink stage's duration, s)")
    d = generate("tpch", 1)
    for extra in ((), ("--run-index", 0), ("--run-index", 3)):
        row = []
        for n in (0, 1, 4, 16):
            set_sinks(d, "compaction_every", n)
            r = simulate(d, *extra)
            sink = [s for s in r["stages"] if s["files_written"] > 0][0]
            row.append("N=%d %.1f (%.1f)" % (n, r["makespan_ms"] / 1e3, sink["duration_ms"] / 1e3))
        print("  %-16s %s" % (" ".join(map(str, extra)) or "amortized", "  ".join(row)))

    print("# target_file_bytes on random seed 4 (latency, s; sinks' tasks)")
    d = generate("random", 4)
    for t in (0, 128 << 20, 1 << 30):
        set_sinks(d, "target_file_bytes", t)
        r = simulate(d)
        tasks = [int(s["tasks"]) for s in r["stages"] if s["files_written"] > 0]
        print("  %4d MiB  %.1f s  tasks %s" % (t >> 20, r["makespan_ms"] / 1e3, tasks))

    print("# 30 generated pipelines (5 families x seeds 1-6): latency change against the engine default")
    comp, big = [], []
    for fam in ("retail-etl", "iot-streaming", "tpch", "tpcds", "random"):
        for seed in range(1, 7):
            d = generate(fam, seed)
            base = simulate(d)["makespan_ms"]
            set_sinks(d, "compaction_every", 1)
            comp.append(simulate(d)["makespan_ms"] / base - 1)
            set_sinks(d, "compaction_every", 0)
            set_sinks(d, "target_file_bytes", 1 << 30)
            big.append(simulate(d)["makespan_ms"] / base - 1)
    for name, v in (("compaction_every 1", comp), ("target_file_bytes 1 GiB", big)):
        print("  %-24s min %+.1f %%  median %+.1f %%  max %+.1f %%" % (
            name, 100 * min(v), 100 * statistics.median(v), 100 * max(v)))

    print("# a plan predicted slower than its input: iot-streaming seed 9, gdfo optimize --no-check")
    path = os.path.join(TMP, "iot9.json")
    run("generate", "iot-streaming", "--seed", 9, "--out", path)
    for flag in ("--no-check", "--check"):
        plan = json.loads(run("optimize", flag, path))
        p = plan["prediction"]
        print("  %-10s risk %-6s %+.1f %% latency  notes: %s" % (
            flag, plan["risk"], 100 * (p["latency_ms"] / p["baseline_latency_ms"] - 1),
            [n for n in plan.get("notes", []) if n.startswith("predicted slower")]))


if __name__ == "__main__":
    main()
