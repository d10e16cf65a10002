"""The archive's seal identity, its local TSA's certificates, and the key and certificate files that hold them.

An *identity* is a private key plus its X.509 certificate (and the chain above it, if a CA issued it). Sigillo
makes two kinds itself:

- the **seal identity**: an ECDSA P-256 key and a self-signed certificate that signs each batch's checkpoint
  (detached CMS, see :mod:`signing.cms`). Self-signed, it is its own trust root: a verifier pins its SHA-256
  fingerprint out of band. It is an electronic seal in the eIDAS sense but *not* a qualified one: that needs a
  qualified certificate for electronic seals from a QTSP and a key on a QSCD. A deployment may instead import a
  key and a certificate issued by a real CA (:func:`load_private_key`, :func:`load_certificates`,
  :func:`check_chain`).
- the **local TSA**: a root CA and a time-stamping certificate for the built-in RFC 3161 service. Its names say
  "local" and "not qualified", because its time is only the operator's clock: its tokens are integrity evidence,
  not trusted time.

Only ECDSA P-256/P-384 and RSA ≥ 2048 keys are accepted, because only those make CMS signatures that both
``cryptography`` and ``openssl cms`` produce and verify; Ed25519 is refused for that reason (checked with
cryptography 50 and OpenSSL 3.0).

Key material is never printed or logged: the dataclasses below leave keys out of their ``repr()``, and no error
message quotes a file's content.
"""

from __future__ import annotations

import functools
import itertools
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from signing.errors import KeyFileError, PassphraseError

__all__ = [
    "DOCUMENT_SIGNING",
    "QC_COMPLIANCE",
    "CertInfo",
    "Clock",
    "Identity",
    "LocalTSAIdentity",
    "SealKey",
    "check_chain",
    "check_key_matches",
    "check_signing_key",
    "describe_certificate",
    "generate_local_tsa",
    "generate_seal_identity",
    "load_certificates",
    "load_private_key",
    "why_not_issued_by",
    "write_certificates",
    "write_private_key",
]

SealKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
Clock = Callable[[], datetime]

DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")  # id-kp-documentSigning, RFC 9336
QC_COMPLIANCE = "0.4.0.1862.1.1"  # id-etsi-qcs-QcCompliance, ETSI EN 319 412-5
_QC_STATEMENTS = x509.ObjectIdentifier("1.3.6.1.5.5.7.1.3")

_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384"}
_MIN_RSA_BITS = 2048
_BACKDATE = timedelta(minutes=5)
_MAX_FILE = 1024 * 1024
_NAME_MAX = 64  # ub-common-name, ub-organization-name (RFC 5280)
_NOT_QUALIFIED = " (not qualified)"
_PASSPHRASE_HINT = "set SIGILLO_KEY_PASSPHRASE or pass --passphrase"
_EKU_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth",
    ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth",
    ExtendedKeyUsageOID.CODE_SIGNING: "codeSigning",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "emailProtection",
    ExtendedKeyUsageOID.TIME_STAMPING: "timeStamping",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSPSigning",
    ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE: "anyExtendedKeyUsage",
    DOCUMENT_SIGNING: "documentSigning",
}
_KEY_USAGE_NAMES = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
)


@dataclass(frozen=True)
class Identity:
    """A signing key, its certificate, and the certificates above it (issuer first, root last; empty if self-signed).

    ``repr()`` leaves the key out.
    """

    key: SealKey = field(repr=False)
    cert: x509.Certificate
    chain: list[x509.Certificate] = field(default_factory=list)


@dataclass(frozen=True)
class LocalTSAIdentity:
    """The local TSA: its root CA (key and certificate) and the time-stamping key and certificate the root issued.

    The root key is only needed to issue the TSA certificate; the caller decides whether to keep it.
    ``repr()`` leaves both keys out.
    """

    root_key: SealKey = field(repr=False)
    root_cert: x509.Certificate
    tsa_key: SealKey = field(repr=False)
    tsa_cert: x509.Certificate


@dataclass(frozen=True)
class CertInfo:
    """What a person (or a report) needs to recognise a certificate.

    ``sha256_fingerprint`` is written the way ``openssl x509 -noout -fingerprint -sha256`` prints it
    (``AB:CD:…``); ``sha256_hex`` is the same digest in plain lower-case hex. ``qualified_hint`` is True only when
    the certificate carries the QcCompliance statement (0.4.0.1862.1.1). That is the issuer's *claim*: only the EU
    Trusted List decides whether a certificate is qualified, so a report must never say "qualified" on this alone.
    """

    subject: str
    issuer: str
    serial_hex: str
    not_before: datetime
    not_after: datetime
    sha256_fingerprint: str
    sha256_hex: str
    self_signed: bool
    key_description: str
    key_usages: tuple[str, ...]
    extended_key_usages: tuple[str, ...]
    is_ca: bool
    qualified_hint: bool


# --- generating identities -------------------------------------------------------------------------------------


def generate_seal_identity(
    name: str, organization: str | None = None, *, days: int = 3650, clock: Clock | None = None
) -> Identity:
    """A new ECDSA P-256 key and a self-signed certificate for the archive's electronic seal.

    The certificate says what the key is for and nothing more: ``basicConstraints CA:FALSE`` and ``keyUsage
    digitalSignature, nonRepudiation`` (both critical), a subject key identifier, and the extended key usage
    ``id-kp-documentSigning`` (RFC 9336). We keep that EKU because it confines the key to signing documents; the
    price is that ``openssl cms -verify`` refuses it under its default purpose (smimesign: "unsuitable certificate
    purpose"), so every stock-tool verify command Sigillo prints carries ``-purpose any``.

    Args:
        name: the subject CN, e.g. ``"Example Org archive seal"`` (at most 64 bytes of UTF-8).
        organization: the subject O, if given (at most 64 bytes of UTF-8).
        days: validity from now; ``notBefore`` is set five minutes back to tolerate a verifier's slow clock.
        clock: returns the current time (timezone-aware); defaults to the system clock in UTC.

    Raises:
        ValueError: a name is empty or longer than 64 bytes of UTF-8.
    """
    subject = _name(name, organization)
    key = ec.generate_private_key(ec.SECP256R1())
    not_before, not_after = _validity(days, clock)
    cert = (
        _builder(subject, subject, key.public_key(), not_before, not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signing=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([DOCUMENT_SIGNING]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Identity(key=key, cert=cert, chain=[])


def generate_local_tsa(archive_name: str, *, days: int = 3650, clock: Clock | None = None) -> LocalTSAIdentity:
    """A local root CA and the time-stamping certificate it issues, both ECDSA P-256, both valid for ``days``.

    The TSA certificate has the critical, *sole* EKU ``id-kp-timeStamping`` that RFC 3161 §2.3 requires (OpenSSL
    refuses to sign with it otherwise), ``keyUsage digitalSignature, nonRepudiation`` and ``CA:FALSE`` (critical),
    and SKI/AKI. The root is ``CA:TRUE, pathlen:0`` (it issues only the TSA certificate) with ``keyCertSign,
    cRLSign``. Both subjects end in "local TSA … (not qualified)" so that no report or tool shows them as a real
    time source; a long archive name is shortened with "…" in the CN and kept (up to 64 bytes) in the O.

    Raises:
        ValueError: ``archive_name`` is empty.
    """
    if not archive_name.strip():
        raise ValueError("the archive name is empty: the local TSA's certificates need it in their names")
    root_name = _local_name(archive_name, "local TSA root")
    tsa_name = _local_name(archive_name, "local TSA")
    not_before, not_after = _validity(days, clock)

    root_key = ec.generate_private_key(ec.SECP256R1())
    root_cert = (
        _builder(root_name, root_name, root_key.public_key(), not_before, not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signing=False), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    tsa_key = ec.generate_private_key(ec.SECP256R1())
    root_ski = root_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    tsa_cert = (
        _builder(tsa_name, root_name, tsa_key.public_key(), not_before, not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signing=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    return LocalTSAIdentity(root_key=root_key, root_cert=root_cert, tsa_key=tsa_key, tsa_cert=tsa_cert)


def _name(common_name: str, organization: str | None) -> x509.Name:
    """``O=…, CN=…`` in DER order (most general first), so RFC 4514 and reports read ``CN=…,O=…``."""
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, _checked(common_name, "name"))]
    if organization is not None:
        attributes.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, _checked(organization, "organization")))
    return x509.Name(attributes)


def _local_name(archive_name: str, role: str) -> x509.Name:
    """``CN=<archive> <role> (not qualified), O=<archive>``, the archive name shortened to fit."""
    suffix = f" {role}{_NOT_QUALIFIED}"
    return _name(_fit(archive_name, _NAME_MAX - _utf8_len(suffix)) + suffix, _fit(archive_name, _NAME_MAX))


def _checked(value: str, what: str) -> str:
    """``value`` if it fits a name attribute: 1 to 64 UTF-8 bytes (RFC 5280's bound, as cryptography counts it)."""
    if not value.strip() or _utf8_len(value) > _NAME_MAX:
        raise ValueError(f"the certificate's {what} must be 1 to {_NAME_MAX} bytes of UTF-8, got {_utf8_len(value)}")
    return value


def _fit(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, the cut marked with "…"."""
    text = text.strip()
    if _utf8_len(text) <= limit:
        return text
    while _utf8_len(text) + _utf8_len("…") > limit:
        text = text[:-1]
    return text.rstrip() + "…"


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _validity(days: int, clock: Clock | None) -> tuple[datetime, datetime]:
    if days < 1:
        raise ValueError(f"a certificate must be valid for at least one day, not {days}")
    now = clock() if clock is not None else datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("the clock must return a timezone-aware time")
    now = now.astimezone(UTC).replace(microsecond=0)
    return now - _BACKDATE, now + timedelta(days=days)


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    not_before: datetime,
    not_after: datetime,
) -> x509.CertificateBuilder:
    """A certificate builder with the parts every certificate here shares: names, random serial, validity, SKI."""
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _key_usage(*, signing: bool) -> x509.KeyUsage:
    """digitalSignature + nonRepudiation for a signer, keyCertSign + cRLSign for a CA."""
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=signing,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signing,
        crl_sign=not signing,
        encipher_only=False,
        decipher_only=False,
    )


# --- key files ---------------------------------------------------------------------------------------------------


def check_signing_key(key: object) -> None:
    """Raise :class:`KeyFileError` unless ``key`` can make CMS signatures: EC P-256/P-384 or RSA ≥ 2048 bits.

    Ed25519 and Ed448 are refused because neither ``cryptography``'s PKCS#7 builder nor OpenSSL 3.0 ``cms`` can
    produce a CMS signature with them that stock tools verify (checked with OpenSSL 3.0 and cryptography 50).
    """
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if key.curve.name not in _CURVES:
            raise KeyFileError(f"the EC key is on curve {key.curve.name}: only P-256 and P-384 are accepted")
    elif isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < _MIN_RSA_BITS:
            raise KeyFileError(f"the RSA key has {key.key_size} bits: at least {_MIN_RSA_BITS} are needed")
    elif isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        raise KeyFileError(
            "Ed25519/Ed448 keys cannot seal: neither the cryptography library nor OpenSSL 3.0 makes a CMS "
            "signature with them that stock tools verify; use an ECDSA P-256 key"
        )
    else:
        raise KeyFileError(f"unsupported key type {type(key).__name__}: use ECDSA P-256/P-384 or RSA ≥ 2048 bits")


def write_private_key(path: Path | str, key: SealKey, passphrase: bytes | None, *, overwrite: bool = False) -> None:
    """Write ``key`` to ``path`` as PKCS#8 PEM, encrypted when a passphrase is given, readable by the owner only.

    The file is born with mode 0600 (``os.open`` with ``O_CREAT|O_EXCL``, under a temporary name in the same
    folder), fsync'd, then renamed over ``path`` and the folder fsync'd: ``path`` holds the old key or the new one,
    never half a key (a crash may leave a hidden ``.<name>.<random>.tmp`` beside it, itself 0600), and the key is
    never readable by others, not even for a moment.

    Encryption is ``BestAvailableEncryption``: with cryptography 50 that is PBES2, AES-256-CBC and PBKDF2-HMAC-SHA256
    with only 2048 iterations (OpenSSL's default). It stops a casual reader, not an offline guesser: choose a long
    passphrase, and keep a production seal key in an HSM or a QTSP remote seal.

    Args:
        overwrite: replace an existing file. Off by default, so that the seal key is not lost by a slip (checked
            before writing: a guard against mistakes, not against a concurrent writer).

    Raises:
        KeyFileError: the file exists (and ``overwrite`` is off), cannot be written, the passphrase is empty,
            or the key is not one that can seal (:func:`check_signing_key`).
    """
    path = Path(path)
    check_signing_key(key)
    if passphrase is not None and not passphrase:
        raise KeyFileError("the passphrase is empty: give a non-empty one, or none to write the key unencrypted")
    if path.exists() and not overwrite:
        raise KeyFileError(f"{path} already exists: refusing to overwrite a key file")
    encryption = serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    _atomic_write(path, pem, 0o600)


def load_private_key(path: Path | str, passphrase: bytes | None) -> SealKey:
    """The private key in ``path`` (PEM or DER, PKCS#8 or traditional), checked to be usable for sealing.

    An unencrypted key loads whatever ``passphrase`` says, so a passphrase set for the whole environment does no
    harm.

    Raises:
        PassphraseError: the key is encrypted and ``passphrase`` is missing or wrong.
        KeyFileError: the file cannot be read, holds no private key, or holds one that cannot seal.
    """
    path = Path(path)
    data = _read(path, "key")
    loader = serialization.load_pem_private_key if b"-----BEGIN" in data else serialization.load_der_private_key
    try:
        key = loader(data, None)
    except TypeError:  # "Password was not given but private key is encrypted"
        key = _decrypt(loader, data, passphrase, path)
    except UnsupportedAlgorithm as exc:
        raise KeyFileError(f"the key in {path} uses an algorithm this system cannot load") from exc
    except ValueError as exc:
        raise KeyFileError(_not_a_key(path, data)) from exc
    try:
        check_signing_key(key)
    except KeyFileError as exc:
        raise KeyFileError(f"{path}: {exc}") from None
    return key  # type: ignore[return-value]  # narrowed by check_signing_key


def _decrypt(loader: Callable[..., object], data: bytes, passphrase: bytes | None, path: Path) -> object:
    if not passphrase:
        raise PassphraseError(f"the key {path} is encrypted: {_PASSPHRASE_HINT}")
    try:
        return loader(data, passphrase)
    except (ValueError, TypeError) as exc:
        raise PassphraseError(f"the passphrase for the key {path} is wrong: {_PASSPHRASE_HINT}") from exc
    except UnsupportedAlgorithm as exc:
        raise KeyFileError(f"the key {path} is encrypted with an algorithm this system cannot read") from exc


def _not_a_key(path: Path, data: bytes) -> str:
    if b"CERTIFICATE-----" in data:
        return f"{path} holds a certificate, not a private key"
    if b"PUBLIC KEY-----" in data:
        return f"{path} holds a public key, not a private key"
    return f"{path} is not a private key (expected PEM or DER, PKCS#8 or traditional)"


def check_key_matches(key: SealKey, cert: x509.Certificate) -> None:
    """Raise :class:`KeyFileError` unless ``cert`` certifies the public half of ``key``."""
    if _spki(key.public_key()) != _spki(cert.public_key()):
        raise KeyFileError(
            f"the private key does not belong to the certificate {cert.subject.rfc4514_string()!r}: "
            "they are from different key pairs"
        )


def _spki(public_key: object) -> bytes:
    return public_key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


# --- certificate files ------------------------------------------------------------------------------------------


def write_certificates(path: Path | str, certs: Iterable[x509.Certificate]) -> None:
    """Write ``certs`` to ``path`` as concatenated PEM (mode 0644), atomically like :func:`write_private_key`.

    Raises:
        KeyFileError: no certificate given, or the file cannot be written.
    """
    pem = b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certs)
    if not pem:
        raise KeyFileError(f"no certificate to write to {path}")
    _atomic_write(Path(path), pem, 0o644)


def load_certificates(path: Path | str) -> list[x509.Certificate]:
    """The certificates in ``path``: one or several PEM blocks (other blocks, e.g. a key, are skipped), or one DER.

    Raises:
        KeyFileError: unreadable, or no certificate in it.
    """
    path = Path(path)
    data = _read(path, "certificate")
    try:
        if b"-----BEGIN" in data:
            certs = x509.load_pem_x509_certificates(data)
        else:
            certs = [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise KeyFileError(f"{path} holds no readable X.509 certificate (expected PEM or DER)") from exc
    return certs


def why_not_issued_by(child: x509.Certificate, parent: x509.Certificate) -> str | None:
    """Why ``parent`` did not issue ``child`` (names, CA flag, key usage, signature), or None if it did."""
    if child.issuer != parent.subject:
        return f"its issuer {child.issuer.rfc4514_string()!r} is not {parent.subject.rfc4514_string()!r}"
    if child != parent:  # a self-signed certificate need not be a CA to have signed itself
        constraints = _extension(parent, x509.BasicConstraints)
        if constraints is None or not constraints.ca:
            return f"{parent.subject.rfc4514_string()!r} is not a CA certificate"
        usage = _extension(parent, x509.KeyUsage)
        if usage is not None and not usage.key_cert_sign:
            return f"{parent.subject.rfc4514_string()!r} may not sign certificates (keyUsage lacks keyCertSign)"
    try:
        child.verify_directly_issued_by(parent)
    except InvalidSignature:
        return f"its signature does not verify with the key of {parent.subject.rfc4514_string()!r}"
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        return f"its signature cannot be checked ({exc})"
    return None


def check_chain(cert: x509.Certificate, chain: Sequence[x509.Certificate]) -> None:
    """Check that ``cert`` was issued by ``chain[0]``, ``chain[0]`` by ``chain[1]``, and so on (signatures included).

    The chain is ordered from the issuer of ``cert`` up to the root; an empty chain checks nothing. Validity dates
    and revocation are not checked here.

    Raises:
        KeyFileError: one link fails; the message names the certificate and why.
    """
    path = [cert, *chain]
    for child, parent in itertools.pairwise(path):
        problem = why_not_issued_by(child, parent)
        if problem is not None:
            order = (
                " (the chain must be ordered from the issuer up to the root)"
                if problem.startswith("its issuer")
                else ""
            )
            raise KeyFileError(f"broken certificate chain at {child.subject.rfc4514_string()!r}: {problem}{order}")


# --- describing a certificate -----------------------------------------------------------------------------------


def describe_certificate(cert: x509.Certificate) -> CertInfo:
    """The facts a report shows about ``cert``; see :class:`CertInfo`."""
    digest = cert.fingerprint(hashes.SHA256())
    constraints = _extension(cert, x509.BasicConstraints)
    return CertInfo(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial_hex=_serial_hex(cert.serial_number),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        sha256_fingerprint=":".join(f"{byte:02X}" for byte in digest),
        sha256_hex=digest.hex(),
        self_signed=why_not_issued_by(cert, cert) is None,
        key_description=_describe_key(cert.public_key()),
        key_usages=_key_usages(cert),
        extended_key_usages=_extended_key_usages(cert),
        is_ca=bool(constraints and constraints.ca),
        qualified_hint=_has_qc_compliance(cert),
    )


def _serial_hex(serial: int) -> str:
    """Upper-case hex with an even number of digits, as ``openssl x509 -noout -serial`` prints it."""
    text = f"{serial:X}"
    return text.zfill(len(text) + len(text) % 2)


def _describe_key(public_key: object) -> str:
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return f"ECDSA {_CURVES.get(public_key.curve.name, public_key.curve.name)}"
    if isinstance(public_key, rsa.RSAPublicKey):
        return f"RSA {public_key.key_size}"
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(public_key, ed448.Ed448PublicKey):
        return "Ed448"
    return type(public_key).__name__


def _key_usages(cert: x509.Certificate) -> tuple[str, ...]:
    usage = _extension(cert, x509.KeyUsage)
    if usage is None:
        return ()
    return tuple(name for name in _KEY_USAGE_NAMES if getattr(usage, name))


def _extended_key_usages(cert: x509.Certificate) -> tuple[str, ...]:
    usages = _extension(cert, x509.ExtendedKeyUsage)
    if usages is None:
        return ()
    return tuple(_EKU_NAMES.get(oid, oid.dotted_string) for oid in usages)


def _has_qc_compliance(cert: x509.Certificate) -> bool:
    """Whether the qcStatements extension lists QcCompliance (a malformed extension counts as absent)."""
    try:
        extension = cert.extensions.get_extension_for_oid(_QC_STATEMENTS)
    except x509.ExtensionNotFound:
        return False
    try:
        statements = _qc_statements_spec().load(extension.value.value)  # type: ignore[attr-defined]
        return any(statement["statement_id"].dotted == QC_COMPLIANCE for statement in statements)
    except (ValueError, TypeError):
        return False


@functools.cache
def _qc_statements_spec() -> type:
    """``QCStatements ::= SEQUENCE OF SEQUENCE { statementId OID, statementInfo ANY OPTIONAL }`` (RFC 3739).

    Built on first use so that importing this module does not import asn1crypto (CLI start-up time).
    """
    from asn1crypto import core

    class QcStatement(core.Sequence):
        _fields: ClassVar = [
            ("statement_id", core.ObjectIdentifier),
            ("statement_info", core.Any, {"optional": True}),
        ]

    class QcStatements(core.SequenceOf):
        _child_spec = QcStatement

    return QcStatements


def _extension(cert: x509.Certificate, kind: type) -> object | None:
    """The value of ``cert``'s extension of class ``kind``, or None; a malformed extension counts as absent."""
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except (x509.ExtensionNotFound, ValueError):
        return None


# --- files -------------------------------------------------------------------------------------------------------


def _read(path: Path, what: str) -> bytes:
    try:
        with path.open("rb") as fh:
            data = fh.read(_MAX_FILE + 1)
    except IsADirectoryError as exc:
        raise KeyFileError(f"cannot read the {what} file {path}: it is a folder") from exc
    except OSError as exc:
        raise KeyFileError(f"cannot read the {what} file {path}: {exc.strerror or exc}") from exc
    if len(data) > _MAX_FILE:
        raise KeyFileError(f"{path} is larger than 1 MiB: not a {what} file")
    if not data.strip():
        raise KeyFileError(f"the {what} file {path} is empty")
    return data


def _atomic_write(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to a new file with ``mode`` beside ``path``, fsync, rename over ``path``, fsync the folder."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, mode)
    except OSError as exc:
        raise KeyFileError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            if hasattr(os, "fchmod"):
                os.fchmod(fh.fileno(), mode)  # exactly ``mode``, whatever the umask took away
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise KeyFileError(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
