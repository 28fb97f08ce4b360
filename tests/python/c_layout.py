#!/usr/bin/env python3
"""Writes a C program that prints the layout of every public libgdfo struct.

Reads the *preprocessed* public header on stdin (the Makefile runs
`cc -E -P -Iinclude include/gdfo/gdfo.h | python3 tests/python/c_layout.py`),
so comments are gone, #if'd fields are resolved as a client compiling the
header sees them, and fields written through macros are expanded. Every
`struct gdfo_* { ... }` gets one entry; the program, compiled against
include/gdfo, prints

    {"gdfo_stage": {"size": 152, "align": 8, "fields": [
        {"name": "version", "offset": 0, "size": 4}, ...]}, ...}

with sizeof/offsetof/_Alignof computed by the compiler, never by this script.
tests/python/test_layout.py compares the ctypes Structures of gdfo._lib with
it. The script only finds names; a member it cannot name is an error (the
C compiler then names the line).
"""
import re
import sys

IDENT = re.compile(r"[A-Za-z_]\w*")


def split_top(text, sep):
    """Splits text on sep where it is outside (), [] and {}."""
    out, depth, cur = [], 0, []
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == sep and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


def declarator_name(decl):
    """The member name of one declarator: `*const *cols`, `w[4]`, `(*fn)(int)`."""
    decl = decl.strip()
    m = re.search(r"\(\s*\*\s*([A-Za-z_]\w*)\s*\)", decl)  # function pointer
    if m:
        return m.group(1)
    decl = re.sub(r"\[[^\]]*\]", "", decl)                 # array bounds
    decl = decl.split(":")[0]                              # bit-field width
    names = IDENT.findall(decl)
    if not names:
        raise ValueError("cannot name the member declarator %r" % decl)
    return names[-1]


def members(body):
    """Member names of a struct body, in declaration order."""
    out = []
    for decl in split_top(body, ";"):
        decl = decl.strip()
        if not decl:
            continue
        if "{" in decl:                       # nested struct/union: the name follows '}'
            decl = decl[decl.rindex("}") + 1:]
            if not decl.strip():
                raise ValueError("anonymous struct or union members are not supported")
            parts = split_top(decl, ",")
        else:
            parts = split_top(decl, ",")
        out.extend(declarator_name(p) for p in parts)
    return out


def structs(text):
    """[(tag, [member, ...])] for every `struct gdfo_* {` definition."""
    out = []
    for m in re.finditer(r"\bstruct\s+(gdfo_\w+)\s*\{", text):
        depth, i = 1, m.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        out.append((m.group(1), members(text[m.end():i - 1])))
    return out


def program(found):
    lines = ["#include <stddef.h>", "#include <stdio.h>", "#include <gdfo/gdfo.h>", "",
             "#define FIELD(T, f, sep) printf(\"%s{\\\"name\\\": \\\"%s\\\", \\\"offset\\\": %zu, "
             "\\\"size\\\": %zu}\", sep, #f, offsetof(struct T, f), sizeof(((struct T *)0)->f))",
             "", "int main(void)", "{", "\tputs(\"{\");"]
    for n, (tag, fields) in enumerate(found):
        lines.append("\tprintf(\"%s\\\"%s\\\": {\\\"size\\\": %%zu, \\\"align\\\": %%zu, "
                     "\\\"fields\\\": [\", sizeof(struct %s), _Alignof(struct %s));"
                     % ("," if n else "", tag, tag, tag))
        for k, f in enumerate(fields):
            lines.append("\tFIELD(%s, %s, \"%s\");" % (tag, f, ", " if k else ""))
        lines.append("\tputs(\"]}\");")
    lines += ["\tputs(\"}\");", "\treturn 0;", "}"]
    return "\n".join(lines) + "\n"


def main():
    found = structs(sys.stdin.read())
    if not found:
        sys.exit("c_layout: no struct gdfo_* found in the input")
    sys.stdout.write(program(found))


if __name__ == "__main__":
    main()
