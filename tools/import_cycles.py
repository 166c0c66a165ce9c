"""Import cycles between the packages and modules of app/: a module graph from the source (ast), the same
graph collapsed to packages, and their strongly connected components.
Run: python tools/import_cycles.py (exit 1 when there is a cycle)."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def graph(package: str = "app") -> dict[str, set[str]]:
    """module -> the app modules it imports at module level or in functions (any import counts)."""
    files = {module_name(p): p for p in (ROOT / package).rglob("*.py")}
    edges: dict[str, set[str]] = {m: set() for m in files}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = name.split(".") if is_package else name.split(".")[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [f"{base}.{a.name}" for a in node.names] + [base]
            for target in targets:
                while target and target not in files:
                    target = target.rpartition(".")[0]
                if target and target != name and not name.startswith(target + "."):
                    edges[name].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    sys.setrecursionlimit(10_000)

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def packages(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    """The same graph between the packages (and top-level modules) of app/: app.billing.refunds -> app.billing.
    The app factory (app/__init__.py) sits above them all and is left out."""
    def top(module: str) -> str:
        return ".".join(module.split(".")[:2])

    collapsed: dict[str, set[str]] = {}
    for module, targets in edges.items():
        if module == "app":
            continue
        collapsed.setdefault(top(module), set()).update(
            top(t) for t in targets if t != "app" and top(t) != top(module))
    for targets in list(collapsed.values()):
        for t in targets:
            collapsed.setdefault(t, set())
    return collapsed


ALLOWED: list[list[str]] = []


if __name__ == "__main__":
    modules = graph()
    found = [c for c in cycles(modules) if c not in ALLOWED] + cycles(packages(modules))
    for component in found:
        print("cycle:", " <-> ".join(component))
    sys.exit(1 if found else 0)
