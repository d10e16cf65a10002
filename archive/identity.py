"""The archive's keys and certificates on disk: its seal, its built-in local TSA, and the certificates it replaced.

::

    keys/seal.key             ECDSA P-256 (or an imported key), PKCS#8 PEM, mode 0600, encrypted when a passphrase
                              is given (SIGILLO_KEY_PASSPHRASE or `--passphrase`)
    keys/seal.crt             its certificate: self-signed at init, or issued by a CA (`sigillo keys import`)
    keys/seal-chain.pem       the issuing CA's certificates, issuer first (empty when self-signed)
    keys/tsa/tsa.key          the local TSA's key (0600; same passphrase)
    keys/tsa/tsa.crt          its certificate: critical, sole EKU timeStamping, "(not qualified)" in its name
    keys/tsa/root.crt         the local root that issued it (its key is discarded at init: nothing else can be issued)
    keys/history/<sha256>.crt seal certificates replaced by an import, so older checkpoints still verify

The private keys never leave these files: no command prints, logs or exports them.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from signing import keys as sk
from signing.errors import KeyFileError, PassphraseError

from .config import PASSPHRASE_ENV, Layout, Settings
from .errors import ConfigError, KeyProblemError

__all__ = ["KeyFiles", "create_identity", "import_identity", "passphrase_from_env", "seal_certificates"]

DIR_MODE = 0o700


def passphrase_from_env() -> bytes | None:
    value = os.environ.get(PASSPHRASE_ENV)
    return value.encode("utf-8") if value else None


@dataclass(frozen=True)
class KeyFiles:
    """Paths of the key material of one archive."""

    root: Path

    @classmethod
    def of(cls, layout: Layout) -> KeyFiles:
        return cls(layout.keys)

    seal_key = property(lambda self: self.root / "seal.key")
    seal_cert = property(lambda self: self.root / "seal.crt")
    seal_chain = property(lambda self: self.root / "seal-chain.pem")
    tsa_key = property(lambda self: self.root / "tsa" / "tsa.key")
    tsa_cert = property(lambda self: self.root / "tsa" / "tsa.crt")
    tsa_root = property(lambda self: self.root / "tsa" / "root.crt")
    history = property(lambda self: self.root / "history")

    def exists(self) -> bool:
        return self.seal_key.is_file() and self.seal_cert.is_file()

    # -- loading ---------------------------------------------------------------------------------------------
    def seal(self, passphrase: bytes | None) -> sk.Identity:
        """The seal key, its certificate and chain. Raises KeyProblemError with what to do."""
        with _key_errors("the archive's seal key"):
            key = sk.load_private_key(self.seal_key, passphrase)
            cert = sk.load_certificates(self.seal_cert)[0]
            chain = sk.load_certificates(self.seal_chain) if self.seal_chain.is_file() else []
            sk.check_key_matches(key, cert)
        return sk.Identity(key, cert, chain)

    def seal_key_encrypted(self) -> bool:
        """Whether the seal key file is passphrase-encrypted (read from its PEM label, never decrypted)."""
        with _key_errors("the archive's seal key"):
            return b"ENCRYPTED" in self.seal_key.read_bytes()[:64]

    def seal_certificate(self) -> x509.Certificate:
        with _key_errors("the archive's seal certificate"):
            return sk.load_certificates(self.seal_cert)[0]

    def seal_chain_certs(self) -> list[x509.Certificate]:
        with _key_errors("the seal certificate's chain"):
            return sk.load_certificates(self.seal_chain) if self.seal_chain.is_file() else []

    def local_tsa(self, passphrase: bytes | None, clock: Callable[[], object] | None = None) -> object:
        """The built-in TSA as a ``signing.timestamp.LocalTSA``."""
        from signing.timestamp import LocalTSA

        with _key_errors("the local TSA's key"):
            key = sk.load_private_key(self.tsa_key, passphrase)
            cert = sk.load_certificates(self.tsa_cert)[0]
            root = sk.load_certificates(self.tsa_root)
            return LocalTSA(key, cert, root) if clock is None else LocalTSA(key, cert, root, clock=clock)

    def local_tsa_roots(self) -> list[x509.Certificate]:
        with _key_errors("the local TSA's root certificate"):
            return sk.load_certificates(self.tsa_root)


def seal_certificates(files: KeyFiles) -> dict[str, x509.Certificate]:
    """Every seal certificate this archive has used, by SHA-256 fingerprint (hex): the current one and history."""
    found: dict[str, x509.Certificate] = {}
    paths = sorted(files.history.glob("*.crt")) if files.history.is_dir() else []
    for path in [*paths, files.seal_cert]:
        if path.is_file():
            with _key_errors(f"the certificate {path.name}"):
                for cert in sk.load_certificates(path)[:1]:
                    found[sk.describe_certificate(cert).sha256_hex] = cert
    return found


def tsa_trust_roots(files: KeyFiles, settings: Settings) -> list[bytes]:
    """DER certificates that TSA tokens must chain to: the local TSA's root, plus the pinned external roots."""
    roots = [c.public_bytes(serialization.Encoding.DER) for c in files.local_tsa_roots()]
    if settings.tsa_trust:
        path = Path(settings.tsa_trust).expanduser()
        try:
            certs = sk.load_certificates(path)
        except KeyFileError as exc:
            raise ConfigError(f"tsa_trust: {exc}") from exc
        roots += [c.public_bytes(serialization.Encoding.DER) for c in certs]
    return roots


def create_identity(layout: Layout, settings: Settings, passphrase: bytes | None) -> sk.CertInfo:
    """At init: a new seal key with a self-signed certificate, and the local TSA. Returns the seal certificate."""
    files = KeyFiles.of(layout)
    for folder in (files.root, files.root / "tsa", files.history):
        folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.chmod(folder, DIR_MODE)
    name = settings.name or layout.home.name
    seal = sk.generate_seal_identity(f"{name} archive seal", settings.organization or None)
    sk.write_private_key(files.seal_key, seal.key, passphrase)
    sk.write_certificates(files.seal_cert, [seal.cert])
    tsa = sk.generate_local_tsa(name)
    sk.write_private_key(files.tsa_key, tsa.tsa_key, passphrase)
    sk.write_certificates(files.tsa_cert, [tsa.tsa_cert])
    sk.write_certificates(files.tsa_root, [tsa.root_cert])
    return sk.describe_certificate(seal.cert)


def import_identity(
    files: KeyFiles,
    key_path: Path,
    cert_path: Path,
    chain_path: Path | None,
    *,
    passphrase_in: bytes | None,
    passphrase_out: bytes | None,
) -> tuple[sk.CertInfo, sk.CertInfo]:
    """Install a key and certificate issued by a CA. Returns (old, new) certificate descriptions.

    Everything is checked before anything is written: the key loads and suits CMS, the certificate belongs to it,
    the chain (if any) links it to its issuer, and ``passphrase_out`` opens the current key (so the new key is
    stored under the archive's passphrase, never silently unencrypted). The replaced certificate moves to
    keys/history/, so checkpoints it signed still verify; the replaced key is deleted.
    """
    with _key_errors("the key or certificate to import"):
        key = sk.load_private_key(key_path, passphrase_in)
        sk.check_signing_key(key)
        certs = sk.load_certificates(cert_path)
        cert, bundled = certs[0], certs[1:]
        chain = sk.load_certificates(chain_path) if chain_path else bundled
        sk.check_key_matches(key, cert)
        if chain:
            sk.check_chain(cert, chain)
    files.seal(passphrase_out)  # the archive's passphrase must open the current key (KeyProblemError if not)
    old = files.seal_certificate()
    old_info = sk.describe_certificate(old)
    files.history.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    sk.write_certificates(files.history / f"{old_info.sha256_hex}.crt", [old])
    sk.write_private_key(files.seal_key, key, passphrase_out, overwrite=True)
    sk.write_certificates(files.seal_cert, [cert])
    if chain:
        sk.write_certificates(files.seal_chain, chain)
    elif files.seal_chain.exists():
        files.seal_chain.unlink()
    return old_info, sk.describe_certificate(cert)


@contextlib.contextmanager
def _key_errors(what: str) -> Iterator[None]:
    """Turn the signing package's key errors into KeyProblemError, naming what was being loaded."""
    try:
        yield
    except PassphraseError as exc:
        raise KeyProblemError(f"{what} is encrypted and no passphrase, or a wrong one, was given") from exc
    except KeyFileError as exc:
        raise KeyProblemError(f"{what}: {exc}") from exc
    except FileNotFoundError as exc:
        raise KeyProblemError(
            f"{what} is missing ({exc.filename})",
            hint="restore the keys/ folder from a backup, or install a key with `sigillo keys import`",
        ) from exc
