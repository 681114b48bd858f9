"""The chosen request in full: the facility's records department, what is asked for and in what form, the
dates, the event log, the letters kept and the shipments of its material. ``detail_html`` writes it (every
stored text escaped: a name with markup reads literally); ``DetailPane`` shows it with the kept letters."""

from __future__ import annotations

import datetime as dt
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core import requests as svc
from secondopinion_desktop.core.directory import FacilityData
from secondopinion_desktop.core.models import Delivery, ImagesMedia
from secondopinion_desktop.core.shipments import ShipmentData, where_it_is
from secondopinion_desktop.core.words import NO_DATE, day_month_year, plural, size, stamp
from secondopinion_desktop.ui.requests.model import DUE_SOON_COLOURS, OVERDUE_COLOURS, Urgency, due_words, urgency


def _lines(text: str) -> str:
    return escape(text).replace("\n", "<br>")


def _row(label: str, value: str) -> str:
    return f"<tr><td style='color:#555; padding-right:10px'>{escape(label)}</td><td>{value}</td></tr>"


def contact_rows(facility: FacilityData | None) -> str:
    if facility is None:
        return _row("Records department", "Not in the directory any more; the request keeps its name.")
    rows = [("Contact", facility.records_contact), ("Phone", facility.records_phone or facility.phone),
            ("Fax", facility.records_fax), ("Email", facility.records_email), ("Portal", facility.records_portal),
            ("Address", facility.records_mailing_address), ("Its own form", facility.records_form)]
    shown = "".join(_row(label, _lines(value)) for label, value in rows if value)
    return shown or _row("Records department", "No contact yet: add its phone, fax and address in the directory.")


def detail_html(q: svc.RequestData | None, facility: FacilityData | None, shipments: list[ShipmentData],
                today: dt.date, *, any_requests: bool = True) -> str:
    if q is None:
        if not any_requests:
            return ("<h3>No requests yet</h3><p>A written request to each facility's records department is the "
                    "surest way to get your records. Choose <b>New request…</b>: it starts with that facility's "
                    "records you still need.</p>")
        return "<p>Choose a request in the list to see it here.</p>"
    level = urgency(q, today)
    words = due_words(q, today)
    due = escape(words)
    colours = {Urgency.OVERDUE: OVERDUE_COLOURS, Urgency.DUE_SOON: DUE_SOON_COLOURS}.get(level)
    if colours is not None:
        due = f"<span style='background:{colours[0]}; color:{colours[1]}; font-weight:bold'>&nbsp;{due}&nbsp;</span>"
    parts = [f"<h3>{escape(q.facility_name)}</h3>",
             f"<p><b>{escape(q.status.label)}</b>{' — ' + due if words != NO_DATE else ''}</p>",
             "<table>", contact_rows(facility)]
    if q.medical_record_number:
        parts.append(_row("Medical record number", escape(q.medical_record_number)))
    parts.append("</table>")

    parts.append("<h4>Asked for</h4>")
    if q.records:
        items = "".join(
            f"<li>{escape(r.title)} ({escape(day_month_year(r.date_of_service))}) — "
            f"<i>{escape(r.status.label.lower())}</i></li>" for r in q.records)
        parts.append(f"<ul>{items}</ul>")
    if q.scope_words:
        start = day_month_year(q.scope_from) if q.scope_from else "any date"
        end = day_month_year(q.scope_to) if q.scope_to else "the day it is processed"
        parts.append(f"<p>{escape('; '.join(q.scope_words))}<br>From {escape(start)} to {escape(end)}.</p>")
    how = [_row("Form", escape(q.copy_format.label))]
    if q.images_media is not ImagesMedia.NONE:
        how.append(_row("Images", escape(q.images_media.label)))
    how.append(_row("Delivery", escape(q.delivery.label)))
    if q.delivery is Delivery.THIRD_PARTY:
        to = "<br>".join(_lines(v) for v in (q.send_to_name, q.send_to_address, q.send_to_fax and
                                              f"Fax {q.send_to_fax}", q.send_to_phone and f"Phone {q.send_to_phone}",
                                              q.send_to_email) if v)
        how.append(_row("Send to", to))
    if q.asks_for_pathology and q.release_material:
        material = "; ".join(svc.RELEASE_WORDS[k] for k in q.release_material)
        if q.unstained_count:
            material += f" ({plural(q.unstained_count, 'unstained slide')}"
            material += f" at {q.unstained_microns} microns)" if q.unstained_microns else ")"
        how.append(_row("Material", escape(material)))
    parts += ["<table>", *how, "</table>"]

    dates = [("Sent", day_month_year(q.sent_on) + (f" by {q.sent_via.label.lower()}" if q.sent_via else "")
              if q.sent_on else NO_DATE), ("Due", day_month_year(q.due_on))]
    if q.extended_due_on:
        dates.append(("Extended to", day_month_year(q.extended_due_on)))
    if q.received_on:
        dates.append(("Received", day_month_year(q.received_on)))
    parts += ["<h4>Dates</h4><table>", *(_row(label, escape(value)) for label, value in dates), "</table>"]

    parts.append("<h4>Log</h4>")
    if q.events:
        rows = "".join(
            f"<tr><td style='padding-right:8px'>{escape(day_month_year(e.on))}</td>"
            f"<td style='padding-right:8px'><b>{escape(e.kind.label)}</b></td>"
            f"<td style='padding-right:8px'>{escape(e.who)}</td><td>{_lines(e.note)}</td></tr>" for e in q.events)
        parts.append(f"<table>{rows}</table>")
    else:
        parts.append("<p>Nothing logged yet.</p>")
    if shipments:
        parts.append("<h4>Shipments of material</h4><ul>")
        parts += [f"<li>{escape(s.what)} ({escape(s.record_title)}): {escape(where_it_is(s, today))}"
                  + (f"; {escape(s.carrier)} {escape(s.tracking_number)}" if s.tracking_number else "") + "</li>"
                  for s in shipments]
        parts.append("</ul>")
    if q.notes:
        parts.append(f"<h4>Notes</h4><p>{_lines(q.notes)}</p>")
    return "".join(parts)


def letter_text(letter: svc.LetterData) -> str:
    return f"{letter.kind.label}, made {stamp(letter.created_at)} ({size(letter.size)})"


class DetailPane(QWidget):
    """The request's details above the letters kept with it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.browser = QTextBrowser()
        self.browser.setObjectName("requestDetail")
        self.browser.setAccessibleName("Request details")
        self.browser.setOpenLinks(False)
        self.letters_label = QLabel("Letters kept &with the request:")
        self.letters = QListWidget()
        self.letters.setObjectName("keptLetters")
        self.letters.setAccessibleName("Letters kept with the request")
        self.letters.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.letters.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.letters.setMaximumHeight(self.letters.fontMetrics().lineSpacing() * 4 + 12)
        self.letters_label.setBuddy(self.letters)
        self.save_letter_button = QPushButton("Save a c&opy…")
        self.save_letter_button.setObjectName("saveKeptLetterButton")
        self.save_letter_button.setAccessibleName("Save the chosen kept letter as PDF")
        row = QHBoxLayout()
        row.addWidget(self.letters_label)
        row.addStretch(1)
        row.addWidget(self.save_letter_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.browser, 1)
        layout.addLayout(row)
        layout.addWidget(self.letters)
        self.letters.currentRowChanged.connect(lambda _row: self._update())
        self._update()

    def show_request(self, html: str, letters: tuple[svc.LetterData, ...]) -> None:
        scroll = self.browser.verticalScrollBar().value()
        self.browser.setHtml(html)
        self.browser.verticalScrollBar().setValue(scroll)
        self.letters.clear()
        for letter in sorted(letters, key=lambda item: item.created_at, reverse=True):
            item = QListWidgetItem(letter_text(letter))
            item.setData(Qt.ItemDataRole.UserRole, letter.id)
            self.letters.addItem(item)
        if self.letters.count():
            self.letters.setCurrentRow(0)
        else:
            empty = QListWidgetItem("No letter made yet: Make letter… keeps a copy of each letter here.")
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.letters.addItem(empty)
        self._update()

    def current_letter_id(self) -> int | None:
        item = self.letters.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _update(self) -> None:
        has = self.current_letter_id() is not None
        self.save_letter_button.setEnabled(has)
        self.letters.setEnabled(has)
