"""Every ctypes Structure of gdfo._lib has the C layout of its struct.

The C side is build/tests/struct_layout (GDFO_LAYOUT): a program the Makefile
generates from the preprocessed public headers (tests/python/c_layout.py)
and compiles against include/gdfo, printing sizeof, _Alignof and, per field,
offsetof and sizeof of every struct gdfo_*. A Structure maps to its C struct
by name (StageStats -> gdfo_stage_stats) unless it sets _c_name_.

When a public struct changes, this test lists every field that moved, grew,
vanished or appeared, per Structure: update that Structure's _fields_ in
bindings/python/gdfo/_lib.py (same names, same order, same widths).

The JNI glue needs no such check: it reads and writes the C structs through
their named fields only (compiled against the same headers), never by offset
and never through positional arrays.
"""
import ctypes
import json
import os
import re
import subprocess

import pytest

from conftest import ROOT

import gdfo
from gdfo import _lib


def layout_path():
    return os.environ.get("GDFO_LAYOUT") or os.path.join(ROOT, "build", "tests", "struct_layout")


@pytest.fixture(scope="module")
def c_layout():
    path = layout_path()
    if not os.path.exists(path):
        pytest.fail("%s is missing: run `make %s` (make test-python builds it)"
                    % (path, os.path.relpath(path, ROOT)))
    return json.loads(subprocess.run([path], check=True, capture_output=True, text=True).stdout)


def c_name(cls):
    return getattr(cls, "_c_name_", None) or \
        "gdfo_" + re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


def structures(module=_lib):
    return [v for v in vars(module).values()
            if isinstance(v, type) and issubclass(v, ctypes.Structure) and v is not ctypes.Structure]


def mismatches(cls, c_layout):
    """Every way cls differs from its C struct, one string each (empty: identical)."""
    name = c_name(cls)
    c = c_layout.get(name)
    if c is None:
        return ["%s: no public struct %s in include/gdfo" % (cls.__name__, name)]
    out = []
    py_fields = [(f[0], getattr(cls, f[0])) for f in cls._fields_]
    c_fields = {f["name"]: f for f in c["fields"]}
    py_names = [f for f, _ in py_fields]
    for f in c["fields"]:
        if f["name"] not in py_names:
            out.append("%s.%s: in C (offset %d, %d bytes) but not in ctypes"
                       % (cls.__name__, f["name"], f["offset"], f["size"]))
    for f, desc in py_fields:
        cf = c_fields.get(f)
        if cf is None:
            out.append("%s.%s: in ctypes (offset %d) but not in C %s" % (cls.__name__, f, desc.offset, name))
            continue
        if desc.offset != cf["offset"]:
            out.append("%s.%s: offset %d in ctypes, %d in C" % (cls.__name__, f, desc.offset, cf["offset"]))
        if desc.size != cf["size"]:
            out.append("%s.%s: %d bytes in ctypes, %d in C" % (cls.__name__, f, desc.size, cf["size"]))
    order = [f["name"] for f in c["fields"] if f["name"] in py_names]
    if [f for f in py_names if f in c_fields] != order:
        out.append("%s: field order %s, C order %s" % (cls.__name__, py_names, order))
    if ctypes.sizeof(cls) != c["size"]:
        out.append("%s: sizeof %d in ctypes, %d in C" % (cls.__name__, ctypes.sizeof(cls), c["size"]))
    if ctypes.alignment(cls) != c["align"]:
        out.append("%s: alignment %d in ctypes, %d in C"
                   % (cls.__name__, ctypes.alignment(cls), c["align"]))
    return out


def test_every_structure_matches_c(c_layout):
    found = structures()
    assert len(found) >= 15, [c.__name__ for c in found]
    problems = [m for cls in found for m in mismatches(cls, c_layout)]
    assert not problems, "ctypes Structures in bindings/python/gdfo/_lib.py differ from " \
        "include/gdfo:\n  " + "\n  ".join(problems)


def test_layout_program_covers_the_headers(c_layout):
    """The generated program sees every struct defined in include/gdfo (no parser gaps)."""
    tags = set()
    for h in os.listdir(os.path.join(ROOT, "include", "gdfo")):
        with open(os.path.join(ROOT, "include", "gdfo", h), encoding="utf-8") as f:
            tags.update(re.findall(r"\bstruct\s+(gdfo_\w+)\s*\{", f.read()))
    assert tags and tags <= set(c_layout), sorted(tags - set(c_layout))
    for name, c in c_layout.items():
        assert c["fields"], name
        ends = [f["offset"] + f["size"] for f in c["fields"]]
        assert max(ends) <= c["size"], name


def _variant(cls, fields):
    return type(cls.__name__, (ctypes.Structure,), {"_fields_": fields})


def test_the_check_catches_a_removed_field(c_layout):
    fields = [f for f in _lib.Stage._fields_ if f[0] != "id"]
    got = mismatches(_variant(_lib.Stage, fields), c_layout)
    assert "Stage.id: in C (offset 8, 8 bytes) but not in ctypes" in got
    assert any(m.startswith("Stage.name: offset") for m in got)
    assert any(m.startswith("Stage: sizeof") for m in got)


def test_the_check_catches_reordered_fields(c_layout):
    f = list(_lib.RulesOptions._fields_)
    f[1], f[2] = f[2], f[1]            # push_filters <-> fuse_narrow: same size, same total
    got = mismatches(_variant(_lib.RulesOptions, f), c_layout)
    assert "RulesOptions.push_filters: offset 8 in ctypes, 4 in C" in got
    assert any(m.startswith("RulesOptions: field order") for m in got)


def test_the_check_catches_a_wrong_width(c_layout):
    f = [(n, ctypes.c_int32 if n == "target_file_bytes" else t) for n, t in _lib.StageKnobs._fields_]
    got = mismatches(_variant(_lib.StageKnobs, f), c_layout)
    assert "StageKnobs.target_file_bytes: 4 bytes in ctypes, 8 in C" in got


def test_the_check_catches_a_field_added_in_c(c_layout):
    grown = dict(c_layout)
    g = dict(grown["gdfo_cluster"])
    g["fields"] = g["fields"] + [{"name": "max_cost", "offset": g["size"], "size": 8}]
    g["size"] += 8
    grown["gdfo_cluster"] = g
    got = mismatches(_lib.Cluster, grown)
    size = c_layout["gdfo_cluster"]["size"]
    assert "Cluster.max_cost: in C (offset %d, 8 bytes) but not in ctypes" % size in got
    assert "Cluster: sizeof %d in ctypes, %d in C" % (size, size + 8) in got


def test_public_dataclasses_are_not_structures():
    # gdfo.Stage etc. are plain copies; only gdfo._lib holds C layouts.
    assert not structures(gdfo)
