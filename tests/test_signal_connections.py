"""No button or action signal reaches a method whose first parameter means something else.

``clicked``/``triggered`` emit ``checked: bool``; connected straight to ``save_as(self, target=None)`` the bool
becomes ``target`` ("Save as…" crashed exactly so). Such signals must go to a method without parameters, to a
method whose first parameter is the ``checked`` bool, or through a lambda.
"""

from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[1] / "secondopinion_desktop" / "ui"
BOOL_SIGNALS = {"clicked", "triggered", "toggled"}


def _methods(tree: ast.AST) -> dict[str, dict[str, ast.FunctionDef]]:
    classes: dict[str, dict[str, ast.FunctionDef]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            classes[node.name] = {f.name: f for f in node.body if isinstance(f, ast.FunctionDef)}
    return classes


def _takes_something_else(func: ast.FunctionDef) -> bool:
    params = func.args.posonlyargs + func.args.args
    if params and params[0].arg in ("self", "cls"):
        params = params[1:]
    if not params and func.args.vararg is None:
        return False
    if not params:
        return False  # *args: the method takes what comes
    first = params[0]
    annotation = ast.unparse(first.annotation) if first.annotation is not None else ""
    # what such signals really carry: checked (bool), or a calendar's / view's clicked(QDate / QModelIndex)
    return not (first.arg == "checked" or annotation in ("bool", "QDate", "QModelIndex"))


def find_bad_connections(ui: Path = UI) -> list[str]:
    bad: list[str] = []
    for path in sorted(ui.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        classes = _methods(tree)
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            own = classes[cls.name]
            for node in ast.walk(cls):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr == "connect" and isinstance(node.func.value, ast.Attribute)
                        and node.func.value.attr in BOOL_SIGNALS and node.args):
                    continue
                slot = node.args[0]
                if (isinstance(slot, ast.Attribute) and isinstance(slot.value, ast.Name)
                        and slot.value.id == "self" and slot.attr in own
                        and _takes_something_else(own[slot.attr])):
                    bad.append(f"{path.relative_to(ui)}:{node.lineno} {node.func.value.attr} → {slot.attr}")
    return bad


def test_no_bool_signal_reaches_an_optional_parameter() -> None:
    assert find_bad_connections() == []


def test_the_audit_finds_the_save_as_crash(tmp_path) -> None:
    """The check itself: the very connection that crashed is found."""
    sample = tmp_path / "ui" / "sample.py"
    sample.parent.mkdir()
    sample.write_text(
        "class Dialog:\n"
        "    def __init__(self):\n"
        "        self.save_button.clicked.connect(self.save_as)\n"
        "        self.ok.clicked.connect(self.accept)\n"
        "        self.box.toggled.connect(self.set_on)\n"
        "    def save_as(self, target=None): ...\n"
        "    def accept(self): ...\n"
        "    def set_on(self, checked: bool): ...\n"
    )
    assert find_bad_connections(sample.parent) == ["sample.py:3 clicked → save_as"]
