"""Sigillo's errors and the exit codes they map to.

Every error a user can meet is a ``SigilloError``: its ``str()`` is one sentence saying what went wrong, and
``hint`` says what to do next. The CLI turns them into that line plus the error's ``exit_code``; nothing else
prints a traceback (only ``--debug`` does).

::

    SigilloError
    ├── ArchiveMissingError    no archive where one was looked for               (exit 3)
    ├── ArchiveExistsError     `init` where an archive already is                (exit 3)
    ├── ConfigError            the settings file cannot be read or is invalid    (exit 3)
    ├── BusyError              another sigillo process is writing the archive    (exit 4)
    ├── MissingToolError       tesseract or its language data is not installed   (exit 5)
    ├── NotFoundError          no document matches the id given                  (exit 6)
    │   └── AmbiguousIdError   an id prefix matches several documents           (exit 6)
    ├── CatalogError           the catalog is damaged or too new for this version (exit 8)
    ├── IntegrityError         stored bytes do not match their hash              (exit 8)
    ├── SearchIndexError       the search index is damaged or missing            (exit 9)
    ├── KeyProblemError        the seal key is missing, locked or unusable        (exit 10)
    ├── TimestampPendingError  the TSA could not be reached or gave a bad token  (exit 11)
    └── UnsafeBundleError      a zipped bundle cannot be opened safely           (exit 12)
"""

from __future__ import annotations

from enum import IntEnum

__all__ = [
    "AmbiguousIdError",
    "ArchiveExistsError",
    "ArchiveMissingError",
    "BusyError",
    "CatalogError",
    "ConfigError",
    "ExitCode",
    "IntegrityError",
    "KeyProblemError",
    "MissingToolError",
    "NotFoundError",
    "SearchIndexError",
    "SigilloError",
    "TimestampPendingError",
    "UnsafeBundleError",
]


class ExitCode(IntEnum):
    """Exit codes of the `sigillo` command. Stable: scripts may rely on them."""

    OK = 0
    FAILURES = 1  # the command ran, but some inputs failed (e.g. files that could not be ingested)
    USAGE = 2  # wrong arguments or options (click's own code)
    NO_ARCHIVE = 3  # no archive found, already exists, or its settings are invalid
    BUSY = 4  # another sigillo process holds the archive's write lock
    MISSING_TOOL = 5  # tesseract or a language pack is missing
    NOT_FOUND = 6  # no such document, or an ambiguous id prefix
    INTEGRITY = 8  # catalog or stored bytes damaged
    INDEX = 9  # the search index is damaged: run `sigillo reindex`
    KEYS = 10  # the archive's seal key is missing, encrypted without a passphrase given, or unusable
    TIMESTAMP = 11  # a timestamp is still pending: the TSA was unreachable or answered with a bad token
    BUNDLE = 12  # the bundle cannot be opened safely (a hostile or damaged zip)
    INTERNAL = 70  # a bug: run again with --debug and report the traceback
    INTERRUPTED = 130  # Ctrl-C


class SigilloError(Exception):
    """Root of every error meant for a user."""

    exit_code: ExitCode = ExitCode.FAILURES
    hint: str = ""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class ArchiveMissingError(SigilloError):
    exit_code = ExitCode.NO_ARCHIVE
    hint = "create one with `sigillo init`, or point to it with --home or $SIGILLO_HOME"


class ArchiveExistsError(SigilloError):
    exit_code = ExitCode.NO_ARCHIVE
    hint = "use that archive, or choose another folder with --home"


class ConfigError(SigilloError):
    exit_code = ExitCode.NO_ARCHIVE
    hint = "fix the settings file named above"


class BusyError(SigilloError):
    exit_code = ExitCode.BUSY
    hint = "wait for the other process to finish, or run again with a longer --wait"


class MissingToolError(SigilloError):
    exit_code = ExitCode.MISSING_TOOL


class NotFoundError(SigilloError):
    exit_code = ExitCode.NOT_FOUND
    hint = "list documents with `sigillo search` and use a longer id"


class AmbiguousIdError(NotFoundError):
    hint = "give more characters of the id"


class CatalogError(SigilloError):
    exit_code = ExitCode.INTEGRITY


class IntegrityError(SigilloError):
    exit_code = ExitCode.INTEGRITY


class SearchIndexError(SigilloError):
    exit_code = ExitCode.INDEX
    hint = "rebuild it from the catalog with `sigillo reindex`"


class KeyProblemError(SigilloError):
    exit_code = ExitCode.KEYS
    hint = "set SIGILLO_KEY_PASSPHRASE if the key is encrypted, or check `sigillo keys show`"


class TimestampPendingError(SigilloError):
    exit_code = ExitCode.TIMESTAMP
    hint = "the documents are stored, signed and searchable; run `sigillo seal` again when the TSA is reachable"


class UnsafeBundleError(SigilloError):
    """A zipped evidence bundle that cannot be extracted safely; ``member`` names the zip member at fault, if one."""

    exit_code = ExitCode.BUNDLE
    hint = "do not unzip this file with other tools either; ask its sender for a new export"

    def __init__(self, message: str, hint: str | None = None, *, member: str | None = None) -> None:
        super().__init__(message, hint)
        self.member = member
