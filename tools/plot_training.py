#!/usr/bin/env python3
"""Draws the training curve of `gdfo train --json` (docs/learning.md).

usage: /usr/bin/python3 tools/plot_training.py LOG.jsonl OUT.png [--title T]

Top: the reward of each update's plans (the expert plans' predicted reward
in the warm start, the judged reward of the policy's sampled plans in PPO)
and its moving average; bottom: the loss per draw and the entropy.
"""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("log")
    ap.add_argument("out")
    ap.add_argument("--title", default="gdfo train")
    a = ap.parse_args()
    rows = []
    with open(a.log) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except ValueError as e:
                sys.exit("plot_training: %s line %d is not JSON: %s" % (a.log, n, e))
    if not rows:
        sys.exit("plot_training: %s has no rows" % a.log)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    for phase, colour in (("warm", "tab:blue"), ("ppo", "tab:orange")):
        r = [x for x in rows if x["phase"] == phase]
        if not r:
            continue
        ep = [x["episode"] for x in r]
        top.plot(ep, [x["reward"] for x in r], color=colour, alpha=0.25, lw=0.8)
        top.plot(ep, [x["reward_avg"] for x in r], color=colour, lw=1.8,
                 label="%s: %s" % (phase, "expert plans' reward (model)" if phase == "warm"
                                   else "sampled plans' judged reward"))
        bottom.plot(ep, [x["policy_loss"] for x in r], color=colour, lw=1.2,
                    label="%s: %s" % (phase, "cross-entropy / draw" if phase == "warm" else "surrogate / draw"))
        bottom.plot(ep, [x["entropy"] for x in r], color=colour, lw=1.0, ls="--", label="%s: entropy / draw" % phase)
    top.set_ylabel("reward R")
    top.legend(fontsize=8)
    top.grid(alpha=0.3)
    bottom.set_ylabel("loss, entropy")
    bottom.set_xlabel("episodes")
    bottom.legend(fontsize=8)
    bottom.grid(alpha=0.3)
    fig.suptitle(a.title)
    fig.tight_layout()
    fig.savefig(a.out, dpi=110)
    print("figure: %s" % a.out)


if __name__ == "__main__":
    main()
