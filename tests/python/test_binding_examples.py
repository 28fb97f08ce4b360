"""examples/python runs as docs/bindings.md says and writes a loadable plan."""
import os
import subprocess
import sys

from conftest import BAD, RETAIL, ROOT

import gdfo


def run_example(*args):
    return subprocess.run([sys.executable, os.path.join(ROOT, "examples", "python", "optimize_retail.py"),
                           *args], capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_optimize_retail_example(tmp_path):
    out = tmp_path / "plan.json"
    r = run_example(RETAIL, str(out))
    assert r.returncode == 0, r.stderr
    assert "pipeline 'retail_etl', 12 stages" in r.stdout
    with gdfo.Plan.load(out) as plan, gdfo.Graph.load(RETAIL) as g, gdfo.optimize_rules(g) as again:
        assert plan.to_json() == again.to_json()
        assert "plan by rules: %d changes" % len(plan.changes()) in r.stdout


def test_optimize_retail_example_on_bad_input():
    r = run_example(os.path.join(BAD, "pipeline", "cycle.json"))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "GDFO_ECYCLE" in r.stderr
