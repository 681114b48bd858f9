"""One progress signature and one Cancelled for every long operation."""

from __future__ import annotations

import pytest

from secondopinion_desktop.core import progress
from secondopinion_desktop.core.errors import SecondOpinionError
from secondopinion_desktop.core.progress import SCALE, Cancelled, Steps


def test_cancelled_is_a_user_facing_error_that_says_nothing_changed() -> None:
    error = Cancelled()
    assert isinstance(error, SecondOpinionError)
    assert str(error) == "Cancelled; nothing was changed."
    assert str(Cancelled("Cancelled; the import was taken back.")) == "Cancelled; the import was taken back."


def test_check_raises_only_once_cancelled() -> None:
    progress.check(None)
    progress.check(progress.never)
    progress.check(lambda: False)
    with pytest.raises(Cancelled, match="nothing was changed"):
        progress.check(lambda: True)
    with pytest.raises(Cancelled, match="^Stopped before the copy.$"):
        progress.check(lambda: True, "Stopped before the copy.")


def test_steps_move_once_from_0_to_1000_across_phases() -> None:
    seen: list[tuple[int, int]] = []
    steps = Steps(lambda done, total: seen.append((done, total)), (1, 8, 1))
    first, middle, last = steps.phase(0), steps.phase(1), steps.phase(2)
    first(0, 10)
    first(10, 10)
    for done in range(0, 101, 5):
        middle(done, 100)
    last(0, 0)  # a phase that cannot tell its size yet stays at its start
    last(3, 3)
    steps.finish()
    values = [done for done, _ in seen]
    assert {total for _, total in seen} == {SCALE}
    assert values[0] == 0 and values[-1] == SCALE
    assert values == sorted(values) and len(values) == len(set(values))  # monotonic, no repeats
    assert (100, SCALE) in seen and (900, SCALE) in seen  # the phases end at 10 % and 90 %


def test_a_phase_never_reports_beyond_its_share() -> None:
    seen: list[int] = []
    steps = Steps(lambda done, total: seen.append(done), (1, 1))
    steps.phase(0)(50, 10)  # more done than the total said
    assert seen == [500]
    steps.phase(1)(1, 2)
    assert seen == [500, 750]


def test_finish_fills_the_bar_once() -> None:
    seen: list[tuple[int, int]] = []
    steps = Steps(lambda done, total: seen.append((done, total)), (3,))
    steps.phase(0)(3, 3)
    steps.finish()
    assert seen == [(SCALE, SCALE)]


def test_steps_without_a_watcher_do_nothing() -> None:
    steps = Steps(None, (1, 2))
    steps.phase(1)(1, 1)
    steps.finish()


@pytest.mark.parametrize("weights", [(), (0, 0), (1, -1)])
def test_steps_need_a_positive_weight(weights: tuple[int, ...]) -> None:
    with pytest.raises(ValueError):
        Steps(None, weights)


def test_one_cancel_exception_in_the_whole_app() -> None:
    import ast
    from pathlib import Path

    import secondopinion_desktop

    root = Path(secondopinion_desktop.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and "cancel" in node.name.lower() and any(
                ast.unparse(base).endswith(("Error", "Exception", "Cancelled")) for base in node.bases
            ):
                found.append(f"{path.relative_to(root)}:{node.name}")
    assert found == ["core/progress.py:Cancelled"]
