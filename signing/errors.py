"""Errors raised by the signing package.

``str(exc)`` is always one sentence for a person: what failed and, where it helps, why.

::

    SigningError
    ├── KeyFileError               a key or certificate file cannot be read, does not match, or is unsuitable
    │   └── PassphraseError        the key is encrypted and no passphrase, or a wrong one, was given
    ├── SignatureInvalidError      a CMS signature does not verify (content changed, wrong signer, untrusted chain)
    ├── TimestampError             a TSA response or token fails a check (status, imprint, nonce, EKU, signature, chain)
    └── TSAUnavailableError        the TSA could not be reached or did not answer in time (retry later)
"""

from __future__ import annotations

__all__ = [
    "KeyFileError",
    "PassphraseError",
    "SignatureInvalidError",
    "SigningError",
    "TSAUnavailableError",
    "TimestampError",
]


class SigningError(Exception):
    """Root of the signing package's errors."""


class KeyFileError(SigningError):
    """A key or certificate cannot be loaded, does not match its partner, or is unsuitable for its role."""


class PassphraseError(KeyFileError):
    """The private key is encrypted and the passphrase is missing or wrong."""


class SignatureInvalidError(SigningError):
    """A detached CMS signature does not verify."""


class TimestampError(SigningError):
    """An RFC 3161 response or token fails a check; the message names the check."""


class TSAUnavailableError(SigningError):
    """The time-stamping authority could not be reached, refused the connection, or timed out."""
