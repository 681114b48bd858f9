"""An appointment's questions as a model on its own (no view): moving rows as a drag does, ticking and
rewording are asked of the pane (never stored by the model), what was stored is shown."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QModelIndex, Qt

from secondopinion_desktop.core.appointments import AppointmentQuestionData
from secondopinion_desktop.ui.appointments.questions_model import QUESTION_ID_ROLE, QUESTION_ROLE, QuestionsModel

QUESTIONS = [AppointmentQuestionData(10 + n, n + 1, f"Question {n}?", n == 1, "yes" if n == 1 else "")
             for n in range(5)]


def made(qapp) -> tuple[QuestionsModel, list[list[int]], list[tuple]]:
    model = QuestionsModel()
    model.set_questions(QUESTIONS)
    orders: list[list[int]] = []
    asked: list[tuple] = []
    model.orderChanged.connect(orders.append)
    model.changeRequested.connect(lambda *args: asked.append(args))
    return model, orders, asked


def texts(model: QuestionsModel) -> list[str]:
    return [model.index(r).data() for r in range(model.rowCount())]


def test_rows_roles_and_flags(qapp) -> None:
    model, _orders, _asked = made(qapp)
    assert model.rowCount() == 5 and texts(model)[0] == "Question 0?"
    assert model.index(1).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert model.index(0).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    assert model.index(1).data(Qt.ItemDataRole.ToolTipRole) == "Question 1?\n(answered — has a written answer)"
    assert model.index(2).data(QUESTION_ID_ROLE) == 12 and model.index(2).data(QUESTION_ROLE) == QUESTIONS[2]
    flags = model.index(0).flags()
    for flag in (Qt.ItemFlag.ItemIsUserCheckable, Qt.ItemFlag.ItemIsDragEnabled, Qt.ItemFlag.ItemIsEditable):
        assert flags & flag
    assert not flags & Qt.ItemFlag.ItemIsDropEnabled  # dropped between questions, never onto one
    assert model.flags(QModelIndex()) & Qt.ItemFlag.ItemIsDropEnabled
    assert model.supportedDropActions() == Qt.DropAction.MoveAction
    assert model.answered_count() == 1 and model.row_of(13) == 3 and model.row_of(99) == -1


def test_moving_rows_as_a_drop_does_tells_the_new_order_once(qapp) -> None:
    model, orders, _asked = made(qapp)
    moved: list[tuple] = []
    model.rowsMoved.connect(lambda *args: moved.append(args))
    # the first question dropped below the fourth (a drop "before row 4")
    assert model.moveRow(QModelIndex(), 0, QModelIndex(), 4)
    assert texts(model) == ["Question 1?", "Question 2?", "Question 3?", "Question 0?", "Question 4?"]
    assert orders == [[11, 12, 13, 10, 14]] and len(moved) == 1
    # the last one up to the top
    assert model.moveRows(QModelIndex(), 4, 1, QModelIndex(), 0)
    assert model.ids() == [14, 11, 12, 13, 10] and len(orders) == 2
    # two at once, to the end
    assert model.moveRows(QModelIndex(), 0, 2, QModelIndex(), 5)
    assert model.ids() == [12, 13, 10, 14, 11]


def test_moves_that_go_nowhere_are_refused_and_tell_nothing(qapp) -> None:
    model, orders, _asked = made(qapp)
    assert not model.moveRow(QModelIndex(), 2, QModelIndex(), 2)  # onto itself
    assert not model.moveRow(QModelIndex(), 2, QModelIndex(), 3)  # just below itself: the same place
    assert not model.moveRow(QModelIndex(), 7, QModelIndex(), 0)
    assert not model.moveRow(QModelIndex(), 0, QModelIndex(), 9)
    assert not model.moveRows(QModelIndex(), 0, 0, QModelIndex(), 3)
    assert not model.moveRow(model.index(0), 0, QModelIndex(), 3)  # a list has no children
    assert orders == [] and model.ids() == [10, 11, 12, 13, 14]


def test_ticking_and_rewording_are_asked_for_and_shown_once_stored(qapp) -> None:
    model, orders, asked = made(qapp)
    changed: list[int] = []
    model.dataChanged.connect(lambda top, _bottom, *_: changed.append(top.row()))
    assert model.setData(model.index(0), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert model.setData(model.index(2), "Question two, reworded?", Qt.ItemDataRole.EditRole)
    assert model.setData(model.index(3), "Question 3?", Qt.ItemDataRole.EditRole)  # unchanged: nothing asked
    assert asked == [(10, None, True), (12, "Question two, reworded?", None)]
    assert texts(model)[2] == "Question 2?" and changed == []  # nothing shown before it is stored
    model.replace(dataclasses.replace(QUESTIONS[2], text="Question two, reworded?"))
    assert texts(model)[2] == "Question two, reworded?" and changed == [2]
    model.replace(dataclasses.replace(QUESTIONS[0], id=99))  # not shown: ignored
    assert not model.setData(model.index(9), "x", Qt.ItemDataRole.EditRole)
    assert not model.setData(model.index(0), "x", Qt.ItemDataRole.ToolTipRole)
    assert orders == []
