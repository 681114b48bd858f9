"""One way for long work to report progress and to stop when the person cancels.

Every long core operation (backup, restore, imaging import and export, packet build, copying files into the
vault) takes the same two optional callables and raises the same exception:

- ``progress(done, total)``: how far it is, in any unit; ``total`` 0 means "cannot tell yet".
- ``cancelled()``: True once the person asked to stop; the operation then raises ``Cancelled`` after putting
  everything back as it was.

``Steps`` maps the parts of a job with several phases onto one 0…1000 scale, so a progress bar moves once
from left to right however many phases there are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from secondopinion_desktop.core.errors import SecondOpinionError

Progress = Callable[[int, int], None]
CancelCheck = Callable[[], bool]

SCALE = 1000  # the unit Steps reports in


class Cancelled(SecondOpinionError):
    """The person cancelled; nothing was changed (or everything changed was put back). Its message says so."""

    def __init__(self, message: str = "Cancelled; nothing was changed.") -> None:
        super().__init__(message)


def never() -> bool:
    """A ``cancelled`` for work nobody can cancel."""
    return False


def ignore(_done: int, _total: int) -> None:
    """A ``progress`` for work nobody watches."""


def check(cancelled: CancelCheck | None, message: str | None = None) -> None:
    """Raise ``Cancelled`` (with ``message`` when given) if the person asked to stop."""
    if cancelled is not None and cancelled():
        raise Cancelled(message) if message else Cancelled()


class Steps:
    """Report the phases of one job on one 0…``SCALE`` bar.

    ``Steps(progress, (1, 8, 1))`` makes three phases weighing 10 %, 80 % and 10 %. ``steps.phase(i)`` gives
    a ``progress(done, total)`` for phase ``i`` that reports its share of the whole; ``steps.finish()`` fills
    the bar.
    """

    def __init__(self, progress: Progress | None, weights: Sequence[float]) -> None:
        if not weights or any(w < 0 for w in weights) or sum(weights) <= 0:
            raise ValueError("Steps needs at least one phase with a positive weight")
        self._progress = progress or ignore
        total = float(sum(weights))
        self._starts: list[float] = []
        acc = 0.0
        for w in weights:
            self._starts.append(acc / total)
            acc += w
        self._shares = [w / total for w in weights]
        self._last = -1

    def _report(self, fraction: float) -> None:
        value = max(0, min(SCALE, round(fraction * SCALE)))
        if value != self._last:  # never floods the GUI thread with equal values
            self._last = value
            self._progress(value, SCALE)

    def phase(self, index: int) -> Progress:
        start, share = self._starts[index], self._shares[index]

        def report(done: int, total: int) -> None:
            part = min(1.0, done / total) if total > 0 else 0.0
            self._report(start + share * part)

        return report

    def finish(self) -> None:
        self._report(1.0)
