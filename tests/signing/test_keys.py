"""signing.keys: generated identities, key and certificate files, chains, and what a report shows of a certificate.

Real keys, real files, and the real ``openssl`` CLI as the second opinion: no mocks.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from signing.errors import KeyFileError, PassphraseError
from signing.keys import (
    DOCUMENT_SIGNING,
    check_chain,
    check_key_matches,
    describe_certificate,
    generate_local_tsa,
    generate_seal_identity,
    load_certificates,
    load_private_key,
    write_certificates,
    write_private_key,
)

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="the openssl CLI is not installed")
FROZEN = datetime(2025, 3, 14, 9, 26, 53, tzinfo=UTC)


def openssl(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [OPENSSL or "openssl", *map(str, args)], capture_output=True, text=True, timeout=30, cwd=cwd, check=False
    )


@pytest.fixture(scope="module")
def seal():
    return generate_seal_identity("Example archive seal", "Example Org")


@pytest.fixture(scope="module")
def tsa():
    return generate_local_tsa("Example archive")


def make_ca(name: str, *, ca: bool = True) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A self-signed CA the way a real one looks (P-256, CA:TRUE, keyCertSign), or a non-CA impostor."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        _base(subject, subject, key.public_key())
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(_usage(ca=ca), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def issue(
    issuer_key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate, name: str, *, ca: bool = False
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A certificate for a new P-256 key, signed by ``issuer``: an intermediate CA or a seal leaf."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        _base(subject, issuer.subject, key.public_key())
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(_usage(ca=ca), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )
    return key, cert


def _base(subject: x509.Name, issuer: x509.Name, public_key: object) -> x509.CertificateBuilder:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
    )


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca, content_commitment=not ca, key_encipherment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False,
    )  # fmt: skip


def ext(cert: x509.Certificate, kind: type) -> x509.Extension:
    return cert.extensions.get_extension_for_class(kind)


# --- generated identities ----------------------------------------------------------------------------------------


def test_seal_identity_certificate(seal) -> None:
    cert = seal.cert
    assert isinstance(seal.key, ec.EllipticCurvePrivateKey) and seal.key.curve.name == "secp256r1"
    assert seal.chain == []
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Example archive seal"
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Example Org"
    assert cert.issuer == cert.subject
    constraints = ext(cert, x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca is False
    usage = ext(cert, x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_cert_sign
    assert list(ext(cert, x509.ExtendedKeyUsage).value) == [DOCUMENT_SIGNING]
    assert ext(cert, x509.SubjectKeyIdentifier).value == x509.SubjectKeyIdentifier.from_public_key(cert.public_key())
    check_key_matches(seal.key, cert)
    assert generate_seal_identity("Example archive seal").cert.serial_number != cert.serial_number


def test_repr_never_shows_the_key(seal, tsa) -> None:
    pem = seal.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    body = b"".join(pem.splitlines()[1:-1]).decode()
    for text in (repr(seal), repr(tsa), str(seal)):
        assert "key=" not in text and "Private" not in text and body[:40] not in text


def test_clock_sets_the_validity_window() -> None:
    cert = generate_seal_identity("Seal", days=30, clock=lambda: FROZEN).cert
    assert cert.not_valid_before_utc == FROZEN - timedelta(minutes=5)
    assert cert.not_valid_after_utc == FROZEN + timedelta(days=30)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": ""}, "name must be 1 to 64"),
        ({"name": "x" * 65}, "name must be 1 to 64"),
        ({"name": "Seal", "organization": "ò" * 33}, "organization must be 1 to 64"),
        ({"name": "Seal", "days": 0}, "at least one day"),
        ({"name": "Seal", "clock": lambda: datetime(2025, 1, 1)}, "timezone-aware"),
    ],
)
def test_bad_identity_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        generate_seal_identity(**kwargs)


def test_local_tsa_certificates(tsa) -> None:
    root, cert = tsa.root_cert, tsa.tsa_cert
    assert ext(root, x509.BasicConstraints).critical and ext(root, x509.BasicConstraints).value.ca
    root_usage = ext(root, x509.KeyUsage)
    assert root_usage.critical and root_usage.value.key_cert_sign and root_usage.value.crl_sign
    eku = ext(cert, x509.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    usage = ext(cert, x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    assert ext(cert, x509.BasicConstraints).critical and not ext(cert, x509.BasicConstraints).value.ca
    root_ski = ext(root, x509.SubjectKeyIdentifier).value.digest
    assert ext(cert, x509.AuthorityKeyIdentifier).value.key_identifier == root_ski
    for c in (root, cert):
        common_name = c.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        assert "Example archive" in common_name and "local" in common_name and "(not qualified)" in common_name
    check_key_matches(tsa.tsa_key, cert)
    check_key_matches(tsa.root_key, root)
    check_chain(cert, [root])


def test_local_tsa_long_name_is_shortened_not_refused() -> None:
    tsa = generate_local_tsa("Archivio documentale della Società Cooperativa Edilizia Riunita è" * 2)
    common_name = tsa.tsa_cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert common_name.endswith("… local TSA (not qualified)")
    assert len(common_name.encode()) <= 64


@needs_openssl
def test_local_tsa_passes_openssl(tsa, tmp_path: Path) -> None:
    write_certificates(tmp_path / "root.pem", [tsa.root_cert])
    write_certificates(tmp_path / "tsa.pem", [tsa.tsa_cert])
    shown = openssl("x509", "-in", tmp_path / "tsa.pem", "-noout", "-ext", "extendedKeyUsage")
    assert shown.returncode == 0, shown.stderr
    lines = [line.strip() for line in shown.stdout.splitlines()]
    assert lines == ["X509v3 Extended Key Usage: critical", "Time Stamping"]
    checked = openssl("verify", "-CAfile", tmp_path / "root.pem", "-purpose", "timestampsign", tmp_path / "tsa.pem")
    assert checked.returncode == 0 and checked.stdout.strip().endswith(": OK"), checked.stdout + checked.stderr


@needs_openssl
def test_local_tsa_signs_with_openssl_ts(tsa, tmp_path: Path) -> None:
    """OpenSSL refuses to stamp with a TSA certificate whose EKU is not critical and sole: ours it accepts."""
    write_certificates(tmp_path / "root.pem", [tsa.root_cert])
    write_certificates(tmp_path / "tsa.pem", [tsa.tsa_cert])
    write_private_key(tmp_path / "tsa.key", tsa.tsa_key, None)
    (tmp_path / "serial").write_text("01\n")
    (tmp_path / "tsa.cnf").write_text(
        "[ tsa ]\ndefault_tsa = t\n[ t ]\nserial = ./serial\nsigner_cert = ./tsa.pem\ncerts = ./root.pem\n"
        "signer_key = ./tsa.key\nsigner_digest = sha256\ndefault_policy = 1.3.6.1.4.1.99999.1.1\n"
        "digests = sha256\ness_cert_id_alg = sha256\n"
    )
    (tmp_path / "doc.txt").write_bytes(b"checkpoint\n")
    steps = [
        ("ts", "-query", "-data", "doc.txt", "-sha256", "-cert", "-out", "q.tsq"),
        ("ts", "-reply", "-config", "tsa.cnf", "-queryfile", "q.tsq", "-out", "r.tsr"),
        ("ts", "-verify", "-data", "doc.txt", "-in", "r.tsr", "-CAfile", "root.pem"),
    ]
    for step in steps:
        done = openssl(*step, cwd=tmp_path)
        assert done.returncode == 0, f"{step}: {done.stdout}{done.stderr}"
    assert "Verification: OK" in done.stdout


# --- key files ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o277], ids=oct)
def test_key_file_is_0600_and_leaves_no_stray_files(seal, tmp_path: Path, umask: int) -> None:
    previous = os.umask(umask)  # the mode must not depend on the umask, whether lax or stricter than 0600
    try:
        write_private_key(tmp_path / "seal.key", seal.key, None)
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "seal.key").stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["seal.key"]
    assert (tmp_path / "seal.key").read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    loaded = load_private_key(tmp_path / "seal.key", None)
    check_key_matches(loaded, seal.cert)


def test_key_file_is_not_overwritten_unless_asked(seal, tmp_path: Path) -> None:
    path = tmp_path / "seal.key"
    write_private_key(path, seal.key, None)
    other = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(KeyFileError, match="already exists"):
        write_private_key(path, other, None)
    check_key_matches(load_private_key(path, None), seal.cert)
    write_private_key(path, other, None, overwrite=True)
    assert load_private_key(path, None).public_key() == other.public_key()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["seal.key"]


def test_failed_write_removes_its_temporary_file(seal, tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()  # the rename onto a folder fails after the temporary file was written
    with pytest.raises(KeyFileError, match="cannot write"):
        write_private_key(tmp_path / "taken", seal.key, None, overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]
    with pytest.raises(KeyFileError, match="cannot write"):
        write_private_key(tmp_path / "missing" / "seal.key", seal.key, None)


def test_encrypted_key_round_trip(seal, tmp_path: Path) -> None:
    path = tmp_path / "seal.key"
    write_private_key(path, seal.key, b"correct horse battery staple")
    assert path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    check_key_matches(load_private_key(path, b"correct horse battery staple"), seal.cert)


@pytest.mark.parametrize(("passphrase", "says"), [(None, "is encrypted"), (b"wrong", "is wrong")])
def test_missing_or_wrong_passphrase(seal, tmp_path: Path, passphrase: bytes | None, says: str) -> None:
    path = tmp_path / "seal.key"
    write_private_key(path, seal.key, b"secret")
    with pytest.raises(PassphraseError, match=says) as caught:
        load_private_key(path, passphrase)
    message = str(caught.value)
    assert "set SIGILLO_KEY_PASSPHRASE or pass --passphrase" in message and str(path) in message
    assert "secret" not in message


def test_unencrypted_key_ignores_a_passphrase(seal, tmp_path: Path) -> None:
    write_private_key(tmp_path / "seal.key", seal.key, None)
    check_key_matches(load_private_key(tmp_path / "seal.key", b"set for the whole environment"), seal.cert)


def test_empty_passphrase_is_refused(seal, tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="passphrase is empty"):
        write_private_key(tmp_path / "seal.key", seal.key, b"")
    assert list(tmp_path.iterdir()) == []


@needs_openssl
def test_openssl_keys_load(tmp_path: Path) -> None:
    """Keys made by openssl: traditional SEC1 PEM, and encrypted PKCS#8 DER."""
    assert openssl("ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", tmp_path / "ec.pem").returncode == 0
    assert b"BEGIN EC PRIVATE KEY" in (tmp_path / "ec.pem").read_bytes()
    assert load_private_key(tmp_path / "ec.pem", None).curve.name == "secp256r1"  # type: ignore[union-attr]
    done = openssl(
        "pkcs8", "-topk8", "-in", tmp_path / "ec.pem", "-outform", "DER", "-passout", "pass:pw", "-out",
        tmp_path / "ec.der",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert load_private_key(tmp_path / "ec.der", b"pw").curve.name == "secp256r1"  # type: ignore[union-attr]
    with pytest.raises(PassphraseError, match="is encrypted"):
        load_private_key(tmp_path / "ec.der", None)


@needs_openssl
def test_openssl_reads_our_encrypted_key(seal, tmp_path: Path) -> None:
    write_private_key(tmp_path / "seal.key", seal.key, b"pw")
    done = openssl("pkey", "-in", tmp_path / "seal.key", "-passin", "pass:pw", "-pubout")
    assert done.returncode == 0, done.stderr
    assert done.stdout.encode() == seal.cert.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_not_a_key(seal, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a key at all\n")
    write_certificates(tmp_path / "cert.pem", [seal.cert])
    (tmp_path / "empty.pem").write_bytes(b"")
    (tmp_path / "folder").mkdir()
    cases = {
        "notes.txt": "is not a private key",
        "cert.pem": "holds a certificate, not a private key",
        "empty.pem": "is empty",
        "folder": "it is a folder",
        "absent.pem": "cannot read the key file",
    }
    for name, says in cases.items():
        with pytest.raises(KeyFileError, match=says) as caught:
            load_private_key(tmp_path / name, None)
        assert not isinstance(caught.value, PassphraseError)


def test_ed25519_key_is_refused_with_the_reason(tmp_path: Path) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    (tmp_path / "ed.key").write_bytes(pem)
    with pytest.raises(KeyFileError, match="Ed25519") as caught:
        load_private_key(tmp_path / "ed.key", None)
    assert "CMS" in str(caught.value) and "ECDSA P-256" in str(caught.value)
    with pytest.raises(KeyFileError, match="Ed25519"):
        write_private_key(tmp_path / "other.key", key, None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("make", "accepted"),
    [
        (lambda: ec.generate_private_key(ec.SECP384R1()), True),
        (lambda: ec.generate_private_key(ec.SECP521R1()), False),
        (lambda: rsa.generate_private_key(65537, 2048), True),
        (lambda: rsa.generate_private_key(65537, 1024), False),
    ],
    ids=["P-384", "P-521", "RSA-2048", "RSA-1024"],
)
def test_key_types(tmp_path: Path, make: Callable[[], object], accepted: bool) -> None:
    key = make()
    pem = key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "k.pem").write_bytes(pem)
    if accepted:
        assert load_private_key(tmp_path / "k.pem", None).public_key() == key.public_key()  # type: ignore[attr-defined]
    else:
        with pytest.raises(KeyFileError, match=r"curve|bits"):
            load_private_key(tmp_path / "k.pem", None)


def test_key_certificate_mismatch(seal) -> None:
    other = generate_seal_identity("Someone else")
    with pytest.raises(KeyFileError, match="does not belong to the certificate"):
        check_key_matches(other.key, seal.cert)


# --- certificate files -------------------------------------------------------------------------------------------


def test_certificates_pem_several_der_and_mixed(seal, tsa, tmp_path: Path) -> None:
    write_certificates(tmp_path / "chain.pem", [tsa.tsa_cert, tsa.root_cert])
    assert stat.S_IMODE((tmp_path / "chain.pem").stat().st_mode) == 0o644
    assert load_certificates(tmp_path / "chain.pem") == [tsa.tsa_cert, tsa.root_cert]
    (tmp_path / "seal.der").write_bytes(seal.cert.public_bytes(serialization.Encoding.DER))
    assert load_certificates(tmp_path / "seal.der") == [seal.cert]
    key_pem = seal.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "both.pem").write_bytes(key_pem + seal.cert.public_bytes(serialization.Encoding.PEM))
    assert load_certificates(tmp_path / "both.pem") == [seal.cert]


def test_not_certificates(seal, tmp_path: Path) -> None:
    (tmp_path / "junk.der").write_bytes(b"\x30\x03\x02\x01\x01")
    write_private_key(tmp_path / "only.key", seal.key, None)
    for name in ("junk.der", "only.key"):
        with pytest.raises(KeyFileError, match=r"no readable X\.509 certificate"):
            load_certificates(tmp_path / name)
    with pytest.raises(KeyFileError, match="no certificate to write"):
        write_certificates(tmp_path / "none.pem", [])


def test_certificate_from_a_real_ca_imports_and_its_chain_checks(tmp_path: Path) -> None:
    root_key, root = make_ca("Example Root CA")
    inter_key, inter = issue(root_key, root, "Example Issuing CA", ca=True)
    leaf_key, leaf = issue(inter_key, inter, "Example Org seal")
    write_private_key(tmp_path / "seal.key", leaf_key, b"pw")
    write_certificates(tmp_path / "seal.pem", [leaf])
    write_certificates(tmp_path / "chain.pem", [inter, root])
    key = load_private_key(tmp_path / "seal.key", b"pw")
    (cert,) = load_certificates(tmp_path / "seal.pem")
    chain = load_certificates(tmp_path / "chain.pem")
    check_key_matches(key, cert)
    check_chain(cert, chain)
    check_chain(cert, chain[:1])  # the root may be left out: it is pinned elsewhere
    info = describe_certificate(cert)
    assert not info.self_signed and info.issuer == "CN=Example Issuing CA" and not info.is_ca


def test_broken_chains_are_refused() -> None:
    root_key, root = make_ca("Example Root CA")
    inter_key, inter = issue(root_key, root, "Example Issuing CA", ca=True)
    _, leaf = issue(inter_key, inter, "Example Org seal")
    _, impostor_root = make_ca("Example Root CA")  # same name, another key
    with pytest.raises(KeyFileError, match="chain must be ordered"):
        check_chain(leaf, [root, inter])
    with pytest.raises(KeyFileError, match="signature does not verify"):
        check_chain(leaf, [inter, impostor_root])
    with pytest.raises(KeyFileError, match="its issuer 'CN=Example Issuing CA' is not 'CN=Example Root CA'"):
        check_chain(leaf, [root])
    not_a_ca_key, not_a_ca = make_ca("Example Root CA", ca=False)
    _, issued_by_non_ca = issue(not_a_ca_key, not_a_ca, "Example Org seal")
    with pytest.raises(KeyFileError, match="not a CA certificate"):
        check_chain(issued_by_non_ca, [not_a_ca])


# --- describing certificates -------------------------------------------------------------------------------------


@needs_openssl
def test_describe_certificate_agrees_with_openssl(seal, tmp_path: Path) -> None:
    write_certificates(tmp_path / "seal.pem", [seal.cert])
    shown = openssl("x509", "-in", tmp_path / "seal.pem", "-noout", "-fingerprint", "-sha256", "-serial")
    assert shown.returncode == 0, shown.stderr
    fingerprint_line, serial_line = shown.stdout.splitlines()
    info = describe_certificate(seal.cert)
    assert fingerprint_line.split("=", 1)[1] == info.sha256_fingerprint
    assert serial_line == f"serial={info.serial_hex}"
    assert info.sha256_hex == info.sha256_fingerprint.replace(":", "").lower()
    assert info.subject == info.issuer == "CN=Example archive seal,O=Example Org"
    assert info.not_before == seal.cert.not_valid_before_utc and info.not_after.tzinfo is not None
    assert info.self_signed and not info.is_ca and not info.qualified_hint
    assert info.key_description == "ECDSA P-256"
    assert info.key_usages == ("digital_signature", "content_commitment")
    assert info.extended_key_usages == ("documentSigning",)


def test_describe_the_local_tsa(tsa) -> None:
    root, cert = describe_certificate(tsa.root_cert), describe_certificate(tsa.tsa_cert)
    assert root.is_ca and root.self_signed and root.key_usages == ("key_cert_sign", "crl_sign")
    assert not cert.is_ca and not cert.self_signed and cert.issuer == root.subject
    assert cert.extended_key_usages == ("timeStamping",)


def _with_qc_statements(der: bytes) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "QC test")])
    statements = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.5.5.7.1.3"), der)
    return _base(name, name, key.public_key()).add_extension(statements, critical=False).sign(key, hashes.SHA256())


@pytest.mark.parametrize(
    ("der", "hint"),
    [
        (bytes.fromhex("300a3008060604008e460101"), True),  # SEQUENCE { SEQUENCE { QcCompliance } }
        (bytes.fromhex("30143008060604008e4601043008060604008e460101"), True),  # QcSSCD, QcCompliance
        (bytes.fromhex("300a3008060604008e460104"), False),  # QcSSCD only
        (bytes.fromhex("3003020101"), False),  # malformed: not statements
    ],
)
def test_qualified_hint_reads_qc_compliance(der: bytes, hint: bool) -> None:
    assert describe_certificate(_with_qc_statements(der)).qualified_hint is hint
