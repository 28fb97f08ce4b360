"""Tables, JSONL and figures of the plan-quality benchmark (bench/quality.py).

Regret is against the best known plan of the same pipeline and objective:
the highest reward any method reached there (the best-known search
included), so it is never negative. "beats input" is the share of
pipelines where the plan's reward is above 0 (the seeds' "recommendation
accuracy"). docs/quality.md explains every column.
"""
import json
import os
import statistics

METHOD_ORDER = ["static", "rules", "rules-point", "random", "local", "tpe-10", "tpe-50", "learned", "best-known"]


def pct(xs, q):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def methods_of(records):
    seen = {r["method"] for r in records}
    return [m for m in METHOD_ORDER if m in seen] + sorted(seen - set(METHOD_ORDER))


def add_regret(records):
    best = {}
    for r in records:
        key = (r["pipeline"], r["objective"])
        best[key] = max(best.get(key, float("-inf")), r["reward"])
    for r in records:
        r["regret"] = best[(r["pipeline"], r["objective"])] - r["reward"]


def table(rows, title):
    out = [title]
    out.append("%-11s %4s %9s %9s %9s %9s %8s %8s %8s %7s %6s %9s %9s" % (
        "method", "n", "lat mean", "lat med", "lat p90", "cost med", "R mean", "R med", "regret", "beats", "runs",
        "ms/plan", "ms/trial"))
    for m, rs in rows:
        if not rs:
            continue
        lat = [r["latency_change"] for r in rs]
        rew = [r["reward"] for r in rs]
        out.append("%-11s %4d %+8.1f%% %+8.1f%% %+8.1f%% %+8.1f%% %8.3f %8.3f %8.3f %6.0f%% %6.0f %9.2f %9.3f" % (
            m, len(rs), 100 * statistics.mean(lat), 100 * statistics.median(lat), 100 * pct(lat, 0.9),
            100 * statistics.median(r["cost_change"] for r in rs),
            statistics.mean(rew), statistics.median(rew), statistics.mean(r["regret"] for r in rs),
            100.0 * sum(1 for x in rew if x > 0) / len(rew), statistics.median(r["judge_runs"] for r in rs),
            statistics.median(r["optimizer_ms_per_decision"] for r in rs),
            statistics.median(r.get("optimizer_ms_per_trial", r["optimizer_ms_per_decision"]) for r in rs)))
    return "\n".join(out)


def drift_table(drift):
    out = ["drift: runs after the shift until the reward is within 0.05 of the step's best known plan;",
           "       runs after the shift with a reward below 0 (worse than that step's input)"]
    out.append("%-12s %-15s %14s %12s %10s" % ("scenario", "method", "runs to 5 %", "runs worse", "mean R"))
    best = {}
    for r in drift:
        if r["method"] == "best-known":
            best[(r["scenario"], r["step"])] = r["reward"]
    for sc in sorted({r["scenario"] for r in drift}):
        for m in methods_of([r for r in drift if r["scenario"] == sc]):
            rs = sorted((r for r in drift if r["scenario"] == sc and r["method"] == m), key=lambda r: r["step"])
            if not rs or m == "best-known":
                continue
            shift = rs[0].get("shift", 0)
            after = [r for r in rs if r["step"] >= shift]
            conv = next((i + 1 for i, r in enumerate(after)
                         if r["reward"] >= best.get((sc, r["step"]), float("inf")) - 0.05), None)
            worse = sum(1 for r in after if r["reward"] < 0)
            out.append("%-12s %-15s %14s %12d %10.3f" % (sc, m, conv if conv else "never (%d)" % len(after),
                                                           worse, statistics.mean(r["reward"] for r in rs)))
    return "\n".join(out)


def figures(records, drift, front, figdir):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    made = []
    objs = sorted({r["objective"] for r in records})
    methods = methods_of(records)
    if records:
        fig, axes = plt.subplots(1, len(objs), figsize=(4 * len(objs), 3.6), sharey=True, squeeze=False)
        for ax, o in zip(axes[0], objs):
            for i, m in enumerate(methods):
                rew = [r["reward"] for r in records if r["objective"] == o and r["method"] == m]
                if not rew:
                    continue
                med = statistics.median(rew)
                ax.bar(i, statistics.mean(rew), color="C%d" % i, alpha=0.8)
                ax.errorbar(i, med, yerr=[[med - pct(rew, 0.25)], [pct(rew, 0.75) - med]], fmt="k.", capsize=3)
            ax.axhline(0, color="grey", lw=0.8)
            ax.set_xticks(range(len(methods)))
            ax.set_xticklabels(methods, rotation=45, ha="right", fontsize=8)
            ax.set_title("objective: %s" % o, fontsize=9)
        axes[0][0].set_ylabel("reward R vs the input")
        fig.suptitle("bars: mean; dots: median with 25-75 % range", fontsize=8)
        fig.tight_layout()
        path = os.path.join(figdir, "quality_methods.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        made.append(path)
    if drift:
        scs = sorted({r["scenario"] for r in drift})
        fig, axes = plt.subplots(1, len(scs), figsize=(4.2 * len(scs), 3.4), squeeze=False)
        for ax, sc in zip(axes[0], scs):
            for i, m in enumerate(methods_of([r for r in drift if r["scenario"] == sc])):
                rs = sorted((r for r in drift if r["scenario"] == sc and r["method"] == m), key=lambda r: r["step"])
                ax.plot([r["step"] for r in rs], [r["reward"] for r in rs], marker="o", ms=3, label=m,
                        ls="--" if m == "best-known" else "-")
                if rs:
                    ax.axvline(rs[0].get("shift", 0) - 0.5, color="grey", lw=0.8, ls=":")
            ax.set_title(sc, fontsize=9)
            ax.set_xlabel("step (one judge run each)")
            ax.set_yscale("symlog", linthresh=1)  # a bad plan's R is unbounded below
        axes[0][0].set_ylabel("reward R vs the step's input (symlog)")
        axes[0][-1].legend(fontsize=7)
        fig.tight_layout()
        path = os.path.join(figdir, "quality_drift.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        made.append(path)
    if front:
        name = front[0]["pipeline"]
        fig, ax = plt.subplots(figsize=(5.2, 4))
        pts = [f for f in front if f["pipeline"] == name and f["success"]]
        ax.scatter([f["latency_ms"] / 1e3 for f in pts], [f["cost"] for f in pts], s=4, c="lightgrey",
                   label="plans judged")
        for i, m in enumerate(methods):
            rs = [r for r in records if r["pipeline"] == name and r["method"] == m and r["objective"] == "balanced"]
            for r in rs:
                if "latency_ms" in r:
                    ax.scatter(r["latency_ms"] / 1e3, r["cost"], s=40, color="C%d" % i, label=m, edgecolor="k")
        ax.set_xlabel("latency (s)")
        ax.set_ylabel("cost")
        ax.set_title("%s: cost-latency (balanced objective)" % name, fontsize=9)
        ax.legend(fontsize=7)
        fig.tight_layout()
        path = os.path.join(figdir, "quality_front.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        made.append(path)
    return made


def report(records, drift, front, results_dir, figdir, elapsed, tpe_secs, quick=False):
    add_regret(records)
    methods = methods_of(records)
    print("plan quality: %d pipelines, %d records, %.0f s (TPE %.0f s)" % (
        len({r["pipeline"] for r in records}), len(records), elapsed, tpe_secs))
    print()
    print(table([(m, [r for r in records if r["method"] == m]) for m in methods], "all objectives"))
    for o in sorted({r["objective"] for r in records}):
        print()
        print(table([(m, [r for r in records if r["method"] == m and r["objective"] == o]) for m in methods],
                    "objective: %s" % o))
    fams = sorted({r["family"] for r in records})
    for o in [None] + sorted({r["objective"] for r in records}):
        print()
        print("mean reward by family (%s)" % ("all objectives" if o is None else "objective: " + o))
        print("%-11s" % "method" + "".join(" %13s" % f[:13] for f in fams))
        for m in methods:
            cells = []
            for f in fams:
                rew = [r["reward"] for r in records if r["method"] == m and r["family"] == f and
                       (o is None or r["objective"] == o)]
                cells.append(" %13s" % ("%.3f" % statistics.mean(rew) if rew else "-"))
            print("%-11s" % m + "".join(cells))
    if drift:
        print()
        print(drift_table(drift))
    path = os.path.join(results_dir, "latest.jsonl")
    keep = []
    if os.path.exists(path):
        with open(path) as f:
            keep = [line for line in f if '"bench": "quality' not in line]
    with open(path + ".tmp", "w") as f:
        f.writelines(keep)
        for r in records + drift:
            f.write(json.dumps(r) + "\n")
    os.replace(path + ".tmp", path)
    if not quick:
        for p in figures(records, drift, front, figdir):
            print("figure: %s" % os.path.relpath(p))
