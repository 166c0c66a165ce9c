"""The import contracts of pyproject.toml ([tool.importlinter], checked by `lint-imports` in `make lint`): no
cycle between the packages of app/ nor between the modules of one package (the versioned questionnaire
pair excepted), and the layer order of docs/ARCHITECTURE.md. Run through import-linter's own command."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def lint_imports(project: Path) -> subprocess.CompletedProcess:
    return subprocess.run([LINT_IMPORTS, "--no-cache", "--config", str(project / "pyproject.toml")], cwd=project,
                          capture_output=True, text=True, timeout=120)


def test_app_keeps_its_import_contracts():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(("module", "source", "broken"), [
    # A service importing one above it: scheduling is the bottom service layer, billing sits above notify.
    ("app/scheduling/uses_billing.py", "from app.billing import refunds\n", "Layers of app/"),
    ("app/notify/uses_billing.py", "import app.billing.checkout\n", "Layers of app/"),
    ("app/models/uses_web.py", "from app.web import timefmt\n", "Layers of app/"),
    # Two packages the layers say nothing about, importing each other.
    ("app/accounts/uses_clinical.py", "import app.clinical.tryptase\n", "No import cycle"),
    # Two modules of one package importing each other.
    ("app/billing/uses_queries.py", "import app.billing.queries\n", "No import cycle"),
])
def test_a_new_cycle_or_layer_breach_breaks_a_contract(tmp_path, module, source, broken):
    shutil.copytree(ROOT / "app", tmp_path / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / module).write_text(source)
    if module == "app/accounts/uses_clinical.py":
        (tmp_path / "app/clinical/uses_accounts.py").write_text("import app.accounts.service\n")
    if module == "app/billing/uses_queries.py":
        queries = tmp_path / "app/billing/queries.py"
        queries.write_text(queries.read_text() + "\nfrom app.billing import uses_queries  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1
    assert f"{broken}" in result.stdout.split("Broken contracts")[-1], result.stdout
