"""No import cycle between the modules of app/ (tools/import_cycles.py)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import import_cycles  # noqa: E402


def test_no_cycle_between_modules_but_the_versioned_questionnaire():
    assert import_cycles.cycles(import_cycles.graph()) == import_cycles.ALLOWED


def test_the_checker_finds_a_cycle():
    edges = {"app.a": {"app.b"}, "app.b": {"app.c"}, "app.c": {"app.a"}, "app.d": {"app.a"}}
    assert import_cycles.cycles(edges) == [["app.a", "app.b", "app.c"]]
