"""Spark event-log ingestion through the Python binding, checked against the
CLI (`gdfo ingest --summary`) and the independent Python reference
(tests/ref/eventlog_summary.py) on every log of ../shared/data/spark-events."""
import gzip
import json
import os
import subprocess
import sys

import pytest

from conftest import BAD, ROOT, cli_path, shared_logs

import gdfo

LOGS = shared_logs()
pytestmark = pytest.mark.skipif(not LOGS, reason="../shared/data/spark-events is not present")
REF = os.path.join(ROOT, "tests", "ref", "eventlog_summary.py")


def log_id(path):
    return os.path.relpath(path, os.path.dirname(os.path.dirname(path)))


@pytest.mark.parametrize("path", LOGS, ids=log_id)
def test_summary_matches_cli_and_reference(path):
    got = gdfo.ingest_summary(path)
    cli = subprocess.run([cli_path(), "ingest", "--summary", path], capture_output=True,
                         timeout=300)
    assert cli.returncode == 0, cli.stderr
    assert got == json.loads(cli.stdout)
    ref = subprocess.run([sys.executable, REF, path], capture_output=True, timeout=600)
    if ref.returncode != 0 and b"zstd" in ref.stderr:
        pytest.skip("the reference needs the zstd program")
    assert ref.returncode == 0, ref.stderr
    assert got == json.loads(ref.stdout)
    assert list(got) == ["stages_completed", "stages_failed", "tasks", "tasks_failed",
                         "executor_run_ms", "shuffle_write_bytes", "shuffle_read_bytes",
                         "memory_spill_bytes", "disk_spill_bytes", "executors_added",
                         "executors_removed", "malformed_lines", "app_duration_ms"]


def _find(name):
    for p in LOGS:
        if os.path.basename(p) == name:
            return p
    pytest.skip("%s is not among the shared logs" % name)


def test_eventlog_model():
    path = _find("aqeshuffle_eventlog.zstd")
    with gdfo.EventLog.read(path) as log:
        d = log.details()
        assert d["codec"] == "zstd" and d["truncated"] is False
        assert d["spark_version"] == "3.2.1"
        assert d["stages_completed"] == 4 and d["stages_skipped"] == 5
        assert d["tasks"] == log.summary()["tasks"] == 26
        with log.graph() as g:
            g.validate()
            assert len(g) == 4
            assert sum(len(s.parents) for s in g.stages()) >= 2
        with log.telemetry() as t:
            assert len(t) == 4
            assert all(s.tasks and s.tasks > 0 for s in t.stages())
        with log.profile() as p:
            assert len(p) == 4
            assert sum(len(s.task_ms) for s in p.stages()) <= 26
        conf = log.config()
        assert conf.get("spark.app.name") == "Spark shell" or conf
        ev = log.executor_events()
        assert ev and ev[0].added and ev[0].live == 1


def test_memory_and_file_agree():
    path = _find("local-1532512550423")
    with open(path, "rb") as f:
        data = f.read()
    with gdfo.EventLog.read(path) as a, gdfo.EventLog.from_bytes(data) as b:
        assert a.summary() == b.summary()
    with gdfo.EventLog.from_bytes(gzip.compress(data, mtime=0)) as c:
        assert c.details()["codec"] == "gzip"
        assert c.summary() == gdfo.ingest_summary(path)


def test_rules_on_an_ingested_pipeline():
    path = _find("rapids_join_eventlog.zstd")
    with gdfo.EventLog.read(path, name="rapids_join") as log, log.graph() as g:
        assert g.name == "rapids_join"
        with gdfo.optimize_rules(g, log.telemetry()) as plan:
            assert plan.source == "rules"


def test_progress_callback():
    path = _find("aqeshuffle_eventlog")
    seen = []
    with gdfo.EventLog.read(path, progress=lambda done, total: seen.append((done, total))):
        pass
    size = os.path.getsize(path)
    assert seen and seen[-1] == (size, size)

    class Stop(Exception):
        pass

    def boom(done, total):
        raise Stop()
    with pytest.raises(Stop):
        gdfo.EventLog.read(path, progress=boom)


def test_ingest_errors():
    with pytest.raises(gdfo.GdfoError) as e:
        gdfo.ingest_summary(os.path.join(BAD, "no-such-log"))
    assert e.value.status == gdfo.EIO
    with pytest.raises(gdfo.GdfoError) as e:
        gdfo.EventLog.read(os.path.join(BAD, "eventlog", "garbage.gz"))
    assert e.value.status == gdfo.EFORMAT and "garbage.gz" in str(e.value)
    with gdfo.EventLog.read(_find("event_log_2")) as log:
        assert log.summary()["app_duration_ms"] is None
        with pytest.raises(gdfo.GdfoError) as e:
            log.graph()
        assert e.value.status == gdfo.ENOTFOUND
    with pytest.raises(TypeError):
        gdfo.EventLog()
