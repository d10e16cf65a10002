"""signing.timestamp against real parts: an openssl TSA behind a loopback HTTP server, our LocalTSA, openssl ts -verify.

No mocks. The session fixture makes a throw-away root CA and TSA certificate with the openssl CLI exactly as in
the research notes (sealing.md §1.3); HTTP servers bind 127.0.0.1 on a free port and are shut down by their fixture.
Both live in tests/tsa_server.py, shared with the archive's sealing tests.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import ipaddress
import socket
import ssl
import time
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from signing.errors import KeyFileError, TimestampError, TSAUnavailableError
from signing.timestamp import (
    LOCAL_TSA_POLICY,
    QTST_STATEMENT_OID,
    HttpTSA,
    LocalTSA,
    TimestampRequest,
    build_request,
    check_response,
    check_token_over,
)
from tests.tsa_server import (
    OPENSSL,
    openssl_answer,
    openssl_server_fixture,  # noqa: F401  (a pytest fixture: openssl_server)
    pki_fixture,  # noqa: F401  (a pytest fixture: pki)
    serve,
)
from tests.tsa_server import openssl as _openssl

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="needs the openssl CLI")


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME,
                                                                                         "Throwaway Test")])


def make_cert(
    issuer_key,
    issuer: x509.Certificate | None,
    cn: str,
    *,
    key=None,
    ekus=(ExtendedKeyUsageOID.TIME_STAMPING,),
    eku_critical: bool = True,
    ca: bool = False,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    san: x509.SubjectAlternativeName | None = None,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A certificate made with `cryptography` (self-signed when ``issuer`` is None)."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(issuer.subject if issuer else _name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
    else:
        builder = builder.add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
        )
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(ekus)), critical=eku_critical)
    if san is not None:
        builder = builder.add_extension(san, critical=False)
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key()), critical=False
        )
    return key, builder.sign(issuer_key if issuer else key, hashes.SHA256())


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="session")
def local_tsa_identity(pki):
    """A proper local TSA certificate (critical sole EKU timeStamping) issued by the openssl root CA."""
    return make_cert(pki.ca_key, pki.ca_cert, "Sigillo Local TSA")


@pytest.fixture
def local_tsa(local_tsa_identity) -> LocalTSA:
    key, cert = local_tsa_identity
    return LocalTSA(key, cert)


def digest_of(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


# -- requests ----------------------------------------------------------------------------------------------------


def test_build_request_fields_and_openssl_reads_it(tmp_path):
    digest = digest_of(b"checkpoint")
    req = build_request(digest, policy="1.3.6.1.4.1.99999.1.1")
    parsed = tsp.TimeStampReq.load(req.der).native
    assert parsed["version"] == "v1" and parsed["cert_req"] is True
    assert parsed["message_imprint"] == {"hash_algorithm": {"algorithm": "sha256", "parameters": None},
                                         "hashed_message": digest}
    assert parsed["nonce"] == req.nonce and 0 <= req.nonce < 2**64 and parsed["req_policy"] == req.policy
    assert build_request(digest).nonce != build_request(digest).nonce
    assert tsp.TimeStampReq.load(build_request(digest, nonce=7, cert_req=False).der).native["cert_req"] is False
    (tmp_path / "req.tsq").write_bytes(req.der)
    text = _openssl("ts", "-query", "-in", str(tmp_path / "req.tsq"), "-text").stdout
    assert "Hash Algorithm: sha256" in text and "Certificate required: yes" in text
    req512 = build_request(hashlib.sha512(b"x").digest(), hash_name="sha512")
    assert req512.hash_name == "sha512"
    with pytest.raises(ValueError, match="not supported"):
        build_request(hashlib.sha1(b"x").digest(), hash_name="sha1")
    with pytest.raises(ValueError, match="32 bytes, got 31"):
        build_request(digest[:31])


# -- a real RFC 3161 exchange over HTTP with openssl as the TSA -------------------------------------------------


def test_openssl_tsa_over_http_passes_every_check(pki, openssl_server):
    req = build_request(digest_of(b"batch checkpoint"))
    started = datetime.now(UTC).replace(microsecond=0)
    response = HttpTSA(openssl_server.url).stamp(req)
    info = check_response(response, req, [pki.ca_pem])
    assert started - timedelta(seconds=1) <= info.gen_time <= datetime.now(UTC) + timedelta(seconds=1)
    assert info.gen_time.tzinfo is not None and info.gen_time.utcoffset() == timedelta(0)
    assert info.policy == "1.3.6.1.4.1.99999.1.1"
    assert info.accuracy == "1 s"
    assert "Test TSA" in info.tsa_name and "Test TSA" in info.signer_subject
    tsa_der = x509.load_pem_x509_certificate(pki.tsa_pem).public_bytes(serialization.Encoding.DER)
    assert info.signer_sha256 == hashlib.sha256(tsa_der).hexdigest()
    assert info.qualified is False
    assert (info.hash_name, info.digest, info.nonce) == ("sha256", req.digest, req.nonce)
    assert info.response_der == response
    assert cms.ContentInfo.load(info.token_der)["content_type"].native == "signed_data"
    assert openssl_server.requests == 1


def test_a_stored_response_is_rechecked_without_the_request(pki):
    digest = digest_of(b"stored checkpoint")
    response = pki.reply(build_request(digest).der)
    assert check_token_over(digest, response, [pki.ca_pem]).digest == digest
    with pytest.raises(TimestampError, match="messageImprint"):
        check_token_over(digest_of(b"other checkpoint"), response, [pki.ca_pem])


def test_a_response_to_another_digest_fails_the_imprint_check(pki):
    response = pki.reply(build_request(digest_of(b"A")).der)
    with pytest.raises(TimestampError, match=r"messageImprint .* does not match"):
        check_response(response, build_request(digest_of(b"B")), [pki.ca_pem])


def test_a_response_to_another_request_fails_the_nonce_check(pki):
    digest = digest_of(b"same data")
    response = pki.reply(build_request(digest, nonce=1111).der)
    with pytest.raises(TimestampError, match="Nonce mismatch: the request sent 2222, the token carries 1111"):
        check_response(response, build_request(digest, nonce=2222), [pki.ca_pem])


def test_a_wrong_trust_root_fails_the_path_check(pki):
    _, other_root = make_cert(ec.generate_private_key(ec.SECP256R1()), None, "Other Root", ca=True)
    req = build_request(digest_of(b"data"))
    with pytest.raises(TimestampError, match="certificate path does not validate to a trust root at genTime"):
        check_response(pki.reply(req.der), req, [pem(other_root)])
    with pytest.raises(TimestampError, match="No trust roots"):
        check_response(pki.reply(req.der), req, [])
    with pytest.raises(TimestampError, match="trust root number 1 is not a DER or PEM"):
        check_response(pki.reply(req.der), req, [b"not a certificate"])


def test_a_rejection_status_is_reported_with_failure_info(pki, tmp_path):
    """openssl refuses SHA-1 (digests = sha256, sha384, sha512 in tsa.cnf): status rejection, badAlg."""
    digest = hashlib.sha1(b"data").digest()
    _openssl("ts", "-query", "-digest", digest.hex(), "-sha1", "-cert", "-out", str(tmp_path / "q.tsq"))
    der = (tmp_path / "q.tsq").read_bytes()
    response = pki.reply(der)
    with pytest.raises(TimestampError, match="did not grant the time-stamp: status rejection, failure info bad_alg"):
        check_response(response, TimestampRequest(der, digest, "sha1", None), [pki.ca_pem])


def test_garbage_is_not_a_response(pki):
    req = build_request(digest_of(b"data"))
    for garbage in (b"", b"garbage", b"\x30\x03\x02\x01\x00", pki.reply(req.der) + b"\x00"):
        with pytest.raises(TimestampError, match="not a well-formed DER TimeStampResp"):
            check_response(garbage, req, [pki.ca_pem])


# -- our LocalTSA -----------------------------------------------------------------------------------------------


def test_local_tsa_tokens_pass_our_checker(pki, local_tsa_identity):
    key, cert = local_tsa_identity
    fixed = datetime(2026, 11, 23, 10, 30, 15, 987654, tzinfo=UTC)
    tsa = LocalTSA(key, cert, clock=lambda: fixed)
    req = build_request(digest_of(b"checkpoint"))
    info = check_response(tsa.stamp(req), req, [pki.ca_pem])
    assert info.gen_time == fixed.replace(microsecond=0)
    assert info.policy == LOCAL_TSA_POLICY and info.accuracy == "1 s" and info.nonce == req.nonce
    assert info.tsa_name == info.signer_subject and "Sigillo Local TSA" in info.tsa_name
    assert info.qualified is False
    assert 0 < info.serial_number < 2**128
    other = check_response(tsa.stamp(req), req, [pki.ca_pem])
    assert other.serial_number != info.serial_number


def test_local_tsa_tokens_pass_openssl_ts_verify(pki, local_tsa, tmp_path):
    data = tmp_path / "checkpoint.txt"
    data.write_bytes(b"archive.example.org/evidence-log/v1\n12\nq83vEjRWeJA=\n")
    req = build_request(digest_of(data.read_bytes()))
    response = local_tsa.respond(req.der)
    info = check_response(response, req, [pki.ca_pem])
    (tmp_path / "req.tsq").write_bytes(req.der)
    (tmp_path / "resp.tsr").write_bytes(response)
    (tmp_path / "token.tst").write_bytes(info.token_der)
    ca = str(pki.dir / "ca.crt")
    for args in (
        ["-queryfile", "req.tsq", "-in", "resp.tsr"],
        ["-data", "checkpoint.txt", "-in", "resp.tsr"],
        ["-data", "checkpoint.txt", "-in", "token.tst", "-token_in"],
    ):
        done = _openssl("ts", "-verify", *args, "-CAfile", ca, cwd=tmp_path, check=False)
        assert done.returncode == 0 and "Verification: OK" in done.stdout, done.stdout + done.stderr
    text = _openssl("ts", "-reply", "-in", "resp.tsr", "-text", cwd=tmp_path).stdout
    assert "Status: Granted." in text and LOCAL_TSA_POLICY in text and "Accuracy: 0x01 seconds" in text
    data.write_bytes(data.read_bytes().replace(b"12", b"13"))
    done = _openssl("ts", "-verify", "-data", "checkpoint.txt", "-in", "resp.tsr", "-CAfile", ca, cwd=tmp_path,
                    check=False)
    assert done.returncode != 0 and "message imprint mismatch" in done.stderr


def test_local_tsa_rejects_bad_requests_with_a_rejection_status(pki, local_tsa, tmp_path):
    sha1 = hashlib.sha1(b"x").digest()
    sha1_req = tsp.TimeStampReq({"version": "v1", "message_imprint": {"hash_algorithm": {"algorithm": "sha1"},
                                                                      "hashed_message": sha1}}).dump()
    short_req = tsp.TimeStampReq({"version": "v1", "message_imprint": {"hash_algorithm": {"algorithm": "sha256"},
                                                                       "hashed_message": sha1}}).dump()
    cases = [
        (b"", "bad_data_format"),
        (b"\x00garbage", "bad_data_format"),
        (build_request(digest_of(b"x")).der + b"trailing", "bad_data_format"),
        (sha1_req, "bad_alg"),
        (short_req, "bad_data_format"),
        (build_request(digest_of(b"x"), policy="1.2.3.4").der, "unaccepted_policy"),
    ]
    for request_der, fail_info in cases:
        response = local_tsa.respond(request_der)
        with pytest.raises(TimestampError, match=f"status rejection, failure info {fail_info}, text '"):
            check_token_over(digest_of(b"x"), response, [pki.ca_pem])
    (tmp_path / "rej.tsr").write_bytes(local_tsa.respond(sha1_req))
    text = _openssl("ts", "-reply", "-in", "rej.tsr", "-text", cwd=tmp_path).stdout
    assert "Status: Rejected" in text and "unrecognized or unsupported algorithm identifier" in text


def test_local_tsa_refuses_a_broken_clock(pki, local_tsa_identity):
    key, cert = local_tsa_identity
    for clock in (lambda: datetime(2026, 1, 1), lambda: 1 / 0):  # a naive datetime, and a clock that raises
        response = LocalTSA(key, cert, clock=clock).respond(build_request(digest_of(b"x")).der)
        with pytest.raises(TimestampError, match="failure info time_not_available"):
            check_token_over(digest_of(b"x"), response, [pki.ca_pem])


def test_local_tsa_needs_a_matching_ec_key(local_tsa_identity):
    key, cert = local_tsa_identity
    with pytest.raises(KeyFileError, match="does not belong"):
        LocalTSA(ec.generate_private_key(ec.SECP256R1()), cert)
    with pytest.raises(KeyFileError, match="EC private key"):
        LocalTSA(rsa.generate_private_key(65537, 2048), cert)
    with pytest.raises(KeyFileError, match=r"not a readable X\.509"):
        LocalTSA(key, b"junk")


def test_without_cert_req_the_signer_comes_from_extra_certs(pki, local_tsa, local_tsa_identity):
    req = build_request(digest_of(b"x"), cert_req=False)
    response = local_tsa.stamp(req)
    assert not cms.ContentInfo.load(token_of(response))["content"]["certificates"].native
    with pytest.raises(TimestampError, match="signer certificate named by the SignerInfo is neither"):
        check_response(response, req, [pki.ca_pem])
    info = check_response(response, req, [pki.ca_pem], extra_certs=[pem(local_tsa_identity[1])])
    assert "Sigillo Local TSA" in info.signer_subject


def token_of(response: bytes) -> bytes:
    """The TimeStampToken (second element) of a granted response."""
    return core.Sequence.load(response)[1].dump()


@pytest.mark.parametrize(
    ("ekus", "critical", "found"),
    [
        ((ExtendedKeyUsageOID.TIME_STAMPING,), False, "non-critical time_stamping"),
        ((ExtendedKeyUsageOID.TIME_STAMPING, ExtendedKeyUsageOID.CODE_SIGNING), True, "critical code_signing, time"),
        ((ExtendedKeyUsageOID.CODE_SIGNING,), True, "critical code_signing"),
    ],
)
def test_a_tsa_certificate_without_the_critical_sole_eku_is_refused(pki, ekus, critical, found):
    """LocalTSA signs with whatever it is given; the checker is what refuses the certificate."""
    key, cert = make_cert(pki.ca_key, pki.ca_cert, "Sloppy TSA", ekus=ekus, eku_critical=critical)
    req = build_request(digest_of(b"x"))
    with pytest.raises(TimestampError, match=f"must be critical and only id-kp-timeStamping .*; it is {found}"):
        check_response(LocalTSA(key, cert).stamp(req), req, [pki.ca_pem])


def _signature_offset(response: bytes) -> int:
    signature = cms.ContentInfo.load(token_of(response))["content"]["signer_infos"][0]["signature"]
    return response.index(signature.native)


def test_a_flipped_byte_in_the_signature_or_the_content_is_caught(pki, local_tsa):
    req = build_request(digest_of(b"x"))
    response = bytearray(local_tsa.stamp(req))
    at = _signature_offset(bytes(response)) + 40  # inside s of the ECDSA (r, s)
    flipped = bytes(response[:at]) + bytes([response[at] ^ 0x01]) + bytes(response[at + 1 :])
    with pytest.raises(TimestampError, match="CMS signature does not verify"):
        check_response(flipped, req, [pki.ca_pem])
    tst = cms.ContentInfo.load(token_of(bytes(response)))["content"]["encap_content_info"]["content"]
    serial = tsp.TSTInfo.load(bytes(tst))["serial_number"].contents
    at = bytes(response).index(serial) + len(serial) - 1
    response[at] ^= 0x01
    with pytest.raises(TimestampError, match="messageDigest signed attribute does not match"):
        check_response(bytes(response), req, [pki.ca_pem])


def _resign(response: bytes, key, replace: dict[str, list | None]) -> bytes:
    """The response with signed attributes replaced, added or (value None) removed, and the SignerInfo signed
    again with ``key``: a token that is validly signed but says something else."""
    resp = tsp.TimeStampResp.load(response)
    signer_info = resp["time_stamp_token"]["content"]["signer_infos"][0]
    kept = [a for a in signer_info["signed_attrs"] if a["type"].native not in replace]
    attrs = cms.CMSAttributes([*kept, *({"type": t, "values": v} for t, v in replace.items() if v is not None)])
    signer_info["signed_attrs"] = attrs
    signer_info["signature"] = key.sign(attrs.dump(), ec.ECDSA(hashes.SHA256()))
    return resp.dump()


def test_the_ess_signing_certificate_must_name_the_signer(pki, local_tsa, local_tsa_identity):
    key, cert = local_tsa_identity
    tsa_der = cert.public_bytes(serialization.Encoding.DER)
    req = build_request(digest_of(b"x"))
    response = local_tsa.stamp(req)

    def check(replace):
        return check_response(_resign(response, key, replace), req, [pki.ca_pem])

    assert check({}).nonce == req.nonce  # re-signing alone changes nothing
    assert check({"signing_certificate_v2": None}).nonce == req.nonce  # the attribute is checked only if present
    v1_id = {"certs": [{"cert_hash": hashlib.sha1(tsa_der).digest()}]}
    v1 = {"signing_certificate_v2": None, "signing_certificate": [v1_id]}
    assert check(v1).nonce == req.nonce  # RFC 2634 ESSCertID (SHA-1) is understood too

    other_cert = {"certs": [{"cert_hash": hashlib.sha256(pki.tsa_pem).digest()}]}
    with pytest.raises(TimestampError, match="ESS signing_certificate_v2 attribute names another certificate"):
        check({"signing_certificate_v2": [other_cert]})
    issuer = [asn1_x509.GeneralName(name="directory_name", value=asn1_x509.Certificate.load(tsa_der).issuer)]
    wrong_serial = {"certs": [{"cert_hash": hashlib.sha256(tsa_der).digest(),
                               "issuer_serial": {"issuer": issuer, "serial_number": cert.serial_number + 1}}]}
    with pytest.raises(TimestampError, match="ESS signing_certificate_v2 attribute names another certificate"):
        check({"signing_certificate_v2": [wrong_serial]})
    wrong_v1 = {"signing_certificate_v2": None, "signing_certificate": [{"certs": [{"cert_hash": b"\0" * 20}]}]}
    with pytest.raises(TimestampError, match="ESS signing_certificate attribute names another certificate"):
        check(wrong_v1)
    with pytest.raises(TimestampError, match="contentType signed attribute does not match"):
        check({"content_type": ["data"]})
    with pytest.raises(TimestampError, match="exactly one message_digest value"):
        check({"message_digest": None})


def test_rsa_tsas_pkcs1v15_from_openssl_and_pss(pki, tmp_path):
    """RSA signers: openssl signs with PKCS#1 v1.5; the same token re-signed with RSASSA-PSS also passes."""
    rsa_key = rsa.generate_private_key(65537, 2048)
    _, cert = make_cert(pki.ca_key, pki.ca_cert, "RSA TSA", key=rsa_key)
    (tmp_path / "rsa.crt").write_bytes(pem(cert))
    (tmp_path / "rsa.key").write_bytes(rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    req = build_request(digest_of(b"x"))
    (tmp_path / "q.tsq").write_bytes(req.der)
    with pki.lock:
        _openssl("ts", "-reply", "-config", str(pki.cnf), "-queryfile", "q.tsq", "-signer", "rsa.crt",
                 "-inkey", "rsa.key", "-out", "r.tsr", cwd=tmp_path)
    response = (tmp_path / "r.tsr").read_bytes()
    assert "RSA TSA" in check_response(response, req, [pki.ca_pem]).signer_subject

    def pss(salt: int, signing_salt: int) -> bytes:
        resp = tsp.TimeStampResp.load(response)
        signer_info = resp["time_stamp_token"]["content"]["signer_infos"][0]
        to_sign = b"\x31" + signer_info["signed_attrs"].dump()[1:]
        signer_info["signature_algorithm"] = {"algorithm": "rsassa_pss", "parameters": {
            "hash_algorithm": {"algorithm": "sha256"},
            "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": "sha256"}},
            "salt_length": salt,
        }}
        signer_info["signature"] = rsa_key.sign(
            to_sign, padding.PSS(padding.MGF1(hashes.SHA256()), signing_salt), hashes.SHA256())
        return resp.dump()

    assert check_response(pss(32, 32), req, [pki.ca_pem]).nonce == req.nonce
    with pytest.raises(TimestampError, match="CMS signature does not verify"):
        check_response(pss(32, 20), req, [pki.ca_pem])


def test_the_path_is_validated_at_gen_time_not_now():
    """A TSA certificate that expired long ago still validates a token made while it was valid, and not one made
    after it expired."""
    root_key, root = make_cert(ec.generate_private_key(ec.SECP256R1()), None, "Old Root", ca=True,
                               not_before=datetime(2019, 1, 1, tzinfo=UTC), not_after=datetime(2040, 1, 1, tzinfo=UTC))
    key, cert = make_cert(root_key, root, "Old TSA", not_before=datetime(2020, 1, 1, tzinfo=UTC),
                          not_after=datetime(2021, 1, 1, tzinfo=UTC))
    req = build_request(digest_of(b"x"))
    then = LocalTSA(key, cert, clock=lambda: datetime(2020, 6, 1, 12, tzinfo=UTC)).stamp(req)
    assert check_response(then, req, [pem(root)]).gen_time == datetime(2020, 6, 1, 12, tzinfo=UTC)
    later = LocalTSA(key, cert, clock=lambda: datetime(2021, 6, 1, tzinfo=UTC)).stamp(req)
    with pytest.raises(TimestampError, match=r"at genTime 2021-06-01 00:00:00Z: .*expired"):
        check_response(later, req, [pem(root)])


# QCStatements ::= SEQUENCE OF QCStatement, here one: SEQUENCE { statementId 0.4.0.19422.1.1 } (ETSI EN 319 422).
QTST_QC_STATEMENTS = bytes.fromhex("300b3009") + core.ObjectIdentifier(QTST_STATEMENT_OID).dump()


class _ClaimsQualified(LocalTSA):
    """A TSA that puts the ETSI qcStatement esi4-qtstStatement-1 in its TSTInfo, as a QTSP's tokens carry."""

    def _build_tst_info(self, req, gen_time):
        tst = super()._build_tst_info(req, gen_time)
        tst["extensions"] = [{"extn_id": "1.3.6.1.5.5.7.1.3", "extn_value": QTST_QC_STATEMENTS}]
        return tst


def test_the_qualified_claim_is_read_from_the_tstinfo(pki, local_tsa_identity, tmp_path):
    req = build_request(digest_of(b"x"))
    response = _ClaimsQualified(*local_tsa_identity).stamp(req)
    assert check_response(response, req, [pki.ca_pem]).qualified is True
    assert response.hex().count("0607040081975e0101") == 1  # the byte-level check verify.sh documents


def test_the_checker_works_inside_a_running_event_loop(pki, local_tsa):
    req = build_request(digest_of(b"x"))
    response = local_tsa.stamp(req)

    async def main():
        return check_response(response, req, [pki.ca_pem])

    assert asyncio.run(main()).nonce == req.nonce


# -- HttpTSA failure modes ---------------------------------------------------------------------------------------


def test_http_500_is_retried_then_reported_unavailable():
    with serve(lambda handler, body: (500, {}, b"oops")) as server:
        tsa = HttpTSA(server.url, retries=2, backoff=0.01)
        with pytest.raises(TSAUnavailableError, match=rf"{server.url} could not be reached \(3 attempts\): HTTP 500"):
            tsa.stamp(build_request(digest_of(b"x")))
        assert server.requests == 3


def test_connection_refused_is_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/tsa"
    with pytest.raises(TSAUnavailableError, match=rf"{url} could not be reached \(2 attempts\): connection refused"):
        HttpTSA(url, retries=1, backoff=0.01).stamp(build_request(digest_of(b"x")))


def test_a_tsa_slower_than_the_timeout_is_unavailable():
    def slow(handler, body):
        handler.server.stop.wait(5)
        return 200, {}, b""

    with serve(slow) as server:
        started = time.monotonic()
        with pytest.raises(TSAUnavailableError, match=r"could not be reached .*: timed out"):
            HttpTSA(server.url, timeout=0.3, retries=1, backoff=0.01).stamp(build_request(digest_of(b"x")))
        assert time.monotonic() - started < 2
        assert server.requests == 2


def test_basic_auth(pki):
    expected = "Basic " + base64.b64encode(b"archive:s3cret").decode()

    def guarded(handler, body):
        if handler.headers.get("Authorization") != expected:
            return 401, {"WWW-Authenticate": 'Basic realm="tsa"'}, b"login"
        return 200, {"Content-Type": "application/timestamp-reply"}, pki.reply(body)

    req = build_request(digest_of(b"x"))
    with serve(guarded) as server:
        with pytest.raises(TimestampError, match=f"{server.url} answered HTTP 401"):
            HttpTSA(server.url).stamp(req)
        with pytest.raises(TimestampError, match="HTTP 401"):
            HttpTSA(server.url, username="archive", password="wrong").stamp(req)
        response = HttpTSA(server.url, username="archive", password="s3cret").stamp(req)
        assert check_response(response, req, [pki.ca_pem]).nonce == req.nonce
        assert server.requests == 3  # 4xx is not retried


def test_content_type_is_tolerated_only_when_the_body_parses(pki):
    req = build_request(digest_of(b"x"))
    bodies = {"/good": pki.reply(req.der), "/bad": b"<html>hello</html>"}
    with serve(lambda handler, body: (200, {"Content-Type": "text/html"}, bodies[handler.path])) as server:
        base = server.url.removesuffix("/tsa")
        response = HttpTSA(base + "/good").stamp(req)
        assert check_response(response, req, [pki.ca_pem]).digest == req.digest
        with pytest.raises(TimestampError, match="content type 'text/html' and a body that is not a TimeStampResp"):
            HttpTSA(base + "/bad").stamp(req)


def test_redirects_are_not_followed(openssl_server):
    redirect = serve(lambda handler, body: (307, {"Location": openssl_server.url}, b""))
    with redirect as server, pytest.raises(TimestampError, match=r"answered HTTP 307 .*redirects are not followed"):
        HttpTSA(server.url).stamp(build_request(digest_of(b"x")))
    assert openssl_server.requests == 0


def test_https_with_a_private_ca_bundle(pki, tmp_path):
    tls_key, tls_root = make_cert(ec.generate_private_key(ec.SECP256R1()), None, "TLS Root", ca=True)
    key, cert = make_cert(tls_key, tls_root, "127.0.0.1", ekus=(ExtendedKeyUsageOID.SERVER_AUTH,), eku_critical=False,
                          san=x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]))
    (tmp_path / "server.pem").write_bytes(pem(cert) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (tmp_path / "tls-root.pem").write_bytes(pem(tls_root))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.pem")
    req = build_request(digest_of(b"x"))
    with serve(openssl_answer(pki), tls=context) as server:
        response = HttpTSA(server.url, ca_bundle=str(tmp_path / "tls-root.pem")).stamp(req)
        assert check_response(response, req, [pki.ca_pem]).nonce == req.nonce
        with pytest.raises(TSAUnavailableError, match="its TLS certificate is not trusted"):
            HttpTSA(server.url).stamp(req)  # the system CAs do not know the test root
        assert server.requests == 1
    with pytest.raises(ValueError, match=r"CA bundle .* cannot be read"):
        HttpTSA("https://tsa.example", ca_bundle=str(tmp_path / "missing.pem"))


def test_an_unresolvable_host_is_unavailable():
    """.invalid never resolves (RFC 6761)."""
    with pytest.raises(TSAUnavailableError, match=r"tsa\.invalid.*: the host name could not be resolved"):
        HttpTSA("http://tsa.invalid/", retries=0).stamp(build_request(digest_of(b"x")))


def test_http_tsa_rejects_bad_configuration():
    for url in ("ftp://tsa.example", "tsa.example/path", "http://:80/", "http://tsa.example:99999/"):
        with pytest.raises(ValueError, match="TSA URL"):
            HttpTSA(url)
    with pytest.raises(ValueError, match="not inside the URL"):
        HttpTSA("https://user:pw@tsa.example/")
    with pytest.raises(ValueError, match="password needs a username"):
        HttpTSA("https://tsa.example", password="x")
