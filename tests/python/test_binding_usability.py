"""What a new user of the Python binding hits first: argument types, missing
files, iteration, typing and installing the package."""
import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import RETAIL, ROOT

import gdfo
from gdfo import _lib

PKG = os.path.join(ROOT, "bindings", "python")


# ---- arguments are checked by type ------------------------------------------

@pytest.mark.parametrize("value", ["false", "true", 0, 1, None, 0.0])
def test_switches_take_only_bool(value):
    with gdfo.Graph.load(RETAIL) as g:
        with pytest.raises(TypeError, match="option push_filters must be a bool, not "):
            gdfo.optimize_rules(g, push_filters=value)


def test_switch_false_turns_the_rule_off():
    with gdfo.Graph.load(RETAIL) as g:
        with gdfo.optimize_rules(g) as on, gdfo.optimize_rules(g, push_filters=False) as off:
            assert "push_filter" in {c.kind for c in on}
            assert "push_filter" not in {c.kind for c in off}


@pytest.mark.parametrize("value", ["0.5", True, None])
def test_fractions_take_only_numbers(value):
    with gdfo.Graph.load(RETAIL) as g:
        with pytest.raises(TypeError, match="option cache_memory_fraction must be a float"):
            gdfo.optimize_rules(g, cache_memory_fraction=value)


def test_a_str_for_a_graph_is_a_type_error():
    with pytest.raises(TypeError, match="graph must be a gdfo.Graph, not str"):
        gdfo.optimize_rules(RETAIL)
    with gdfo.Graph.load(RETAIL) as g:
        with pytest.raises(TypeError, match="telemetry must be a gdfo.Telemetry, not Graph"):
            gdfo.optimize_rules(g, g)
        with pytest.raises(TypeError, match="stage must be a gdfo.Stage, not str"):
            g.add_stage("orders")
        with pytest.raises(TypeError, match="knobs must be a gdfo.GraphKnobs, not dict"):
            g.knobs = {"executors": 4}
        with pytest.raises(TypeError, match="parent_id must be an int, not str"):
            g.add_edge("1", 2)
    with gdfo.Telemetry() as t:
        with pytest.raises(TypeError, match="stage must be a gdfo.StageTelemetry"):
            t.set_stage(3)
        with pytest.raises(TypeError, match="run.success must be a bool, not str"):
            t.run = gdfo.RunTelemetry(success="no")
    with pytest.raises(TypeError, match="path must be str, bytes or os.PathLike, not int"):
        gdfo.Graph.load(3)


# ---- a missing file ---------------------------------------------------------

@pytest.mark.parametrize("load", [gdfo.Graph.load, gdfo.Telemetry.load, gdfo.Plan.load,
                                  gdfo.Profile.load, gdfo.EventLog.read, gdfo.ingest_summary],
                         ids=lambda f: f.__qualname__)
def test_missing_file_is_file_not_found(tmp_path, load):
    missing = tmp_path / "nope.json"
    with pytest.raises(FileNotFoundError) as info:
        load(missing)
    e = info.value
    assert isinstance(e, gdfo.GdfoError) and isinstance(e, gdfo.GdfoFileNotFoundError)
    assert e.status == gdfo.EIO and e.status_name == "GDFO_EIO"
    assert e.filename == str(missing) and e.errno == 2
    assert str(e).endswith("No such file or directory") and str(missing) in str(e)


def test_unreadable_file_that_exists_stays_a_gdfo_error(tmp_path):
    with pytest.raises(gdfo.GdfoError) as info:
        gdfo.Graph.load(tmp_path)            # a directory: EIO, but not "not found"
    assert not isinstance(info.value, FileNotFoundError)


# ---- iteration ----------------------------------------------------------------

def test_graph_iterates_its_stages():
    with gdfo.Graph.load(RETAIL) as g:
        stages = list(g)
        assert stages == g.stages() and len(stages) == len(g) == 12
        assert all(isinstance(s, gdfo.Stage) for s in stages)
        assert [s.id for s in g] == [s.id for s in g.stages()]


def test_plan_iterates_its_changes():
    with gdfo.Graph.load(RETAIL) as g, gdfo.optimize_rules(g) as plan:
        changes = list(plan)
        assert changes == plan.changes() and len(plan) == len(changes) > 0
        assert all(isinstance(c, gdfo.Change) for c in changes)


def test_telemetry_and_profile_iterate():
    with gdfo.Telemetry() as t:
        t.set_stage(gdfo.StageTelemetry(4, duration_ms=10.0))
        assert [s.stage_id for s in t] == [4]
    with gdfo.Profile("p", 2, 2) as p:
        p.add_stage(gdfo.ProfileStage(1, num_tasks=1, task_ms=[3.0]))
        assert [s.id for s in p] == [1]


# ---- typing -------------------------------------------------------------------

def test_package_is_typed():
    assert os.path.exists(os.path.join(PKG, "gdfo", "py.typed"))
    import typing
    hints = typing.get_type_hints(gdfo.optimize_rules)
    assert hints["return"] is gdfo.Plan and "graph" in hints
    for fn in (gdfo.Graph.load, gdfo.Graph.stages, gdfo.Plan.changes, gdfo.Graph.add_stage,
               gdfo.Telemetry.set_stage, gdfo.EventLog.read, gdfo.version):
        assert "return" in typing.get_type_hints(fn), fn.__qualname__


def test_version_matches_the_c_header():
    with open(os.path.join(ROOT, "include", "gdfo", "version.h"), encoding="utf-8") as f:
        h = dict(re.findall(r"#define GDFO_VERSION_(MAJOR|MINOR|PATCH) (\d+)", f.read()))
    assert gdfo.__version__ == "%s.%s.%s" % (h["MAJOR"], h["MINOR"], h["PATCH"]), \
        "bump bindings/python/gdfo/_version.py with include/gdfo/version.h"


# ---- installing -----------------------------------------------------------------

def _python(env_extra, code, cwd):
    env = {k: v for k, v in os.environ.items()
           if k not in ("GDFO_LIBRARY", "PYTHONPATH", "LD_LIBRARY_PATH")}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """`pip install` of a copy of bindings/python (offline, Debian's setuptools)."""
    tmp = tmp_path_factory.mktemp("pip")
    src = tmp / "src"
    shutil.copytree(PKG, src, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
    target = tmp / "site"
    r = subprocess.run(["/usr/bin/python3", "-m", "pip", "install", "-q", "--no-build-isolation",
                        "--no-index", "--no-cache-dir", "--target", str(target), str(src)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return target


def test_pip_install_works_offline(installed, tmp_path):
    assert (installed / "gdfo" / "py.typed").exists()
    assert list(installed.glob("gdfo-%s.dist-info" % gdfo.__version__))
    r = _python({"PYTHONPATH": str(installed), "GDFO_LIBRARY": gdfo.library_path},
                "import gdfo; g = gdfo.Graph.load(%r); print(gdfo.__file__, len(g))" % RETAIL,
                tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(str(installed)) and r.stdout.endswith(" 12\n")


def test_installed_package_finds_a_library_beside_it(installed, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(installed, site)
    shutil.copy(os.path.realpath(gdfo.library_path), site / "gdfo" / _lib.SONAME)
    r = _python({"PYTHONPATH": str(site)}, "import gdfo; print(gdfo.library_path)", tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(site / "gdfo" / _lib.SONAME)


def test_library_not_found_says_what_to_set(installed, tmp_path):
    r = _python({"PYTHONPATH": str(installed)}, "import gdfo", tmp_path)
    if r.returncode == 0:
        pytest.skip("a %s is installed on this system" % _lib.SONAME)
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("gdfo._lib.LibraryNotFound: libgdfo not found: set GDFO_LIBRARY to "
                           "the path of " + _lib.SONAME), last
    assert "/usr/local/lib/" + _lib.SONAME in last and "ldconfig" in last


def test_bad_gdfo_library_names_the_variable(tmp_path):
    r = _python({"PYTHONPATH": PKG, "GDFO_LIBRARY": str(tmp_path / "libgdfo.so")}, "import gdfo",
                tmp_path)
    assert r.returncode != 0
    assert "GDFO_LIBRARY=%s cannot be loaded" % (tmp_path / "libgdfo.so") in r.stderr
