"""The app's log: a small rotating file in the platform's per-user log folder that never holds patient data.

What goes in: the time, the level, which part of the app, a message written by the app (operation names, ids,
counts — never a name, a title, a file name or note text), and for a failure the exception's *type* with the
places in the code it passed through. Exception messages are left out on purpose: they often quote what the
user typed or the name of a file. The file is readable by the user only (0600) in a folder only they can open
(0700), and rotates at about 1 MB, keeping three older files.

``SECONDOPINION_LOG_DIR`` puts it somewhere else (the tests use it).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import traceback
from pathlib import Path
from types import TracebackType

LOGGER = "secondopinion_desktop"  # every module's logging.getLogger(__name__) is below it
LOG_NAME = "secondopinion.log"
ENV_VAR = "SECONDOPINION_LOG_DIR"
MAX_BYTES = 1_000_000
KEEP = 3

_handler: logging.Handler | None = None


def log_dir() -> Path:
    """Where the log lives: $SECONDOPINION_LOG_DIR, else the platform's per-user log folder."""
    chosen = os.environ.get(ENV_VAR)
    if chosen:
        return Path(chosen).expanduser()
    import platformdirs

    return Path(platformdirs.user_log_dir("SecondOpinion", appauthor=False))


def log_file() -> Path:
    return log_dir() / LOG_NAME


_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


class _PrivateFormatter(logging.Formatter):
    """Formats a failure as its type and the code it passed through, never its message or any value."""

    def formatException(self, ei: _ExcInfo) -> str:
        exc_type, exc, tb = ei
        if exc_type is None or exc is None:
            return "NoneType: None"  # what logging itself writes when there is no exception
        lines = [f"{exc_type.__module__}.{exc_type.__qualname__}"]
        for frame in traceback.extract_tb(tb):
            lines.append(f"  {_code_place(frame.filename)}:{frame.lineno} in {frame.name}")
        cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
        if cause is not None and cause is not exc:
            lines.append("caused by " + self.formatException((type(cause), cause, cause.__traceback__)))
        return "\n".join(lines)

    def formatMessage(self, record: logging.LogRecord) -> str:
        return super().formatMessage(record).replace("\n", " ")


def _code_place(filename: str) -> str:
    """A source file as 'secondopinion_desktop/core/x.py' or 'pydicom/x.py' — never a user's folder."""
    parts = Path(filename).parts
    for anchor in ("secondopinion_desktop", "site-packages"):
        if anchor in parts:
            index = parts.index(anchor)
            return "/".join(parts[index + (anchor == "site-packages"):])
    return Path(filename).name


class _PrivateFileHandler(logging.handlers.RotatingFileHandler):
    def _open(self):  # type: ignore[no-untyped-def]
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return os.fdopen(fd, self.mode.replace("w", "a"), encoding=self.encoding, errors=self.errors)


def start_logging() -> Path | None:
    """Send the app's log records to the log file (once per process); returns the file, or None when the folder
    cannot be made (the app then runs without a log)."""
    global _handler
    if _handler is not None:
        return Path(_handler.baseFilename)  # type: ignore[attr-defined]
    where = log_dir()
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        handler = _PrivateFileHandler(where / LOG_NAME, maxBytes=MAX_BYTES, backupCount=KEEP, encoding="utf-8",
                                      delay=True)
    except OSError:
        return None
    handler.setFormatter(_PrivateFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger(LOGGER)
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > logging.INFO:
        logger.setLevel(logging.INFO)
    _handler = handler
    return where / LOG_NAME


def stop_logging() -> None:
    global _handler
    if _handler is not None:
        logging.getLogger(LOGGER).removeHandler(_handler)
        _handler.close()
        _handler = None


def log_failure(what: str, exc: BaseException) -> None:
    """Write a failure: ``what`` is the app's own words for the operation (no data), then the exception's type and
    where it happened."""
    logging.getLogger(f"{LOGGER}.failures").error(what, exc_info=(type(exc), exc, exc.__traceback__))
