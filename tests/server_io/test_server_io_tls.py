"""The reference server over TLS: a throwaway CA (``ServerTLS.self_signed``), ``serve --tls-*``."""

from __future__ import annotations

import http.client
import json
import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.server import run_in_thread
from adapters.sync import connect
from adapters.tls import ServerTLS
from customer_protocol import Config, ConnectionLostError

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> ServerTLS:
    return ServerTLS.self_signed(tmp_path_factory.mktemp("tls"))


def test_self_signed_files(tls: ServerTLS) -> None:
    assert tls.ca_path is not None and tls.ca_path.read_bytes().startswith(b"-----BEGIN")
    assert b"PRIVATE KEY" in tls.key_path.read_bytes()
    assert tls.key_path.stat().st_mode & 0o077 == 0
    assert ServerTLS.from_files(tls.cert_path, tls.key_path).ca_path is None
    with pytest.raises(ValueError, match="cannot load"):
        ServerTLS.from_files(tls.cert_path, tls.cert_path)


def test_clients_trusting_the_ca_connect_over_wss_and_https(tls: ServerTLS) -> None:
    with run_in_thread(tls=tls, config=None) as server:
        assert server.url.startswith("wss://127.0.0.1:") and server.ca_path == tls.ca_path
        assert server.http_url.startswith("https://")
        customer_id, token = server.create_customer()
        with connect(
            license_id=1, token=token, url=server.url, ssl_context=tls.client_context()
        ) as client:
            assert client.state == "connected" and client.customer_id == customer_id
        port = int(server.http_url.rsplit(":", 1)[1])
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=tls.client_context())
        conn.request(
            "POST",
            "/customer/v0.3/action/update_customer?license_id=1",
            body=b'{"customer": {"name": "Ann"}}',
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        response = conn.getresponse()
        assert response.status == 200, response.read()
        assert "payload" in json.loads(response.read())
        conn.close()


def test_a_client_without_the_ca_is_refused(tls: ServerTLS) -> None:
    with run_in_thread(tls=tls) as server:
        _, token = server.create_customer()
        config = Config(backoff_base=0.05, backoff_cap=0.1, connect_timeout=2)
        client = connect(license_id=1, token=token, url=server.url, config=config, open_timeout=1)
        with pytest.raises(ConnectionLostError), client:
            pass  # pragma: no cover - entering must fail
        port = int(server.http_url.rsplit(":", 1)[1])
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ssl.create_default_context())
        with pytest.raises(ssl.SSLCertVerificationError):
            conn.request("GET", "/")
        conn.close()


_MAIN = "import sys; from adapters.cli import main; sys.exit(main())"


def _serve(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.Popen(
        [sys.executable, "-c", _MAIN, "serve", "--port", "0", "--no-agent", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.communicate(timeout=10)  # also closes the pipes


def _banner(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("Ctrl-C"):
            break
    return "".join(lines)


def test_serve_self_signed_prints_the_ca_and_removes_it(tmp_path: Path) -> None:
    process = _serve("--tls-self-signed")
    try:
        banner = _banner(process)
    finally:
        _stop(process)
    assert "on https://127.0.0.1:" in banner and "wss://127.0.0.1:" in banner
    ca = Path(banner.split("CA file: ", 1)[1].split()[0])
    assert ca.name == "ca.pem" and not ca.exists()  # the temporary folder is gone
    kept = tmp_path / "tls"
    process = _serve("--tls-self-signed", str(kept))
    try:
        assert f"CA file: {kept / 'ca.pem'}" in _banner(process)
    finally:
        _stop(process)
    assert (kept / "ca.pem").exists() and (kept / "cert.pem").exists()
    process = _serve("--tls-cert", str(kept / "cert.pem"), "--tls-key", str(kept / "key.pem"))
    try:
        banner = _banner(process)
        assert "TLS           on; CA file: (a public or your own CA)" in banner
    finally:
        _stop(process)


@pytest.mark.parametrize(
    "args",
    [
        ["--tls-cert", "c.pem"],
        ["--tls-key", "k.pem"],
        ["--tls-self-signed", "--tls-cert", "c.pem", "--tls-key", "k.pem"],
        ["--tls-cert", "/nonexistent/c.pem", "--tls-key", "/nonexistent/k.pem"],
    ],
)
def test_serve_tls_option_errors(args: list[str]) -> None:
    process = _serve(*args)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2 and "customer-protocol serve:" in err
