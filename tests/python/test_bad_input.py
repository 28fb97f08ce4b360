"""The malformed-input corpus (tests/bad/) through the gdfo CLI and the
Python binding: every file is refused with a non-zero exit status (2 for bad
input, 1 for other failures), exactly one line on stderr and nothing on
stdout, never a signal; the binding raises GdfoError with a negative status
and a one-line message.

Files listed in tests/bad/KNOWN_ISSUES are reported as xfail without being
run (some of them hang the current library).
"""
import json
import os
import subprocess

import pytest

from conftest import BAD, RETAIL, bad_cases, cli_path

import gdfo

TIMEOUT = 60


def run_cli(*args):
    cli = cli_path()
    if not os.path.exists(cli):
        pytest.fail("the gdfo CLI is not built at %s (set GDFO_CLI)" % cli)
    return subprocess.run([cli, *args], capture_output=True, timeout=TIMEOUT)


def assert_refused(r, what):
    """Exit 1 or 2 (not a signal), one line on stderr, nothing on stdout."""
    assert r.returncode >= 0, "%s: killed by signal %d" % (what, -r.returncode)
    assert r.returncode in (1, 2), "%s: exit status %d (stderr %r)" % (what, r.returncode, r.stderr)
    err = r.stderr.decode("utf-8", "replace")
    assert err.endswith("\n") and err.count("\n") == 1, "%s: stderr is not one line: %r" % (what, err)
    assert err.startswith("gdfo "), "%s: stderr does not name the command: %r" % (what, err)
    assert r.stdout == b"", "%s: printed on stdout: %r" % (what, r.stdout[:200])
    return err


# ------------------------------------------------------------------- CLI


@pytest.mark.parametrize("path", bad_cases("pipeline"))
@pytest.mark.parametrize("command", [["inspect"], ["inspect", "--json"], ["optimize", "--rules"],
                                     ["optimize", "--explain"]], ids=" ".join)
def test_cli_refuses_bad_pipeline(command, path):
    err = assert_refused(run_cli(*command, path), " ".join(command))
    assert os.path.basename(path) in err, "the message names the file: %r" % err


@pytest.mark.parametrize("path", bad_cases("telemetry"))
def test_cli_refuses_bad_telemetry(path):
    assert_refused(run_cli("optimize", "--telemetry", path, RETAIL), "optimize --telemetry")


@pytest.mark.parametrize("path", bad_cases("eventlog"))
def test_cli_eventlog_without_stages(path):
    """No completed stage: --pipeline and --profile refuse; --summary refuses
    (corrupt compression) or prints one JSON object counting no stage."""
    for mode in ("--pipeline", "--profile"):
        assert_refused(run_cli("ingest", mode, path), "ingest " + mode)
    r = run_cli("ingest", "--summary", path)
    if r.returncode != 0:
        assert_refused(r, "ingest --summary")
    else:
        assert r.stderr == b""
        doc = json.loads(r.stdout)
        assert doc["stages_completed"] == 0


def test_cli_usage_errors_are_one_line():
    for args in (["inspect"], ["inspect", "--bogus", "x.json"], ["optimize"], ["no-such-command"],
                 ["inspect", "a.json", "b.json"], ["optimize", "--telemetry"]):
        r = run_cli(*args)
        assert r.returncode == 2, args
        assert r.stderr.count(b"\n") == 1, (args, r.stderr)


def test_cli_missing_file():
    r = run_cli("inspect", os.path.join(BAD, "no-such-file.json"))
    err = assert_refused(r, "inspect missing")
    assert "no-such-file.json" in err


def test_cli_accepts_the_good_documents():
    """The documents the corpus mutates are valid, so each bad file fails for its own reason."""
    r = run_cli("inspect", os.path.join(BAD, "good", "pipeline.json"))
    assert r.returncode == 0, r.stderr


# ----------------------------------------------------------- Python binding

READERS = {"pipeline": gdfo.Graph, "telemetry": gdfo.Telemetry, "plan": gdfo.Plan,
           "profile": gdfo.Profile}


def assert_error(e):
    err = e.value
    assert err.status < 0 and err.status_name.startswith("GDFO_E")
    assert err.status_name != "GDFO_UNKNOWN"
    msg = str(err)
    assert msg and "\n" not in msg and msg != "no error" and len(msg) < 1024


@pytest.mark.parametrize("path", [p for sub in READERS for p in bad_cases(sub)])
def test_binding_refuses(path):
    cls = READERS[os.path.basename(os.path.dirname(path))]
    with pytest.raises(gdfo.GdfoError) as e:
        cls.load(path)
    assert_error(e)
    assert os.path.basename(path) in str(e.value) or e.value.status != gdfo.EIO
    with open(path, "rb") as f:
        data = f.read()
    with pytest.raises(gdfo.GdfoError) as e:
        cls.from_json(data)
    assert_error(e)


@pytest.mark.parametrize("path", bad_cases("eventlog"))
def test_binding_eventlog_without_stages(path):
    try:
        log = gdfo.EventLog.read(path)
    except gdfo.GdfoError as e:
        assert e.status in (gdfo.EFORMAT, gdfo.EIO)
        assert "\n" not in str(e)
        return
    with log:
        assert log.summary()["stages_completed"] == 0
        for build in (log.graph, log.profile):
            with pytest.raises(gdfo.GdfoError) as e:
                build()
            assert_error(e)
            assert e.value.status == gdfo.ENOTFOUND


@pytest.mark.parametrize("sub", sorted(READERS))
def test_good_documents_load(sub):
    with READERS[sub].load(os.path.join(BAD, "good", sub + ".json")) as obj:
        assert obj.to_json()
