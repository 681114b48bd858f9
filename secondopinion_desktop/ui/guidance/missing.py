""""What's still missing": the readiness findings, each with a one-click action.

Read with ``core.readiness.whats_missing(folder)``: the same findings, from the same rules, as the pre-flight
check (``core.preflight``). Each button (its words and what it does are ``ui.preflight``'s) asks the window
through ``ui.events.requests()``: show a record, a new record, the profile, the health summary, mark a needed
record requested (which the window makes a step of the Records tab's undo history; the change it announces
refreshes this list), open a records request, or start a new request to the facility a needed record comes
from ("Request from <facility>"), or the draft request that already asks for it ("Open draft request").
"""

from __future__ import annotations

import datetime as dt
import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from secondopinion_desktop.core.db import DataFolder
from secondopinion_desktop.core.readiness import Action, Finding, whats_missing
from secondopinion_desktop.core.words import plural
from secondopinion_desktop.ui.events import requests
from secondopinion_desktop.ui.preflight import BUTTON_TEXT, act, has_target, request_from_text

__all__ = ["BUTTON_TEXT", "MissingPanel", "has_target", "request_from_text"]


class MissingPanel(QWidget):
    """The list of what the second-opinion doctor will expect but is not in hand yet."""

    countChanged = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder: DataFolder | None = None
        self.findings: list[Finding] = []
        self.today: dt.date | None = None  # None: the real today
        self.heading = QLabel()
        self.heading.setObjectName("missingHeading")
        self.heading.setWordWrap(True)
        self.rows = QWidget()
        self.rows_layout = QVBoxLayout(self.rows)
        self.rows_layout.setContentsMargins(0, 0, 0, 0)
        self.rows_layout.setSpacing(6)
        self.rows_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.rows)
        scroll.setAccessibleName("What's still missing")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(scroll, 1)
        self.buttons: list[QPushButton] = []  # each finding's main button, in the order of ``findings``
        self.request_buttons: dict[int, QPushButton] = {}  # "Request from <facility>", by index in ``findings``
        self.draft_buttons: dict[int, QPushButton] = {}  # "Open draft request", by index in ``findings``

    def set_folder(self, folder: DataFolder) -> None:
        self.folder = folder
        self.refresh()

    def refresh(self) -> None:
        if self.folder is None:
            return
        self.findings = whats_missing(self.folder, self.today)
        while self.rows_layout.count() > 1:
            item = self.rows_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.buttons = []
        self.request_buttons = {}
        self.draft_buttons = {}
        for index, finding in enumerate(self.findings):
            self.rows_layout.insertWidget(self.rows_layout.count() - 1, self._row(index, finding))
        n = len(self.findings)
        self.heading.setText(
            "<b>Nothing missing that Second Opinion can tell.</b> Your doctor may still ask for more."
            if not n else
            f"<b>{plural(n, 'thing')} the second-opinion doctor will expect "
            f"{'is' if n == 1 else 'are'} not in hand yet.</b>"
        )
        self.countChanged.emit(n)

    def _row(self, index: int, finding: Finding) -> QWidget:
        frame = QFrame()
        frame.setObjectName("missingRow")
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        text = QLabel(finding.message)
        text.setTextFormat(Qt.TextFormat.PlainText)
        text.setWordWrap(True)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        button = QPushButton(BUTTON_TEXT[finding.action])
        button.setAccessibleName(f"{BUTTON_TEXT[finding.action]}: {finding.message}")
        button.clicked.connect(lambda _checked=False, f=finding: self.act(f))
        if not has_target(finding):
            button.hide()  # stays hidden once in the row
        self.buttons.append(button)
        if finding.action is Action.MARK_REQUESTED and finding.request_id is not None:
            draft = QPushButton("Open draft request")
            draft.setObjectName("openDraftButton")
            draft.setAccessibleName(f"Open the draft request that asks for this: {finding.message}")
            draft.clicked.connect(lambda _checked=False, rid=finding.request_id: requests().showRequest.emit(rid))
            self.draft_buttons[index] = draft
            column = QVBoxLayout(frame)
            column.addWidget(text)
            column.addWidget(button, 0, Qt.AlignmentFlag.AlignRight)
            column.addWidget(draft, 0, Qt.AlignmentFlag.AlignRight)
            return frame
        if not finding.facility:
            row = QHBoxLayout(frame)
            row.addWidget(text, 1)
            row.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
            return frame
        # Two buttons, one with a facility's name: under the text, so the text keeps the panel's width.
        ask = QPushButton(request_from_text(finding.facility))
        ask.setObjectName("requestFromButton")
        ask.setAccessibleName(f"Request from {finding.facility}: a new records request for what is still "
                              "needed from there")
        ask.setToolTip("<qt>" + html.escape(f"Write a records request to {finding.facility}") + "</qt>")
        ask.clicked.connect(lambda _checked=False, name=finding.facility: requests().newRequest.emit(name))
        self.request_buttons[index] = ask
        column = QVBoxLayout(frame)
        column.addWidget(text)
        column.addWidget(button, 0, Qt.AlignmentFlag.AlignRight)
        column.addWidget(ask, 0, Qt.AlignmentFlag.AlignRight)
        return frame

    def act(self, finding: Finding) -> None:
        """What a finding's button does: ask the window (the same as the pre-flight check's buttons)."""
        act(finding)
