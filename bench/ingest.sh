#!/bin/sh
# Event-log parse speed: libgdfo (gdfo_eventlog_read: scan, validate every
# line, build the stage table) against Python's json.loads on every line of
# the same decompressed file, in the same run. Prints how it measured, a
# table, then one JSON line (also appended to bench/results/latest.jsonl).
#
# Environment: BUILD (default build), PYTHON (default /usr/bin/python3),
# GDFO_SHARED_DATA (default ../shared/data), REPS (default 9), PY_REPS (default 5).
set -eu
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
DATA=${GDFO_SHARED_DATA:-../shared/data}
REPS=${REPS:-9}
PY_REPS=${PY_REPS:-5}
SRC=$DATA/spark-events/spark-rapids-tools/nds_q72_dataproc_2_2.zstd
BIN=$BUILD/bench/ingest

[ -x "$BIN" ] || { echo "bench/ingest.sh: $BIN is missing (make $BIN)" >&2; exit 1; }
[ -f "$SRC" ] || { echo "bench/ingest.sh: $SRC is missing (set GDFO_SHARED_DATA)" >&2; exit 1; }
command -v zstd >/dev/null || { echo "bench/ingest.sh: the zstd command is needed (apt-get install zstd)" >&2; exit 1; }

TMP=$(mktemp -d /tmp/gdfo_bench_ingest.XXXXXX)
trap 'rm -rf "$TMP"' EXIT INT TERM
LOG=$TMP/nds_q72_dataproc_2_2
zstd -dcq "$SRC" > "$LOG"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "ingest benchmark: $(basename "$LOG") decompressed to $TMP ($(wc -c < "$LOG") bytes)"
echo "machine: $cpu, $(nproc) cores; 1 thread each; file in page cache (one gdfo warm-up pass first)"
echo "gdfo: median of $REPS x gdfo_eventlog_read; python: median of $PY_REPS x json.loads per line ($($PYTHON -c 'import sys; print(sys.version.split()[0])'))"

"$BIN" "$LOG" 1 > /dev/null
g=$("$BIN" "$LOG" "$REPS")
p=$("$PYTHON" bench/ingest_py.py "$LOG" "$PY_REPS")

mkdir -p bench/results
"$PYTHON" - "$g" "$p" bench/results/latest.jsonl <<'PY'
import json, sys
g, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print("%-8s %10s %10s %10s %10s %12s" % ("parser", "median s", "min s", "max s", "MB/s", "peak RSS MB"))
print("%-8s %10.4f %10.4f %10.4f %10.1f %12.1f" % ("gdfo", g["median_s"], g["min_s"], g["max_s"], g["mb_s"], g["peak_rss_mb"]))
print("%-8s %10.4f %10.4f %10.4f %10.1f %12s" % ("python", p["median_s"], p["min_s"], p["max_s"], p["mb_s"], "-"))
ratio = p["median_s"] / g["median_s"]
print("gdfo is %.2fx the speed of Python's json module (target >= 5x)" % ratio)
line = json.dumps({"bench": "ingest", "file": "nds_q72_dataproc_2_2", "mb": g["mb"], "gdfo_mb_s": g["mb_s"],
                   "python_mb_s": p["mb_s"], "ratio": round(ratio, 2), "peak_rss_mb": g["peak_rss_mb"],
                   "gdfo_reps": g["reps"], "python_reps": p["reps"], "lines": g["lines"]})
print(line)
with open(sys.argv[3], "a") as f:
    f.write(line + "\n")
PY
