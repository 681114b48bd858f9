"""The guide shipped with Second Opinion: its sections, the checklist template and the question bank.

The content lives in ``resources/guidance/`` (installed as the package ``secondopinion_desktop.resources``):

* ``sections/NN-name.md`` — one Markdown file per guide section, starting with a ``# Title`` line;
* ``checklist.json`` — ``{"format": 1, "items": [{"key", "title", "help", "section", "fields"}, ...]}``;
* ``questions.json`` — ``{"format": 1, "groups": [{"key", "title", "questions"}, ...]}``.

It is shipped data, read once and cached. A damaged file raises :class:`SecondOpinionError` naming the file,
rather than a bare ``KeyError`` deep inside the interface. The ``_load_*_from`` functions take any path (or
importlib resource) so tests can point them at a temporary folder.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from secondopinion_desktop.core.errors import SecondOpinionError

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    Source = Path | Traversable

RESOURCE_PACKAGE = "secondopinion_desktop.resources"
GUIDANCE_FOLDER = "guidance"
SECTIONS_FOLDER = "sections"
CHECKLIST_FILE = "checklist.json"
QUESTIONS_FILE = "questions.json"
FORMAT = 1  # the only "format" this version reads

_ITEM_KEY = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # "call-insurer"
_FIELD_KEY = re.compile(r"[a-z][a-z0-9_]*")  # "spoke_with"


@dataclass(frozen=True)
class GuideSection:
    key: str  # file stem, e.g. "01-why"
    title: str  # from the "# " line
    markdown: str  # the whole file text


@dataclass(frozen=True)
class FieldSpec:
    """A question on a checklist step (e.g. what the insurer said). No choices: free text."""

    key: str
    label: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChecklistTemplateItem:
    key: str
    title: str
    help: str
    section: str  # the guide section (file stem) the step relates to
    fields: tuple[FieldSpec, ...] = ()


@dataclass(frozen=True)
class QuestionGroup:
    key: str
    title: str
    questions: tuple[str, ...]


# ----------------------------------------------------------------------------------------------------------
# Public, cached loaders


def guidance_root() -> Traversable:
    """The installed ``guidance`` folder."""
    return resources.files(RESOURCE_PACKAGE) / GUIDANCE_FOLDER


def load_sections() -> list[GuideSection]:
    """Every guide section, sorted by file name (read once; each call returns a new list)."""
    return list(_sections())


def load_checklist_template() -> list[ChecklistTemplateItem]:
    """The checklist's built-in steps, in order (read once; each call returns a new list)."""
    return list(_checklist())


def load_question_bank() -> list[QuestionGroup]:
    """The built-in question groups, in order (read once; each call returns a new list)."""
    return list(_questions())


def clear_cache() -> None:
    """Forget what was read, so the next call reads the files again (for tests)."""
    for cached in (_sections, _checklist, _questions):
        cached.cache_clear()


@functools.cache
def _sections() -> tuple[GuideSection, ...]:
    return tuple(_load_sections_from(guidance_root() / SECTIONS_FOLDER))


@functools.cache
def _checklist() -> tuple[ChecklistTemplateItem, ...]:
    return tuple(_load_checklist_from(guidance_root() / CHECKLIST_FILE))


@functools.cache
def _questions() -> tuple[QuestionGroup, ...]:
    return tuple(_load_questions_from(guidance_root() / QUESTIONS_FILE))


# ----------------------------------------------------------------------------------------------------------
# Loading and checking one file


def _fail(source: Source, problem: str, *, kind: str = "file") -> SecondOpinionError:
    return SecondOpinionError(
        f"The guide {kind} {source} cannot be used: {problem}. Reinstalling Second Opinion should repair it."
    )


def _read_text(source: Source) -> str:
    try:
        return source.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise _fail(source, "it is missing") from None
    except UnicodeDecodeError:
        raise _fail(source, "it is not UTF-8 text") from None
    except OSError as exc:
        raise _fail(source, f"it could not be read ({exc.strerror or exc})") from None


def _read_json(source: Source, list_name: str) -> list[Any]:
    """The file's top-level list (``items`` or ``groups``), after checking the JSON and its ``format``."""
    try:
        data = json.loads(_read_text(source))
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise _fail(source, f"it is not valid JSON ({exc.msg} at {where})") from None
    if not isinstance(data, dict):
        raise _fail(source, "it should hold a JSON object")
    version = data.get("format")
    if version != FORMAT:
        if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT:
            raise _fail(source, f"it is in format {version}, written for a newer version of Second Opinion")
        raise _fail(source, f"its “format” should be {FORMAT}, not {version!r}")
    entries = data.get(list_name)
    if not isinstance(entries, list) or not entries:
        raise _fail(source, f"it should have a non-empty list “{list_name}”")
    return entries


def _text(source: Source, where: str, entry: Any, name: str, *, required: bool = True) -> str:
    if not isinstance(entry, dict):
        raise _fail(source, f"{where} should be a JSON object")
    value = entry.get(name, None if required else "")
    if value is None:
        raise _fail(source, f"{where} has no text “{name}”")
    if not isinstance(value, str):
        raise _fail(source, f"{where}: “{name}” is not text")
    if required and not value.strip():
        raise _fail(source, f"{where}: “{name}” is empty")
    return value


def _key(source: Source, where: str, entry: Any, pattern: re.Pattern[str], seen: set[str]) -> str:
    key = _text(source, where, entry, "key")
    if not pattern.fullmatch(key):
        shape = "joined by hyphens" if pattern is _ITEM_KEY else "and underscores, starting with a letter"
        raise _fail(source, f"{where}: the key {key!r} should be lowercase letters and digits {shape}")
    if key in seen:
        raise _fail(source, f"{where}: the key {key!r} is used twice")
    seen.add(key)
    return key


def _load_sections_from(folder: Source) -> list[GuideSection]:
    try:
        files = [f for f in folder.iterdir() if f.name.endswith(".md") and f.is_file()]
    except (FileNotFoundError, NotADirectoryError):
        raise _fail(folder, "it is missing", kind="folder") from None
    except OSError as exc:
        raise _fail(folder, f"it could not be read ({exc.strerror or exc})", kind="folder") from None
    files.sort(key=lambda f: f.name)
    if not files:
        raise _fail(folder, "it holds no sections (.md files)", kind="folder")
    sections = []
    for file in files:
        text = _read_text(file)
        first = text.split("\n", 1)[0].rstrip("\r")
        if not first.startswith("# ") or not first[2:].strip():
            raise _fail(file, "its first line should be the title, written “# Title”")
        sections.append(GuideSection(key=file.name[: -len(".md")], title=first[2:].strip(), markdown=text))
    return sections


def _load_checklist_from(source: Source) -> list[ChecklistTemplateItem]:
    items = []
    keys: set[str] = set()
    for number, entry in enumerate(_read_json(source, "items"), start=1):
        where = f"checklist step {number}"
        key = _key(source, where, entry, _ITEM_KEY, keys)
        where = f"checklist step {key!r}"
        title = _text(source, where, entry, "title")
        help_text = _text(source, where, entry, "help", required=False)
        section = _text(source, where, entry, "section", required=False)
        raw_fields = entry.get("fields", [])
        if not isinstance(raw_fields, list):
            raise _fail(source, f"{where}: “fields” should be a list")
        fields = []
        field_keys: set[str] = set()
        for field_number, raw in enumerate(raw_fields, start=1):
            field_where = f"{where}, question {field_number}"
            field_key = _key(source, field_where, raw, _FIELD_KEY, field_keys)
            label = _text(source, field_where, raw, "label")
            choices = raw.get("choices", [])
            if not isinstance(choices, list) or not all(isinstance(c, str) and c.strip() for c in choices):
                raise _fail(source, f"{field_where}: “choices” should be a list of non-empty texts")
            if len(set(choices)) != len(choices):
                raise _fail(source, f"{field_where}: a choice is listed twice")
            fields.append(FieldSpec(key=field_key, label=label, choices=tuple(choices)))
        items.append(ChecklistTemplateItem(key, title, help_text, section, tuple(fields)))
    return items


def _load_questions_from(source: Source) -> list[QuestionGroup]:
    groups = []
    keys: set[str] = set()
    for number, entry in enumerate(_read_json(source, "groups"), start=1):
        key = _key(source, f"question group {number}", entry, _ITEM_KEY, keys)
        where = f"question group {key!r}"
        title = _text(source, where, entry, "title")
        questions = entry.get("questions")
        if not isinstance(questions, list) or not questions:
            raise _fail(source, f"{where} should have a non-empty list “questions”")
        if not all(isinstance(q, str) and q.strip() for q in questions):
            raise _fail(source, f"{where}: every question should be non-empty text")
        groups.append(QuestionGroup(key, title, tuple(questions)))
    return groups
