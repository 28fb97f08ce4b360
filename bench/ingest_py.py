#!/usr/bin/env python3
"""Python's json module on an event log, the baseline of bench/ingest.sh.

usage: ingest_py.py FILE [REPS]
Reads the file line by line (binary) and calls json.loads on every
non-blank line, REPS times; prints one JSON line with the median time.
"""
import json
import os
import statistics
import sys
import time


def parse(path):
    n = 0
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                json.loads(line)
                n += 1
    return n


def main():
    path = sys.argv[1]
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    times = []
    lines = 0
    for _ in range(reps):
        t0 = time.perf_counter()
        lines = parse(path)
        times.append(time.perf_counter() - t0)
    mb = os.path.getsize(path) / 1e6
    med = statistics.median(times)
    print(json.dumps({"reps": reps, "mb": round(mb, 3), "median_s": round(med, 6), "min_s": round(min(times), 6),
                      "max_s": round(max(times), 6), "mb_s": round(mb / med, 1), "lines": lines,
                      "python": sys.version.split()[0]}))


if __name__ == "__main__":
    main()
