"""Which language a document's text is in, to flag one the consultant may need translated.

The detector is py3langid (a maintained fork of langid.py): its model ships inside the wheel, it needs only
numpy and never reaches the network. Loading its model takes about a second, so it is loaded the first time a
text needs it, and only for a text that does not already read as English: most documents are in English and
are told so by their common words alone (:func:`reads_as_english`), without the model.

:func:`language_of` returns the language's English name ("Spanish") or "" — for English, for a text too short
to judge (fewer than :data:`MIN_LETTERS` letters), and for a text the detector is not sure of (mixed languages,
tables of numbers, names).
"""

from __future__ import annotations

import re
import threading
from typing import Any

MIN_LETTERS = 200  # fewer letters than this are not judged
SAMPLE_CHARS = 6000  # of a long text, what is looked at
MIN_CONFIDENCE = 0.9  # the detector's normalised probability below which a text is "not sure"
ENGLISH_SHARE = 0.06  # this share of its words being common English words makes a text English

# The commonest English words (function words a medical document uses in every paragraph).
_ENGLISH = frozenset((
    "the", "and", "of", "to", "in", "is", "was", "with", "for", "on", "at", "by", "from", "this", "that", "are",
    "were", "be", "been", "has", "have", "had", "not", "no", "or", "as", "an", "it", "its", "which", "there",
    "their", "patient", "patients", "left", "right", "report", "history"))
_WORD = re.compile(r"[^\W\d_]+")

# English names of the languages py3langid knows, by ISO 639 code.
NAMES = {
    "af": "Afrikaans", "am": "Amharic", "ar": "Arabic", "as": "Assamese", "az": "Azerbaijani",
    "be": "Belarusian", "bg": "Bulgarian", "bn": "Bengali", "br": "Breton", "bs": "Bosnian", "ca": "Catalan",
    "cs": "Czech", "cy": "Welsh", "da": "Danish", "de": "German", "el": "Greek", "eo": "Esperanto",
    "es": "Spanish", "et": "Estonian", "eu": "Basque", "fa": "Persian", "fi": "Finnish", "fo": "Faroese",
    "fr": "French", "fy": "Frisian", "ga": "Irish", "gd": "Scottish Gaelic", "gl": "Galician", "gu": "Gujarati",
    "ha": "Hausa", "he": "Hebrew", "hi": "Hindi", "hr": "Croatian", "ht": "Haitian Creole", "hu": "Hungarian",
    "hy": "Armenian", "id": "Indonesian", "ig": "Igbo", "is": "Icelandic", "it": "Italian", "ja": "Japanese",
    "jv": "Javanese", "ka": "Georgian", "kk": "Kazakh", "km": "Khmer", "kn": "Kannada", "ko": "Korean",
    "ku": "Kurdish", "ky": "Kyrgyz", "la": "Latin", "lb": "Luxembourgish", "lo": "Lao", "lt": "Lithuanian",
    "lv": "Latvian", "mg": "Malagasy", "mk": "Macedonian", "ml": "Malayalam", "mn": "Mongolian", "mr": "Marathi",
    "ms": "Malay", "mt": "Maltese", "my": "Burmese", "ne": "Nepali", "nl": "Dutch", "nn": "Norwegian",
    "no": "Norwegian", "oc": "Occitan", "om": "Oromo", "or": "Odia", "pa": "Punjabi", "pl": "Polish",
    "ps": "Pashto", "pt": "Portuguese", "qu": "Quechua", "ro": "Romanian", "ru": "Russian", "rw": "Kinyarwanda",
    "si": "Sinhala", "sk": "Slovak", "sl": "Slovenian", "so": "Somali", "sq": "Albanian", "sr": "Serbian",
    "sv": "Swedish", "sw": "Swahili", "ta": "Tamil", "te": "Telugu", "th": "Thai", "tl": "Tagalog",
    "tr": "Turkish", "ug": "Uyghur", "uk": "Ukrainian", "ur": "Urdu", "uz": "Uzbek", "vi": "Vietnamese",
    "xh": "Xhosa", "yo": "Yoruba", "zh": "Chinese", "zu": "Zulu", "yue": "Cantonese", "arz": "Arabic",
    "ary": "Arabic",
}

_lock = threading.Lock()
_identifier: Any = None


def _detector() -> Any:
    """The py3langid identifier, loaded once (about a second) by whichever thread needs it first."""
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        return _identifier


def letters(text: str) -> int:
    return sum(1 for c in text if c.isalpha())


def reads_as_english(text: str) -> bool:
    """Enough of its words are the commonest English words: English, with no model needed."""
    words = _WORD.findall(text.lower())
    if not words:
        return False
    return sum(w in _ENGLISH for w in words) / len(words) >= ENGLISH_SHARE


def language_of(text: str) -> str:
    """The English name of the language ``text`` is in, or "" for English, too little text, or not sure."""
    sample = text[:SAMPLE_CHARS]
    if letters(sample) < MIN_LETTERS or reads_as_english(sample):
        return ""
    code, confidence = _detector().classify(sample)
    if code == "en" or confidence < MIN_CONFIDENCE:
        return ""
    return NAMES.get(code, "")
