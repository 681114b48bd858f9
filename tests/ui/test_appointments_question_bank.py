"""Long questions in the question bank wrap onto more lines instead of being cut with "…"."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem, QTreeWidget, QTreeWidgetItem

from secondopinion_desktop.core import questions
from secondopinion_desktop.ui.appointments.question_bank import QuestionBankDialog
from secondopinion_desktop.ui.guidance.questions import QuestionsPanel

LONG = ("If I choose to wait before starting any treatment at all, what should I watch for, how often should I come "
        "back for scans and blood tests, and who do I call if something changes in between")


def assert_wraps(qtbot, tree: QTreeWidget, item: QTreeWidgetItem) -> None:
    qtbot.waitUntil(lambda: tree.visualItemRect(item).height() > 0, timeout=2000)
    rect = tree.visualItemRect(item)
    metrics = QFontMetrics(tree.font())
    assert rect.height() >= 2 * metrics.lineSpacing(), rect
    option = QStyleOptionViewItem()
    tree.initViewItemOption(option)
    index = tree.indexFromItem(item)
    option.rect = rect
    tree.itemDelegate().initStyleOption(option, index)
    text = tree.style().subElementRect(QStyle.SubElement.SE_ItemViewItemText, option, tree)
    needed = metrics.boundingRect(QRect(0, 0, text.width() - 4, 100_000), int(Qt.TextFlag.TextWordWrap),
                                  item.text(0))
    assert needed.height() <= rect.height(), (needed, rect)  # all of it fits: nothing is elided
    short = next(tree.topLevelItem(0).child(i) for i in range(tree.topLevelItem(0).childCount())
                 if len(tree.topLevelItem(0).child(i).text(0)) < 40)
    assert tree.visualItemRect(short).height() < 2 * metrics.lineSpacing()  # short ones stay one line


@pytest.fixture
def long_question(folder):
    with folder.session() as s:
        questions.add_question(s, "treatment", LONG)
    return LONG + "?"


def test_a_long_question_wraps_in_the_bank_dialog(qtbot, folder, long_question, screenshot) -> None:
    dialog = QuestionBankDialog(folder, [])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    item = next(i for i in dialog.items if i.data(0, Qt.ItemDataRole.UserRole) == long_question)
    assert_wraps(qtbot, dialog.tree, item)
    screenshot(dialog, "question-bank-wraps")
    dialog.resize(dialog.width() - 150, dialog.height())  # narrower: still all there, on more lines
    qtbot.waitUntil(lambda: dialog.tree.viewport().width() < 500, timeout=2000)
    assert_wraps(qtbot, dialog.tree, item)
    dialog.reject()


def test_a_long_question_wraps_in_the_guidance_questions(qtbot, folder, long_question) -> None:
    panel = QuestionsPanel()
    qtbot.addWidget(panel)
    panel.resize(460, 600)
    panel.set_folder(folder)
    panel.show()
    qtbot.waitExposed(panel)
    tree = panel.tree
    item = next(tree.topLevelItem(g).child(c) for g in range(tree.topLevelItemCount())
                for c in range(tree.topLevelItem(g).childCount())
                if tree.topLevelItem(g).child(c).text(0).startswith(long_question))
    assert_wraps(qtbot, tree, item)
