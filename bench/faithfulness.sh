#!/bin/sh
# Faithfulness of the simulator (bench/faithfulness.c) against the real Spark
# event logs in ../shared/data/spark-events (profiles and telemetry built with
# `gdfo ingest`) and the WfCommons traces in ../shared/data/wfcommons.
# One JSON object per input on stdout, appended to bench/results/latest.jsonl;
# the table in docs/simulator.md is made from these lines.
BUILD=${BUILD:-build}
DATA=${GDFO_SHARED_DATA:-../shared/data}
mkdir -p bench/results
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "method: exact replay at each log's executor and core counts; stage error = |sim - measured| / measured"
echo "        per stage replayed alone; end-to-end vs the application's measured latency;"
echo "        calibration: gdfo optimize --telemetry on the ingested pipeline vs the app and the replay"
for f in spark-rapids-tools/aqeshuffle_eventlog spark-rapids-tools/rapids_join_eventlog.zstd \
	spark-rapids-tools/eventlog_4nodes_8cores_dynamic_alloc.zstd spark-rapids-tools/nds_q72_dataproc_2_2.zstd \
	sparklens/local-1532512550423 dr-elephant/event_log_1 dr-elephant/event_log_2; do
	b=$(basename "$f" .zstd)
	if ! $BUILD/gdfo ingest --profile -o "$tmp/$b.p.json" "$DATA/spark-events/$f" 2>"$tmp/err" ||
	   ! $BUILD/gdfo ingest --telemetry -o "$tmp/$b.t.json" "$DATA/spark-events/$f" 2>>"$tmp/err"; then
		echo "skipped $b: $(head -1 "$tmp/err")"
		continue
	fi
	$BUILD/bench/faithfulness spark "$b" "$tmp/$b.p.json" "$tmp/$b.t.json" | tee -a bench/results/latest.jsonl || exit 1
	# calibration (docs/simulator.md, "Calibration to measured runs"): the ingested pipeline
	# calibrated to its own telemetry against the application and the replay of its tasks
	$BUILD/gdfo ingest --pipeline -o "$tmp/$b.g.json" "$DATA/spark-events/$f" 2>/dev/null || continue
	$BUILD/gdfo optimize --rules --telemetry "$tmp/$b.t.json" "$tmp/$b.g.json" >"$tmp/$b.plan.json" || exit 1
	$BUILD/gdfo simulate --profile "$tmp/$b.p.json" >"$tmp/$b.replay.json" || exit 1
	/usr/bin/python3 - "$b" "$tmp/$b.plan.json" "$tmp/$b.replay.json" "$tmp/$b.t.json" <<'PY' | tee -a bench/results/latest.jsonl || exit 1
import json, sys
name, plan, replay, tel = sys.argv[1:]
p = json.load(open(plan))["prediction"]
r = json.load(open(replay))["makespan_ms"]
m = json.load(open(tel))["run"]["latency_ms"]
print(json.dumps({"bench": "calibration", "log": name, "measured_app_ms": m,
                  "calibrated_latency_ms": p["baseline_latency_ms"],
                  "latency_error": p["baseline_latency_ms"] / m - 1,
                  "replay_ms": r, "calibrated_execution_ms": p["baseline_execution_ms"],
                  "execution_error": p["baseline_execution_ms"] / r - 1,
                  "overhead_ms": p["overhead_ms"], "stages_calibrated": p["baseline_stages_calibrated"]}))
PY
done
for f in "$DATA"/wfcommons/*.json; do
	$BUILD/bench/faithfulness wf "$f" | tee -a bench/results/latest.jsonl || exit 1
done
