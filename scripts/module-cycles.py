#!/usr/bin/env python3
"""Fails when two modules of one crate import each other, directly or through others.

Cargo already keeps the crates' arrows one-way; this holds the modules inside each crate to the
same rule. A module is a file under crates/*/src; it depends on another module of its crate when
it names it through `crate::…`, `super::…` or `self::…` (in a `use` or inline). A child naming its
parent's facade (`super::Item` re-exported by mod.rs) is ignored: the facade only re-exports.
"""
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def module_path(src: Path, file: Path) -> tuple:
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return tuple(parts)


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def references(text: str):
    """Each path the file names through crate::/super::/self::, as a list of segments."""
    for m in re.finditer(r"\b(crate|super|self)((?:::(?:super|[A-Za-z_][A-Za-z0-9_]*))+)", text):
        yield m.group(1), m.group(2).strip(":").split("::")
    # `use super::{a, b::c}` groups
    for m in re.finditer(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^}]*)\}", text):
        base = [s for s in m.group(2).strip(":").split("::") if s]
        for item in m.group(3).split(","):
            item = item.strip().split(" as ")[0]
            if item and item != "self":
                yield m.group(1), base + item.split("::")


def resolve(me: tuple, kind: str, segs: list, modules: set) -> tuple:
    if kind == "crate":
        base = ()
    elif kind == "self":
        base = me
    else:
        base = me[:-1]
    segs = list(segs)
    while segs and segs[0] == "super":
        base = base[:-1]
        segs.pop(0)
    path = base
    best = base
    for s in segs:
        path = path + (s,)
        if path in modules:
            best = path
    return best


def crate_cycles(crate: Path):
    src = crate / "src"
    files = [p for p in src.rglob("*.rs")]
    modules = {module_path(src, f): f for f in files}
    graph = {m: set() for m in modules}
    for me, file in modules.items():
        text = strip_comments(file.read_text())
        # Test modules may use anything; they are not part of the shipped arrows.
        text = re.split(r"#\[cfg\(test\)\]\s*mod tests", text)[0]
        for kind, segs in references(text):
            target = resolve(me, kind, segs, set(modules))
            if target == me or me[: len(target)] == target:
                continue  # itself, or an ancestor's facade
            graph[me].add(target)
    # Tarjan's strongly connected components.
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return out


def main() -> int:
    status = 0
    for crate in sorted((ROOT / "crates").iterdir()):
        if not (crate / "src").is_dir():
            continue
        for comp in crate_cycles(crate):
            status = 1
            names = sorted("::".join(m) or "<root>" for m in comp)
            print(f"{crate.name}: import cycle between {', '.join(names)}")
    if status == 0:
        print("no import cycles between the modules of any crate")
    return status


if __name__ == "__main__":
    sys.exit(main())
