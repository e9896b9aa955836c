"""TLS: certificates are verified by default, and plain http:// is only for loopback."""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
from pathlib import Path

import pytest

from tests.helpers import run_cli

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI not installed (.ci/run installs it)")


@pytest.fixture
def self_signed_server(tmp_path: Path):
    """An HTTPS server on loopback with a self-signed certificate no CA vouches for."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"object": "list", "data": [], "has_more": false}')

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}/v1", cert, hits
    server.shutdown()


def test_an_unverifiable_certificate_stops_the_load_in_one_line(self_signed_server, db):
    url, _, hits = self_signed_server
    result = run_cli("load", "--db", str(db), "--base-url", url, "--thread-id", "thread_a", "--progress", "none",
                     env={"OPENAI_API_KEY": "sk-test"})
    assert result.code == 2
    assert "TLS certificate verification failed" in result.err and len(result.err.strip().splitlines()) == 1
    assert hits == []  # no request got through


def test_a_trusted_certificate_is_accepted(self_signed_server, db):
    url, cert, hits = self_signed_server
    result = run_cli("load", "--db", str(db), "--base-url", url, "--thread-id", "thread_a", "--progress", "none",
                     env={"OPENAI_API_KEY": "sk-test", "SSL_CERT_FILE": str(cert)})
    assert result.code == 0, result.err
    assert hits and hits[0].startswith("/v1/threads/thread_a")
