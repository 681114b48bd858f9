"""The pre-flight check's findings, each one sentence with its action button, grouped by kind.

:class:`FindingsList` is the list itself (the packet dialog embeds it; Still missing uses the same button words
and the same :func:`act`); :class:`CheckPacketDialog` is Help → Check my packet…, which reads the findings off
the GUI thread (``core.preflight.preflight``) and shows them in a list.

Every button asks the window through ``ui.events.requests()`` (show a record, a request or the health summary,
a new record, the profile, mark a needed record requested, write a request to a facility); nothing here opens
a database session or touches the vault.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.readiness import CATEGORIES, Action, Finding
from secondopinion_desktop.ui.events import requests

#: The words of each finding's main button (Still missing uses the same).
BUTTON_TEXT = {
    Action.OPEN: "Show record",
    Action.MARK_REQUESTED: "Mark requested",
    Action.ADD: "Add record…",
    Action.FOLLOW_UP: "Show record",
    Action.PROFILE: "Fill in the profile…",
    Action.OPEN_REQUEST: "Open request",
    Action.OPEN_HEALTH: "Open the health summary",
    Action.OPEN_SHIPMENT: "Show the shipment",
}
#: The heading of each kind of finding.
HEADINGS = {
    "identity": "Whose records",
    "completeness": "What is missing",
    "freshness": "How recent",
    "language": "Language",
    "timing": "Timing",
}
READY_TEXT = "Nothing to fix: the packet is ready."
FACILITY_IN_BUTTON = 24  # characters of a facility's name on its button (the accessible name has it all)


def request_from_text(facility: str) -> str:
    """``Request from Samplewood Hospital…``; a long name is cut at a word (its ellipsis is the button's)."""
    name = " ".join(facility.split())
    if len(name) > FACILITY_IN_BUTTON:
        cut = name[:FACILITY_IN_BUTTON]
        name = (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,;:-")
    return f"Request from {name.replace('&', '&&')}…"


def has_target(finding: Finding) -> bool:
    """The finding's main button has somewhere to go."""
    if finding.action in (Action.OPEN, Action.FOLLOW_UP, Action.MARK_REQUESTED):
        return finding.record_id is not None
    if finding.action is Action.OPEN_REQUEST:
        return finding.request_id is not None
    if finding.action is Action.OPEN_SHIPMENT:
        return finding.request_id is not None or finding.record_id is not None
    return True


def act(finding: Finding) -> None:
    """What a finding's main button does: ask the window."""
    desk = requests()
    if finding.action is Action.PROFILE:
        desk.editProfile.emit()
    elif finding.action is Action.ADD:
        desk.newRecord.emit(finding.kind, finding.suggested_title)
    elif finding.action is Action.MARK_REQUESTED and finding.record_id is not None:
        desk.markRequested.emit(finding.record_id)
    elif finding.action is Action.OPEN_HEALTH:
        desk.showHealth.emit(finding.health_section)
    elif finding.action in (Action.OPEN_REQUEST, Action.OPEN_SHIPMENT) and finding.request_id is not None:
        desk.showRequest.emit(finding.request_id)
    elif finding.record_id is not None:
        desk.showRecord.emit(finding.record_id)


def finding_row(finding: Finding) -> tuple[QFrame, QPushButton, list[QPushButton]]:
    """One finding's frame: its sentence and its buttons (the main one first, then "Open draft request" or
    "Request from <facility>…" when there is one). Returns the frame, the main button and the extra ones."""
    frame = QFrame()
    frame.setObjectName("findingRow")
    frame.setFrameShape(QFrame.Shape.StyledPanel)
    text = QLabel(finding.message)
    text.setObjectName("findingText")
    text.setTextFormat(Qt.TextFormat.PlainText)
    text.setWordWrap(True)
    text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    button = QPushButton(BUTTON_TEXT[finding.action])
    button.setAccessibleName(f"{BUTTON_TEXT[finding.action]}: {finding.message}")
    button.clicked.connect(lambda _checked=False, f=finding: act(f))
    if not has_target(finding):
        button.hide()  # stays hidden once in the row
    extra: list[QPushButton] = []
    if finding.action is Action.MARK_REQUESTED and finding.request_id is not None:
        draft = QPushButton("Open draft request")
        draft.setObjectName("openDraftButton")
        draft.setAccessibleName(f"Open the draft request that asks for this: {finding.message}")
        draft.clicked.connect(lambda _checked=False, rid=finding.request_id: requests().showRequest.emit(rid))
        extra.append(draft)
    elif finding.facility:
        ask = QPushButton(request_from_text(finding.facility))
        ask.setObjectName("requestFromButton")
        ask.setAccessibleName(f"Request from {finding.facility}: a new records request for what is still "
                              "needed from there")
        ask.setToolTip("<qt>" + html.escape(f"Write a records request to {finding.facility}") + "</qt>")
        ask.clicked.connect(lambda _checked=False, name=finding.facility: requests().newRequest.emit(name))
        extra.append(ask)
    if not extra:
        row = QHBoxLayout(frame)
        row.addWidget(text, 1)
        row.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
    else:  # two buttons, one may hold a facility's name: under the text, so the text keeps the width
        column = QVBoxLayout(frame)
        column.addWidget(text)
        column.addWidget(button, 0, Qt.AlignmentFlag.AlignRight)
        for b in extra:
            column.addWidget(b, 0, Qt.AlignmentFlag.AlignRight)
    return frame, button, extra


class FindingsList(QWidget):
    """The pre-flight findings, grouped under their kind's heading ("Whose records", "What is missing", "How
    recent", "Language", "Timing"), each one sentence with its action button. It scrolls by itself.

    ``FindingsList(parent=None, *, empty_text=READY_TEXT)``; ``set_findings(findings)`` replaces what it shows
    (any sequence of ``core.readiness.Finding``, shown in the order given within each kind); with none it says
    ``empty_text`` ("Nothing to fix: the packet is ready."). ``findings`` is what it shows, ``buttons`` each
    finding's main button in the same order, ``headings`` the kind headings shown. A button asks the window
    through ``ui.events.requests()`` and then emits ``acted(finding)`` (a dialog may close itself then).
    """

    acted = Signal(object)

    def __init__(self, parent: QWidget | None = None, *, empty_text: str = READY_TEXT) -> None:
        super().__init__(parent)
        self.setObjectName("findingsList")
        self.empty_text = empty_text
        self.findings: list[Finding] = []
        self.buttons: list[QPushButton] = []
        self.headings: list[QLabel] = []
        self.rows = QWidget()
        self.rows_layout = QVBoxLayout(self.rows)
        self.rows_layout.setContentsMargins(0, 0, 0, 0)
        self.rows_layout.setSpacing(6)
        self.rows_layout.addStretch(1)
        self.empty = QLabel(empty_text)
        self.empty.setObjectName("findingsEmpty")
        self.empty.setWordWrap(True)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.rows)
        scroll.setAccessibleName("What to check before the packet goes out")
        self.scroll = scroll
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty)
        layout.addWidget(scroll, 1)
        self.set_findings([])

    def set_findings(self, findings: Sequence[Finding]) -> None:
        while self.rows_layout.count() > 1:
            item = self.rows_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.findings = []
        self.buttons = []
        self.headings = []
        by_kind: dict[str, list[Finding]] = {}
        for f in findings:
            by_kind.setdefault(f.category if f.category in HEADINGS else "completeness", []).append(f)
        for kind in CATEGORIES:
            group = by_kind.get(kind, [])
            if not group:
                continue
            heading = QLabel(f"<b>{html.escape(HEADINGS[kind])}</b>")
            heading.setObjectName("findingsHeading")
            heading.setAccessibleName(HEADINGS[kind])
            self.headings.append(heading)
            self._add(heading)
            for f in group:
                frame, button, extra = finding_row(f)
                button.clicked.connect(lambda _checked=False, x=f: self.acted.emit(x))
                for b in extra:
                    b.clicked.connect(lambda _checked=False, x=f: self.acted.emit(x))
                self.findings.append(f)
                self.buttons.append(button)
                self._add(frame)
        self.empty.setVisible(not self.findings)
        self.scroll.setVisible(bool(self.findings))

    def _add(self, widget: QWidget) -> None:
        self.rows_layout.insertWidget(self.rows_layout.count() - 1, widget)

    def heading_texts(self) -> list[str]:
        return [h.accessibleName() for h in self.headings]


class CheckPacketDialog(QDialog):
    """Help → Check my packet…: what to fix before the packet goes out, read off the GUI thread.

    ``CheckPacketDialog(parent, folder, today=None)``; a button that takes the patient elsewhere closes it."""

    def __init__(self, parent: QWidget | None, folder: DataFolder, today: dt.date | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("checkPacketDialog")
        self.setWindowTitle("Check my packet")
        self.folder = folder
        self.today = today
        self.intro = QLabel("Checking your records…")
        self.intro.setObjectName("checkPacketIntro")
        self.intro.setWordWrap(True)
        self.list = FindingsList(self)
        self.list.empty.setText("Checking…")
        self.list.acted.connect(lambda _f: self.accept())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)
        screen = (parent.screen() if parent is not None else self.screen()).availableGeometry()
        self.resize(min(880, int(screen.width() * 0.9)), min(640, int(screen.height() * 0.85)))
        self.loaded = False
        self.refresh()

    def refresh(self) -> None:
        from secondopinion_desktop.ui.ops import run_op

        folder, today = self.folder, self.today

        def work(_control: object) -> list[Finding]:
            from secondopinion_desktop.core.preflight import preflight

            return preflight(folder, today)

        run_op(self, work, name="check the packet", writes=False, on_success=self.show_findings,
               on_failure=self._failed)

    def show_findings(self, findings: list[Finding]) -> None:
        self.loaded = True
        self.list.empty.setText(READY_TEXT)
        self.list.set_findings(findings)
        n = len(findings)
        self.intro.setText(
            "Second Opinion found nothing to fix. The doctor may still ask for more." if not n else
            f"{n} thing{'s' if n != 1 else ''} to look at before the packet goes out. You can build the packet "
            "anyway.")

    def _failed(self, exc: BaseException) -> bool:
        self.loaded = True
        self.intro.setText("The check could not be finished. Try again, or see Help → Open log folder.")
        self.list.empty.setText("")
        return False
