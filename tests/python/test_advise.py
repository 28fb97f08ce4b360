"""Diagnostics and the advisor (issue 13) from Python, and the coverage test.

The coverage test computes, independently of libgdfo (its own reading of the
event logs with the json module, zstd through the zstd command), what Dr.
Elephant's Spark heuristics and the spark-rapids AutoTuner's shuffle-partition,
maxPartitionBytes, skew and spill rules flag on every shared event log, from
their published thresholds, and checks that `gdfo diagnose` has a finding of
the corresponding kind for each. `python3 tests/python/test_advise.py --table`
prints the table docs/advisor.md shows.
"""
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conftest import EVENTS, ROOT, cli_path  # noqa: E402

LOGS = [
    "dr-elephant/event_log_1",
    "dr-elephant/event_log_2",
    "sparklens/local-1532512550423",
    "spark-rapids-tools/aqeshuffle_eventlog",
    "spark-rapids-tools/aqeshuffle_eventlog.zstd",
    "spark-rapids-tools/rapids_join_eventlog.zstd",
    "spark-rapids-tools/eventlog_4nodes_8cores_dynamic_alloc.zstd",
    "spark-rapids-tools/nds_q72_dataproc_2_2.zstd",
]
MB = 1024 * 1024

# ---------------------------------------------------------------- reading a log, independently


def events(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] == b"\x28\xb5\x2f\xfd":
        if not shutil.which("zstd"):
            pytest.skip("the zstd command is needed to read %s" % path)
        data = subprocess.run(["zstd", "-dcq"], input=data, stdout=subprocess.PIPE, check=False).stdout
    elif data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    for line in data.splitlines():
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if isinstance(ev, dict) and isinstance(ev.get("Event"), str):
            yield ev


def facts(path):
    st, ex, conf = {}, {}, {}
    stage_done = stage_failed = jobs = jobs_failed = 0
    stage_sql, job_stages = {}, {}
    for ev in events(path):
        kind = ev["Event"]
        if kind == "SparkListenerEnvironmentUpdate":
            conf = dict(ev.get("Spark Properties") or {})
        elif kind == "SparkListenerJobStart":
            jobs += 1
            sql = (ev.get("Properties") or {}).get("spark.sql.execution.id")
            for sid in ev.get("Stage IDs") or []:
                if sql is not None:
                    stage_sql[sid] = sql
        elif kind == "SparkListenerJobEnd":
            if (ev.get("Job Result") or {}).get("Result") != "JobSucceeded":
                jobs_failed += 1
        elif kind == "SparkListenerStageCompleted":
            if (ev.get("Stage Info") or {}).get("Failure Reason") is not None:
                stage_failed += 1
            else:
                stage_done += 1
        elif kind == "SparkListenerTaskEnd":
            s = st.setdefault(ev.get("Stage ID"), {"ok": [], "failed": 0})
            info, m = ev.get("Task Info") or {}, ev.get("Task Metrics") or {}
            reason = (ev.get("Task End Reason") or {}).get("Reason", "Success")
            if reason != "Success":
                s["failed"] += 1
                continue
            sr = m.get("Shuffle Read Metrics") or {}
            t = {
                "ms": info.get("Finish Time", 0) - info.get("Launch Time", 0),
                "run": m.get("Executor Run Time", 0), "gc": m.get("JVM GC Time", 0),
                "cpu": m.get("Executor CPU Time", 0) / 1e6,
                "in": (m.get("Input Metrics") or {}).get("Bytes Read", 0),
                "out": (m.get("Output Metrics") or {}).get("Bytes Written", 0),
                "sr": sr.get("Remote Bytes Read", 0) + sr.get("Local Bytes Read", 0),
                "sw": (m.get("Shuffle Write Metrics") or {}).get("Shuffle Bytes Written", 0),
                "mspill": m.get("Memory Bytes Spilled", 0), "dspill": m.get("Disk Bytes Spilled", 0),
            }
            s["ok"].append(t)
            e = ex.setdefault(info.get("Executor ID"), {"ms": 0, "in": 0, "sr": 0, "sw": 0})
            for k in e:
                e[k] += t[k]
    return {"stages": st, "executors": ex, "conf": conf, "stage_done": stage_done,
            "stage_failed": stage_failed, "jobs": jobs, "jobs_failed": jobs_failed,
            "stage_sql": stage_sql}


def spark_bytes(s, unit=MB):
    s = str(s).strip().lower()
    mult = {"k": 1024, "m": MB, "g": 1024 * MB, "t": 1024 * 1024 * MB}
    if s and s[-1] == "b":
        s = s[:-1]
    if s and s[-1] in mult:
        return float(s[:-1]) * mult[s[-1]]
    return float(s) * unit


# ---------------------------------------------------------------- the published rules

def published_flags(fx):
    """[(source, rule, gdfo kind, what)] that the published rules flag."""
    flags = []
    total_gc = total_run = 0
    for sid, s in sorted(fx["stages"].items(), key=lambda kv: (kv[0] is None, kv[0])):
        ok = s["ok"]
        n = len(ok) + s["failed"]
        if ok:
            run = [t["run"] for t in ok]
            gc = [t["gc"] for t in ok]
            total_gc += sum(gc)
            total_run += sum(run)
            mx, md = max(run), statistics.median(run)
            # Dr. Elephant StagesHeuristic: task skew 2x and a task over 150 s
            if md > 0 and mx / md >= 2 and mx >= 150e3:
                flags.append(("Dr. Elephant", "task skew", "task_skew", "stage %s %.1fx" % (sid, mx / md)))
            # long tasks: median run time 2.5 min
            if md >= 150e3:
                flags.append(("Dr. Elephant", "long tasks", "long_tasks", "stage %s" % sid))
            # execution memory spill over the largest volume, 0.01
            data = max(sum(t[k] for t in ok) for k in ("in", "out", "sr", "sw"))
            ms = sum(t["mspill"] for t in ok)
            if ms > 0 and (data == 0 or ms / data >= 0.01):
                flags.append(("Dr. Elephant", "execution memory spill", "spill", "stage %s" % sid))
            # GC: median GC over median run time, 0.08
            mg, mr = statistics.median(gc), statistics.median(run)
            if mr > 0 and mg / mr >= 0.08:
                flags.append(("Dr. Elephant", "stage GC", "gc", "stage %s %.2f" % (sid, mg / mr)))
            # AutoTuner: a shuffle stage with disk spill asks for more shuffle partitions
            if sum(t["sr"] + t["sw"] for t in ok) > 0 and sum(t["dspill"] for t in ok) > 0:
                flags.append(("AutoTuner", "shuffle partitions (spill)", "shuffle_partitions", "stage %s" % sid))
            # AutoTuner: shuffle skew, a task reads 3x the stage average and over 100 MB
            avg_sr = sum(t["sr"] for t in ok) / len(ok)
            if any(t["sr"] > 3 * avg_sr and t["sr"] > 100 * MB for t in ok):
                flags.append(("AutoTuner", "shuffle skew", "data_skew", "stage %s" % sid))
            # AutoTuner: JVM GC over 0.3 of CPU time
            cpu = sum(t["cpu"] for t in ok)
            if cpu > 0 and sum(gc) / cpu > 0.3:
                flags.append(("AutoTuner", "GC fraction", "gc", "stage %s" % sid))
        # task failure rate 0.05
        if n and s["failed"] / n >= 0.05:
            flags.append(("Dr. Elephant", "task failure rate", "task_failures", "stage %s" % sid))
    # Dr. Elephant ExecutorGcHeuristic: 0.08 of run time
    if total_run > 0 and total_gc / total_run >= 0.08:
        flags.append(("Dr. Elephant", "executor GC", "gc", "%.2f" % (total_gc / total_run)))
    # stage and job failure rates 0.1
    att = fx["stage_done"] + fx["stage_failed"]
    if (att and fx["stage_failed"] / att >= 0.1) or (fx["jobs"] and fx["jobs_failed"] / fx["jobs"] >= 0.1):
        flags.append(("Dr. Elephant", "stage/job failure rate", "stage_failures", ""))
    # ExecutorsHeuristic: max / median over executors 1.334 (ignored under 5 min / 100 MB)
    ex = list(fx["executors"].values())
    if len(ex) >= 2:
        for k, floor_ in (("ms", 5 * 60e3), ("in", 100 * MB), ("sr", 100 * MB), ("sw", 100 * MB)):
            v = [e[k] for e in ex]
            md = statistics.median(v)
            if max(v) >= floor_ and md > 0 and max(v) / md >= 1.334:
                flags.append(("Dr. Elephant", "executors max/median", "executor_imbalance", k))
                break
    # ConfigurationHeuristic
    c = fx["conf"]
    mem = spark_bytes(c["spark.executor.memory"]) if "spark.executor.memory" in c else 0
    cores = int(c.get("spark.executor.cores", "0") or 0)
    ser = c.get("spark.serializer", "")
    dyn = c.get("spark.dynamicAllocation.enabled") == "true" and c.get("spark.shuffle.service.enabled") != "true"
    if c and (mem >= 10 * 1024 * MB or cores >= 4 or "KryoSerializer" not in ser or dyn):
        flags.append(("Dr. Elephant", "configuration", "configuration", ""))
    # AutoTuner maxPartitionBytes: mean over SQL executions of the mean task input, 128..256 MB
    per_sql = {}
    for sid, s in fx["stages"].items():
        q = fx["stage_sql"].get(sid)
        if q is not None:
            acc = per_sql.setdefault(q, [0, 0])
            acc[0] += sum(t["in"] for t in s["ok"])
            acc[1] += len(s["ok"])
    avgs = [b / n for b, n in per_sql.values() if n]
    if avgs:
        avg = sum(avgs) / len(avgs)
        if (0 < avg < 128 * MB) or avg > 256 * MB:
            flags.append(("AutoTuner", "maxPartitionBytes", "max_partition_bytes", "%.1f MiB" % (avg / MB)))
    return flags


def gdfo_findings(rel):
    out = subprocess.run([cli_path(), "diagnose", "--json", os.path.join(EVENTS, rel)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    return json.loads(out.stdout)["findings"]


@pytest.mark.parametrize("rel", LOGS)
def test_findings_cover_the_published_rules(rel):
    path = os.path.join(EVENTS, rel)
    if not os.path.exists(path):
        pytest.skip("%s is not here" % path)
    flags = published_flags(facts(path))
    kinds = {f["kind"] for f in gdfo_findings(rel)}
    missed = [(src, rule, kind, what) for src, rule, kind, what in flags if kind not in kinds]
    assert not missed, "%s: gdfo diagnose has no finding for %s" % (rel, missed)


def test_the_rules_flag_something():
    """The coverage test is not vacuous: the rules do flag the shared logs."""
    n = sum(len(published_flags(facts(os.path.join(EVENTS, rel))))
            for rel in LOGS if os.path.exists(os.path.join(EVENTS, rel)))
    assert n >= 10


# ---------------------------------------------------------------- the binding

AQE = os.path.join(EVENTS, "spark-rapids-tools", "aqeshuffle_eventlog.zstd")
NDS = os.path.join(EVENTS, "spark-rapids-tools", "nds_q72_dataproc_2_2.zstd")


def test_diagnose_a_log():
    import gdfo
    with gdfo.diagnose(AQE) as d:
        kinds = [f.kind for f in d.findings]
        assert "spill" in kinds
        assert all(f.evidence and f.fix for f in d.findings)
        conf = d.conf()
        lines = [ln for ln in conf.splitlines() if not ln.startswith("#")]
        assert lines and all(ln.startswith("--conf spark.") for ln in lines)
        assert all(ln.endswith(" \\") for ln in lines[:-1]) and not lines[-1].endswith("\\")
        s = d.summary
        assert s["measured_latency_ms"] == pytest.approx(s["model_latency_ms"], abs=1)
        assert any(a.key == "spark.executor.memory" for a in d.advice)
    assert d.closed


def test_what_if_from_a_profile_has_exactly_the_documented_keys(tmp_path):
    import gdfo
    prof = tmp_path / "p.json"
    subprocess.run([cli_path(), "ingest", "--profile", "-o", str(prof), NDS], check=True)
    out = subprocess.run([cli_path(), "advise", "--profile", str(prof), "--what-if", "--json"],
                         stdout=subprocess.PIPE, check=True).stdout
    doc = json.loads(out)
    assert set(doc) == {"what_if", "recommended"}
    assert all(set(p) == {"executors", "latency_ms", "cost", "utilization"} for p in doc["what_if"])
    assert set(doc["recommended"]) == {"executors", "latency_ms", "cost"}
    es = [p["executors"] for p in doc["what_if"]]
    assert es == sorted(es) and es[0] == 1 and es[-1] == 40      # 10 % .. 500 % of 8
    with gdfo.Profile.load(str(prof)) as p, gdfo.diagnose(p, objective={"latency": 1}) as d:
        fast = d.recommended["executors"]
    with gdfo.Profile.load(str(prof)) as p, gdfo.diagnose(p, objective={"cost": 1}) as d:
        cheap = d.recommended["executors"]
    assert fast > cheap


def test_bad_arguments_raise():
    import gdfo
    with pytest.raises(gdfo.GdfoError) as e:
        gdfo.diagnose(AQE, min_pct=0)
    assert e.value.status == gdfo.EINVAL and "whatif_min_pct" in str(e.value)
    with pytest.raises(gdfo.GdfoFileNotFoundError):
        gdfo.diagnose("/nonexistent/log")
    with pytest.raises(gdfo.GdfoError):
        gdfo.diagnose(AQE, objective={"speed": 1})


def test_plot_writes_a_png(tmp_path):
    try:
        subprocess.run(["/usr/bin/python3", "-c", "import matplotlib"], check=True, stderr=subprocess.DEVNULL)
    except (subprocess.CalledProcessError, OSError):
        pytest.skip("python3-matplotlib is not installed")
    png = tmp_path / "w.png"
    subprocess.run([cli_path(), "advise", "--what-if", "--plot", str(png), AQE], check=True,
                   stdout=subprocess.DEVNULL, env=dict(os.environ, GDFO_PLOT_SCRIPT=os.path.join(ROOT, "tools", "plot_whatif.py")))
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def table():
    """The coverage table of docs/advisor.md."""
    print("| log | source | rule | flags | gdfo finding (severity) |")
    print("| --- | --- | --- | --- | --- |")
    for rel in LOGS:
        path = os.path.join(EVENTS, rel)
        fs = {}
        for f in gdfo_findings(rel):
            fs.setdefault(f["kind"], f["severity"])
        seen = set()
        for src, rule, kind, what in published_flags(facts(path)):
            if (src, rule) in seen:
                continue
            seen.add((src, rule))
            n = sum(1 for s, r, _, _ in published_flags(facts(path)) if (s, r) == (src, rule))
            print("| %s | %s | %s | %s | %s |" % (rel.split("/")[-1], src, rule,
                                                 what if n == 1 else "%d stages" % n,
                                                 "`%s` (%s)" % (kind, fs[kind]) if kind in fs else "**missed**"))


if __name__ == "__main__":
    if "--table" in sys.argv:
        table()
