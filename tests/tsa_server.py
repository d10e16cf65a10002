"""A TSA that is not our code: a throw-away openssl root CA and TSA certificate, `openssl ts -reply`, and loopback
HTTP servers to put in front of it. Shared by the signing and the archive tests.

The CA and the TSA certificate are made with the openssl CLI exactly as in the research notes (sealing.md §1.3).
Servers bind 127.0.0.1 on a free port and are shut down by their fixture (or when their ``with`` block ends).

A test module uses the fixtures ``pki`` and ``openssl_server`` by importing their definitions (named ``*_fixture``
so that a test's ``pki`` argument does not shadow an imported name)::

    from tests.tsa_server import openssl_server_fixture, pki_fixture  # noqa: F401  (pytest fixtures)
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

__all__ = [
    "OPENSSL",
    "TSA_CNF",
    "Answer",
    "Pki",
    "closed_port_url",
    "openssl",
    "openssl_answer",
    "openssl_server_fixture",
    "pki_fixture",
    "serve",
]

OPENSSL = shutil.which("openssl")

# sealing.md §1.3, with dir pointing at the fixture's folder.
TSA_CNF = """\
[ tsa_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
dir = {dir}
serial = $dir/tsaserial
crypto_device = builtin
signer_cert = $dir/tsa.crt
certs = $dir/ca.crt
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def openssl(*args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run the openssl CLI (text output, 30 s at most)."""
    if OPENSSL is None:
        pytest.skip("needs the openssl CLI")
    return subprocess.run([OPENSSL, *args], cwd=cwd, capture_output=True, text=True, check=check, timeout=30)


@dataclass
class Pki:
    dir: Path
    cnf: Path
    ca_pem: bytes
    ca_cert: x509.Certificate
    ca_key: ec.EllipticCurvePrivateKey
    tsa_pem: bytes
    lock: threading.Lock

    @property
    def ca_file(self) -> Path:
        """The root CA certificate (PEM): what `tsa_trust` and `openssl ts -verify -CAfile` are given."""
        return self.dir / "ca.crt"

    def reply(self, query: bytes) -> bytes:
        """`openssl ts -reply`: the openssl TSA's answer to a DER query."""
        with self.lock, tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "q.tsq").write_bytes(query)
            openssl("ts", "-reply", "-config", str(self.cnf), "-queryfile", f"{tmp}/q.tsq", "-out", f"{tmp}/r.tsr")
            return (Path(tmp) / "r.tsr").read_bytes()


@pytest.fixture(scope="session", name="pki")
def pki_fixture(tmp_path_factory) -> Pki:
    """Throw-away root CA + TSA certificate (critical sole EKU timeStamping), made with the openssl CLI."""
    d = tmp_path_factory.mktemp("openssl-tsa")
    cnf = d / "tsa.cnf"
    cnf.write_text(TSA_CNF.format(dir=d), encoding="utf-8")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
            "-out", "ca.crt", "-days", "3650", "-subj", "/CN=Test Root CA/O=Throwaway Test", cwd=d)
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "tsa.key",
            "-out", "tsa.csr", "-subj", "/CN=Test TSA/O=Throwaway Test", cwd=d)
    openssl("x509", "-req", "-in", "tsa.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out",
            "tsa.crt", "-days", "825", "-extfile", "tsa.cnf", "-extensions", "tsa_ext", cwd=d)
    (d / "tsaserial").write_text("01\n")
    ca_pem = (d / "ca.crt").read_bytes()
    ca_key = serialization.load_pem_private_key((d / "ca.key").read_bytes(), None)
    return Pki(d, cnf, ca_pem, x509.load_pem_x509_certificate(ca_pem), ca_key, (d / "tsa.crt").read_bytes(),
               threading.Lock())


# -- loopback HTTP servers ---------------------------------------------------------------------------------------

Answer = Callable[[BaseHTTPRequestHandler, bytes], tuple[int, dict[str, str], bytes]]


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.server.requests += 1
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        status, headers, payload = self.server.answer(self, body)
        try:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:  # the client gave up (timeout tests)
            pass

    def log_message(self, *args) -> None:
        pass


@contextmanager
def serve(answer: Answer, tls: ssl.SSLContext | None = None) -> Iterator[ThreadingHTTPServer]:
    """A ThreadingHTTPServer on 127.0.0.1:<free port> answering POSTs with ``answer``; ``.url``, ``.requests``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.answer, server.requests, server.stop = answer, 0, threading.Event()
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    server.url = f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}/tsa"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def openssl_answer(pki: Pki) -> Answer:
    def answer(handler, body):
        return 200, {"Content-Type": "application/timestamp-reply"}, pki.reply(body)

    return answer


@pytest.fixture(name="openssl_server")
def openssl_server_fixture(pki):
    """The openssl TSA over HTTP on loopback: a real RFC 3161 exchange with a TSA that is not our code."""
    with serve(openssl_answer(pki)) as server:
        yield server


def closed_port_url() -> str:
    """An http URL on loopback where nothing listens (connection refused): a TSA that cannot be reached."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/tsa"
