#!/bin/sh
# The rules plans' table of docs/rules.md "Checked against the model", and the
# time gdfo_optimize_rules takes with and without the simulator check.
# One command: sh bench/rules_suite.sh (after make). Environment: BUILD.
BUILD=${BUILD:-build}
export BUILD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
make -s "$BUILD/bench/rules" >/dev/null || exit 1
/usr/bin/python3 bench/rules_suite.py || status=1
echo
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs"
echo "method: bench/rules, 1 thread, median of 5 calls of gdfo_optimize_rules per pipeline, check on vs off"
for f in retail-etl iot-streaming tpch tpcds random; do
	for s in 1 2 3 4 5 6; do $BUILD/gdfo generate $f --seed $s --out "$tmp/$f-$s.json" || exit 1; done
done
for c in - examples/clusters/dataproc-8x16.json; do
	OPENBLAS_NUM_THREADS=1 $BUILD/bench/rules $c 5 "$tmp"/*.json > "$tmp/t.jsonl" || exit 1
	/usr/bin/python3 - "$tmp/t.jsonl" "$c" <<'PY'
import json, sys, statistics
rows = [json.loads(l) for l in open(sys.argv[1])]
on = [r["ms_checked"] for r in rows]
off = [r["ms_unchecked"] for r in rows]
print("cluster %s: %d pipelines (%d..%d stages): ms per plan checked median %.2f (max %.2f), unchecked median %.3f (max %.3f)" % (
    "built-in" if sys.argv[2] == "-" else sys.argv[2], len(rows), min(r["stages"] for r in rows),
    max(r["stages"] for r in rows), statistics.median(on), max(on), statistics.median(off), max(off)))
PY
done
exit ${status:-0}
