#!/usr/bin/python3
"""Plots a gdfo what-if table: `gdfo advise --what-if --plot FILE.png` runs it as
    /usr/bin/python3 plot_whatif.py WHATIF.json OUT.png [TITLE]
with WHATIF.json in the form of `gdfo advise --what-if --json`. Needs Debian's
python3-matplotlib (Agg backend, no display)."""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(argv):
    if len(argv) < 3:
        sys.stderr.write("usage: plot_whatif.py WHATIF.json OUT.png [TITLE]\n")
        return 2
    with open(argv[1]) as f:
        doc = json.load(f)
    pts = doc["what_if"]
    rec = doc.get("recommended") or {}
    e = [p["executors"] for p in pts]
    lat = [p["latency_ms"] / 1000.0 for p in pts]
    cost = [p["cost"] for p in pts]
    util = [100.0 * p["utilization"] for p in pts]

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    ax.plot(e, lat, "o-", color="tab:blue", label="latency (s)")
    ax.set_xlabel("executors")
    ax.set_ylabel("latency (s)", color="tab:blue")
    ax.set_xscale("log")
    ax.set_xticks(e)
    ax.set_xticklabels([str(x) for x in e], fontsize=8)
    ax.minorticks_off()
    ax.set_ylim(bottom=0)
    cx = ax.twinx()
    cx.plot(e, cost, "s--", color="tab:red", label="cost")
    cx.set_ylabel("cost", color="tab:red")
    cx.set_ylim(bottom=0)
    for x, y, u in zip(e, lat, util):
        ax.annotate("%.0f%%" % u, (x, y), textcoords="offset points", xytext=(0, 6),
                    ha="center", fontsize=7, color="dimgray")
    if rec:
        ax.axvline(rec["executors"], color="tab:green", linestyle=":")
        ax.annotate("recommended: %d" % rec["executors"], (rec["executors"], 0),
                    textcoords="offset points", xytext=(4, 8), fontsize=8, color="tab:green")
    title = argv[3] if len(argv) > 3 and argv[3] else "what-if"
    ax.set_title("%s: latency, cost and utilization (%%) by executor count" % title, fontsize=10)
    fig.tight_layout()
    fig.savefig(argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
