"""Every code block of README.md and docs/bindings.md runs against the built tree.

Convention for the documents (a block is a ``` fence with a language):

- `sh`/`bash` blocks run with `bash -e -o pipefail`;
  `c` blocks are compiled as a program (-Iinclude, linked to build/libgdfo.so)
  and run; `python` blocks run with /usr/bin/python3 and, as the quick starts
  export, GDFO_LIBRARY=build/libgdfo.so and PYTHONPATH=bindings/python;
  `java` blocks are statements (their leading `import` lines are kept) put in
  a `main` method, compiled against build/jvm/gdfo.jar and run with
  -Djava.library.path=build.
- Each block runs on its own, with the working directory a sandbox that looks
  like the project root (its entries are symlinks to the real ones, and
  ../shared is the real ../shared), so the relative paths of the documents
  work and files a block writes (plan.json) land in the sandbox. build/ is the
  real build directory.
- A block that must not run is marked by the line right before its fence:
  `<!-- docs-test: skip REASON -->` (REASON is required: it installs into the
  system, it is this very test's command...). The marker renders as nothing.
- A fence without a language is text (a directory listing) and is not run;
  a language not listed above fails the test unless the block is marked.
"""
import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT

DOCS = ("README.md", os.path.join("docs", "bindings.md"))
RUNNABLE = {"sh", "bash", "c", "python", "java"}
SKIP = re.compile(r"^<!--\s*docs-test:\s*skip\s+(\S.*?)\s*-->$")
FENCE = re.compile(r"^```(\S*)\s*$")
BUILD = os.path.join(ROOT, "build")


def blocks(doc):
    """(line, language, text, skip reason or None) for every fenced block of doc."""
    out = []
    with open(os.path.join(ROOT, doc), encoding="utf-8") as f:
        lines = f.read().splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, lang = i, m.group(1)
        j = i + 1
        while j < len(lines) and lines[j].strip() != "```":
            j += 1
        assert j < len(lines), "%s:%d: unclosed code block" % (doc, start + 1)
        prev = lines[start - 1].strip() if start else ""
        skip = SKIP.match(prev)
        if prev.startswith("<!--") and "docs-test" in prev and not skip:
            pytest.fail("%s:%d: malformed marker %r (want <!-- docs-test: skip REASON -->)"
                        % (doc, start, prev))
        out.append((start + 1, lang, "\n".join(lines[start + 1:j]) + "\n",
                    skip.group(1) if skip else None))
        i = j + 1
    return out


def cases():
    params = []
    for doc in DOCS:
        for line, lang, text, skip in blocks(doc):
            if not lang:
                continue
            marks = pytest.mark.skip(reason="marked in the document: " + skip) if skip else ()
            params.append(pytest.param(doc, line, lang, text, id="%s:%d:%s" % (doc, line, lang),
                                       marks=marks))
    return params


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    base = tmp_path_factory.mktemp("docs")
    root = base / "root"
    root.mkdir()
    for name in os.listdir(ROOT):
        if name != ".git":
            os.symlink(os.path.join(ROOT, name), root / name)
    shared = os.path.join(os.path.dirname(ROOT), "shared")
    if os.path.exists(shared):
        os.symlink(shared, base / "shared")
    return root


def env():
    e = {k: v for k, v in os.environ.items()
         if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "GDFO_LIBRARY", "PYTHONPATH")}
    return e


def run(cmd, cwd, extra=None, timeout=600):
    e = env()
    e.update(extra or {})
    r = subprocess.run(cmd, cwd=cwd, env=e, capture_output=True, text=True, timeout=timeout)
    return r


def java_program(text, name):
    lines = text.splitlines()
    imports = []
    while lines and (lines[0].startswith("import ") or not lines[0].strip()):
        imports.append(lines.pop(0))
    body = "\n".join("        " + l for l in lines)
    return "%s\n\npublic class %s {\n    public static void main(String[] args) throws Exception {\n%s\n    }\n}\n" \
        % ("\n".join(imports), name, body)


@pytest.mark.parametrize("doc,line,lang,text", cases())
def test_code_block_runs(doc, line, lang, text, sandbox, tmp_path):
    where = "%s:%d" % (doc, line)
    if lang not in RUNNABLE:
        pytest.fail("%s: a %r block; run it here or mark it <!-- docs-test: skip REASON -->"
                    % (where, lang))
    if lang in ("sh", "bash"):
        r = run(["bash", "-e", "-o", "pipefail", "-c", text], sandbox)
    elif lang == "python":
        r = run([sys.executable, "-c", text], sandbox,
                {"GDFO_LIBRARY": os.path.join(BUILD, "libgdfo.so"),
                 "PYTHONPATH": os.path.join(ROOT, "bindings", "python")})
    elif lang == "c":
        src, exe = tmp_path / "app.c", tmp_path / "app"
        src.write_text(text)
        r = run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-I" + os.path.join(ROOT, "include"),
                 "-o", str(exe), str(src), "-L" + BUILD, "-lgdfo", "-Wl,-rpath," + BUILD], sandbox)
        assert r.returncode == 0, "%s does not compile:\n%s" % (where, r.stderr)
        r = run([str(exe)], sandbox)
    else:
        jar = os.path.join(BUILD, "jvm", "gdfo.jar")
        if not os.path.exists(jar):
            pytest.fail("%s: %s is missing (make jvm)" % (where, jar))
        name = "DocBlock%d" % line
        (tmp_path / (name + ".java")).write_text(java_program(text, name))
        r = run(["javac", "--release", "17", "-cp", jar, "-d", str(tmp_path),
                 str(tmp_path / (name + ".java"))], sandbox)
        assert r.returncode == 0, "%s does not compile:\n%s" % (where, r.stderr)
        r = run(["java", "-Djava.library.path=" + BUILD, "-cp", jar + os.pathsep + str(tmp_path), name],
                sandbox)
    assert r.returncode == 0, "%s failed (exit %d):\n%s\n%s" % (where, r.returncode, r.stdout[-2000:],
                                                                r.stderr[-4000:])


def test_the_convention_is_checked():
    """The parser finds blocks, languages and markers as the docstring says."""
    found = {doc: blocks(doc) for doc in DOCS}
    readme = found["README.md"]
    langs = {lang for _, lang, _, _ in readme}
    assert {"sh", "c", "java"} <= langs
    skipped = [(line, reason) for line, _, _, reason in readme if reason]
    assert skipped and all(reason for _, reason in skipped)
    assert sum(1 for _, lang, _, skip in found[DOCS[1]] if lang and not skip) >= 5


def test_java_wrapping():
    prog = java_program("import org.gdfo.*;\n\nint x = 1;\nSystem.out.println(x);\n", "T")
    assert prog.startswith("import org.gdfo.*;")
    assert "public class T {" in prog and "        int x = 1;" in prog
