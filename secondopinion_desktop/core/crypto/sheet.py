"""The recovery sheet: one printable page with the folder's recovery key, shown once when encryption is turned on
(and when a new key is made). It says in plain words what the key does, where to keep it, and that without it
and without the passphrase the records cannot be opened by anyone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

TITLE = "Second Opinion — recovery sheet"
WARNING = ("Without this sheet and without your passphrase, nobody can open your records again — not you, not "
           "a helper, not the makers of the app. There is no other way in.")
KEEP = ("Keep it on paper, apart from the computer: with your important papers, or with someone you trust. "
        "Anyone holding both this sheet and the computer can read your records, so do not keep it in the laptop "
        "bag, and do not save a photo or a copy of it on the computer.")
USE = ("To use it: when Second Opinion asks for the passphrase, tick “Use the recovery key from the printed sheet "
       "instead” and type the "
       "32 letters and digits shown above. Upper or lower case and the dashes do not matter; O and 0, I and 1 are the "
       "same. Then choose a new passphrase: Settings › Change the passphrase….")


def recovery_sheet_pdf(target: Path | str, recovery_key: str, *, folder: Path | str, key_id: str,
                       made: dt.date | None = None) -> Path:
    """Write the sheet to ``target`` (a new PDF, 0600, written whole or not at all)."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from secondopinion_desktop.core.fsutil import write_atomically
    from secondopinion_desktop.core.packet.text import FONT, FONT_BOLD, para, register_fonts
    from secondopinion_desktop.core.words import day_month_year

    register_fonts()
    made = made or dt.date.today()
    body = ParagraphStyle("body", fontName=FONT, fontSize=11, leading=15, spaceAfter=8)
    title = ParagraphStyle("title", parent=body, fontName=FONT_BOLD, fontSize=18, leading=22, spaceAfter=12)
    strong = ParagraphStyle("strong", parent=body, fontName=FONT_BOLD)
    small = ParagraphStyle("small", parent=body, fontSize=9, leading=12, textColor="#444444")
    groups = recovery_key.split("-")
    if len(groups) != 8 or any(len(g) != 4 for g in groups):
        raise ValueError("a recovery key is eight groups of four characters")
    rows = [groups[:4], groups[4:]]
    key_table = Table(rows, colWidths=[38 * mm] * 4, rowHeights=[16 * mm] * 2)
    key_table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), "Courier-Bold"),
        ("FONTSIZE", (0, 0), (-1, -1), 22),
        ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BOX", (0, 0), (-1, -1), 1.2, "#000000"),
        ("INNERGRID", (0, 0), (-1, -1), 0.5, "#888888"),
        ("TOPPADDING", (0, 0), (-1, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 9),
    ]))
    story = [
        Paragraph(para(TITLE), title),
        Paragraph(para(WARNING), strong),
        Paragraph(para(KEEP), body),
        Spacer(1, 4 * mm),
        Paragraph(para("Your recovery key"), strong),
        key_table,
        Spacer(1, 6 * mm),
        Paragraph(para(USE), body),
        Spacer(1, 4 * mm),
        Paragraph(para(f"Data folder: {folder}"), small),
        *([Paragraph(para(f"Folder's key fingerprint: {key_id} (it tells which data folder this sheet opens; it "
                          "is no secret)"), small)] if key_id else []),  # none yet when made before encrypting
        Paragraph(para(f"Made on {day_month_year(made)}. If you make a new recovery key, this sheet stops "
                       "working: destroy it."), small),
    ]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm,
                            bottomMargin=20 * mm, title=TITLE, author="Second Opinion", subject="Recovery sheet")
    doc.build(story)
    target = Path(target)
    write_atomically(target, buffer.getvalue(), mode=0o600)
    return target
