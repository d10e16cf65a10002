"""Errors raised by the ingest package.

::

    IngestError
    ├── InputError            this file cannot be ingested; str(exc) is the reason, in plain words
    │   ├── UnsupportedTypeError   not a PDF, PNG, JPEG or TIFF (e.g. an office file, an archive, plain text)
    │   ├── EncryptedPdfError      a PDF that needs a password to open
    │   ├── CorruptFileError       damaged, truncated or malformed content
    │   └── LimitExceededError     larger than a configured limit (pages, pixels, bytes)
    ├── MissingToolError      tesseract or one of its languages is not installed; ``hint`` says how to install
    └── ToolError             tesseract failed in a way we do not tolerate
"""

from __future__ import annotations

__all__ = [
    "CorruptFileError",
    "EncryptedPdfError",
    "IngestError",
    "InputError",
    "LimitExceededError",
    "MissingToolError",
    "ToolError",
    "UnsupportedTypeError",
]


class IngestError(Exception):
    """Root of the ingest package's errors."""


class InputError(IngestError):
    """The file cannot be ingested. ``str(exc)`` is a one-line reason meant for a person."""


class UnsupportedTypeError(InputError):
    """The content is not a type Sigillo reads."""


class EncryptedPdfError(InputError):
    """The PDF is encrypted with a password we do not have."""


class CorruptFileError(InputError):
    """The content is damaged, truncated or malformed."""


class LimitExceededError(InputError):
    """The file is larger than a configured limit."""


class MissingToolError(IngestError):
    """An external tool (tesseract) or its language data is missing."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


class ToolError(IngestError):
    """An external tool failed unexpectedly."""
