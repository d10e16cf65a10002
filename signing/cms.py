"""Detached CMS (PKCS#7) signatures: the archive's electronic seal over a batch checkpoint.

:func:`sign_detached` makes a DER ``SignedData`` over the exact bytes given (SHA-256, signed attributes, no
encapsulated content, the signer's certificate and chain included), the kind that stock tools check::

    openssl cms -verify -binary -inform DER -in checkpoint.p7s -content checkpoint.txt \\
            -CAfile seal-root.pem -purpose any -out /dev/null

``-binary`` matters on both sides (without it OpenSSL signs and verifies CRLF-canonicalised text, not the file's
bytes), and ``-purpose any`` is needed because our seal certificate carries the documentSigning EKU
(see :func:`signing.keys.generate_seal_identity`).

:func:`verify_detached` is Sigillo's own verifier (``sigillo verify``). It parses with asn1crypto, checks
signatures with ``cryptography`` (which has no CMS verification of its own), and raises
:class:`~signing.errors.SignatureInvalidError` naming the first check that failed.

The certificate path is checked here, not with pyhanko_certvalidator: an archive seal is a self-signed certificate
(its own trust root) or a leaf under one or two CAs, and for that a short walk is enough: issuer names, CA flags,
keyCertSign, signatures and validity dates at one moment. Importing pyhanko_certvalidator alone costs about 0.2 s of
CLI start-up. Not checked: revocation (CRL/OCSP), name constraints and certificate policies; a verifier who needs
those (a seal certificate from a real CA, checked years later) should use pyHanko or EU DSS on the same files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asn1crypto import cms, core
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

from signing.errors import KeyFileError, SignatureInvalidError
from signing.keys import SealKey, check_chain, check_key_matches, check_signing_key, why_not_issued_by

__all__ = ["SignatureInfo", "sign_detached", "verify_detached"]

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
_MAX_DEPTH = 8  # certificates between the signer and its trust root: far more than any seal needs
_NOT_OURS = "signed by a certificate that is not the archive's"
# What asn1crypto raises on bad input, and what cryptography raises on a damaged embedded certificate.
_MALFORMED = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    OverflowError,
    x509.DuplicateExtension,
    x509.InvalidVersion,
    UnsupportedAlgorithm,
)


@dataclass(frozen=True)
class SignatureInfo:
    """Who signed, and when they say they did.

    ``signing_time`` is the signingTime attribute: the signer's own clock, not trusted time (that comes from the
    RFC 3161 token). ``digest_algorithm`` is the hash over the content, e.g. ``"sha256"``.
    """

    signer_subject: str
    signer_sha256: str
    signing_time: datetime | None
    digest_algorithm: str
    trust_root_subject: str


def sign_detached(data: bytes, key: SealKey, cert: x509.Certificate, chain: Sequence[x509.Certificate] = ()) -> bytes:
    """A detached CMS signature (DER) over ``data`` by ``key``, SHA-256, with ``cert`` and ``chain`` embedded.

    The key, the certificate and the chain are checked first, so that a mismatch fails here rather than as a seal
    nobody can verify. The signed attributes are cryptography's: contentType, signingTime (our clock),
    smimeCapabilities and messageDigest.

    Args:
        chain: the certificates above ``cert``, issuer first; empty for a self-signed seal certificate.

    Raises:
        KeyFileError: the key cannot seal, does not match ``cert``, or the chain is broken.
    """
    check_signing_key(key)
    check_key_matches(key, cert)
    extra = [other for other in chain if other != cert]
    check_chain(cert, extra)
    builder = pkcs7.PKCS7SignatureBuilder().set_data(bytes(data)).add_signer(cert, key, hashes.SHA256())
    # add_certificate must come last: in cryptography 50, set_data and add_signer drop certificates added before.
    for other in extra:
        builder = builder.add_certificate(other)
    options = [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]
    try:
        return builder.sign(serialization.Encoding.DER, options)
    except (TypeError, ValueError) as exc:
        raise KeyFileError(f"cannot sign with this key and certificate: {exc}") from exc


def verify_detached(
    data: bytes,
    signature_der: bytes,
    trust_roots: list[x509.Certificate | bytes],
    *,
    moment: datetime | None = None,
) -> SignatureInfo:
    """Check that ``signature_der`` is a valid detached CMS signature over ``data`` by a signer under ``trust_roots``.

    The checks, in order: the bytes are one CMS SignedData without encapsulated content and with exactly one
    signer; the signer's certificate is in the signature; the signature over the signed attributes verifies with
    that certificate's key; the messageDigest attribute equals the hash of ``data`` (checked after the signature, so
    that "the content has changed" is only said once the attributes are known to be authentic); the certificate
    leads, through the certificates in the signature, to one of ``trust_roots`` (a self-signed seal certificate
    can be its own trust root); every certificate on that path is valid at ``moment``.

    Args:
        trust_roots: the pinned certificates, as ``cryptography`` objects or DER/PEM bytes.
        moment: when the certificates must have been valid (timezone-aware). Defaults to the signingTime attribute
            if present, else now. signingTime is the signer's claim: pass the RFC 3161 genTime when there is one.

    Raises:
        SignatureInvalidError: a check failed; the message says which.
        KeyFileError: ``trust_roots`` is empty or holds something that is not a certificate.
    """
    roots = _trust_roots(trust_roots)
    moment = _aware(moment) if moment is not None else None
    try:
        return _verify(bytes(data), bytes(signature_der), roots, moment)
    except _MALFORMED as exc:  # asn1crypto parses lazily: a malformed part shows up wherever it is first read
        raise SignatureInvalidError(
            "not a CMS signature: the bytes are not a well-formed DER-encoded CMS SignedData"
        ) from exc


def _verify(data: bytes, signature_der: bytes, roots: list[x509.Certificate], moment: datetime | None) -> SignatureInfo:
    signed_data = _signed_data(signature_der)
    signer_info = _single_signer(signed_data)
    embedded = _embedded_certificates(signed_data)
    signer_cert = x509.load_der_x509_certificate(_find_signer(signer_info, embedded).dump())
    digest_name = _digest_name(signer_info)
    attributes = _signed_attributes(signer_info)
    _check_signature(signer_info, signer_cert, digest_name)
    _check_message_digest(attributes, data, digest_name)
    signing_time = _signing_time(attributes)
    pool = [x509.load_der_x509_certificate(cert.dump()) for cert in embedded]
    path = _trust_path(signer_cert, pool, roots)
    _check_validity(path, moment or signing_time or datetime.now(UTC))
    _check_signer_usage(signer_cert)
    return SignatureInfo(
        signer_subject=signer_cert.subject.rfc4514_string(),
        signer_sha256=signer_cert.fingerprint(hashes.SHA256()).hex(),
        signing_time=signing_time,
        digest_algorithm=digest_name,
        trust_root_subject=path[-1].subject.rfc4514_string(),
    )


# --- structure ---------------------------------------------------------------------------------------------------


def _trust_roots(trust_roots: list[x509.Certificate | bytes]) -> list[x509.Certificate]:
    roots: list[x509.Certificate] = []
    for root in trust_roots:
        if isinstance(root, x509.Certificate):
            roots.append(root)
            continue
        try:
            if b"-----BEGIN" in root:
                roots.extend(x509.load_pem_x509_certificates(root))
            else:
                roots.append(x509.load_der_x509_certificate(root))
        except (ValueError, TypeError) as exc:
            raise KeyFileError("a trust root is not an X.509 certificate (expected DER or PEM)") from exc
    if not roots:
        raise KeyFileError("no trust root given: a signature can only be verified against a pinned certificate")
    return roots


def _signed_data(signature_der: bytes) -> cms.SignedData:
    """The SignedData in ``signature_der``, which must be detached (no content inside) and over id-data."""
    if signature_der.lstrip()[:10] == b"-----BEGIN":
        raise SignatureInvalidError(
            "the signature is PEM, not DER: convert it with openssl cms -cmsout -inform PEM -outform DER"
        )
    info = cms.ContentInfo.load(signature_der, strict=True)
    content_type = info["content_type"].native
    if content_type != "signed_data":
        raise SignatureInvalidError(f"not a CMS signature: the content is {content_type}, not SignedData")
    signed_data = info["content"]
    encap = signed_data["encap_content_info"]
    if encap["content_type"].native != "data":
        raise SignatureInvalidError(f"the signature covers {encap['content_type'].native} content, not plain data")
    if encap["content"].native is not None:
        raise SignatureInvalidError("the signature carries its content inside it: a seal must be detached")
    return signed_data


def _single_signer(signed_data: cms.SignedData) -> cms.SignerInfo:
    signer_infos = signed_data["signer_infos"]
    if len(signer_infos) != 1:
        raise SignatureInvalidError(f"the signature has {len(signer_infos)} signers: a seal has exactly one")
    return signer_infos[0]


def _embedded_certificates(signed_data: cms.SignedData) -> list[Any]:
    """The X.509 certificates in the signature (as asn1crypto objects); attribute certificates are skipped."""
    certificates = signed_data["certificates"]
    if isinstance(certificates, core.Void):
        return []
    return [choice.chosen for choice in certificates if choice.name == "certificate"]


def _find_signer(signer_info: cms.SignerInfo, embedded: list[Any]) -> Any:
    sid = signer_info["sid"]
    for cert in embedded:
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if cert.issuer == wanted["issuer"] and cert.serial_number == wanted["serial_number"].native:
                return cert
        elif sid.name == "subject_key_identifier" and cert.key_identifier == sid.chosen.native:
            return cert
    raise SignatureInvalidError(
        "the signer's certificate is not in the signature (sign with the certificate embedded: no -nocerts)"
    )


def _digest_name(signer_info: cms.SignerInfo) -> str:
    name = signer_info["digest_algorithm"]["algorithm"].native
    if name not in _HASHES:
        raise SignatureInvalidError(
            f"the signature uses the digest {name}: only SHA-256, SHA-384, SHA-512 are accepted"
        )
    return name


def _signed_attributes(signer_info: cms.SignerInfo) -> dict[str, list[Any]]:
    """The signed attributes by name, each with its values; content-type must be ``data``."""
    signed_attrs = signer_info["signed_attrs"]
    if isinstance(signed_attrs, core.Void) or len(signed_attrs) == 0:
        raise SignatureInvalidError(
            "the signature has no signed attributes (made with openssl -noattr?): a seal must sign its content digest"
        )
    attributes: dict[str, list[Any]] = {}
    for attribute in signed_attrs:
        name = attribute["type"].native
        if name in attributes:
            raise SignatureInvalidError(f"the signed attribute {name} appears twice")
        attributes[name] = list(attribute["values"])
    content_type = _single_value(attributes, "content_type")
    if content_type is None or content_type.native != "data":
        raise SignatureInvalidError("the signed content-type attribute is missing or is not id-data")
    return attributes


def _single_value(attributes: dict[str, list[Any]], name: str) -> Any | None:
    values = attributes.get(name)
    if values is None:
        return None
    if len(values) != 1:
        raise SignatureInvalidError(f"the signed attribute {name} has {len(values)} values instead of one")
    return values[0]


def _signing_time(attributes: dict[str, list[Any]]) -> datetime | None:
    value = _single_value(attributes, "signing_time")
    return None if value is None else _aware(value.native)


# --- cryptographic checks ----------------------------------------------------------------------------------------


def _check_signature(signer_info: cms.SignerInfo, cert: x509.Certificate, digest_name: str) -> None:
    """Verify the signature over the DER of the signed attributes (re-tagged as a SET, RFC 5652 §5.4)."""
    # untag() turns the [0] IMPLICIT field back into a universal SET OF; dump() keeps the bytes as received.
    signed_bytes = signer_info["signed_attrs"].untag().dump()
    signature = signer_info["signature"].native
    algorithm = signer_info["signature_algorithm"]
    try:
        kind = algorithm.signature_algo
    except ValueError as exc:
        raise SignatureInvalidError(f"unsupported signature algorithm {algorithm['algorithm'].dotted}") from exc
    _check_hash_consistent(algorithm, digest_name)
    public_key = cert.public_key()
    hash_algorithm = _HASHES[digest_name]()
    try:
        if kind == "ecdsa" and isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, signed_bytes, ec.ECDSA(hash_algorithm))
        elif kind == "rsassa_pkcs1v15" and isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, signed_bytes, padding.PKCS1v15(), hash_algorithm)
        elif kind == "rsassa_pss" and isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, signed_bytes, _pss_padding(algorithm), hash_algorithm)
        else:
            raise SignatureInvalidError(
                f"the signature algorithm ({kind}) does not fit the signer's key ({type(public_key).__name__}) "
                "or is not supported"
            )
    except InvalidSignature as exc:
        raise SignatureInvalidError(
            "the signature value does not verify with the signer's certificate: the signature or its signed "
            "attributes have been altered, or it was not made with that certificate's key"
        ) from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise SignatureInvalidError(f"the signature cannot be checked: {exc}") from exc


def _check_hash_consistent(algorithm: Any, digest_name: str) -> None:
    """A signature algorithm that names its own hash (ecdsa-with-SHA256, sha256WithRSA, PSS) must name ours."""
    try:
        named = algorithm.hash_algo
    except ValueError:  # rsaEncryption, id-ecPublicKey: the digest algorithm applies
        return
    if named != digest_name:
        raise SignatureInvalidError(f"the signature algorithm uses {named} but the digest algorithm is {digest_name}")


def _pss_padding(algorithm: Any) -> padding.PSS:
    params = algorithm["parameters"]
    mgf = params["mask_gen_algorithm"]
    mgf_hash = mgf["parameters"]["algorithm"].native
    if mgf["algorithm"].native != "mgf1" or mgf_hash not in _HASHES:
        raise SignatureInvalidError("the RSA-PSS parameters are not supported (MGF1 with SHA-2 expected)")
    return padding.PSS(mgf=padding.MGF1(_HASHES[mgf_hash]()), salt_length=params["salt_length"].native)


def _check_message_digest(attributes: dict[str, list[Any]], data: bytes, digest_name: str) -> None:
    value = _single_value(attributes, "message_digest")
    if value is None:
        raise SignatureInvalidError("the signature has no messageDigest attribute: it does not cover any content")
    digest = hashes.Hash(_HASHES[digest_name]())
    digest.update(bytes(data))
    if value.native != digest.finalize():
        raise SignatureInvalidError(
            f"the signed content has changed: its {digest_name.upper()} differs from the digest in the signature"
        )


# --- certificate path --------------------------------------------------------------------------------------------


def _trust_path(
    signer: x509.Certificate, pool: list[x509.Certificate], roots: list[x509.Certificate]
) -> list[x509.Certificate]:
    """The certificates from ``signer`` up to a trust root (inclusive), each issued by the next.

    A certificate *is* a trust root when its subject and public key equal a root's: the pinned name and key, which
    is what RFC 5280 calls a trust anchor. Roots are tried as issuers before the certificates in the signature.
    """
    path = [signer]
    reasons: list[str] = []
    while len(path) <= _MAX_DEPTH:
        current = path[-1]
        pinned = next((root for root in roots if _same_name_and_key(current, root)), None)
        if pinned is not None:
            path[-1] = pinned  # validity and usage are judged on the pinned copy, never on one the signature brings
            return path
        issuer = None
        for candidate in [*roots, *pool]:
            if candidate.subject != current.issuer or any(_same_name_and_key(candidate, seen) for seen in path):
                continue
            problem = why_not_issued_by(current, candidate)
            if problem is None:
                issuer = candidate
                break
            reasons.append(f"{current.subject.rfc4514_string()!r}: {problem}")
        if issuer is None:
            break
        path.append(issuer)
    detail = f" ({'; '.join(reasons)})" if reasons else ""
    raise SignatureInvalidError(
        f"{_NOT_OURS}: {signer.subject.rfc4514_string()!r} (SHA-256 {signer.fingerprint(hashes.SHA256()).hex()}) "
        f"does not lead to a trusted root{detail}"
    )


def _same_name_and_key(one: x509.Certificate, other: x509.Certificate) -> bool:
    return one.subject == other.subject and one.public_key() == other.public_key()


def _check_validity(path: list[x509.Certificate], when: datetime) -> None:
    for cert in path:
        if not cert.not_valid_before_utc <= when <= cert.not_valid_after_utc:
            raise SignatureInvalidError(
                f"the certificate {cert.subject.rfc4514_string()!r} was not valid at {when.isoformat()}: it is valid "
                f"from {cert.not_valid_before_utc.isoformat()} to {cert.not_valid_after_utc.isoformat()}"
            )


def _check_signer_usage(cert: x509.Certificate) -> None:
    """The signer's keyUsage, if present, must allow signing; its EKU is not checked (like ``-purpose any``)."""
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    except ValueError as exc:
        raise SignatureInvalidError("the signer's certificate has a malformed keyUsage extension") from exc
    if not (usage.digital_signature or usage.content_commitment):
        raise SignatureInvalidError(
            f"the certificate {cert.subject.rfc4514_string()!r} may not sign (keyUsage lacks digitalSignature and "
            "nonRepudiation)"
        )


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("the moment must be a timezone-aware datetime")
    return moment.astimezone(UTC)
