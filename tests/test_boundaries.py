"""The machine-checked boundaries, run with the test suite (pyproject.toml configures all three):

- import contracts (import-linter): the core never imports Qt, the window never imports the database layer,
  the tabs do not import each other, nor the shared dialogs (directory, profile, treatments) a tab;
- lint (ruff) over the whole tree, with Qt's mixedCase names allowed under ui/ by per-file ignores;
- types (mypy, strict) over the core;
- and the window never opens a database session of its own (core services own the transaction).

Each runs as a subprocess of the test environment's Python, so the README's test command checks them in CI.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "secondopinion_desktop"
# ui packages every tab may use; any other ui package is a tab or a shared dialog, held independent
SHARED_UI_PACKAGES = {"widgets"}

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: import-linter brings tomli
    import tomli as tomllib


def config() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)


def tool(name: str) -> list[str]:
    """The command of a tool installed in this environment (the test extra installs them)."""
    script = Path(sys.executable).parent / name
    if not script.exists():
        pytest.fail(f"{name} is not installed in {sys.prefix}: pip install -e '.[test]'")
    return [str(script)]


def run(command: list[str], *, cwd: Path = ROOT, env: dict[str, str] | None = None,
        timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "200", **(env or {})})  # import-linter wraps at 80


def shown(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


# --- import contracts ------------------------------------------------------------------------------------------


def test_the_import_contracts_hold() -> None:
    result = run([*tool("lint-imports"), "--no-cache", "--no-logo"])
    assert result.returncode == 0, shown(result)
    assert "0 broken" in result.stdout, shown(result)


def test_every_tab_and_dialog_package_is_held_independent() -> None:
    contracts = config()["tool"]["importlinter"]["contracts"]
    listed = {name.rsplit(".", 1)[1] for c in contracts if c["type"] == "independence" for name in c["modules"]}
    found = {p.name for p in (PACKAGE / "ui").iterdir() if (p / "__init__.py").is_file()} - SHARED_UI_PACKAGES
    assert found - listed == set(), "add the new ui package to an independence contract in pyproject.toml"


def test_the_contracts_catch_a_crossing(tmp_path: Path) -> None:
    """A copy of the package with one forbidden import of each kind breaks the contract it crosses."""
    copy = tmp_path / "secondopinion_desktop"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with open(copy / "core" / "words.py", "a", encoding="utf-8") as fh:
        fh.write("\nfrom PySide6.QtCore import QLocale  # noqa\n")
    with open(copy / "ui" / "state.py", "a", encoding="utf-8") as fh:
        fh.write("\nimport sqlalchemy  # noqa\n")
    with open(copy / "ui" / "guidance" / "__init__.py", "a", encoding="utf-8") as fh:
        fh.write("\nfrom secondopinion_desktop.ui.packet import dialog  # noqa\n")
    result = run([*tool("lint-imports"), "--no-cache", "--no-logo"], cwd=tmp_path,
                 env={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 1, shown(result)
    assert "Contracts: 2 kept, 3 broken." in result.stdout, shown(result)
    for line in ("secondopinion_desktop.core.words -> PySide6", "secondopinion_desktop.ui.state -> sqlalchemy",
                 "secondopinion_desktop.ui.guidance -> secondopinion_desktop.ui.packet"):
        assert line in " ".join(result.stdout.split()), shown(result)


def session_calls(source: str) -> list[int]:
    """Lines calling ``.session()`` or ``.dry_run()`` (a DataFolder's transactions)."""
    return [node.lineno for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute) and node.func.attr in ("session", "dry_run")]


def test_the_window_never_holds_a_database_session() -> None:
    """Core services open their own unit of work (core/unit.py); the window only calls them."""
    found = {str(path.relative_to(PACKAGE)): lines for path in sorted((PACKAGE / "ui").rglob("*.py"))
             if (lines := session_calls(path.read_text(encoding="utf-8")))}
    assert found == {}


def test_the_session_scan_sees_both_kinds() -> None:
    assert session_calls("with folder.session() as s:\n    pass\nwith self.folder.dry_run() as s:\n    pass\n") \
        == [1, 3]
    assert session_calls("records.update_record(folder, 3, title='x')\n") == []


# --- lint and types --------------------------------------------------------------------------------------------


def test_ruff_finds_nothing() -> None:
    result = run([*tool("ruff"), "check", "--no-cache", "--output-format", "concise", "."])
    assert result.returncode == 0, shown(result)


def test_the_core_type_checks() -> None:
    cache = ROOT / ".pytest_cache" / "mypy"  # a git-ignored place, so that later runs are quick
    result = run([*tool("mypy"), "--cache-dir", str(cache)])
    assert result.returncode == 0, shown(result)
    assert "Success: no issues found" in result.stdout, shown(result)
