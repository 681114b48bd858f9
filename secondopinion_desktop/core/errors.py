"""Errors the user can understand. Each message is one plain sentence, fit for a dialog or stderr."""


class SecondOpinionError(Exception):
    """Base of every error that is shown to the user as a message (never as a traceback)."""


class DataFolderError(SecondOpinionError):
    """The data folder cannot be created, read or written."""


class NotADatabaseError(DataFolderError):
    """The database file exists but is not a SQLite database."""


class SchemaTooNewError(DataFolderError):
    """The database was written by a newer version of Second Opinion."""


class ValidationError(SecondOpinionError, ValueError):
    """Input that cannot be stored as given.

    ``field`` names the input at fault (``"title"``, ``"date"``, ``"facility"``…: the service's own parameter
    name) when there is one, so a dialog can put the cursor there without reading the sentence.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(SecondOpinionError, LookupError):
    """A record, facility or other item that does not exist."""


class VaultError(SecondOpinionError):
    """A file could not be stored in or read from the vault."""


class NeedsUpgradeError(DataFolderError):
    """The database's schema is older than this version's: it must be brought up to date (a change) before it
    can be read, so a read-only open cannot proceed."""


class DiskFullError(DataFolderError):
    """The disk holding the data folder (or an output) has no room left; nothing was changed."""


class ReadOnlyFolderError(DataFolderError):
    """The data folder is on a read-only disk (or cannot be written), so nothing can be changed there."""


class FolderLocked(DataFolderError):
    """The data folder is encrypted and was opened without its key: it must be unlocked first."""
