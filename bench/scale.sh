#!/bin/sh
# Scale in the number of stages (bench/scale.c): every phase of planning a
# pipeline (build, JSON out and in, validate, fingerprint, the rule-based
# optimizer without and with the simulator check, the plan's JSON) on a
# chain, a wide DAG (fan-out and fan-in n) and a random DAG at 1k, 10k and
# 100k stages; medians of SCALE_REPS runs up to 10k stages, one run at
# 100k; the check only up to SCALE_CHECK_MAX stages. The last rows put the
# optimizer's time per stage at each size side by side (issue 14 item 7:
# the 10,000-stage figure under 1 s). JSON lines go to stdout and are
# appended to bench/results/latest.jsonl.
# Environment: BUILD, SCALE_REPS (3), SCALE_CHECK_MAX (1300), SCALE_SIZES.
BUILD=${BUILD:-build}
mkdir -p bench/results
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"
echo "method: 1 thread, CPU time per phase (CLOCK_PROCESS_CPUTIME_ID), median of ${SCALE_REPS:-3} runs up to"
echo "        10,000 stages and 1 run above; times still drift up to 2x on a shared machine"
OPENBLAS_NUM_THREADS=1 $BUILD/bench/scale "${SCALE_REPS:-3}" "${SCALE_CHECK_MAX:-1300}" ${SCALE_SIZES:-1000 10000 100000} |
	tee -a bench/results/latest.jsonl
