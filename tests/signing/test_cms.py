"""signing.cms: our detached seal checked by ``openssl cms``, openssl's checked by us, and every way one can fail.

Real keys and the real ``openssl`` CLI: no mocks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import cms as asn1_cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from signing.cms import sign_detached, verify_detached
from signing.errors import KeyFileError, SignatureInvalidError
from signing.keys import Identity, describe_certificate, generate_seal_identity, write_certificates, write_private_key

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="the openssl CLI is not installed")
# LF, CR LF, NUL and high bytes: a signature over MIME-canonicalised text (no -binary) would not match these bytes.
DATA = b"sigillo checkpoint v1\nbatch B-20250314-0001\r\nroot 3q2+7w==\n\x00\xff\xfe tail"


def openssl(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [OPENSSL or "openssl", *map(str, args)], capture_output=True, text=True, timeout=30, check=False
    )


def openssl_verify(folder: Path, data: bytes, signature: bytes, ca_file: Path) -> subprocess.CompletedProcess[str]:
    """The command a third party runs to check a seal with stock tools."""
    (folder / "data.bin").write_bytes(data)
    (folder / "data.bin.p7s").write_bytes(signature)
    return openssl(
        "cms", "-verify", "-binary", "-inform", "DER", "-in", folder / "data.bin.p7s", "-content",
        folder / "data.bin", "-CAfile", ca_file, "-purpose", "any", "-out", os.devnull,
    )  # fmt: skip


def openssl_sign(folder: Path, identity: Identity, data: bytes, *extra: str, binary: bool = True) -> bytes:
    """A detached signature made by ``openssl cms -sign -binary -md sha256 -outform DER``."""
    write_private_key(folder / "signer.key", identity.key, None, overwrite=True)
    write_certificates(folder / "signer.pem", [identity.cert])
    (folder / "in.bin").write_bytes(data)
    done = openssl(
        "cms", "-sign", *(["-binary"] if binary else []), "-in", folder / "in.bin", "-signer", folder / "signer.pem",
        "-inkey", folder / "signer.key", "-md", "sha256", "-outform", "DER", "-out", folder / "out.p7s", *extra,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return (folder / "out.p7s").read_bytes()


def self_signed(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, name: str = "Seal test") -> Identity:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = _builder(subject, subject, key.public_key()).sign(key, hashes.SHA256())
    return Identity(key=key, cert=cert)


def _builder(subject: x509.Name, issuer: x509.Name, public_key: object, *, ca: bool = False) -> x509.CertificateBuilder:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)  # type: ignore[arg-type]
    )


KEY_TYPES: dict[str, Callable[[], Identity]] = {
    "P-256": lambda: generate_seal_identity("Example archive seal", "Example Org"),
    "P-384": lambda: self_signed(ec.generate_private_key(ec.SECP384R1())),
    "RSA-2048": lambda: self_signed(rsa.generate_private_key(65537, 2048)),
}


@pytest.fixture(scope="module")
def seal() -> Identity:
    return KEY_TYPES["P-256"]()


@pytest.fixture(scope="module", params=list(KEY_TYPES))
def any_seal(request: pytest.FixtureRequest) -> Identity:
    return KEY_TYPES[request.param]()


@pytest.fixture
def seal_pem(seal: Identity, tmp_path: Path) -> Path:
    write_certificates(tmp_path / "seal.pem", [seal.cert])
    return tmp_path / "seal.pem"


def signature_value_offset(signature: bytes) -> int:
    """Where the signer's signature value sits in the DER (the middle of it)."""
    value = asn1_cms.ContentInfo.load(signature)["content"]["signer_infos"][0]["signature"].native
    start = signature.find(value)
    assert start > 0 and signature.count(value) == 1
    return start + len(value) // 2


# --- round trips with openssl ------------------------------------------------------------------------------------


@needs_openssl
def test_our_seal_passes_openssl_and_ours(any_seal: Identity, tmp_path: Path) -> None:
    signature = sign_detached(DATA, any_seal.key, any_seal.cert)
    write_certificates(tmp_path / "seal.pem", [any_seal.cert])
    done = openssl_verify(tmp_path, DATA, signature, tmp_path / "seal.pem")
    assert done.returncode == 0 and "Verification successful" in done.stderr, done.stderr
    info = verify_detached(DATA, signature, [any_seal.cert])
    assert info.signer_subject == any_seal.cert.subject.rfc4514_string() == info.trust_root_subject
    assert info.signer_sha256 == describe_certificate(any_seal.cert).sha256_hex
    assert info.digest_algorithm == "sha256"
    assert info.signing_time is not None and abs(info.signing_time - datetime.now(UTC)) < timedelta(minutes=1)


@needs_openssl
def test_openssl_seal_passes_ours(any_seal: Identity, tmp_path: Path) -> None:
    signature = openssl_sign(tmp_path, any_seal, DATA)
    info = verify_detached(DATA, signature, [any_seal.cert])
    assert info.signer_sha256 == describe_certificate(any_seal.cert).sha256_hex
    with pytest.raises(SignatureInvalidError, match="the signed content has changed"):
        verify_detached(DATA + b"!", signature, [any_seal.cert])


@needs_openssl
def test_openssl_rsa_pss_and_key_id_signatures_pass_ours(tmp_path: Path) -> None:
    identity = KEY_TYPES["RSA-2048"]()
    pss = openssl_sign(tmp_path, identity, DATA, "-keyopt", "rsa_padding_mode:pss")
    assert verify_detached(DATA, pss, [identity.cert]).digest_algorithm == "sha256"
    keyid = openssl_sign(tmp_path, identity, DATA, "-keyid")  # signer named by SubjectKeyIdentifier
    verify_detached(DATA, keyid, [identity.cert])


@needs_openssl
def test_openssl_seal_made_without_binary_does_not_cover_the_bytes(seal: Identity, tmp_path: Path) -> None:
    """The classic pitfall: without -binary, openssl signs CRLF-canonicalised text, not the file."""
    signature = openssl_sign(tmp_path, seal, DATA, binary=False)
    with pytest.raises(SignatureInvalidError, match="the signed content has changed"):
        verify_detached(DATA, signature, [seal.cert])


@needs_openssl
def test_empty_content(seal: Identity, seal_pem: Path) -> None:
    signature = sign_detached(b"", seal.key, seal.cert)
    assert openssl_verify(seal_pem.parent, b"", signature, seal_pem).returncode == 0
    verify_detached(b"", signature, [seal.cert])


# --- tampering ---------------------------------------------------------------------------------------------------


@needs_openssl
def test_one_changed_byte_of_content_fails_both(seal: Identity, seal_pem: Path) -> None:
    signature = sign_detached(DATA, seal.key, seal.cert)
    changed = bytearray(DATA)
    changed[len(changed) // 2] ^= 0x01
    assert openssl_verify(seal_pem.parent, bytes(changed), signature, seal_pem).returncode != 0
    with pytest.raises(SignatureInvalidError, match="the signed content has changed"):
        verify_detached(bytes(changed), signature, [seal.cert])


@needs_openssl
def test_flipped_byte_in_the_signature_value_fails_both(seal: Identity, seal_pem: Path) -> None:
    signature = bytearray(sign_detached(DATA, seal.key, seal.cert))
    signature[signature_value_offset(bytes(signature))] ^= 0x01
    assert openssl_verify(seal_pem.parent, DATA, bytes(signature), seal_pem).returncode != 0
    with pytest.raises(SignatureInvalidError, match="signature value does not verify"):
        verify_detached(DATA, bytes(signature), [seal.cert])


@needs_openssl
def test_another_signer_is_not_the_archive(seal: Identity, seal_pem: Path) -> None:
    stranger = generate_seal_identity("Example archive seal", "Example Org")  # same name, another key
    signature = sign_detached(DATA, stranger.key, stranger.cert)
    assert openssl_verify(seal_pem.parent, DATA, signature, seal_pem).returncode != 0
    with pytest.raises(SignatureInvalidError, match="signed by a certificate that is not the archive's") as caught:
        verify_detached(DATA, signature, [seal.cert])
    assert describe_certificate(stranger.cert).sha256_hex in str(caught.value)


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"\x00",
        os.urandom(200),
        b"\x30\x82\xff\xff" + os.urandom(64),  # a SEQUENCE claiming more bytes than there are
        b"\x30\x03\x02\x01\x01",  # well-formed DER, not a ContentInfo
    ],
    ids=["empty", "one byte", "random", "truncated", "other DER"],
)
def test_garbage_is_an_invalid_signature_not_a_traceback(seal: Identity, garbage: bytes) -> None:
    with pytest.raises(SignatureInvalidError, match="not a CMS signature"):
        verify_detached(DATA, garbage, [seal.cert])


def test_truncated_and_trailing_bytes(seal: Identity) -> None:
    signature = sign_detached(DATA, seal.key, seal.cert)
    for broken in (signature[:-10], signature + b"\x00"):
        with pytest.raises(SignatureInvalidError, match="not a CMS signature"):
            verify_detached(DATA, broken, [seal.cert])


def test_pem_signature_gets_a_hint(seal: Identity) -> None:
    pem = b"-----BEGIN CMS-----\nMAA=\n-----END CMS-----\n"
    with pytest.raises(SignatureInvalidError, match="PEM, not DER"):
        verify_detached(DATA, pem, [seal.cert])


# --- structure a seal must have ----------------------------------------------------------------------------------


def test_embedded_content_is_refused(seal: Identity) -> None:
    attached = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(DATA)
        .add_signer(seal.cert, seal.key, hashes.SHA256())
        .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    )
    with pytest.raises(SignatureInvalidError, match="carries its content inside it"):
        verify_detached(DATA, attached, [seal.cert])


def test_two_signers_are_refused(seal: Identity) -> None:
    other = generate_seal_identity("Second signer")
    both = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(DATA)
        .add_signer(seal.cert, seal.key, hashes.SHA256())
        .add_signer(other.cert, other.key, hashes.SHA256())
        .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary])
    )
    with pytest.raises(SignatureInvalidError, match="2 signers"):
        verify_detached(DATA, both, [seal.cert])


@needs_openssl
@pytest.mark.parametrize(
    ("option", "says"),
    [("-nocerts", "signer's certificate is not in the signature"), ("-noattr", "no signed attributes")],
)
def test_openssl_signatures_a_seal_may_not_be(seal: Identity, tmp_path: Path, option: str, says: str) -> None:
    signature = openssl_sign(tmp_path, seal, DATA, option)
    with pytest.raises(SignatureInvalidError, match=says):
        verify_detached(DATA, signature, [seal.cert])


# --- trust and time ----------------------------------------------------------------------------------------------


def make_ca_chain() -> tuple[x509.Certificate, x509.Certificate, Identity]:
    """A root CA, an issuing CA under it, and a seal identity issued by the issuing CA (all P-256)."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Example Root CA")])
    root = _builder(root_name, root_name, root_key.public_key(), ca=True).sign(root_key, hashes.SHA256())
    inter_key = ec.generate_private_key(ec.SECP256R1())
    inter_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Example Issuing CA")])
    inter = _builder(inter_name, root_name, inter_key.public_key(), ca=True).sign(root_key, hashes.SHA256())
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Example Org seal")])
    leaf = _builder(leaf_name, inter_name, leaf_key.public_key()).sign(inter_key, hashes.SHA256())
    return root, inter, Identity(key=leaf_key, cert=leaf, chain=[inter])


@needs_openssl
def test_seal_from_a_ca_verifies_through_its_chain(tmp_path: Path) -> None:
    root, inter, seal = make_ca_chain()
    signature = sign_detached(DATA, seal.key, seal.cert, seal.chain)
    write_certificates(tmp_path / "root.pem", [root])
    done = openssl_verify(tmp_path, DATA, signature, tmp_path / "root.pem")
    assert done.returncode == 0 and "Verification successful" in done.stderr, done.stderr
    info = verify_detached(DATA, signature, [root])
    assert info.signer_subject == "CN=Example Org seal" and info.trust_root_subject == "CN=Example Root CA"
    verify_detached(DATA, signature, [inter])  # pinning the issuing CA is enough too
    verify_detached(DATA, signature, [root.public_bytes(serialization.Encoding.PEM)])
    verify_detached(DATA, signature, [root.public_bytes(serialization.Encoding.DER)])


def test_missing_intermediate_or_foreign_root_is_untrusted() -> None:
    root, _, seal = make_ca_chain()
    other_root, _, _ = make_ca_chain()  # same names, other keys
    without_chain = sign_detached(DATA, seal.key, seal.cert)
    with pytest.raises(SignatureInvalidError, match="not the archive's"):
        verify_detached(DATA, without_chain, [root])
    with_chain = sign_detached(DATA, seal.key, seal.cert, seal.chain)
    with pytest.raises(SignatureInvalidError, match=r"not the archive's.*signature does not verify"):
        verify_detached(DATA, with_chain, [other_root])


def test_validity_is_checked_at_the_moment(seal: Identity) -> None:
    signature = sign_detached(DATA, seal.key, seal.cert)
    verify_detached(DATA, signature, [seal.cert], moment=datetime.now(UTC) + timedelta(days=365))
    for moment in (seal.cert.not_valid_after_utc + timedelta(seconds=1), datetime(2000, 1, 1, tzinfo=UTC)):
        with pytest.raises(SignatureInvalidError, match="was not valid at"):
            verify_detached(DATA, signature, [seal.cert], moment=moment)


def test_default_moment_is_the_signing_time() -> None:
    """A certificate that had expired when it signed fails, even though the signature itself is sound."""
    past = datetime.now(UTC) - timedelta(days=400)
    expired = generate_seal_identity("Expired seal", days=365, clock=lambda: past)
    signature = sign_detached(DATA, expired.key, expired.cert)
    with pytest.raises(SignatureInvalidError, match="was not valid at"):
        verify_detached(DATA, signature, [expired.cert])
    verify_detached(DATA, signature, [expired.cert], moment=past + timedelta(days=1))


def test_bad_trust_roots(seal: Identity) -> None:
    signature = sign_detached(DATA, seal.key, seal.cert)
    with pytest.raises(KeyFileError, match="no trust root"):
        verify_detached(DATA, signature, [])
    with pytest.raises(KeyFileError, match=r"not an X\.509 certificate"):
        verify_detached(DATA, signature, [b"not a certificate"])


# --- signing refuses what would make an unverifiable seal --------------------------------------------------------


def test_sign_refuses_a_key_that_does_not_fit(seal: Identity) -> None:
    other = generate_seal_identity("Someone else")
    with pytest.raises(KeyFileError, match="does not belong"):
        sign_detached(DATA, other.key, seal.cert)
    with pytest.raises(KeyFileError, match="Ed25519"):
        sign_detached(DATA, ed25519.Ed25519PrivateKey.generate(), seal.cert)  # type: ignore[arg-type]
    root, inter, leaf = make_ca_chain()
    with pytest.raises(KeyFileError, match="broken certificate chain"):
        sign_detached(DATA, leaf.key, leaf.cert, [root, inter])
