"""How hard a passphrase would be to guess, in plain words, for the hint under the passphrase field.

zxcvbn (Dropbox's estimator, Python port) scores it 0–4 from dictionaries of common passwords, names, words,
dates and keyboard patterns; the patient's own name and date of birth are given to it too (``avoid``), so a
passphrase built from them scores low. The folder's key derivation (Argon2id, about half a second) slows each
guess far below zxcvbn's "offline, slow hash" rate, but the hint does not count on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from secondopinion_desktop.core.db import DataFolder

MIN_LENGTH = 10
GOOD_SCORE = 3
_LOOKED_AT = 72  # zxcvbn judges at most this many characters; a longer passphrase is only stronger


@dataclass(frozen=True)
class Strength:
    score: int  # 0 (guessed at once) … 4 (very hard to guess)
    acceptable: bool  # long enough and not among the easiest to guess
    sentence: str  # the hint, one or two plain sentences

    @property
    def label(self) -> str:
        return ("Very weak", "Weak", "Fair", "Strong", "Very strong")[self.score]


def strength(passphrase: str, avoid: tuple[str, ...] = ()) -> Strength:
    """The hint for ``passphrase``; ``avoid`` is what the patient's data holds that guessers would try first."""
    if not passphrase:
        return Strength(0, False, f"Choose a passphrase of at least {MIN_LENGTH} characters; several unusual "
                                  "words are easy to remember and hard to guess.")
    from zxcvbn import zxcvbn

    words = _guessable(avoid)
    result = zxcvbn(passphrase[:_LOOKED_AT], user_inputs=words)  # it refuses longer input (and slows on it)
    score = int(result.get("score", 0))
    feedback = result.get("feedback") or {}
    warning = str(feedback.get("warning") or "").strip()
    suggestion = " ".join(str(s) for s in (feedback.get("suggestions") or [])[:1])
    if words and _only_own_data(passphrase, words):
        return Strength(min(score, 1), False, "Too easy to guess: it is made of your own name and dates, which "
                                              "anyone holding the computer could find. Add words of your own.")
    if len(passphrase) < MIN_LENGTH:
        return Strength(min(score, 1), False, f"Use at least {MIN_LENGTH} characters. {warning}".strip())
    if score < 2:
        advice = " ".join(part for part in (warning, suggestion) if part)
        return Strength(score, False, f"Too easy to guess. {advice}".strip())
    if score < GOOD_SCORE:
        return Strength(score, True, ("Fair, but could be guessed. " + (suggestion or "Add another uncommon "
                                                                         "word.")).strip())
    return Strength(score, True, "Strong: hard to guess.")


def _only_own_data(passphrase: str, words: list[str]) -> bool:
    """True when the passphrase is nothing but the patient's own words and dates (spaces and punctuation
    between them left out: "Zoe Sample 1970" is "ZoeSample1970")."""
    import re

    from zxcvbn import zxcvbn

    bare = re.sub(r"[\W_]+", "", passphrase[:_LOOKED_AT])
    if not bare:
        return False
    sequence = zxcvbn(bare, user_inputs=words).get("sequence") or []
    return bool(sequence) and all(m.get("dictionary_name") == "user_inputs" or m.get("pattern") in ("date", "regex")
                                  for m in sequence)


def _guessable(avoid: tuple[str, ...]) -> list[str]:
    """The words of the patient's own data as a guesser would try them: each word, without accents, and a date
    of birth as its year and as digits run together."""
    import unicodedata

    words: list[str] = []
    for item in avoid:
        text = str(item)
        for word in text.replace("-", " ").replace("/", " ").replace(".", " ").split():
            folded = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
            words += [word, folded]
        digits = "".join(c for c in text if c.isdigit())
        if len(digits) == 8:  # a date: 1970-02-14 → 19700214, 14021970, 140270
            words += [digits, digits[6:] + digits[4:6] + digits[:4], digits[6:] + digits[4:6] + digits[2:4]]
    return list(dict.fromkeys(w for w in words if w))


def guessable_words(folder: DataFolder) -> tuple[str, ...]:
    """What the folder's profile holds that a guesser would try first (the patient's name and date of birth), for
    ``strength``'s ``avoid``; empty when the profile cannot be read."""
    from secondopinion_desktop.core.profile import get_profile

    try:
        with folder.dry_run() as session:
            profile = get_profile(session)
    except Exception:  # noqa: BLE001 - the hint then knows less, nothing more
        return ()
    return tuple(str(v) for v in (profile.name, profile.date_of_birth) if v)
