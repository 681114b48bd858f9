"""User text on its way into the PDF: the one escaping helper, and the fonts that can print it.

Every piece of user text reaches a Paragraph through :func:`para`, which removes control characters, escapes
``& < >`` (so ``<b>`` or ``&amp;`` typed by the patient print as typed), turns line breaks into ``<br/>`` and
wraps runs of Chinese, Japanese or Korean characters (which DejaVu lacks) in a built-in CID font. Text drawn
straight on a canvas (the footer, the timeline's labels) goes through :func:`plain` and :func:`runs`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from xml.sax.saxutils import escape

FONT = "SO-DejaVuSans"
FONT_BOLD = "SO-DejaVuSans-Bold"
FONT_ITALIC = "SO-DejaVuSans-Oblique"
FONT_FAMILY = "SO-DejaVu"
CJK_HAN = "STSong-Light"  # Chinese characters (and the CJK punctuation and full-width forms)
CJK_KANA = "HeiseiMin-W3"  # Japanese kana
CJK_HANGUL = "HYSMyeongJo-Medium"  # Korean

_FONT_FILES = {
    FONT: "DejaVuSans.ttf", FONT_BOLD: "DejaVuSans-Bold.ttf", FONT_ITALIC: "DejaVuSans-Oblique.ttf",
}

# C0 and C1 control characters except tab and line breaks, lone surrogates and non-characters.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Characters beyond the Basic Multilingual Plane (emoji and the like): DejaVu has none of them and reportlab
# writes a broken ToUnicode entry for them, so they print as the replacement character.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_HANGUL = "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"
_KANA = "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_HAN = (
    "\u2e80-\u2fdf\u3000-\u303f\u3190-\u31bf\u3200-\u33ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\ufe30-\ufe4f\uff00-\uff65\uffe0-\uffee"
)
_CJK_RUN = re.compile(f"([{_HANGUL}]+|[{_KANA}]+|[{_HAN}]+)")


def clean(text: object) -> str:
    """``text`` as a string without control characters; astral characters become U+FFFD."""
    value = "" if text is None else str(text)
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return _ASTRAL.sub("\ufffd", _CONTROL.sub("", value))


def _cjk_font(run: str) -> str:
    first = run[0]
    if re.match(f"[{_HANGUL}]", first):
        return CJK_HANGUL
    if re.match(f"[{_KANA}]", first):
        return CJK_KANA
    return CJK_HAN


def para(text: object) -> str:
    """THE escaping helper: user text made safe and printable as Paragraph markup."""
    value = escape(clean(text))
    value = _CJK_RUN.sub(lambda m: f'<font name="{_cjk_font(m.group(0))}">{m.group(0)}</font>', value)
    return value.replace("\n", "<br/>")


def plain(text: object, limit: int | None = None) -> str:
    """User text for a canvas string (no markup): cleaned, on one line, shortened to ``limit`` characters."""
    value = " ".join(clean(text).split())
    if limit is not None and len(value) > limit:
        value = value[: max(1, limit - 1)].rstrip() + "\u2026"
    return value


def runs(text: str, regular: str = FONT) -> list[tuple[str, str]]:
    """``text`` cut into (font, piece): CJK runs in their CID font, everything else in ``regular``."""
    out: list[tuple[str, str]] = []
    for n, piece in enumerate(_CJK_RUN.split(text)):
        if piece:
            out.append((_cjk_font(piece) if n % 2 else regular, piece))
    return out


@contextlib.contextmanager
def binary_streams() -> Iterator[None]:
    """Write images as binary streams rather than ASCII85 text while our PDFs are made.

    ASCII85 is reportlab's default; without its C accelerator it is encoded in pure Python, which made
    pictures ten times slower and the memory peak hundreds of megabytes higher. It also grows files by a
    quarter. The setting is put back afterwards.
    """
    from reportlab import rl_config

    before = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = before


@lru_cache(maxsize=1)
def register_fonts() -> None:
    """Register DejaVu (embedded, subset) and the built-in CID fonts with reportlab, once per process."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    folder = resources.files("secondopinion_desktop.resources") / "fonts"
    for name, file_name in _FONT_FILES.items():
        with resources.as_file(folder / file_name) as path:
            pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(
        FONT_FAMILY, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC, boldItalic=FONT_BOLD
    )
    for base in (FONT, FONT_BOLD, FONT_ITALIC):
        addMapping(base, 0, 0, FONT)
        addMapping(base, 1, 0, FONT_BOLD)
        addMapping(base, 0, 1, FONT_ITALIC)
        addMapping(base, 1, 1, FONT_BOLD)
    for cid in (CJK_HAN, CJK_KANA, CJK_HANGUL):
        pdfmetrics.registerFont(UnicodeCIDFont(cid))
        for bold in (0, 1):
            for italic in (0, 1):  # <b> or <i> around CJK keeps the CJK font
                addMapping(cid, bold, italic, cid)
