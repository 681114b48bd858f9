"""The core package is plain Python: it must work (CLI, tests, scripts) without Qt."""

from __future__ import annotations

import ast
import json
import subprocess
from pathlib import Path

import secondopinion_desktop.core as core

CORE_DIR = Path(core.__file__).parent
QT_PACKAGES = ("PySide6", "PySide2", "shiboken6", "shiboken2", "PyQt4", "PyQt5", "PyQt6")


def _is_qt(module: str | None) -> bool:
    if not module:
        return False
    top = module.split(".")[0]
    return top in QT_PACKAGES or top.startswith("PyQt")


def _qt_imports(source: str, filename: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {a.name}" for a in node.names if _is_qt(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _is_qt(node.module):
            found.append(f"line {node.lineno}: from {node.module} import ...")
        elif (  # importlib.import_module("PySide6...") / __import__("PySide6...")
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and _is_qt(node.args[0].value)
        ):
            found.append(f"line {node.lineno}: dynamic import of {node.args[0].value}")
    return found


def test_the_scanner_finds_qt_imports() -> None:
    source = (
        "import os\nimport PySide6.QtCore\nfrom PySide6 import QtWidgets\nfrom shiboken6 import isValid\n"
        "import PyQt5\nimport importlib\nimportlib.import_module('PySide6.QtGui')\n"
        "def f():\n    from PyQt6.QtCore import Qt\n"
    )
    assert len(_qt_imports(source, "<test>")) == 6
    assert _qt_imports("import os\nfrom sqlalchemy import select\nfrom . import db\n", "<test>") == []


def test_no_core_module_imports_qt() -> None:
    files = sorted(CORE_DIR.rglob("*.py"))
    assert CORE_DIR / "db.py" in files and CORE_DIR / "migrations" / "env.py" in files
    offenders = {}
    for path in files:
        found = _qt_imports(path.read_text(encoding="utf-8"), str(path))
        if found:
            offenders[str(path.relative_to(CORE_DIR))] = found
    assert offenders == {}


def test_importing_every_core_module_does_not_load_qt(python: str) -> None:
    script = r"""
import json, pkgutil, importlib, sys
import secondopinion_desktop.core as core
names = []
for info in pkgutil.walk_packages(core.__path__, core.__name__ + "."):
    if info.name == core.__name__ + ".migrations.env":
        continue  # Alembic's env script runs migrations when imported; it is scanned by the AST test
    importlib.import_module(info.name)
    names.append(info.name)
qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "PyQt5", "PyQt6"))
print(json.dumps({"modules": names, "qt": qt}))
"""
    result = subprocess.run([python, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["qt"] == []
    for name in ("db", "models", "vault", "records", "directory", "profile", "validation", "paths", "errors"):
        assert f"secondopinion_desktop.core.{name}" in report["modules"]
    assert "secondopinion_desktop.core.migrations.versions.0001_initial" in report["modules"]
