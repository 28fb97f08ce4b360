#!/usr/bin/python3
"""Optuna side of the learned-planning speed benchmark (run by bench/optimize.sh).

usage: optimize_optuna.py SPACE_TXT TRIALS

Optuna's own per-trial overhead over a search space shaped like the
pipeline's decision space: one categorical parameter per decision of
SPACE_TXT (a line per decision: its number of legal choices, written by
`bench/optimize prep`), choices 0..n-1, as bench/quality_tpe.py searches
the space. A study with TPESampler(seed=1) (Optuna's defaults otherwise:
10 random startup trials, then TPE) runs TRIALS trials by ask/tell with a
trivial objective (the sum of the chosen indices, computed in Python), so
the time is Optuna's alone. Prints
  optuna_trial_us=<mean over the TRIALS trials> optuna_trial_cpu_us=<the same
  in thread CPU time> last_trial_us=<median of the last 10 trials> trials=<n> dim=<d>
wall clock unless named cpu, one process, torch not imported.
"""
import sys
import time

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)


def main():
    path, trials = sys.argv[1], int(sys.argv[2])
    counts = [int(line) for line in open(path) if line.strip()]
    dists = {"d%d" % i: optuna.distributions.CategoricalDistribution(list(range(n)))
             for i, n in enumerate(counts)}
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=1))
    ts = []
    c_all = time.thread_time()
    t_all = time.perf_counter()
    for _ in range(trials):
        t0 = time.perf_counter()
        trial = study.ask(dists)
        value = float(sum(trial.params.values()))
        study.tell(trial, value)
        ts.append(time.perf_counter() - t0)
    total = time.perf_counter() - t_all
    cpu = time.thread_time() - c_all
    last = sorted(ts[-10:])
    print("optuna_trial_us=%.1f optuna_trial_cpu_us=%.1f last_trial_us=%.1f trials=%d dim=%d"
          % (total / trials * 1e6, cpu / trials * 1e6,
             (last[4] + last[5]) / 2 * 1e6 if len(last) == 10 else last[len(last) // 2] * 1e6,
             trials, len(counts)))


if __name__ == "__main__":
    main()
