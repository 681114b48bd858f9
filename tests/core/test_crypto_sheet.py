"""The passphrase's strength hint and the printable recovery sheet."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from secondopinion_desktop.core.crypto import keys, sheet
from secondopinion_desktop.core.crypto.strength import MIN_LENGTH, strength

OWN = ("Zoë Sample", "1970-02-14")


@pytest.mark.parametrize("passphrase", ["", "abc", "password1", "qwertyuiop", "1234567890"])
def test_short_or_common_passphrases_are_not_acceptable(passphrase: str) -> None:
    hint = strength(passphrase, OWN)
    assert not hint.acceptable and hint.score <= 1 and hint.sentence.endswith(".")
    if passphrase and len(passphrase) < MIN_LENGTH:
        assert hint.sentence.startswith(f"Use at least {MIN_LENGTH} characters.")


@pytest.mark.parametrize("passphrase", ["ZoeSample1970", "Zoe Sample 1970", "zoe-sample-14.02.1970",
                                        "sample zoë 19700214"])
def test_the_patients_own_name_and_dates_are_not_a_passphrase(passphrase: str) -> None:
    hint = strength(passphrase, OWN)
    assert not hint.acceptable and "your own name and dates" in hint.sentence


@pytest.mark.parametrize("passphrase", ["correct horse battery staple", "Zoe likes green tomatoes at noon",
                                        "piano-lantern-cobalt-river"])
def test_several_unusual_words_are_strong(passphrase: str) -> None:
    hint = strength(passphrase, OWN)
    assert hint.acceptable and hint.score >= 3 and hint.label in ("Strong", "Very strong")
    assert hint.sentence == "Strong: hard to guess."


def test_a_very_long_passphrase_is_judged_quickly() -> None:
    hint = strength("a quiet morning by the river " * 40, OWN)  # zxcvbn judges only the first 72 characters
    assert hint.acceptable


def test_the_recovery_sheet_holds_the_key_and_the_warning(tmp_path: Path) -> None:
    from pypdf import PdfReader

    key = keys.new_recovery_key()
    path = sheet.recovery_sheet_pdf(tmp_path / "recovery sheet.pdf", key, folder="/home/zoe/SecondOpinion",
                                    key_id="3fa1c2d4e5f60718")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["recovery sheet.pdf"]  # no temporary file left
    reader = PdfReader(path)
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    for group in key.split("-"):
        assert group in text
    assert "nobody can open your records again" in text
    assert "3fa1c2d4e5f60718" in text and "/home/zoe/SecondOpinion" in text
    assert keys.recovery_secret(" ".join(key.split("-"))) == keys.recovery_secret(key)
    with pytest.raises(ValueError):
        sheet.recovery_sheet_pdf(tmp_path / "bad.pdf", "ABCD-EFGH", folder="x", key_id="y")
    assert not (tmp_path / "bad.pdf").exists()
