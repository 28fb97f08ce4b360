#!/bin/sh
# Graph encoder: libgdfo (bench/encoder.c) vs PyTorch (bench/encoder_torch.py),
# same weights (the C side's weights file), same pipeline, same thread count,
# batch 1, side by side in one run. Prints a table, then one JSON object per
# measurement (also appended to bench/results/latest.jsonl).
# Environment: BUILD (build dir), PYTHON (with torch), ENCODER_SECONDS
# (time budget per side and round, default 0.3), ENCODER_ROUNDS (alternating
# rounds per configuration, default 3), ENCODER_THREADS ("1 2").
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
BIN=${ENCODER_BIN:-$BUILD/bench/encoder}
SECONDS_PER=${ENCODER_SECONDS:-0.3}
ROUNDS=${ENCODER_ROUNDS:-3}
THREADS=${ENCODER_THREADS:-"1 2"}
mkdir -p bench/results
tmp=$(mktemp -d)
json=$tmp/json
trap 'rm -rf "$tmp"' EXIT

if ! $PYTHON -c "import torch" 2>/dev/null; then
	echo "encoder bench: $PYTHON cannot import torch (apt-get install python3-torch)"; exit 1
fi
get() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
med() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 } END {
	if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs"
echo "method: batch 1; $ROUNDS alternating rounds of libgdfo then PyTorch, each the median of"
echo "        repeated forwards (~${SECONDS_PER} s); the table shows the median over rounds."
echo "        torch.inference_mode, torch = faster of eager and torch.jit frozen trace;"
echo "        OPENBLAS_NUM_THREADS / torch.set_num_threads = threads."
echo "        GF/s counts matrix-product FLOPs only: e2e = all of them over the whole forward,"
echo "        blas = those done by sgemm over the time inside the library's sgemm calls (the"
echo "        sparse path's gathered attention is not sgemm); peak = sgemm 1024^3 median in this run"
printf '%-4s %-5s %-4s %-2s %-6s %-5s %9s %10s %7s %6s %6s %5s %6s %5s %8s\n' \
	thr n d L sparse heads gdfo_us torch_us "(mode)" ratio e2e_GF peak% blasGF peak% maxdiff

for t in $THREADS; do
	peak=$(OPENBLAS_NUM_THREADS=$t $BIN peak | sed -n 's/sgemm_peak_gflops=//p')
	echo "-- $t thread(s): sgemm peak $peak GFLOP/s"
	for cfg in "64 2 4" "128 4 8"; do
		set -- $cfg
		d=$1 L=$2 H=$3
		for n in 8 32 128 512 1024; do
			thr=100000
			if [ $n -eq 1024 ]; then thr=256; fi
			gl= bl= tl= jl= el=
			r=0
			while [ $r -lt $ROUNDS ]; do
				c=$(OPENBLAS_NUM_THREADS=$t $BIN run $tmp $n $d $L $H $thr $SECONDS_PER) || exit 1
				p=$(OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t $PYTHON bench/encoder_torch.py $tmp $t $SECONDS_PER) || exit 1
				gl="$gl $(get "$c" gdfo_us)"; bl="$bl $(get "$c" blas_us)"
				tl="$tl $(get "$p" torch_us)"; el="$el $(get "$p" eager_us)"; jl="$jl $(get "$p" jit_us)"
				r=$((r + 1))
			done
			gus=$(echo $gl | med); blus=$(echo $bl | med); tus=$(echo $tl | med)
			mf=$(get "$c" mflop); bmf=$(get "$c" blas_mflop); sp=$(get "$c" sparse)
			mode=$(awk -v e="$(echo $el | med)" -v j="$(echo $jl | med)" 'BEGIN { print (e <= j) ? "eager" : "jit" }')
			sparse=false; [ "$sp" = 1 ] && sparse=true
			line=$(awk -v g="$gus" -v b="$blus" -v tt="$tus" -v mf="$mf" -v bmf="$bmf" -v pk="$peak" 'BEGIN {
				e = mf / g * 1e3; q = bmf / b * 1e3
				printf "%.2f %.1f %.0f %.1f %.0f", tt / g, e, 100 * e / pk, q, 100 * q / pk }')
			set -- $line
			printf '%-4s %-5s %-4s %-2s %-6s %-5s %9s %10s %7s %6s %6s %5s %6s %5s %8s\n' \
				$t $n $d $L $sparse $H $gus $tus "($mode)" $1 $2 $3 $4 $5 "$(get "$p" maxdiff)"
			echo "{\"bench\": \"encoder\", \"n\": $n, \"d\": $d, \"layers\": $L, \"heads\": $H, \"threads\": $t, \"sparse\": $sparse, \"gdfo_us\": $gus, \"torch_us\": $tus, \"ratio\": $1, \"gdfo_gflops\": $2, \"sgemm_peak_gflops\": $peak, \"gdfo_blas_us\": $blus, \"gdfo_blas_gflops\": $4, \"rounds\": $ROUNDS}" >> $json
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
