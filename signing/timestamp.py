"""RFC 3161 time-stamping: requests, a strict check of every response, a built-in local TSA and an HTTP client.

The archive's trusted time is the ``genTime`` of an RFC 3161 token over a batch checkpoint. A token is only
stored after ``check_response`` has passed; a stored response can be checked again later, without the request,
with ``check_token_over``. The checks, in order, each failing with a ``TimestampError`` that names it:

1. the response is a DER TimeStampResp whose status is granted or grantedWithMods (otherwise the status, the
   TSA's failure info and its text are reported), and it carries a token;
2. the token is a CMS SignedData whose eContentType is id-ct-TSTInfo, with exactly one SignerInfo;
3. the TSTInfo's messageImprint is the request's (algorithm and digest), and the nonce (and policy, if one was
   requested) match;
4. the signer certificate is found by the SignerInfo's sid, among the token's certificates and ``extra_certs``;
5. that certificate has the critical, sole extended key usage id-kp-timeStamping (RFC 3161 §2.3);
6. the CMS signature is valid: the contentType and messageDigest signed attributes match the encapsulated
   TSTInfo, and the signature over the signed attributes (DER, as a SET) verifies: ECDSA, RSA PKCS#1 v1.5 or
   RSA-PSS, with SHA-224/256/384/512;
7. the ESS signingCertificate(V2) attribute, if present, names that certificate;
8. the certificate path validates to one of the caller's trust roots *at genTime* (pyhanko-certvalidator), so
   a token stays checkable after the TSA certificate expires. Revocation is not checked here (nothing is
   fetched): capturing CRL/OCSP data at stamping time is the archive's job.

Building and parsing use asn1crypto, signatures use ``cryptography``; pyhanko-certvalidator is imported only
when a path is validated, to keep CLI start-up fast.

``LocalTSA`` is the archive's built-in, *not qualified* TSA: its time is the host clock, so its tokens prove
only "this machine said so" and carry no eIDAS presumption; reports must say so. Its tokens pass
``openssl ts -verify``. ``HttpTSA`` talks to an external (ideally qualified) TSA over HTTP(S), standard library
only. Both implement ``TSAClient``: ``stamp(request) -> DER TimeStampResp``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import http.client
import secrets
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from asn1crypto import cms, core, pem, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from .errors import KeyFileError, TimestampError, TSAUnavailableError

__all__ = [
    "LOCAL_TSA_POLICY",
    "QTST_STATEMENT_OID",
    "HttpTSA",
    "LocalTSA",
    "TSAClient",
    "TimestampRequest",
    "TokenInfo",
    "build_request",
    "check_response",
    "check_token_over",
]

TST_INFO_OID = "1.2.840.113549.1.9.16.1.4"
QC_STATEMENTS_OID = "1.3.6.1.5.5.7.1.3"
QTST_STATEMENT_OID = "0.4.0.19422.1.1"  # ETSI EN 319 422 esi4-qtstStatement-1: "this is a qualified time-stamp"

# The local TSA's policy. 2.25 is the ITU-T X.667 arc of UUID-derived OIDs: anyone may mint one from a random
# UUID without registering it. This one (UUID 812e1df7-8e22-4647-ae4d-424eed1e10c6, minted for Sigillo) names
# "Sigillo built-in local TSA, not qualified, host clock, accuracy 1 s"; the trailing .1 is its version.
LOCAL_TSA_POLICY = "2.25.171709864914969703357667488784912879814.1"

# Hashes a request may use for its messageImprint, with their digest sizes.
_IMPRINT_HASHES = {"sha256": 32, "sha384": 48, "sha512": 64}
# Digests accepted for a TSA's own signature (SHA-1 and MD5 are refused).
_SIGNATURE_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
_MAX_RESPONSE = 1024 * 1024  # real responses are a few kB; anything this big is not a TimeStampResp


class _TimeStampResp(core.Sequence):
    """TimeStampResp with the token OPTIONAL as in RFC 3161 (asn1crypto 1.5 makes it mandatory, so rejection
    responses could be neither built nor parsed)."""

    _fields = [  # noqa: RUF012 (asn1crypto's class-level schema)
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


class _QcStatement(core.Sequence):
    _fields = [  # noqa: RUF012
        ("statement_id", core.ObjectIdentifier),
        ("statement_info", core.Any, {"optional": True}),
    ]


class _QcStatements(core.SequenceOf):
    _child_spec = _QcStatement


# -- results ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimestampRequest:
    """A DER TimeStampReq and what its response must match."""

    der: bytes
    digest: bytes
    hash_name: str
    nonce: int | None
    cert_req: bool = True
    policy: str | None = None


@dataclass(frozen=True)
class TokenInfo:
    """What a checked token says.

    ``qualified`` is True when the TSTInfo extensions carry the qcStatement esi4-qtstStatement-1
    (0.4.0.19422.1.1). That is only the TSA's own claim: whether the token is a *qualified* electronic time-stamp
    under eIDAS also depends on the TSA being listed as a granted QTST on the EU Trusted List at ``gen_time``.
    """

    gen_time: datetime  # aware, UTC
    serial_number: int
    policy: str  # dotted OID
    tsa_name: str | None
    accuracy: str | None  # e.g. "1 s", "0.5 s"
    signer_subject: str
    signer_sha256: str  # hex fingerprint of the TSA certificate (DER)
    qualified: bool
    hash_name: str  # the messageImprint's hash algorithm
    digest: bytes  # the messageImprint's digest
    nonce: int | None
    token_der: bytes  # the TimeStampToken (CMS ContentInfo), as ``openssl ts -verify -token_in`` reads it
    response_der: bytes  # the whole TimeStampResp, as received


class TSAClient(Protocol):
    """Anything that turns a request into a DER TimeStampResp: ``LocalTSA`` and ``HttpTSA``."""

    def stamp(self, request: TimestampRequest) -> bytes: ...


# -- requests ---------------------------------------------------------------------------------------------------


def build_request(
    digest: bytes,
    *,
    hash_name: str = "sha256",
    nonce: int | None = None,
    cert_req: bool = True,
    policy: str | None = None,
) -> TimestampRequest:
    """A TimeStampReq for ``digest`` (already hashed with ``hash_name``).

    The nonce defaults to a random 64-bit number, so a replayed old response is caught. ``cert_req`` defaults to
    True: the TSA must then embed its certificate, and verifiers need no separate copy of it. Raises ValueError
    for an unsupported hash or a digest of the wrong length (a caller bug, not a TSA problem).
    """
    size = _IMPRINT_HASHES.get(hash_name)
    if size is None:
        raise ValueError(f"hash {hash_name!r} is not supported for time-stamps (use one of {sorted(_IMPRINT_HASHES)})")
    if len(digest) != size:
        raise ValueError(f"a {hash_name} digest has {size} bytes, got {len(digest)}")
    if nonce is None:
        nonce = secrets.randbits(64)
    fields: dict[str, Any] = {
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": hash_name}, "hashed_message": digest},
        "nonce": nonce,
        "cert_req": cert_req,
    }
    if policy is not None:
        fields["req_policy"] = policy
    der = tsp.TimeStampReq(fields).dump()
    return TimestampRequest(der, digest, hash_name, nonce, cert_req, policy)


# -- checking ---------------------------------------------------------------------------------------------------


def check_response(
    response_der: bytes,
    request: TimestampRequest,
    trust_roots: Sequence[bytes],
    *,
    extra_certs: Iterable[bytes] = (),
) -> TokenInfo:
    """Check a TSA's answer to ``request`` before it is stored (all checks in the module docstring).

    ``trust_roots`` are DER or PEM certificates obtained independently of the response; ``extra_certs`` helps
    find the signer and intermediates when the token does not embed them. Raises TimestampError.
    """
    return _check(response_der, request.hash_name, request.digest, trust_roots, extra_certs, request.nonce,
                  request.policy)


def check_token_over(
    data_digest: bytes,
    response_der: bytes,
    trust_roots: Sequence[bytes],
    *,
    hash_name: str = "sha256",
    extra_certs: Iterable[bytes] = (),
) -> TokenInfo:
    """Re-check a stored response over ``data_digest`` when the request is gone: every check but the nonce."""
    return _check(response_der, hash_name, data_digest, trust_roots, extra_certs, None, None)


def _check(
    response_der: bytes,
    hash_name: str,
    digest: bytes,
    trust_roots: Sequence[bytes],
    extra_certs: Iterable[bytes],
    nonce: int | None,
    policy: str | None,
) -> TokenInfo:
    roots = _load_certs(trust_roots, "trust root")
    if not roots:
        raise TimestampError("No trust roots were given, so the TSA certificate cannot be validated.")
    extra = _load_certs(extra_certs, "extra certificate")
    resp = _parse_response(response_der)
    try:
        return _check_parsed(resp, bytes(response_der), hash_name, digest, roots, extra, nonce, policy)
    except (ValueError, TypeError, KeyError, IndexError) as exc:  # asn1crypto parses lazily: a malformed part
        raise TimestampError(f"The time-stamp token is not well-formed DER ({_short(exc)}).") from None
    except (x509.DuplicateExtension, x509.InvalidVersion, UnsupportedAlgorithm) as exc:  # a damaged certificate
        raise TimestampError(f"A certificate in the time-stamp token is damaged ({_short(exc)}).") from None


def _check_parsed(
    resp: _TimeStampResp,
    response_der: bytes,
    hash_name: str,
    digest: bytes,
    roots: list[bytes],
    extra: list[bytes],
    nonce: int | None,
    policy: str | None,
) -> TokenInfo:
    """The checks in order. Everything that is hashed or signature-checked is taken as received (``dump()`` before
    any field is read): asn1crypto re-encodes a structure once a DEFAULT field of it has been read."""
    _check_status(resp["status"])
    token = resp["time_stamp_token"]
    if isinstance(token, core.Void):
        raise TimestampError("The TSA granted the request but the response carries no time-stamp token.")
    token_der = token.dump()
    signed_data, content, tst = _open_token(token)
    embedded = [c.chosen.dump() for c in signed_data["certificates"] if c.name == "certificate"]
    signer_info = signed_data["signer_infos"][0]
    signed_attrs_der = signer_info["signed_attrs"].dump()
    _check_imprint(tst, hash_name, digest)
    _check_nonce_and_policy(tst, nonce, policy)
    cert_der = _find_signer(signer_info, [*embedded, *extra])
    cert = asn1_x509.Certificate.load(cert_der)
    _check_eku(cert)
    attrs = _check_signature(signer_info, signed_attrs_der, cert_der, content)
    _check_ess(attrs, cert, cert_der)
    gen_time = tst["gen_time"].native.astimezone(UTC)
    others = [der for der in dict.fromkeys([*embedded, *extra]) if der != cert_der]
    _validate_path(cert_der, others, roots, gen_time)
    return _token_info(tst, cert, cert_der, gen_time, token_der, response_der)


def _parse_response(response_der: bytes) -> _TimeStampResp:
    """Load a TimeStampResp and read its status (TimestampError if that much does not parse)."""
    try:
        resp = _TimeStampResp.load(bytes(response_der), strict=True)
        resp["status"].native  # noqa: B018 (parse now: asn1crypto is lazy)
        if not isinstance(resp["time_stamp_token"], core.Void):
            resp["time_stamp_token"]["content_type"].native  # noqa: B018
    except Exception as exc:  # asn1crypto raises ValueError, TypeError, KeyError... on hostile input
        raise TimestampError(f"The response is not a well-formed DER TimeStampResp ({_short(exc)}).") from None
    return resp


def _check_status(status: tsp.PKIStatusInfo) -> None:
    code = status["status"].native
    if code in ("granted", "granted_with_mods"):
        return
    detail = [f"status {code}"]
    if status["fail_info"].native:
        detail.append("failure info " + ", ".join(sorted(map(str, status["fail_info"].native))))
    if status["status_string"].native:
        detail.append("text " + repr("; ".join(status["status_string"].native)))
    raise TimestampError(f"The TSA did not grant the time-stamp: {', '.join(detail)}.")


def _open_token(token: cms.ContentInfo) -> tuple[cms.SignedData, bytes, tsp.TSTInfo]:
    """The SignedData, the encapsulated TSTInfo's bytes (what messageDigest covers) and the parsed TSTInfo."""
    if token["content_type"].native != "signed_data":
        raise TimestampError(f"The time-stamp token is a CMS {token['content_type'].native}, not a SignedData.")
    signed_data = token["content"]
    encap = signed_data["encap_content_info"]
    if encap["content_type"].dotted != TST_INFO_OID:
        raise TimestampError(f"The token's eContentType is {encap['content_type'].dotted}, not id-ct-TSTInfo.")
    if isinstance(encap["content"], core.Void):
        raise TimestampError("The token's encapsulated TSTInfo is missing (detached content).")
    if len(signed_data["signer_infos"]) != 1:
        count = len(signed_data["signer_infos"])
        raise TimestampError(f"A time-stamp token must carry exactly one SignerInfo, not {count}.")
    content = bytes(encap["content"])
    try:
        tst = tsp.TSTInfo.load(content, strict=True)
        tst.native  # noqa: B018 (parse it all now: later reads cannot fail)
    except Exception as exc:
        raise TimestampError(f"The token's TSTInfo is not well-formed DER ({_short(exc)}).") from None
    if tst["version"].native != "v1":
        raise TimestampError(f"The TSTInfo version is {tst['version'].native}, not v1.")
    return signed_data, content, tst


def _check_imprint(tst: tsp.TSTInfo, hash_name: str, digest: bytes) -> None:
    imprint = tst["message_imprint"]
    got_alg, got = imprint["hash_algorithm"]["algorithm"].native, imprint["hashed_message"].native
    if got_alg != hash_name or got != digest:
        raise TimestampError(
            f"The token's messageImprint ({got_alg} {got.hex()[:16]}…) does not match the expected "
            f"{hash_name} {digest.hex()[:16]}…: the token is over other data."
        )


def _check_nonce_and_policy(tst: tsp.TSTInfo, nonce: int | None, policy: str | None) -> None:
    if nonce is not None and tst["nonce"].native != nonce:
        raise TimestampError(f"Nonce mismatch: the request sent {nonce}, the token carries {tst['nonce'].native}.")
    if policy is not None and tst["policy"].dotted != policy:
        raise TimestampError(f"The token's policy is {tst['policy'].dotted}, not the requested {policy}.")


def _find_signer(signer_info: cms.SignerInfo, candidates: list[bytes]) -> bytes:
    """The DER of the certificate the SignerInfo's sid names (issuer and serial, or subject key identifier)."""
    sid = signer_info["sid"]
    for der in candidates:
        cert = asn1_x509.Certificate.load(der)
        if sid.name == "issuer_and_serial_number":
            if cert.issuer == sid.chosen["issuer"] and cert.serial_number == sid.chosen["serial_number"].native:
                return der
        elif cert.key_identifier == sid.chosen.native:
            return der
    raise TimestampError(
        "The TSA signer certificate named by the SignerInfo is neither in the token nor among the extra "
        "certificates (request certificates with certReq, or pass the TSA certificate)."
    )


def _check_eku(cert: asn1_x509.Certificate) -> None:
    eku = cert.extended_key_usage_value
    purposes = sorted(map(str, eku.native)) if eku is not None else []
    critical = "extended_key_usage" in cert.critical_extensions
    if purposes != ["time_stamping"] or not critical:
        found = f"{'critical' if critical else 'non-critical'} {', '.join(purposes)}" if purposes else "none"
        raise TimestampError(
            "The TSA certificate's extended key usage must be critical and only id-kp-timeStamping "
            f"(RFC 3161 §2.3); it is {found}."
        )


def _check_signature(
    signer_info: cms.SignerInfo, signed_attrs_der: bytes, cert_der: bytes, content: bytes
) -> dict[str, Any]:
    """Verify the CMS signature; return the signed attributes by name (each a list of values)."""
    signed_attrs = signer_info["signed_attrs"]
    if isinstance(signed_attrs, core.Void) or not len(signed_attrs):
        raise TimestampError("The token's SignerInfo has no signed attributes, as RFC 3161 requires.")
    attrs: dict[str, Any] = {}
    for attr in signed_attrs:
        name = attr["type"].native
        if name in attrs:
            raise TimestampError(f"The signed attribute {name} appears twice.")
        attrs[name] = list(attr["values"])
    digest_name = signer_info["digest_algorithm"]["algorithm"].native
    if digest_name not in _SIGNATURE_HASHES:
        raise TimestampError(f"The token is signed with digest {digest_name}, which is not accepted.")
    for name in ("content_type", "message_digest"):
        if len(attrs.get(name, ())) != 1:
            raise TimestampError(f"The signed attributes must hold exactly one {name} value.")
    if attrs["content_type"][0].dotted != TST_INFO_OID:
        raise TimestampError("The contentType signed attribute does not match the eContentType id-ct-TSTInfo.")
    if attrs["message_digest"][0].native != hashlib.new(digest_name, content).digest():
        raise TimestampError("The messageDigest signed attribute does not match the TSTInfo: the content changed.")
    # The signature covers the DER of the attributes as a SET OF: the received bytes with the [0] tag made 0x31.
    _verify(signer_info, cert_der, b"\x31" + signed_attrs_der[1:], digest_name)
    return attrs


def _verify(signer_info: cms.SignerInfo, cert_der: bytes, data: bytes, digest_name: str) -> None:
    algorithm = signer_info["signature_algorithm"]
    kind = algorithm.signature_algo
    try:
        sig_hash = algorithm.hash_algo  # named by sha256_ecdsa, sha256_rsa, and RSASSA-PSS parameters
    except ValueError:
        sig_hash = digest_name  # plain rsaEncryption / ecPublicKey: the SignerInfo's digest
    if sig_hash != digest_name:
        raise TimestampError(f"The signature algorithm's hash {sig_hash} differs from the digest {digest_name}.")
    key = x509.load_der_x509_certificate(cert_der).public_key()
    signature = signer_info["signature"].native
    hash_alg = _SIGNATURE_HASHES[digest_name]()
    try:
        if kind == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hash_alg))
        elif kind == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hash_alg)
        elif kind == "rsassa_pss" and isinstance(key, rsa.RSAPublicKey):
            params = algorithm["parameters"]
            mgf_hash = params["mask_gen_algorithm"]["parameters"]["algorithm"].native
            if mgf_hash not in _SIGNATURE_HASHES:
                raise TimestampError(f"The RSA-PSS mask generation hash {mgf_hash} is not accepted.")
            pss = padding.PSS(padding.MGF1(_SIGNATURE_HASHES[mgf_hash]()), params["salt_length"].native)
            key.verify(signature, data, pss, hash_alg)
        else:
            raise TimestampError(f"The signature algorithm {kind} is not supported for this TSA key.")
    except InvalidSignature:
        raise TimestampError(
            "The CMS signature does not verify with the TSA certificate's key: the token was altered."
        ) from None


def _check_ess(attrs: dict[str, Any], cert: asn1_x509.Certificate, cert_der: bytes) -> None:
    """RFC 2634 / RFC 5816: the first ESSCertID(v2) must be the signer's certificate (hash, and issuer/serial)."""
    for name in ("signing_certificate_v2", "signing_certificate"):
        if name not in attrs:
            continue
        ess_id = attrs[name][0]["certs"][0]
        hash_name = ess_id["hash_algorithm"]["algorithm"].native if name == "signing_certificate_v2" else "sha1"
        try:
            expected = hashlib.new(hash_name, cert_der).digest()
        except ValueError:
            raise TimestampError(f"The ESS {name} attribute uses the unknown hash {hash_name}.") from None
        issuer_serial = ess_id["issuer_serial"]
        same_issuer = isinstance(issuer_serial, core.Void) or (
            issuer_serial["serial_number"].native == cert.serial_number
            and any(gn.name == "directory_name" and gn.chosen == cert.issuer for gn in issuer_serial["issuer"])
        )
        if ess_id["cert_hash"].native != expected or not same_issuer:
            raise TimestampError(f"The ESS {name} attribute names another certificate than the signer's.")


def _validate_path(cert_der: bytes, others: list[bytes], roots: list[bytes], moment: datetime) -> None:
    """Path to a trust root, EKU timeStamping, validity of every certificate at ``moment`` (the genTime)."""
    from pyhanko_certvalidator import CertificateValidator, ValidationContext
    from pyhanko_certvalidator.errors import PathError, ValidationError

    load = asn1_x509.Certificate.load
    intermediates = [load(der) for der in others]
    context = ValidationContext(
        trust_roots=[load(der) for der in roots], other_certs=intermediates, moment=moment, allow_fetching=False
    )
    validator = CertificateValidator(load(cert_der), intermediate_certs=intermediates, validation_context=context)
    try:
        _run(validator.async_validate_usage(set(), {"time_stamping"}))
    except (PathError, ValidationError) as exc:
        raise TimestampError(
            f"The TSA certificate path does not validate to a trust root at genTime {moment:%Y-%m-%d %H:%M:%S}Z: "
            f"{_short(exc)}"
        ) from None


def _run(coroutine: Any) -> Any:
    """Run a coroutine to completion from synchronous code, even when the caller already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


_SHORT_NAMES = {
    "common_name": "CN",
    "organization_name": "O",
    "organizational_unit_name": "OU",
    "country_name": "C",
    "locality_name": "L",
    "state_or_province_name": "ST",
    "serial_number": "serialNumber",
    "organization_identifier": "organizationIdentifier",
}


def _rfc4514(name: asn1_x509.Name) -> str:
    """A name the way RFC 4514 (and ``cryptography``) write it: ``CN=…,O=…``, last RDN first."""
    try:
        parts = []
        for rdn in reversed(list(name.chosen)):
            for attr in rdn:
                key = attr["type"].native
                label = _SHORT_NAMES.get(key, attr["type"].dotted)
                value = str(attr["value"].native)
                value = "".join("\\" + c if c in ',+"\\<>;=' else c for c in value)
                parts.append(f"{label}={value}")
        return ",".join(parts)
    except (ValueError, TypeError, KeyError, AttributeError):
        return name.human_friendly


def _token_info(
    tst: tsp.TSTInfo,
    cert: asn1_x509.Certificate,
    cert_der: bytes,
    gen_time: datetime,
    token_der: bytes,
    response_der: bytes,
) -> TokenInfo:
    tsa = tst["tsa"]
    if isinstance(tsa, core.Void):
        tsa_name = None
    elif tsa.name == "directory_name":
        tsa_name = _rfc4514(tsa.chosen)
    else:
        tsa_name = str(tsa.native)
    imprint = tst["message_imprint"]
    return TokenInfo(
        gen_time=gen_time,
        serial_number=tst["serial_number"].native,
        policy=tst["policy"].dotted,
        tsa_name=tsa_name,
        accuracy=_accuracy(tst["accuracy"]),
        signer_subject=_rfc4514(cert.subject),
        signer_sha256=hashlib.sha256(cert_der).hexdigest(),
        qualified=_claims_qualified(tst),
        hash_name=imprint["hash_algorithm"]["algorithm"].native,
        digest=imprint["hashed_message"].native,
        nonce=tst["nonce"].native,
        token_der=token_der,
        response_der=response_der,
    )


def _accuracy(accuracy: tsp.Accuracy) -> str | None:
    if isinstance(accuracy, core.Void):
        return None
    parts = accuracy.native
    seconds, millis, micros = (Decimal(parts[k] or 0) for k in ("seconds", "millis", "micros"))
    value = seconds + millis / 1000 + micros / 10**6
    return f"{value.normalize():f} s"


def _claims_qualified(tst: tsp.TSTInfo) -> bool:
    extensions = tst["extensions"]
    if isinstance(extensions, core.Void):
        return False
    for ext in extensions:
        if ext["extn_id"].dotted == QC_STATEMENTS_OID:
            try:
                statements = _QcStatements.load(ext["extn_value"].native, strict=True)
                ids = [s["statement_id"].dotted for s in statements]
            except Exception:
                raise TimestampError("The TSTInfo qcStatements extension is not well-formed.") from None
            if QTST_STATEMENT_OID in ids:
                return True
    return False


# -- certificates -----------------------------------------------------------------------------------------------


def _load_certs(values: Iterable[Any], what: str) -> list[bytes]:
    """DER certificates from DER or PEM bytes (a PEM may hold several), cryptography or asn1crypto objects."""
    ders: list[bytes] = []
    for n, value in enumerate(values, start=1):
        try:
            ders.extend(_cert_ders(value))
        except Exception:
            raise TimestampError(f"The {what} number {n} is not a DER or PEM X.509 certificate.") from None
    return ders


def _cert_ders(value: Any) -> list[bytes]:
    """The DER of each certificate in ``value``, checked to parse (on a throw-away copy)."""
    if isinstance(value, asn1_x509.Certificate):
        value = value.dump()
    elif isinstance(value, x509.Certificate):
        value = value.public_bytes(serialization.Encoding.DER)
    data = bytes(value)
    if pem.detect(data):
        ders = [der for kind, _, der in pem.unarmor(data, multiple=True) if kind == "CERTIFICATE"]
    else:
        ders = [data]
    if not ders:
        raise ValueError("no certificate")
    for der in ders:
        asn1_x509.Certificate.load(der, strict=True).native  # noqa: B018 (parse it all now)
    return ders


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__


# -- the local TSA ----------------------------------------------------------------------------------------------


class _Reject(Exception):
    """A request the local TSA refuses: the status text and the PKIFailureInfo bit name."""

    def __init__(self, text: str, fail_info: str) -> None:
        super().__init__(text)
        self.text, self.fail_info = text, fail_info


def _utc_now() -> datetime:
    return datetime.now(UTC)


class LocalTSA:
    """An in-process RFC 3161 responder: the archive's built-in TSA. NOT qualified: its time is the host clock.

    Tokens: TSTInfo v1 with ``policy`` (``LOCAL_TSA_POLICY`` by default), the request's messageImprint copied
    byte for byte, a random positive 128-bit serial number (unique with overwhelming probability and needing no
    state file; a monotonic counter would need storage this class does not own), genTime in UTC truncated to
    whole seconds with accuracy 1 s, the request's nonce, and the certificate's subject as the TSA name. The
    SignedData carries the certificate (and ``chain``) when the request sets certReq, and signs contentType,
    signingTime, messageDigest and signingCertificateV2 (ESSCertIDv2, SHA-256 of the certificate) with ECDSA
    and SHA-256.

    The certificate is used as given: one without the critical, sole EKU timeStamping still signs, so that the
    checker is what rejects it. ``respond`` never raises for a bad request; it answers with a rejection.
    """

    def __init__(
        self,
        key: ec.EllipticCurvePrivateKey,
        cert: x509.Certificate | bytes,
        chain: Sequence[x509.Certificate | bytes] = (),
        *,
        policy: str = LOCAL_TSA_POLICY,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise KeyFileError("The local TSA needs an EC private key (ECDSA P-256).")
        try:
            (self._cert_der,) = _cert_ders(cert)
            self._chain_ders = [der for value in chain for der in _cert_ders(value)]
            cert_key = x509.load_der_x509_certificate(self._cert_der).public_key()
        except Exception:
            raise KeyFileError("The local TSA certificate or its chain is not a readable X.509 certificate.") from None
        der = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        if cert_key.public_bytes(*der) != key.public_key().public_bytes(*der):
            raise KeyFileError("The local TSA certificate does not belong to its private key.")
        self._key = key
        self._cert = asn1_x509.Certificate.load(self._cert_der)  # read from; never embedded (see _grant)
        self.policy = core.ObjectIdentifier(policy).dotted
        self._clock = clock

    def stamp(self, request: TimestampRequest) -> bytes:
        """``TSAClient`` interface: the DER TimeStampResp for ``request``."""
        return self.respond(request.der)

    def respond(self, request_der: bytes) -> bytes:
        """A DER TimeStampResp: granted with a token, or a rejection naming what is wrong with the request."""
        try:
            req = self._parse_request(request_der)
            gen_time = self._now()
        except _Reject as reject:
            return _rejection(reject.text, reject.fail_info)
        return self._grant(req, self._build_tst_info(req, gen_time), gen_time)

    def _parse_request(self, request_der: bytes) -> tsp.TimeStampReq:
        try:
            req = tsp.TimeStampReq.load(bytes(request_der), strict=True)
            req.native  # noqa: B018
        except Exception:  # hostile input: asn1crypto raises several kinds of exception
            raise _Reject("The request is not a DER TimeStampReq.", "bad_data_format") from None
        if req["version"].native != "v1":
            raise _Reject("Only TimeStampReq version 1 is supported.", "bad_data_format")
        algorithm = req["message_imprint"]["hash_algorithm"]
        name = algorithm["algorithm"].native
        if name not in _IMPRINT_HASHES or not isinstance(algorithm["parameters"], core.Void | core.Null):
            raise _Reject(f"Hash algorithm {name} is not supported (sha256, sha384, sha512).", "bad_alg")
        if len(req["message_imprint"]["hashed_message"].native) != _IMPRINT_HASHES[name]:
            raise _Reject(f"The {name} digest has the wrong length.", "bad_data_format")
        if req["req_policy"].native is not None and req["req_policy"].dotted != self.policy:
            raise _Reject(f"Policy {req['req_policy'].dotted} is not supported.", "unaccepted_policy")
        if req["extensions"].native:
            raise _Reject("Request extensions are not supported.", "unaccepted_extensions")
        return req

    def _now(self) -> datetime:
        try:
            now = self._clock()
            if now.utcoffset() is None:
                raise ValueError("naive datetime")
        except Exception:
            raise _Reject("The TSA's time source is not available.", "time_not_available") from None
        return now.astimezone(UTC).replace(microsecond=0)

    def _build_tst_info(self, req: tsp.TimeStampReq, gen_time: datetime) -> tsp.TSTInfo:
        """The TSTInfo to sign (a hook: tests subclass it to add extensions)."""
        fields: dict[str, Any] = {
            "version": "v1",
            "policy": self.policy,
            "message_imprint": tsp.MessageImprint.load(req["message_imprint"].dump()),
            "serial_number": secrets.randbits(128) or 1,
            "gen_time": gen_time,
            "accuracy": {"seconds": 1},
            "tsa": asn1_x509.GeneralName(name="directory_name", value=self._cert.subject),
        }
        if req["nonce"].native is not None:
            fields["nonce"] = req["nonce"].native
        return tsp.TSTInfo(fields)

    def _grant(self, req: tsp.TimeStampReq, tst: tsp.TSTInfo, signing_time: datetime) -> bytes:
        content = tst.dump()
        cert = self._cert
        # Certificates are embedded and hashed from their DER as loaded: fresh objects, so no field read on them
        # can make asn1crypto re-encode them.
        embedded = [asn1_x509.Certificate.load(der) for der in (self._cert_der, *self._chain_ders)]
        time_choice = "utc_time" if signing_time.year < 2050 else "generalized_time"  # RFC 5652 §11.3
        ess_id = {
            "cert_hash": hashlib.sha256(self._cert_der).digest(),  # hash_algorithm left at its DEFAULT, sha256
            "issuer_serial": {
                "issuer": [asn1_x509.GeneralName(name="directory_name", value=cert.issuer)],
                "serial_number": cert.serial_number,
            },
        }
        attrs = cms.CMSAttributes([
            {"type": "content_type", "values": ["tst_info"]},
            {"type": "signing_time", "values": [cms.Time({time_choice: signing_time})]},
            {"type": "message_digest", "values": [hashlib.sha256(content).digest()]},
            {"type": "signing_certificate_v2", "values": [{"certs": [ess_id]}]},
        ])
        signer_info = {
            "version": "v1",
            "sid": {"issuer_and_serial_number": {"issuer": cert.issuer, "serial_number": cert.serial_number}},
            "digest_algorithm": {"algorithm": "sha256"},
            "signed_attrs": attrs,
            "signature_algorithm": {"algorithm": "sha256_ecdsa"},
            "signature": self._key.sign(attrs.dump(), ec.ECDSA(hashes.SHA256())),  # a SET OF here: tag 0x31
        }
        signed_data: dict[str, Any] = {
            "version": "v3",
            "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {"content_type": "tst_info", "content": cms.ParsableOctetString(content)},
            "signer_infos": [signer_info],
        }
        if req["cert_req"].native:
            signed_data["certificates"] = embedded
        token = cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(signed_data)})
        return _TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token}).dump()


def _rejection(text: str, fail_info: str) -> bytes:
    status = {"status": "rejection", "status_string": [text], "fail_info": tsp.PKIFailureInfo({fail_info})}
    return _TimeStampResp({"status": status}).dump()


# -- HTTP -------------------------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed: urllib would turn the POST into a GET and forward the Authorization header
    to wherever the redirect points."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class _Retryable(Exception):
    """A failure worth another attempt (the TSA may be back in a moment)."""


_RETRY_STATUS = {408, 429}  # timeouts and rate limits are transient, unlike other 4xx


class HttpTSA:
    """An RFC 3161 TSA over HTTP(S) (RFC 3161 §3.4), with the standard library only.

    Connection failures, DNS failures, timeouts, HTTP 5xx (and 408/429) are retried ``retries`` times with
    exponential ``backoff`` and then raise TSAUnavailableError naming the URL and the reason. Other HTTP errors,
    redirects and bodies that are not a TimeStampResp raise TimestampError. With ``username``, HTTP basic auth
    is sent with every request (use https). ``ca_bundle`` replaces the system CAs for verifying an https TSA.
    """

    def __init__(
        self,
        url: str,
        *,
        ca_bundle: str | None = None,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 0.5,
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        try:
            parts.port  # noqa: B018 (raises ValueError on a bad port)
        except ValueError:
            raise ValueError(f"the TSA URL {url!r} has an invalid port") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"the TSA URL must be http:// or https:// with a host, not {url!r}")
        if parts.username is not None or parts.password is not None:
            raise ValueError("pass TSA credentials as username and password, not inside the URL")
        if password is not None and username is None:
            raise ValueError("a TSA password needs a username")
        self.url, self.timeout, self.retries, self.backoff = url, timeout, max(0, retries), backoff
        self._auth = None
        if username is not None:
            token = base64.b64encode(f"{username}:{password or ''}".encode()).decode("ascii")
            self._auth = f"Basic {token}"
        handlers: list[Any] = [_NoRedirect]
        if parts.scheme == "https":
            try:
                context = ssl.create_default_context(cafile=ca_bundle)
            except (OSError, ssl.SSLError) as exc:
                raise ValueError(f"the CA bundle {ca_bundle!r} cannot be read: {_short(exc)}") from None
            handlers.append(urllib.request.HTTPSHandler(context=context))
        self._opener = urllib.request.build_opener(*handlers)

    def stamp(self, request: TimestampRequest) -> bytes:
        """POST the request; return the DER TimeStampResp (unchecked: pass it to ``check_response``)."""
        reason = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                content_type, body = self._post(request.der)
            except _Retryable as exc:
                reason = str(exc)
                continue
            return self._accept(content_type, body)
        tries = f"{self.retries + 1} attempt{'s' if self.retries else ''}"
        raise TSAUnavailableError(f"The TSA at {self.url} could not be reached ({tries}): {reason}.")

    def _post(self, der: bytes) -> tuple[str, bytes]:
        headers = {"Content-Type": "application/timestamp-query", "Accept": "application/timestamp-reply"}
        if self._auth:
            headers["Authorization"] = self._auth
        req = urllib.request.Request(self.url, data=der, headers=headers, method="POST")
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                body = resp.read(_MAX_RESPONSE + 1)
                content_type = resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            exc.close()
            status = f"HTTP {exc.code} {exc.reason}"
            if exc.code >= 500 or exc.code in _RETRY_STATUS:
                raise _Retryable(status) from None
            redirect = " (redirects are not followed)" if 300 <= exc.code < 400 else ""
            raise TimestampError(f"The TSA at {self.url} answered {status}{redirect}.") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, ssl.SSLCertVerificationError):
                raise TSAUnavailableError(
                    f"The TSA at {self.url} could not be reached: its TLS certificate is not trusted "
                    f"({exc.reason.verify_message})."
                ) from None
            raise _Retryable(_describe(exc.reason)) from None
        except (OSError, http.client.HTTPException) as exc:  # timeouts and resets while reading the body
            raise _Retryable(_describe(exc)) from None
        if len(body) > _MAX_RESPONSE:
            raise TimestampError(f"The TSA at {self.url} sent more than {_MAX_RESPONSE} bytes: not a TimeStampResp.")
        return content_type, body

    def _accept(self, content_type: str, body: bytes) -> bytes:
        """Check that the body is a TimeStampResp; a missing or odd content type is tolerated if it is."""
        media_type = content_type.split(";")[0].strip().lower()
        try:
            _parse_response(body)
        except TimestampError:
            raise TimestampError(
                f"The TSA at {self.url} answered with content type {media_type or 'none'!r} and a body that is "
                "not a TimeStampResp."
            ) from None
        return body


def _describe(reason: object) -> str:
    """A short reason for a network failure, without the exception class soup."""
    if isinstance(reason, TimeoutError):  # socket.timeout is TimeoutError since Python 3.10
        return "timed out"
    if isinstance(reason, socket.gaierror):
        return f"the host name could not be resolved ({reason.strerror})"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror[0].lower() + reason.strerror[1:]
    return _short(reason) if isinstance(reason, BaseException) else str(reason)
