#!/usr/bin/env python3
"""Allocation-failure sweep over the gdfo CLI.

For each call below, runs it once normally through gdfo-failalloc (the CLI
with the allocation test hook, tests/alloc/failalloc_main.c) to learn its
output and how many allocations it makes (K), then once for each N in
1..K (or a sample) with the N-th allocation failing, and requires:

  - no signal (and, in a sanitizer build, no sanitizer report);
  - exit 0 only with stdout and any output file byte-identical to the
    normal run;
  - otherwise exit 1, and standard error one line that says out of memory
    (not exit 2 "not valid JSON": out of memory is not bad input).

  sweep.py --cli build/tests/gdfo-failalloc [--sample S] [--jobs J]

Calls on the closed loop's state directory ({state}: a new directory for
each run; {statecopy}: a copy of a state made once by a normal `gdfo loop`)
are also followed by a normal `gdfo loop --runs 1` on the same state, which
must exit 0: whatever the failure left, the state opens and works.

--sample S runs at most S failure points per call, spread evenly and
always including the first ones (0: all). The exit status is 1 when any
run broke a rule; each finding is printed on one line with the call and N.
"""
import argparse
import concurrent.futures
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def loop_state(cli, tmp, retail):
    """A state made by a normal `gdfo loop` whose last feedback is taken out
    of the journal again: (state, the id of that plan, its telemetry file)."""
    state = os.path.join(tmp, "loop-template")
    subprocess.run([cli, "loop", "--rules", "--quiet", "--runs", "3", "--state", state, retail],
                   check=True, capture_output=True)
    path = os.path.join(state, "journal")
    with open(path, "rb") as f:
        b = f.read()
    recs, off = [], 0
    while off < len(b):  # frames: magic, length, CRC-32, payload (lib/loop/journal.c)
        n = struct.unpack_from("<I", b, off + 4)[0]
        recs.append((off, json.loads(b[off + 12:off + 12 + n])))
        off += 12 + n
    last_off, last = recs[-1]
    assert last["type"] == "feedback", last["type"]
    fp = [r["fp"] for _, r in recs if r["type"] == "plan" and r["seq"] == last["seq"]][0]
    with open(path, "r+b") as f:
        f.truncate(last_off)
    tel = os.path.join(tmp, "loop-telemetry.json")
    with open(tel, "w") as f:
        json.dump(last["telemetry"], f)
    return state, "%s-%d" % (fp, last["seq"]), tel


def calls(tmp, data_dir, cli):
    ex = os.path.join(ROOT, "examples")
    good = os.path.join(ROOT, "tests", "bad", "good")
    c = []
    for p in sorted(os.listdir(os.path.join(ex, "pipelines"))):
        pp = os.path.join(ex, "pipelines", p)
        c.append(("optimize " + p, ["optimize", "--rules", pp]))
    retail = os.path.join(ex, "pipelines", "retail_etl.json")
    c.append(("optimize -o", ["optimize", "--rules", "--telemetry", os.path.join(good, "telemetry.json"),
                              "--cluster", os.path.join(ex, "clusters", "dataproc-8x16.json"),
                              "-o", "{out}", retail]))
    c.append(("optimize --explain", ["optimize", "--rules", "--explain", retail]))
    model = os.path.join(ROOT, "models", "default.gdfonn")
    if os.path.exists(model):
        # the learned planning call: policy, candidates, checks, explanations, attention
        c.append(("optimize learned", ["optimize", "--model", model, "--explain", retail]))
        c.append(("optimize learned cost", ["optimize", "--model", model, "--objective", "cost=1",
                                            os.path.join(ex, "pipelines", "tpch_q5.json")]))
    c.append(("space", ["space", retail]))
    c.append(("space --json", ["space", "--json", retail]))
    c.append(("space --apply", ["space", "--apply", "2,1,6,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,0", retail]))
    c.append(("space --point-of", ["space", "--point-of", os.path.join(good, "plan.json"), retail]))
    c.append(("inspect", ["inspect", retail]))
    c.append(("inspect --json", ["inspect", "--json", retail]))
    c.append(("simulate pipeline", ["simulate", "--pipeline", retail, "--runs", "2", "--noise", "0.1"]))
    c.append(("simulate analytic", ["simulate", "--pipeline", retail, "--mode", "analytic"]))
    c.append(("simulate plan", ["simulate", "--plan", os.path.join(good, "plan.json"),
                                "--cluster", os.path.join(ex, "clusters", "default.json")]))
    c.append(("simulate profile", ["simulate", "--profile", os.path.join(good, "profile.json")]))
    c.append(("simulate profile sampled", ["simulate", "--profile", os.path.join(good, "profile.json"),
                                           "--replay", "sampled", "--executors", "4"]))
    # the closed loop (issue 12): a loop on a new state, the audit log, feedback on a copy
    loop = ["loop", "--quiet", "--runs", "4", "--state", "{state}", retail]
    if not os.path.exists(model):
        loop.insert(1, "--rules")
    c.append(("loop", loop))
    state, plan_id, tel = loop_state(cli, tmp, retail)
    c.append(("audit", ["audit", state]))
    c.append(("feedback", ["feedback", "{statecopy}", plan_id, tel]))
    STATE_TEMPLATE[0] = state
    log = os.path.join(data_dir, "spark-events", "dr-elephant", "event_log_1")
    if os.path.exists(log):
        plain = os.path.join(tmp, "event_log")
        shutil.copyfile(log, plain)
        with open(plain, "rb") as f, gzip.open(plain + ".gz", "wb") as g:
            g.write(f.read())
        logs = [("plain", plain), ("gz", plain + ".gz")]
        if shutil.which("zstd"):
            subprocess.run(["zstd", "-q", "-f", plain, "-o", plain + ".zstd"], check=True)
            logs.append(("zstd", plain + ".zstd"))
        for name, path in logs:
            for what in ("--summary", "--profile", "--pipeline", "--telemetry"):
                c.append(("ingest %s %s" % (what, name), ["ingest", what, path]))
        c.append(("ingest -o", ["ingest", "--pipeline", "-o", "{out}", plain]))
        c.append(("diagnose", ["diagnose", "--json", plain]))
        c.append(("advise", ["advise", plain]))
        c.append(("advise --what-if", ["advise", "--what-if", "--json", plain]))
    else:
        print("sweep: %s missing, ingest not swept" % log)
    return c


STATE_TEMPLATE = [None]


def run(cli, argv, fail_at, tmp, tag):
    out = os.path.join(tmp, "out-%s-%d" % (tag, fail_at))
    cnt = os.path.join(tmp, "cnt-%s-%d" % (tag, fail_at))
    state = os.path.join(tmp, "state-%s-%d" % (tag, fail_at))
    stateful = any("{state" in a for a in argv)
    if "{statecopy}" in argv:
        shutil.copytree(STATE_TEMPLATE[0], state)
    args = [a.replace("{out}", out).replace("{statecopy}", state).replace("{state}", state) for a in argv]
    env = dict(os.environ, GDFO_FAIL_ALLOC=str(fail_at), GDFO_ALLOC_COUNT=cnt)
    p = subprocess.run([cli] + args, env=env, capture_output=True, timeout=300)
    after = None
    if stateful:
        # the state must still open and work, whatever the failure left
        retail = os.path.join(ROOT, "examples", "pipelines", "retail_etl.json")
        q = subprocess.run([cli, "loop", "--rules", "--quiet", "--runs", "1", "--state", state, retail],
                           capture_output=True, timeout=300)
        if q.returncode != 0:
            after = "exit %d: %s" % (q.returncode, q.stderr.decode("utf-8", "replace").strip()[:300])
        shutil.rmtree(state, ignore_errors=True)
    count = None
    if os.path.exists(cnt):
        with open(cnt) as f:
            count = int(f.read())
        os.unlink(cnt)
    written = None
    if os.path.exists(out):
        with open(out, "rb") as f:
            written = f.read()
        os.unlink(out)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace"), written, count, after


def check(name, n, base, got):
    rc, out, err, written, _, after = got
    lines = err.splitlines()
    if after:
        return "%s N=%d: after it (exit %d), a normal loop on its state failed: %s" % (name, n, rc, after)
    if rc < 0:
        return "%s N=%d: killed by signal %d: %s" % (name, n, -rc, err[-300:])
    if any(s in err for s in ("Sanitizer", "runtime error:", "LeakSanitizer")):
        return "%s N=%d: sanitizer report: %s" % (name, n, err[:300])
    if rc == 0:
        if out != base[1] or written != base[3]:
            return "%s N=%d: exit 0 with output different from the normal run" % (name, n)
        return None
    if rc != 1:
        return "%s N=%d: exit %d (out of memory must exit 1): %s" % (name, n, rc, err.strip()[:200])
    if len(lines) != 1 or "out of memory" not in lines[0]:
        return "%s N=%d: stderr is not one out-of-memory line: %r" % (name, n, err[:200])
    if written is not None and base[3] is not None and written != base[3]:
        return "%s N=%d: failed run left a different output file" % (name, n)
    return None


def points(k, sample):
    if sample <= 0 or k <= sample:
        return list(range(1, k + 1))
    head = min(sample // 4, k)
    pts = set(range(1, head + 1))
    rest = sample - head
    step = (k - head) / float(rest)
    for i in range(rest):
        pts.add(head + 1 + int(i * step))
    pts.add(k)
    return sorted(pts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--sample", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--data-dir", default=os.environ.get("GDFO_SHARED_DATA") or
                    os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    cli = os.path.abspath(a.cli)
    findings = []
    total = 0
    with tempfile.TemporaryDirectory(prefix="gdfo-sweep-") as tmp:
        todo = [c for c in calls(tmp, a.data_dir, cli) if a.only in c[0]]
        with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
            for ci, (name, argv) in enumerate(todo):
                base = run(cli, argv, 0, tmp, "c%d" % ci)
                if base[0] != 0 or base[5]:
                    findings.append("%s: the normal run failed (exit %d): %s" % (name, base[0],
                                                                                base[5] or base[2].strip()))
                    continue
                k = base[4]
                pts = points(k, a.sample)
                futs = {pool.submit(run, cli, argv, n, tmp, "c%d" % ci): n for n in pts}
                bad = 0
                for f in concurrent.futures.as_completed(futs):
                    n = futs[f]
                    msg = check(name, n, base, f.result())
                    if msg:
                        bad += 1
                        findings.append(msg)
                total += len(pts)
                print("sweep: %-28s %5d allocations, %4d failure points run, %d findings" %
                      (name, k, len(pts), bad))
    for m in sorted(findings):
        print("FINDING: " + m)
    print("sweep: %d runs, %d findings" % (total, len(findings)))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
