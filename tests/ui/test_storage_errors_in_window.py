"""A full or read-only disk reaching the window is said in one sentence, never as a crash (issue 12, item 13/14)."""

from __future__ import annotations

import errno
import sqlite3

from helpers.dialogs import on_next_dialog

from secondopinion_desktop.ui.app import show_unexpected_error
from secondopinion_desktop.ui.safety.common import reason


def test_a_full_disk_reaching_the_window_is_a_sentence_not_the_crash_box(qtbot, capsys) -> None:
    seen: list[tuple[str, str]] = []

    def read(box) -> None:  # type: ignore[no-untyped-def]
        seen.append((box.windowTitle(), box.text()))
        box.accept()

    errors = on_next_dialog(read)
    exc = sqlite3.OperationalError("database or disk is full")
    show_unexpected_error(type(exc), exc, None)
    assert not errors, errors
    assert seen and seen[0][0] == "Cannot save", seen
    assert "is full" in seen[0][1] and "Something went wrong" not in seen[0][1]
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and "is full" in err


def test_an_unexpected_error_still_gets_the_crash_box(qtbot, capsys) -> None:
    seen: list[str] = []

    def read(box) -> None:  # type: ignore[no-untyped-def]
        seen.append(box.text())
        box.accept()

    errors = on_next_dialog(read)
    exc = RuntimeError("a bug")
    show_unexpected_error(type(exc), exc, None)
    assert not errors and seen and "unexpected problem" in seen[0]


def test_safety_messages_say_a_read_only_disk_in_words() -> None:
    text = reason(OSError(errno.EROFS, "Read-only file system", "/media/stick/backup.zip"))
    assert "read-only disk" in text and "Read-only file system" not in text
    assert "is full" in reason(OSError(errno.ENOSPC, "No space left on device", "/media/stick/b.zip"))
