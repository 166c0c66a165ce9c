"""No import cycle between the modules, nor between the packages, of app/ (tools/import_cycles.py)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import import_cycles  # noqa: E402


def test_no_cycle_between_modules_but_the_versioned_questionnaire():
    assert import_cycles.cycles(import_cycles.graph()) == import_cycles.ALLOWED


def test_no_cycle_between_packages():
    # Services may ask each other only one way: e.g. billing never imports courses (the course registers
    # what a payment buys from the factory), notify never imports billing, models import no service.
    assert import_cycles.cycles(import_cycles.packages(import_cycles.graph())) == []


def test_packages_collapse_modules_and_find_a_cycle_between_them():
    edges = {"app": {"app.x.a"}, "app.x.a": {"app.y.b", "app.x.c"}, "app.x.c": set(), "app.y.b": {"app.x"},
             "app.x": set()}
    assert import_cycles.packages(edges) == {"app.x": {"app.y"}, "app.y": {"app.x"}}
    assert import_cycles.cycles(import_cycles.packages(edges)) == [["app.x", "app.y"]]


def test_the_checker_finds_a_cycle():
    edges = {"app.a": {"app.b"}, "app.b": {"app.c"}, "app.c": {"app.a"}, "app.d": {"app.a"}}
    assert import_cycles.cycles(edges) == [["app.a", "app.b", "app.c"]]
