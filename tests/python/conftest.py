"""Shared fixtures of the Python suites.

`make test-python` sets GDFO_LIBRARY (the built libgdfo.so), GDFO_CLI (the
built gdfo) and PYTHONPATH=bindings/python. Run by hand from the project root:

    GDFO_LIBRARY=build/libgdfo.so GDFO_CLI=build/gdfo PYTHONPATH=bindings/python \
        /usr/bin/python3 -m pytest -q tests/python
"""
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BAD = os.path.join(ROOT, "tests", "bad")
EXAMPLES = os.path.join(ROOT, "examples", "pipelines")
RETAIL = os.path.join(EXAMPLES, "retail_etl.json")
SHARED = os.environ.get("GDFO_SHARED_DATA") or os.path.join(os.path.dirname(ROOT), "shared", "data")
EVENTS = os.path.join(SHARED, "spark-events")

# Directories of tests/bad and the reader each targets.
JSON_READERS = ("pipeline", "telemetry", "plan", "profile")


def cli_path():
    return os.environ.get("GDFO_CLI") or os.path.join(ROOT, "build", "gdfo")


def known_issues():
    """{"<dir>/<file>": reason} from tests/bad/KNOWN_ISSUES."""
    out = {}
    with open(os.path.join(BAD, "KNOWN_ISSUES"), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                key, _, reason = line.partition(" ")
                out[key] = reason.strip()
    return out


def bad_cases(sub):
    """pytest params for every file of tests/bad/<sub>; known issues are xfail (not run)."""
    issues = known_issues()
    params = []
    for name in sorted(os.listdir(os.path.join(BAD, sub))):
        key = sub + "/" + name
        marks = ()
        if key in issues:
            marks = pytest.mark.xfail(reason="known issue: " + issues[key], run=False)
        params.append(pytest.param(os.path.join(BAD, sub, name), id=key, marks=marks))
    return params


def shared_logs():
    """Every Spark event log of ../shared/data/spark-events (empty if absent)."""
    out = []
    if os.path.isdir(EVENTS):
        for d, _, files in os.walk(EVENTS):
            for f in sorted(files):
                if f not in ("README.md", "SHA256SUMS"):
                    out.append(os.path.join(d, f))
    return sorted(out)


@pytest.fixture(scope="session")
def gdfo():
    import gdfo as module
    return module


@pytest.fixture
def retail_json():
    with open(RETAIL, encoding="utf-8") as f:
        return f.read()
