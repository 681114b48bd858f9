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
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(ui.rglob("*.py"))}
    classes: dict[str, ast.ClassDef] = {}  # every class of the window, by name, to follow inherited methods
    for tree in trees.values():
        classes.update({n.name: n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)})

    def method(cls: ast.ClassDef, name: str, seen: frozenset[str] = frozenset()) -> ast.FunctionDef | None:
        for node in cls.body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                return node
        for base in cls.bases:
            base_name = base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")
            if base_name in classes and base_name not in seen:
                found = method(classes[base_name], name, seen | {cls.name})
                if found is not None:
                    return found
        return None

    for path, tree in trees.items():
        functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
        owners = [(cls, n) for cls in (c for c in ast.walk(tree) if isinstance(c, ast.ClassDef))
                  for n in ast.walk(cls)]
        in_class = {id(n) for _cls, n in owners}
        calls = owners + [(None, n) for n in ast.walk(tree) if id(n) not in in_class]
        for cls, node in calls:
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "connect" and isinstance(node.func.value, ast.Attribute)
                    and node.func.value.attr in BOOL_SIGNALS and node.args):
                continue
            slot = node.args[0]
            target = None
            if (cls is not None and isinstance(slot, ast.Attribute) and isinstance(slot.value, ast.Name)
                    and slot.value.id == "self"):
                target = method(cls, slot.attr)
            elif isinstance(slot, ast.Name) and slot.id in functions:
                target = functions[slot.id]
            if target is not None and _takes_something_else(target):
                name = slot.attr if isinstance(slot, ast.Attribute) else slot.id  # type: ignore[union-attr]
                bad.append(f"{path.relative_to(ui)}:{node.lineno} {node.func.value.attr} → {name}")
    return sorted(set(bad))


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
        "class Child(Dialog):\n"
        "    def __init__(self):\n"
        "        self.again.clicked.connect(self.save_as)\n"
        "def open_file(path=None): ...\n"
        "def wire(button):\n"
        "    button.triggered.connect(open_file)\n"
    )
    assert find_bad_connections(sample.parent) == [
        "sample.py:11 clicked → save_as", "sample.py:14 triggered → open_file", "sample.py:3 clicked → save_as",
    ]
