"""Who owns the transaction: the core does.

A service function is written against a ``Session`` (so several steps of one service can share a
transaction, and the CLI and the tests can compose them). Decorated with ``@unit_of_work``, it may also be
called with the ``DataFolder`` itself: then it opens its own session, commits when it returns and rolls back if
it raises. The window always calls services that way, so no window code ever holds a ``Session``:

    @unit_of_work
    def set_status(session: Session, record_id: int, status: RecordStatus) -> RecordData: ...

    records.set_status(folder, 12, RecordStatus.RECEIVED)     # the window: one transaction of its own
    records.set_status(session, 12, RecordStatus.RECEIVED)    # inside another service's transaction

Work the window needs done in one transaction across several calls is a service function of its own, never
a session opened by the window.

A service that also takes ``**fields`` marks its session positional-only (``def update_record(session:
Session, /, record_id: int, **fields: Any)``): otherwise ``session=`` could land in ``fields``, and mypy refuses
the decoration.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from secondopinion_desktop.core.db import DataFolder

P = ParamSpec("P")
R = TypeVar("R")


def unit_of_work(fn: Callable[Concatenate[Session, P], R]) -> Callable[Concatenate[Session | DataFolder, P], R]:
    """Let ``fn(session, …)`` also be called as ``fn(folder, …)`` in a transaction of its own."""

    @functools.wraps(fn)
    def run(target: Session | DataFolder, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if isinstance(target, Session):
            return fn(target, *args, **kwargs)
        with target.session() as session:
            return fn(session, *args, **kwargs)

    return run


def reading(fn: Callable[Concatenate[Session, P], R]) -> Callable[Concatenate[Session | DataFolder, P], R]:
    """``unit_of_work`` for a function that only reads: called with the folder, nothing it did is kept (its
    session is always rolled back), so it can also check input by trying the real change."""

    @functools.wraps(fn)
    def run(target: Session | DataFolder, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if isinstance(target, Session):
            return fn(target, *args, **kwargs)
        with target.dry_run() as session:
            return fn(session, *args, **kwargs)

    return run
