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
echo "        per stage replayed alone; end-to-end vs the application's measured latency"
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
done
for f in "$DATA"/wfcommons/*.json; do
	$BUILD/bench/faithfulness wf "$f" | tee -a bench/results/latest.jsonl || exit 1
done
