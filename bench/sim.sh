#!/bin/sh
# Simulator speed (bench/sim.c): analytic evaluations/s of a 20-stage
# pipeline and DES task events/s replaying the NDS q72 job profile (built
# here with `gdfo ingest --profile` from ../shared/data/spark-events), single
# thread, medians of 7 timed batches, side by side in one run. JSON lines
# go to stdout and are appended to bench/results/latest.jsonl.
# Environment: BUILD, GDFO_SHARED_DATA, SIM_SECONDS (per batch, default 0.3).
BUILD=${BUILD:-build}
DATA=${GDFO_SHARED_DATA:-../shared/data}
LOG=$DATA/spark-events/spark-rapids-tools/nds_q72_dataproc_2_2.zstd
mkdir -p bench/results
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ ! -f "$LOG" ]; then echo "sim bench: $LOG not found (set GDFO_SHARED_DATA)"; exit 1; fi
$BUILD/gdfo ingest --profile -o "$tmp/nds_q72.profile.json" "$LOG" || exit 1
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs"
echo "method: 1 thread, one reused gdfo_sim handle (no allocation in the timed loops),"
echo "        7 timed batches of ~${SIM_SECONDS:-0.3} s each, median (min and max shown);"
echo "        DES = exact replay of every stage of the NDS q72 event log at 8 x 16 cores;"
echo "        a task event is one task attempt started and finished"
OPENBLAS_NUM_THREADS=1 $BUILD/bench/sim "$tmp/nds_q72.profile.json" "${SIM_SECONDS:-0.3}" > "$tmp/out.jsonl" || exit 1
sed "s|\"profile\": \"[^\"]*\"|\"profile\": \"nds_q72_dataproc_2_2\"|" "$tmp/out.jsonl" | tee -a bench/results/latest.jsonl
