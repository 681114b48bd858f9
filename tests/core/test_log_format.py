"""The log's formatter: a failure's type and code places, never its message; odd calls never break logging."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from secondopinion_desktop.core import log


@pytest.fixture
def log_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(log.ENV_VAR, str(tmp_path / "logs"))
    log.stop_logging()
    where = log.start_logging()
    assert where is not None
    yield where
    log.stop_logging()


def test_a_failure_is_written_by_type_and_place_without_its_message(log_in: Path) -> None:
    try:
        raise ValueError("Jane Doe's biopsy.pdf")
    except ValueError as exc:
        log.log_failure("Attach files", exc)
    text = log_in.read_text(encoding="utf-8")
    assert "Attach files" in text and "builtins.ValueError" in text and "test_log_format.py" in text
    assert "Jane" not in text and "biopsy" not in text


def test_exc_info_outside_an_exception_is_written_without_a_logging_error(
    log_in: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logging.getLogger(f"{log.LOGGER}.test").error("Nothing went wrong yet", exc_info=True)  # no exception now
    assert "Logging error" not in capsys.readouterr().err
    text = log_in.read_text(encoding="utf-8")
    assert "Nothing went wrong yet" in text and "NoneType: None" in text
