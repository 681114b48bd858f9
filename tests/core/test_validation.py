"""Every input check names the field at fault, so a dialog can put the cursor there; its sentence stays."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from secondopinion_desktop.cli import main
from secondopinion_desktop.core import validation
from secondopinion_desktop.core.errors import ValidationError
from secondopinion_desktop.core.models import RecordKind

FAR = (dt.date.today() + dt.timedelta(days=validation.MAX_FUTURE_DAYS + 5)).isoformat()
TOMORROW = (dt.date.today() + dt.timedelta(days=1)).isoformat()

BAD_INPUT: dict[str, tuple[Callable[[str | None], object], str]] = {
    "unknown kind": (lambda f: validation.parse_enum(RecordKind, "spaceship", "kind", field=f), "Unknown kind"),
    "not a date": (lambda f: validation.parse_date("soon", "date of service", field=f), "is not a date"),
    "no such day": (lambda f: validation.parse_date("2026-02-30", field=f), "does not exist on the calendar"),
    "before 1900": (lambda f: validation.parse_date("1899-12-31", field=f), "before 1900"),
    "in the future": (lambda f: validation.parse_date(TOMORROW, allow_future=False, field=f), "in the future"),
    "far ahead": (lambda f: validation.parse_date(FAR, field=f), "too far in the future"),
    "required": (lambda f: validation.clean_line("  ", "title", required=True, field=f), "The title is required."),
    "long line": (lambda f: validation.clean_line("x" * 501, "title", field=f), "the limit is 500"),
    "long text": (lambda f: validation.clean_text("x" * 11, "notes", max_len=10, field=f), "the limit is 10"),
    "not a number": (lambda f: validation.clean_count("many", "number of slides", field=f), "whole number"),
    "out of range": (lambda f: validation.clean_count(100_001, "number of slides", field=f), "between 0 and"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_each_check_names_its_field(case: str) -> None:
    check, words = BAD_INPUT[case]
    with pytest.raises(ValidationError) as raised:
        check("the_field")
    assert raised.value.field == "the_field"
    assert words in str(raised.value)
    message = str(raised.value)
    assert message[0].isupper() and message.endswith(".") and "\n" not in message  # one sentence


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_without_a_field_the_error_names_none(case: str) -> None:
    with pytest.raises(ValidationError) as raised:
        BAD_INPUT[case][0](None)
    assert raised.value.field is None


def test_every_check_takes_a_field() -> None:
    import inspect

    for name in ("parse_enum", "parse_date", "clean_line", "clean_text", "clean_count"):
        parameter = inspect.signature(getattr(validation, name)).parameters.get("field")
        assert parameter is not None and parameter.kind is inspect.Parameter.KEYWORD_ONLY, name


def test_the_command_line_says_the_same_sentence(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code = main(["records", "add", "--kind", "lab", "--title", "Blood count", "--date", "2026-02-30",
                 "--data-dir", str(tmp_path / "data")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.strip().splitlines() == [
        "secondopinion: error: The date of service '2026-02-30' does not exist on the calendar; "
        "please check the month and day."
    ]
