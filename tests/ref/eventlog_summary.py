#!/usr/bin/env python3
"""Independent reference for `gdfo ingest --summary`, in plain Python.

Usage: eventlog_summary.py LOG   -> prints one JSON object (same keys as gdfo).

Decompression: zstd by piping through `zstd -dc` (detected from the magic
bytes 28 b5 2f fd), gzip with zlib (1f 8b), anything else is read as is. A
compressed stream that is cut short keeps what was decoded.

Rules (the same ones docs/ingest.md states for libgdfo):
- the text is split on b"\\n"; a line that is empty or only JSON whitespace
  is ignored;
- a line is malformed when it is not UTF-8, not JSON (NaN/Infinity are not
  JSON), not an object, or its "Event" member is missing or not a string;
- a metric counts only when it is a JSON integer (not a bool, not a float)
  that fits in a signed 64-bit integer.
"""
import json
import subprocess
import sys
import zlib

KEYS = ["stages_completed", "stages_failed", "tasks", "tasks_failed", "executor_run_ms",
        "shuffle_write_bytes", "shuffle_read_bytes", "memory_spill_bytes", "disk_spill_bytes",
        "executors_added", "executors_removed", "malformed_lines", "app_duration_ms"]

WS = b" \t\r\n"


def decompress(raw, path):
    if raw[:4] == b"\x28\xb5\x2f\xfd":
        proc = subprocess.run(["zstd", "-dcq", path], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        return proc.stdout
    if raw[:2] == b"\x1f\x8b":
        out = []
        data = raw
        while data:
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                out.append(d.decompress(data))
            except zlib.error:
                break
            if not d.eof:
                break  # truncated member
            data = d.unused_data
        return b"".join(out)
    return raw


def _reject_constant(name):
    raise ValueError("not JSON: " + name)


def as_int(v):
    if isinstance(v, int) and not isinstance(v, bool) and -2**63 <= v < 2**63:
        return v
    return None


def obj(v):
    return v if isinstance(v, dict) else {}


def summarize(data):
    s = dict.fromkeys(KEYS, 0)
    app_start = app_end = None
    for line in data.split(b"\n"):
        if not line.strip(WS):
            continue
        try:
            e = json.loads(line.decode("utf-8"), parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            s["malformed_lines"] += 1
            continue
        if not isinstance(e, dict) or not isinstance(e.get("Event"), str):
            s["malformed_lines"] += 1
            continue
        ev = e["Event"]
        if ev == "SparkListenerStageCompleted":
            if obj(e.get("Stage Info")).get("Failure Reason") is not None:
                s["stages_failed"] += 1
            else:
                s["stages_completed"] += 1
        elif ev == "SparkListenerTaskEnd":
            s["tasks"] += 1
            if obj(e.get("Task End Reason")).get("Reason") != "Success":
                s["tasks_failed"] += 1
            tm = obj(e.get("Task Metrics"))
            sr = obj(tm.get("Shuffle Read Metrics"))
            sw = obj(tm.get("Shuffle Write Metrics"))
            for key, v in (("executor_run_ms", tm.get("Executor Run Time")),
                           ("memory_spill_bytes", tm.get("Memory Bytes Spilled")),
                           ("disk_spill_bytes", tm.get("Disk Bytes Spilled")),
                           ("shuffle_write_bytes", sw.get("Shuffle Bytes Written")),
                           ("shuffle_read_bytes", sr.get("Remote Bytes Read")),
                           ("shuffle_read_bytes", sr.get("Local Bytes Read"))):
                v = as_int(v)
                if v is not None:
                    s[key] += v
        elif ev == "SparkListenerExecutorAdded":
            s["executors_added"] += 1
        elif ev == "SparkListenerExecutorRemoved":
            s["executors_removed"] += 1
        elif ev == "SparkListenerApplicationStart":
            ts = as_int(e.get("Timestamp"))
            if ts is not None and app_start is None:
                app_start = ts
        elif ev == "SparkListenerApplicationEnd":
            ts = as_int(e.get("Timestamp"))
            if ts is not None:
                app_end = ts
    s["app_duration_ms"] = app_end - app_start if app_start is not None and app_end is not None else None
    return s


def summarize_file(path):
    with open(path, "rb") as f:
        raw = f.read()
    return summarize(decompress(raw, path))


def main(argv):
    if len(argv) != 2:
        print("usage: eventlog_summary.py LOG", file=sys.stderr)
        return 2
    print(json.dumps(summarize_file(argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
