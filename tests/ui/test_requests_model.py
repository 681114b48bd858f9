"""The requests model on its own (no view): facilities with their requests, status, due words and colours."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt

from secondopinion_desktop.core.models import CopyFormat, Delivery, ImagesMedia, RecordKind, RecordStatus, RequestStatus
from secondopinion_desktop.core.requests import RequestData, RequestRecordData
from secondopinion_desktop.ui.requests.model import (
    FACILITY_ROLE,
    HEADERS,
    REQUEST_ID_ROLE,
    ROW_ROLE,
    URGENCY_ROLE,
    Column,
    RequestsModel,
    Urgency,
    due_words,
)

TODAY = dt.date(2026, 4, 20)
MOMENT = dt.datetime(2026, 3, 1, 9, 0)


def request(request_id: int, facility: str, status: RequestStatus, *, sent: dt.date | None = None,
            due: dt.date | None = None, extended: dt.date | None = None, received: dt.date | None = None,
            titles: tuple[str, ...] = ()) -> RequestData:
    records = tuple(RequestRecordData(id=100 + n, title=t, kind=RecordKind.PATHOLOGY, date_of_service=None,
                                      status=RecordStatus.REQUESTED) for n, t in enumerate(titles))
    return RequestData(
        id=request_id, facility_id=1, facility_name=facility, status=status, medical_record_number="",
        scope_from=None, scope_to=None, scope=("pathology_reports", "lab_results"), copy_format=CopyFormat.PDF,
        images_media=ImagesMedia.NONE, delivery=Delivery.MAIL, send_to_name="", send_to_address="",
        send_to_fax="", send_to_phone="", send_to_email="", sent_on=sent, sent_via=None, due_on=due,
        extended_due_on=extended, received_on=received, extra_paragraph="", notes="", created_at=MOMENT,
        updated_at=MOMENT, records=records,
    )


ROWS = [
    request(1, "Samplewood Hospital", RequestStatus.SENT, sent=dt.date(2026, 3, 16), due=dt.date(2026, 4, 15),
            titles=("Core biopsy report", "Biopsy slides", "Surgical pathology", "Tumor board note")),
    request(2, "Samplewood Hospital", RequestStatus.COMPLETE, sent=dt.date(2026, 2, 1), due=dt.date(2026, 3, 3),
            received=dt.date(2026, 2, 20), titles=("Mammogram report",)),
    request(3, "Samplewood Hospital", RequestStatus.DRAFT),
    request(4, "Example Imaging — <b>bold</b>", RequestStatus.EXTENDED, sent=dt.date(2026, 3, 1),
            due=dt.date(2026, 3, 31), extended=dt.date(2026, 4, 23)),
    request(5, "Example Labs", RequestStatus.SENT, sent=dt.date(2026, 4, 1), due=dt.date(2026, 5, 1)),
    request(6, "Example Labs", RequestStatus.CANCELLED, titles=("Old CBC",)),
]


def test_facilities_hold_their_requests_open_ones_first(qapp) -> None:
    model = RequestsModel()
    model.set_requests(ROWS, TODAY)
    assert model.columnCount() == len(Column) == 4
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in Column] == [HEADERS[c] for c in Column]
    assert [model.index(r, 0).data(FACILITY_ROLE) for r in range(model.rowCount())] == [
        "Samplewood Hospital", "Example Imaging — <b>bold</b>", "Example Labs"]
    hospital = model.index(0, 0)
    assert hospital.data() == "Samplewood Hospital — 3 requests, 1 waiting, 1 overdue"
    assert hospital.data(Qt.ItemDataRole.ForegroundRole).color().name() == "#8b1a1a"
    assert model.index(1, 0).data() == "Example Imaging — <b>bold</b> — 1 request, 1 waiting, 1 due soon"
    from PySide6.QtGui import QTextDocument

    shown = QTextDocument()
    for index in (model.index(1, 0), model.index(0, 0, model.index(1, 0)).siblingAtColumn(Column.STATUS)):
        shown.setHtml(index.data(Qt.ItemDataRole.ToolTipRole))
        assert "<b>bold</b>" in shown.toPlainText(), "a tooltip shows the name as typed"
    shown.setHtml(model.index(0, 0, model.index(1, 0)).data(Qt.ItemDataRole.ToolTipRole))
    assert shown.toPlainText() == "Pathology reports (surgical and biopsy)\nLaboratory results", "a line each"
    assert model.index(2, 0).data() == "Example Labs — 2 requests, 1 waiting"
    assert model.index(2, 0).data(Qt.ItemDataRole.ForegroundRole) is None
    assert model.facility_index("Example Labs").row() == 2
    assert hospital.data(REQUEST_ID_ROLE) is None
    assert [model.index(r, 0, hospital).data(REQUEST_ID_ROLE) for r in range(model.rowCount(hospital))] == [1, 3, 2]
    assert model.request_ids() == [1, 3, 2, 4, 5, 6]
    first = model.index_of(1)
    assert first.data() == "Core biopsy report; Biopsy slides; and 2 more records"
    assert first.data(ROW_ROLE) is ROWS[0]
    assert model.index_of(1, Column.STATUS).data() == "Sent"
    assert model.index_of(1, Column.SENT).data() == "16 Mar 2026"
    assert model.index_of(3, Column.SENT).data() == "—"
    assert model.index_of(4).data() == "Pathology reports (surgical and biopsy) and 1 other kind"
    assert not model.index_of(99).isValid()


def test_overdue_and_due_soon_stand_out_in_words_and_colour(qapp) -> None:
    model = RequestsModel()
    model.set_requests(ROWS, TODAY)
    overdue = model.index_of(1, Column.DUE)
    assert overdue.data() == "Overdue by 5 days"
    assert overdue.data(URGENCY_ROLE) is Urgency.OVERDUE
    assert overdue.data(Qt.ItemDataRole.BackgroundRole).color().name() == "#fdecea"
    soon = model.index_of(4, Column.DUE)
    assert soon.data() == "Due in 3 days"
    assert soon.data(URGENCY_ROLE) is Urgency.DUE_SOON
    assert soon.data(Qt.ItemDataRole.BackgroundRole).color().name() == "#fff3cd"
    calm = model.index_of(5, Column.DUE)
    assert calm.data() == "Due 1 May 2026"
    assert calm.data(Qt.ItemDataRole.BackgroundRole) is None
    assert model.index_of(3, Column.DUE).data() == "Not sent yet"
    assert model.index_of(2, Column.DUE).data() == "Received 20 Feb 2026"


def test_ended_requests_are_quieter(qapp) -> None:
    model = RequestsModel()
    model.set_requests(ROWS, TODAY)
    ended = model.index_of(6, Column.STATUS)
    assert ended.data() == "Cancelled"
    assert ended.data(URGENCY_ROLE) is Urgency.ENDED
    assert ended.data(Qt.ItemDataRole.ForegroundRole).color().name() == "#6b6b6b"
    assert model.index_of(5, Column.STATUS).data(Qt.ItemDataRole.ForegroundRole) is None


def test_due_words_count_days_in_plain_words() -> None:
    one_day = request(7, "A", RequestStatus.SENT, sent=dt.date(2026, 4, 1), due=dt.date(2026, 4, 19))
    assert due_words(one_day, TODAY) == "Overdue by 1 day"
    assert due_words(one_day, dt.date(2026, 4, 19)) == "Due today"
    assert due_words(one_day, dt.date(2026, 4, 18)) == "Due tomorrow"
    extended = request(8, "A", RequestStatus.EXTENDED, sent=dt.date(2026, 4, 1), due=dt.date(2026, 5, 1),
                       extended=dt.date(2026, 5, 20))
    assert due_words(extended, TODAY) == "Due 20 May 2026 (extended)"
    refused = request(9, "A", RequestStatus.REFUSED, sent=dt.date(2026, 4, 1), due=dt.date(2026, 4, 2))
    assert due_words(refused, TODAY) == "—"
