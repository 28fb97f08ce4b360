#!/bin/sh
# Learned planning speed (issue 11 "Speed", docs/bench_optimize.md): a whole
# gdfo_optimizer_plan call (graph to plan with explanations; bench/optimize.c)
# beside PyTorch's bare forward of the same encoder with the same weights
# (bench/optimize_torch.py, encoder_torch.py's model) and Optuna's own per-trial overhead over a space
# of as many categorical decisions (bench/optimize_optuna.py), side by side
# in one run, one thread; then peak RSS over many planning calls.
# Prints a table, then one JSON object per size and one per RSS run (also
# appended to bench/results/latest.jsonl).
# Environment: BUILD (build dir), PYTHON (with torch and optuna),
# OPTIMIZE_MODEL (policy model; default models/default.gdfonn when present,
# else one trained here with `gdfo train --warm 256 --ppo 0`, ~10 s: speed
# does not depend on its quality), OPTIMIZE_STAGES ("32 128"),
# OPTIMIZE_CANDIDATES ("8", the default), OPTIMIZE_SECONDS (time budget per
# measurement and round, default 0.5), OPTIMIZE_ROUNDS (alternating rounds,
# default 3), OPTIMIZE_TRIALS (Optuna trials per study, default 50: the
# plan-quality benchmark's TPE budget), OPTIMIZE_RSS_CALLS (100000),
# OPTIMIZE_RSS_SECONDS (most time per RSS run, default 180: fewer calls are
# made when the calls are slower, and the row says how many).
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
BIN=${OPTIMIZE_BIN:-$BUILD/bench/optimize}
SECONDS_PER=${OPTIMIZE_SECONDS:-0.5}
ROUNDS=${OPTIMIZE_ROUNDS:-3}
SIZES=${OPTIMIZE_STAGES:-"32 128"}
CANDS=${OPTIMIZE_CANDIDATES:-8}
TRIALS=${OPTIMIZE_TRIALS:-50}
RSS_CALLS=${OPTIMIZE_RSS_CALLS:-100000}
RSS_SECONDS=${OPTIMIZE_RSS_SECONDS:-180}
SCALE=10000000000
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
mkdir -p bench/results
tmp=$(mktemp -d)
json=$tmp/json
trap 'rm -rf "$tmp"' EXIT

for m in torch optuna; do
	if ! $PYTHON -c "import $m" 2>/dev/null; then
		echo "optimize bench: $PYTHON cannot import $m (bash .ci/deps.sh --bench)"; exit 1
	fi
done
get() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
med() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 } END {
	if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

model=${OPTIMIZE_MODEL:-}
if [ -z "$model" ] && [ -f models/default.gdfonn ]; then model=models/default.gdfonn; fi
if [ -z "$model" ]; then
	model=$tmp/model.gdfonn
	$BUILD/gdfo train -o $model --warm 256 --ppo 0 --quiet || exit 1
	what="trained here: gdfo train --warm 256 --ppo 0 (seed 1)"
else
	what=$model
fi

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(grep -c ^processor /proc/cpuinfo) CPUs"
echo "load average at start: $(cut -d" " -f1-3 /proc/loadavg) (other work on this machine inflates wall times; rounds alternate so all three sides see it)"
echo "method: gdfo_generate random family (seed 1, scale_bytes 10 GB), default cluster and"
echo "        objective, no telemetry; policy model $what."
echo "        gdfo_us = median of whole gdfo_optimizer_plan + gdfo_plan_free calls (~${SECONDS_PER} s,"
echo "        at least 5) with default options but candidates K; torch = optimize_torch.py (the"
echo "        model and weights reader of encoder_torch.py) on the same weights, pipeline and"
echo "        features, all outputs, batch 1, inference_mode, faster of eager and jit frozen"
echo "        trace; optuna = mean time per trial of a TPESampler(seed=1) study,"
echo "        ask/tell, trivial objective, $TRIALS trials, one categorical parameter per decision of"
echo "        the pipeline's space (its legal choices). $ROUNDS alternating rounds of the three;"
echo "        the table shows the median over rounds. One thread (OPENBLAS_NUM_THREADS=1,"
echo "        torch.set_num_threads(1)). /dec = time per decision of the space (dim). Wall clock;"
echo "        right of | the same in thread CPU time (what other load on the machine does not inflate)."
printf '%-6s %-4s %-3s %10s %10s %7s %6s %12s %9s %9s | %9s %9s %6s %10s %8s\n' \
	stages dim K gdfo_us torch_us "(mode)" ratio optuna_trial gdfo/dec optuna/dec \
	gdfo_cpu torch_cpu ratio optuna_cpu maxdiff

parts="verify0 cand0 norules norules_verify0 norules_cand0_verify0 score0 rules rules_checked rules_unchecked space features batch forward apply sim_analytic sim_des sim_expected"
for n in $SIZES; do
	dir=$tmp/s$n
	mkdir -p $dir
	info=$($BIN prep $dir $model $n) || exit 1
	dim=$(get "$info" dim)
	for k in $CANDS; do
		gl= gc= tl= tc= el= jl= ol= oc= ll=
		for p in $parts; do eval "l_$p="; done
		r=0
		while [ $r -lt $ROUNDS ]; do
			c=$($BIN run $model $n $k $SECONDS_PER) || exit 1
			t=$($PYTHON bench/optimize_torch.py $dir $SECONDS_PER) || exit 1
			o=$($PYTHON bench/optimize_optuna.py $dir/space.txt $TRIALS) || exit 1
			gl="$gl $(get "$c" gdfo_us)"; gc="$gc $(get "$c" gdfo_cpu_us)"
			for p in $parts; do eval "l_$p=\"\$l_$p $(get "$c" ${p}_cpu_us)\""; done
			tl="$tl $(get "$t" torch_us)"; tc="$tc $(get "$t" torch_cpu_us)"
			el="$el $(get "$t" eager_us)"; jl="$jl $(get "$t" jit_us)"
			ol="$ol $(get "$o" optuna_trial_us)"; oc="$oc $(get "$o" optuna_trial_cpu_us)"
			ll="$ll $(get "$o" last_trial_us)"
			r=$((r + 1))
		done
		gus=$(echo $gl | med); gcpu=$(echo $gc | med); tus=$(echo $tl | med); tcpu=$(echo $tc | med)
		ous=$(echo $ol | med); ocpu=$(echo $oc | med); lus=$(echo $ll | med)
		mode=$(awk -v e="$(echo $el | med)" -v j="$(echo $jl | med)" 'BEGIN { print (e <= j) ? "eager" : "jit" }')
		line=$(awk -v g="$gus" -v tt="$tus" -v o="$ous" -v d="$dim" -v gc="$gcpu" -v tc="$tcpu" 'BEGIN {
			printf "%.3f %.1f %.1f %.3f", tt / g, g / d, o / d, tc / gc }')
		set -- $line
		printf '%-6s %-4s %-3s %10s %10s %7s %6s %12s %9s %9s | %9s %9s %6s %10s %8s\n' \
			$n $dim $k $gus $tus "($mode)" $1 $ous $2 $3 $gcpu $tcpu $4 $ocpu "$(get "$t" maxdiff)"
		case $n in
		32) awk -v g="$gus" -v c="$gcpu" 'BEGIN { printf "       target (issue 11): 32 stages under 1 ms median: %s (%.2f ms wall, %.2f ms CPU)\n",
			(g < 1000) ? "met" : "MISSED", g / 1e3, c / 1e3 }';;
		128) awk -v r="$1" -v rc="$4" 'BEGIN { printf "       target (issue 11): 128 stages faster than the torch forward: %s (ratio %s wall, %s CPU)\n",
			(r > 1) ? "met" : "MISSED", r, rc }';;
		esac
		bd= bj=
		for p in $parts; do
			eval "v=\$(echo \$l_$p | med)"
			bd="$bd $p=$v"
			bj="$bj${bj:+, }\"$p\": $v"
		done
		echo "       where the time goes (thread CPU us, medians):$bd"
		pl=$(printf '%s\n' "$c" | tr ' ' '\n' | grep '_plan=' | tr '\n' ' ')
		echo "       plans returned (source/changes/candidates scored): $pl"
		src=$(get "$c" gdfo_plan)
		echo "{\"bench\": \"optimize\", \"stages\": $n, \"candidates\": $k, \"gdfo_us\": $gus, \"torch_forward_us\": $tus, \"ratio\": $1, \"optuna_trial_us\": $ous, \"dim\": $dim, \"gdfo_us_per_decision\": $2, \"optuna_us_per_decision\": $3, \"gdfo_cpu_us\": $gcpu, \"torch_forward_cpu_us\": $tcpu, \"ratio_cpu\": $4, \"optuna_trial_cpu_us\": $ocpu, \"optuna_last10_trial_us\": $lus, \"optuna_trials\": $TRIALS, \"torch_mode\": \"$mode\", \"plan\": \"$src\", \"family\": \"random\", \"scale_bytes\": $SCALE, \"threads\": 1, \"rounds\": $ROUNDS, \"parts_cpu_us\": {$bj}}" >> $json
		[ $n -eq 32 ] && [ -z "$us32" ] && us32=$gus && nr32=$(get "$c" norules_us)
	done
done

# RSS over many calls at 32 stages: the default call, and the call without the
# rules candidate (use_rules 0, faster, so more calls fit in the time). Flat:
# peak RSS after the last call at most 1 MiB above its value after 1000 calls
# (at least 2000 calls are made).
if [ -z "$us32" ]; then
	c=$($BIN run $model 32 8 0.2) || exit 1
	us32=$(get "$c" gdfo_us); nr32=$(get "$c" norules_us)
fi
echo "peak RSS over planning calls at 32 stages (getrusage ru_maxrss, kB; rss = current, /proc/self/statm):"
for cfg in "1 $us32" "0 $nr32"; do
	set -- $cfg
	rules=$1
	calls=$(awk -v us="$2" -v s="$RSS_SECONDS" -v max="$RSS_CALLS" 'BEGIN {
		n = int(s * 1e6 / us); if (n > max) n = max; if (n < 2000) n = 2000; print n }')
	out=$($BIN rss $model 32 $calls $rules) || exit 1
	echo "  use_rules=$rules ($calls calls):"
	printf '%s\n' "$out" | sed 's/^/    /'
	row=$(printf '%s\n' "$out" | awk -v rules=$rules -v want=$RSS_CALLS '
		{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		  m[v["calls"]] = v["maxrss_kb"]; last = v["calls"]; lastm = v["maxrss_kb"]; lastr = v["rss_kb"]; us = v["us_per_call"]
		  at = at (at == "" ? "" : ", ") "[" v["calls"] ", " v["maxrss_kb"] "]" }
		END {
			f = (lastm - m[1000] <= 1024) ? "true" : "false"
			printf "{\"bench\": \"optimize-rss\", \"stages\": 32, \"candidates\": 8, \"use_rules\": %d, \"calls\": %d, \"calls_wanted\": %d, ", rules, last, want
			printf "\"maxrss_kb_1k\": %s, \"maxrss_kb_10k\": %s, \"maxrss_kb_100k\": %s, \"maxrss_kb_end\": %s, \"rss_kb_end\": %s, \"maxrss_kb_at\": [%s], \"us_per_call\": %s, \"flat\": %s}\n",
				m[1000], (10000 in m) ? m[10000] : "null", (100000 in m) ? m[100000] : "null", lastm, lastr, at, us, f
		}')
	echo "$row" >> $json
	case $row in *'"flat": false'*) echo "  NOT FLAT: peak RSS grew by more than 1 MiB after 1000 calls";; esac
done
cat $json
cat $json >> bench/results/latest.jsonl
