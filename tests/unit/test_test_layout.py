"""The README's promise about the suite's layout: helpers shared between test modules live in
tests/support/ or a conftest, and no test module imports another (its fixtures would be collected twice
and shadow each other)."""
from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent


def _imports_of_test_modules(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) else (
            [alias.name for alias in node.names] if isinstance(node, ast.Import) else [])
        found += [n for n in names if n.startswith("tests.") and n.rsplit(".", 1)[-1].startswith("test_")]
    return found


def test_no_test_module_imports_another():
    offenders = {str(p.relative_to(TESTS)): found for p in sorted(TESTS.rglob("*.py"))
                 if (found := _imports_of_test_modules(p))}
    assert offenders == {}


def test_the_check_sees_such_an_import(tmp_path):
    module = tmp_path / "test_example.py"
    module.write_text("from tests.integration.test_booking import practice\nimport tests.unit.test_money\n")
    assert _imports_of_test_modules(module) == ["tests.integration.test_booking", "tests.unit.test_money"]
