#!/bin/sh
# Graph encoder: libgdfo (bench/encoder.c) vs PyTorch (bench/encoder_torch.py),
# same weights (the C side's weights file), same pipeline, same thread count,
# batch 1, side by side in one run. Prints a table, then one JSON object per
# measurement (also appended to bench/results/latest.jsonl).
# Environment: BUILD (build dir), PYTHON (with torch), ENCODER_SECONDS
# (time budget per measurement, default 0.4), ENCODER_THREADS ("1 2").
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
BIN=${ENCODER_BIN:-$BUILD/bench/encoder}
SECONDS_PER=${ENCODER_SECONDS:-0.4}
THREADS=${ENCODER_THREADS:-"1 2"}
mkdir -p bench/results
tmp=$(mktemp -d)
json=$tmp/json
trap 'rm -rf "$tmp"' EXIT

if ! $PYTHON -c "import torch" 2>/dev/null; then
	echo "encoder bench: $PYTHON cannot import torch (apt-get install python3-torch)"; exit 1
fi
get() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs"
echo "method: batch 1, median of repeated forwards (~${SECONDS_PER} s each side), torch.inference_mode,"
echo "        torch = faster of eager and torch.jit frozen trace; OPENBLAS_NUM_THREADS / torch.set_num_threads = threads"
echo "        GFLOP/s counts matrix products only; peak = sgemm 1024^3 median in this run"
printf '%-4s %-5s %-5s %-3s %-7s %-6s %10s %10s %10s %7s %9s %6s %9s\n' \
	thr n d L sparse heads gdfo_us torch_us "(mode)" ratio gdfo_GF/s peak% maxdiff

for t in $THREADS; do
	peak=$(OPENBLAS_NUM_THREADS=$t $BIN peak | sed -n 's/sgemm_peak_gflops=//p')
	echo "-- $t thread(s): sgemm peak $peak GFLOP/s"
	for cfg in "64 2 4" "128 4 8"; do
		set -- $cfg
		d=$1 L=$2 H=$3
		for n in 8 32 128 512 1024; do
			thr=100000
			if [ $n -eq 1024 ]; then thr=256; fi
			c=$(OPENBLAS_NUM_THREADS=$t $BIN run $tmp $n $d $L $H $thr $SECONDS_PER) || exit 1
			p=$(OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t $PYTHON bench/encoder_torch.py $tmp $t $SECONDS_PER) || exit 1
			gus=$(get "$c" gdfo_us); mf=$(get "$c" mflop); sp=$(get "$c" sparse)
			tus=$(get "$p" torch_us)
			mode=jit; [ "$(get "$p" eager_us)" = "$tus" ] && mode=eager
			sparse=false; [ "$sp" = 1 ] && sparse=true
			line=$(awk -v g="$gus" -v tt="$tus" -v mf="$mf" -v pk="$peak" 'BEGIN {
				printf "%.2f %.1f %.0f", tt / g, mf / g * 1e3, 100 * (mf / g * 1e3) / pk }')
			set -- $line
			printf '%-4s %-5s %-5s %-3s %-7s %-6s %10s %10s %10s %7s %9s %6s %9s\n' \
				$t $n $d $L $sparse $H $gus $tus "($mode)" $1 $2 $3 "$(get "$p" maxdiff)"
			echo "{\"bench\": \"encoder\", \"n\": $n, \"d\": $d, \"layers\": $L, \"heads\": $H, \"threads\": $t, \"sparse\": $sparse, \"gdfo_us\": $gus, \"torch_us\": $tus, \"ratio\": $1, \"gdfo_gflops\": $2, \"sgemm_peak_gflops\": $peak}" >> $json
			[ $n -eq 128 ] && eval "d128_$d=$gus"
			if [ $n -eq 1024 ]; then
				eval "base=\$d128_$d"
				awk -v a="$gus" -v b="$base" -v d=$d -v t=$t 'BEGIN {
					printf "     sparse check d=%s: 1024 stages (sparse) / 128 stages (dense) = %.2fx (target well under 10x)\n", d, a / b }'
			fi
		done
	done
done
cat $json
cat $json >> bench/results/latest.jsonl
