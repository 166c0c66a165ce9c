"""The lock files (`make lock`) are what make installs: they must hold every pin of the requirement files
they were made from, each package with its hashes, and the tests must run on the runtime's versions."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;#\\]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    """name -> version for every `name==version` line (continuation lines, options and comments skipped)."""
    found = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            found[canonical(match[1])] = match[2]
    return found


def lock_entries(path: Path) -> dict[str, list[str]]:
    """name==version -> its hashes, from a pip-compile --generate-hashes file."""
    entries: dict[str, list[str]] = {}
    current = None
    for line in path.read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = f"{canonical(match[1])}=={match[2]}"
            entries[current] = []
        elif current and line.strip().startswith("--hash=sha256:"):
            entries[current].append(line.strip().removeprefix("--hash=sha256:").rstrip(" \\"))
        elif not line.startswith(" "):
            current = None
    return entries


@pytest.mark.parametrize(("source", "lock"), [("requirements.txt", "requirements.lock"),
                                              ("requirements-dev.txt", "requirements-dev.lock")])
def test_every_pin_of_a_requirement_file_is_in_its_lock(source, lock):
    wanted = pins(ROOT / source)
    locked = pins(ROOT / lock)
    assert wanted, f"{source} pins nothing"
    stale = {name: (version, locked.get(name)) for name, version in wanted.items() if locked.get(name) != version}
    assert stale == {}, f"{lock} is out of date with {source} (wanted, locked); run `make lock`"


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-dev.lock"])
def test_every_locked_package_carries_its_hashes(lock):
    entries = lock_entries(ROOT / lock)
    assert len(entries) > 20
    assert [entry for entry, hashes in entries.items() if not hashes] == []
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for hashes in entries.values() for h in hashes)


def test_the_tests_run_on_the_runtime_versions():
    runtime = pins(ROOT / "requirements.lock")
    dev = pins(ROOT / "requirements-dev.lock")
    assert {name: (v, dev.get(name)) for name, v in runtime.items() if dev.get(name) != v} == {}


def test_make_installs_from_the_locks_with_hashes_required():
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r requirements.lock" in makefile
    assert "--require-hashes -r requirements-dev.lock" in makefile
    assert not re.search(r"pip install[^\n]*-r requirements(-dev)?\.txt", makefile)


# Direct dependencies the code does not import: named in configuration, run as a program, or imported by a
# library only when the code asks for a feature of it (see the comments in the requirement files).
NOT_IMPORTED = {
    "requirements.txt": {"redis", "psycopg", "gunicorn", "tzdata", "email-validator"},
    "requirements-dev.txt": {"pytest-xdist", "radicale", "ruff", "mypy", "pip-tools", "import-linter"},
}
IMPORTED_FROM = {"requirements.txt": ("app", "config.py", "wsgi.py", "migrations"),
                 "requirements-dev.txt": ("tests", "bench", "tools")}


def imported_distributions(*places: str) -> set[str]:
    """The installed distributions whose top-level modules the Python files under `places` import."""
    import ast
    import sys
    from importlib.metadata import packages_distributions

    modules = set()
    for place in places:
        path = ROOT / place
        for file in [path] if path.is_file() else path.rglob("*.py"):
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules.add(node.module.split(".")[0])
    owners = packages_distributions()
    return {canonical(dist) for module in modules - set(sys.stdlib_module_names) for dist in owners.get(module, ())}


@pytest.mark.parametrize("source", ["requirements.txt", "requirements-dev.txt"])
def test_a_requirement_file_lists_what_the_code_uses_and_leaves_the_rest_to_the_lock(source):
    listed = set(pins(ROOT / source))
    imported = imported_distributions(*IMPORTED_FROM[source])
    if source == "requirements-dev.txt":
        imported -= set(pins(ROOT / "requirements.txt"))  # the runtime's come from the runtime file
    assert sorted(listed - imported - NOT_IMPORTED[source]) == [], f"{source} pins what the code never imports"
    assert sorted(imported - listed) == [], f"the code imports what {source} does not pin"
