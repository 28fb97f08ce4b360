"""`gdfo ingest --summary` against an independent Python reference
(tests/ref/eventlog_summary.py) on every event log under
../shared/data/spark-events (found by walking the directory, so new logs are
tested too), plus a few logs made here: malformed lines, a truncated line,
gzip and zstd copies.

Needs GDFO_CLI (path of build/gdfo); GDFO_SHARED_DATA overrides the data dir.
"""
import gzip
import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "ref"))
import eventlog_summary as ref  # noqa: E402

CLI = os.environ.get("GDFO_CLI", os.path.join(ROOT, "build", "gdfo"))
DATA = os.environ.get("GDFO_SHARED_DATA") or os.path.join(ROOT, "..", "shared", "data")
EVENTS = os.path.join(DATA, "spark-events")
NOT_LOGS = {"README.md", "SHA256SUMS", "LICENSE", "NOTICE"}


def event_logs():
    found = []
    for dirpath, _, files in os.walk(EVENTS):
        for name in files:
            if name in NOT_LOGS or name.endswith((".md", ".txt", ".sha256", ".json")):
                continue
            found.append(os.path.join(dirpath, name))
    return sorted(found)


LOGS = event_logs()


def gdfo_summary(path, *extra):
    proc = subprocess.run([CLI, "ingest", *extra, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stderr == b""
    out = proc.stdout.decode()
    assert out.endswith("\n") and out.count("\n") == 1, "expected exactly one line"
    return json.loads(out)


def test_logs_were_found():
    assert len(LOGS) >= 7, f"expected the shared event logs under {EVENTS}"


@pytest.mark.parametrize("path", LOGS, ids=[os.path.relpath(p, EVENTS) for p in LOGS])
def test_summary_matches_reference(path):
    got = gdfo_summary(path)
    assert list(got) == ref.KEYS
    assert got == ref.summarize_file(path)


def test_default_is_summary():
    path = os.path.join(EVENTS, "sparklens", "local-1532512550423")
    assert gdfo_summary(path) == gdfo_summary(path, "--summary")


MADE_UP = b"\n".join([
    b'{"Event":"SparkListenerApplicationStart","Timestamp":5}',
    b'{"Event":"SparkListenerTaskEnd","Task End Reason":{"Reason":"Success"},'
    b'"Task Metrics":{"Executor Run Time":11,"Shuffle Read Metrics":{"Remote Bytes Read":3,"Local Bytes Read":4}}}',
    b'garbage',
    b'',
    b'{"Event":"SparkListenerTaskEnd","Task End Reason":{"Reason":"TaskKilled"},"Task Metrics":{"Executor Run Time":2.5}}',
    b'{"Event":"SparkListenerTaskEnd","Task Metrics":{"Executor Run Time":NaN}}',
    b'{"Event":"SparkListenerTaskEnd","Task Metrics":{"Executor Run Time":true,"Memory Bytes Spilled":9}}',
    b'{"Event":"SparkListenerStageCompleted","Stage Info":{"Stage ID":1,"Failure Reason":"boom"}}',
    b'{"Event":"SparkListenerStageCompleted","Stage Info":{"Stage ID":2,"Failure Reason":null}}',
    b'{"Event":"SparkListenerExecutorAdded","Executor ID":"\\u0031"}',
    b'{"Event":"SparkListenerExecutorRemoved","Executor ID":"1"} x',
    b'["SparkListenerExecutorRemoved"]',
    b'{"Event":"SparkListenerApplicationEnd","Timestamp":25}',
    b'{"Event":"SparkListenerTaskEnd","Task Metrics":{"Executor Run Time":1',
])


@pytest.mark.parametrize("codec", ["plain", "gzip", "zstd"])
def test_made_up_log(tmp_path, codec):
    path = tmp_path / "log.bin"  # no telling extension: the codec comes from the magic bytes
    if codec == "plain":
        path.write_bytes(MADE_UP)
    elif codec == "gzip":
        path.write_bytes(gzip.compress(MADE_UP))
    else:
        if not shutil.which("zstd"):
            pytest.skip("zstd command not installed")
        raw = tmp_path / "raw"
        raw.write_bytes(MADE_UP)
        subprocess.run(["zstd", "-q", "-f", str(raw), "-o", str(path)], check=True)
    got = gdfo_summary(str(path))
    assert got == ref.summarize_file(str(path))
    assert got["malformed_lines"] == 5
    assert got["tasks"] == 3
    assert got["tasks_failed"] == 2
    assert got["executor_run_ms"] == 11
    assert got["shuffle_read_bytes"] == 7
    assert got["memory_spill_bytes"] == 9
    assert got["stages_failed"] == 1 and got["stages_completed"] == 1
    assert got["app_duration_ms"] == 20


def test_truncated_copy_of_a_real_log(tmp_path):
    src = os.path.join(EVENTS, "spark-rapids-tools", "aqeshuffle_eventlog")
    data = open(src, "rb").read()
    cut = tmp_path / "cut"
    cut.write_bytes(data[: len(data) * 2 // 3])
    got = gdfo_summary(str(cut))
    assert got == ref.summarize_file(str(cut))
    assert got["app_duration_ms"] is None


def test_usage_and_errors(tmp_path):
    def run(*args):
        return subprocess.run([CLI, "ingest", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    p = run("--help")
    assert p.returncode == 0 and b"usage: gdfo ingest" in p.stdout
    p = run()
    assert p.returncode == 2 and p.stderr.startswith(b"gdfo ingest: ")
    p = run("--bogus", "x")
    assert p.returncode == 2 and p.stderr.startswith(b"gdfo ingest: ")
    p = run(str(tmp_path / "missing"))
    assert p.returncode == 2 and p.stderr.startswith(b"gdfo ingest: ") and p.stderr.count(b"\n") == 1
    bad = tmp_path / "bad.zstd"
    bad.write_bytes(b"\x28\xb5\x2f\xfd" + b"\xff" * 100)
    p = run(str(bad))
    assert p.returncode == 2 and b"corrupt" in p.stderr
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    p = run("--profile", str(empty))
    assert p.returncode == 2 and p.stderr.startswith(b"gdfo ingest: ")


def test_profile_pipeline_telemetry_outputs(tmp_path):
    src = os.path.join(EVENTS, "spark-rapids-tools", "aqeshuffle_eventlog.zstd")
    out = tmp_path / "profile.json"
    p = subprocess.run([CLI, "ingest", "--profile", "-o", str(out), src], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    assert p.returncode == 0 and p.stdout == b""
    prof = json.loads(out.read_text())
    assert prof["format"] == "gdfo-job-profile/1"
    assert [s["id"] for s in prof["stages"]] == [0, 1, 4, 8]
    assert sorted(prof["stages"][2]["parents"]) == [0, 1]
    assert sum(len(s["task_ms"]) for s in prof["stages"]) == 26
    pipe = json.loads(subprocess.run([CLI, "ingest", "--pipeline", src], stdout=subprocess.PIPE, check=True).stdout)
    assert pipe["format"] == "gdfo-pipeline/1" and len(pipe["stages"]) == 4
    tele = json.loads(subprocess.run([CLI, "ingest", "--telemetry", src], stdout=subprocess.PIPE, check=True).stdout)
    assert tele["format"] == "gdfo-telemetry/1" and len(tele["stages"]) == 4
