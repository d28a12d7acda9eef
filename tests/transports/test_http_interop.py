"""transports.http on loopback: our client against http.server, our server against http.client.

Sockets and threads live in this test file only; the transports never see them.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import urllib.request
from collections.abc import Iterator
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from customer_protocol.errors import AuthenticationError, RequestFailedError
from transports.accounts import (
    CustomerCode,
    CustomerToken,
    build_customer_code_request,
    build_customer_token_request,
    decode_customer_code_response,
    decode_customer_token_response,
    parse_customer_code_request,
    parse_customer_token_request,
)
from transports.http import (
    ConnectionEnded,
    HTTPClientConnection,
    HTTPClientEvent,
    HTTPRequest,
    HTTPRequestError,
    HTTPServerConnection,
    IncompleteResponse,
    RequestReceived,
    RequestRejected,
    ResponseReceived,
    ResponseTooLarge,
    UpgradeRequested,
)
from transports.multipart import FilePart, build_send_file_body
from transports.webapi import (
    Endpoint,
    build_send_file_request,
    build_web_api_request,
    decode_web_api_response,
    endpoint_of,
    parse_web_api_request,
    web_api_success,
)

pytestmark = pytest.mark.timeout(20)

TIMEOUT = 5.0
TOKEN = "interop-token-0042"


# -- our client against http.server --------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _json(self, status: int, obj: object, *, chunked: bool = False) -> None:
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(body), 7):
                piece = body[i : i + 7]
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path == "/cut":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b'{"payload":')
            self.close_connection = True
            return
        if url.path == "/huge":
            self._json(200, {"payload": {"x": "a" * 5000}})
            return
        if url.path == "/customer/":
            form = parse_qs(body.decode())
            if self.headers["Authorization"] != f"Bearer {TOKEN}":
                self._json(401, {"error": "invalid_client", "error_description": "bad app token"})
                return
            self._json(
                200,
                {"code": "c0de", "customer_id": "cu1", "customer_key": "k3y", "state": ""}
                | {"echo": form["client_id"][0]},
            )
            return
        if url.path == "/customer/token":
            form = parse_qs(body.decode())
            assert form["grant_type"] == ["authorization_code"] and form["code"] == ["c0de"]
            self._json(200, {"access_token": "acc355", "expires_in": 3600, "token_type": "Bearer"})
            return
        action = url.path.rsplit("/", 1)[-1]
        if self.headers["Authorization"] != f"Bearer {TOKEN}":
            self._json(401, {"error": {"type": "authentication", "message": "Invalid token"}})
            return
        if action == "send_file":
            message = BytesParser(policy=HTTP).parsebytes(
                f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode() + body
            )
            parts = {
                p.get_param("name", header="content-disposition"): p for p in message.iter_parts()
            }
            data = parts["payload.file"].get_payload(decode=True)
            payload = {
                "url": f"https://cdn/{parts['payload.file'].get_filename()}",
                "size": len(data),
                "chat_id": parts["payload.chat_id"].get_payload(),
            }
            self._json(200, {"payload": payload})
            return
        if action == "close_thread":
            self._json(422, {"error": {"type": "validation", "message": "no chat", "data": 1}})
            return
        payload = json.loads(body)
        self._json(
            200,
            {"payload": {"action": action, "license": query["license_id"], "got": payload}},
            chunked=action == "update_customer",
        )


@pytest.fixture
def http_server() -> Iterator[tuple[str, int]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield "127.0.0.1", server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(TIMEOUT)


class Driver:
    """A minimal blocking driver for HTTPClientConnection (what an adapter does)."""

    def __init__(self, address: tuple[str, int], **limits: int) -> None:
        self.sock = socket.create_connection(address, timeout=TIMEOUT)
        self.conn = HTTPClientConnection(**limits)

    def flush(self) -> None:
        self.sock.sendall(self.conn.data_to_send())

    def wait(self) -> HTTPClientEvent:
        while True:
            for event in self.conn.events():
                return event
            self.conn.receive_data(self.sock.recv(65536))

    def request(self, request: HTTPRequest) -> HTTPClientEvent:
        self.conn.send_request(request)
        self.flush()
        return self.wait()

    def close(self) -> None:
        self.sock.close()


def test_client_against_http_server_keep_alive(http_server: tuple[str, int]) -> None:
    host = f"{http_server[0]}:{http_server[1]}"
    driver = Driver(http_server)
    try:
        for action in ("start_chat", "send_event", "update_customer", "send_sneak_peek"):
            event = driver.request(
                build_web_api_request(
                    host=host,
                    access_token=TOKEN,
                    license_id=77,
                    action=action,
                    payload={"chat_id": "C1", "n": [1, 2]},
                )
            )
            assert isinstance(event, ResponseReceived)
            assert decode_web_api_response(event) == {
                "action": action,
                "license": ["77"],
                "got": {"chat_id": "C1", "n": [1, 2]},
            }
            assert driver.conn.can_send_request  # the same socket carries the next request
        event = driver.request(
            build_web_api_request(
                host=host, access_token=TOKEN, license_id=77, action="close_thread", payload={}
            )
        )
        assert isinstance(event, ResponseReceived)
        with pytest.raises(RequestFailedError) as info:
            decode_web_api_response(event)
        assert (info.value.type, info.value.message, info.value.data) == (
            "validation",
            "no chat",
            1,
        )
        event = driver.request(
            build_web_api_request(
                host=host, access_token="wrong", license_id=77, action="start_chat", payload={}
            )
        )
        assert isinstance(event, ResponseReceived)
        with pytest.raises(AuthenticationError):
            decode_web_api_response(event)
    finally:
        driver.close()


def test_client_send_file_against_http_server(http_server: tuple[str, int]) -> None:
    data = bytes(range(256)) * 1000
    body = build_send_file_body(
        chat_id="C9",
        file=FilePart(filename="photo.jpg", content_type="image/jpeg", data=data),
        boundary="interop-boundary-1",
        chunk_size=16384,
    )
    driver = Driver(http_server)
    try:
        driver.conn.start_request(
            build_send_file_request(host="127.0.0.1", access_token=TOKEN, license_id=1, body=body)
        )
        driver.flush()
        progress = []
        for chunk in body:
            driver.conn.send_body(chunk)
            driver.flush()
            progress.append(body.bytes_sent)
        driver.conn.end_request()
        driver.flush()
        assert progress[-1] == body.bytes_total and len(progress) == -(-body.bytes_total // 16384)
        event = driver.wait()
        assert isinstance(event, ResponseReceived)
        assert decode_web_api_response(event) == {
            "url": "https://cdn/photo.jpg",
            "size": len(data),
            "chat_id": "C9",
        }
    finally:
        driver.close()


def test_client_accounts_flow_against_http_server(http_server: tuple[str, int]) -> None:
    driver = Driver(http_server)
    try:
        event = driver.request(
            build_customer_code_request(
                host="127.0.0.1", app_access_token=TOKEN, client_id="cid", redirect_uri="r"
            )
        )
        assert isinstance(event, ResponseReceived)
        code = decode_customer_code_response(event)
        assert code == CustomerCode(code="c0de", customer_id="cu1", customer_key="k3y")
        event = driver.request(
            build_customer_token_request(
                host="127.0.0.1",
                code=code.code,
                client_id="cid",
                client_secret="s",
                redirect_uri="r",
            )
        )
        assert isinstance(event, ResponseReceived)
        assert decode_customer_token_response(event) == CustomerToken(
            access_token="acc355", expires_in=3600
        )
        event = driver.request(
            build_customer_code_request(
                host="127.0.0.1", app_access_token="bad", client_id="cid", redirect_uri="r"
            )
        )
        assert isinstance(event, ResponseReceived)
        with pytest.raises(AuthenticationError, match="bad app token"):
            decode_customer_code_response(event)
    finally:
        driver.close()


def plain(path: str) -> HTTPRequest:
    return HTTPRequest(
        method="POST", target=path, headers=(("Host", "h"), ("Content-Length", "0")), body=b""
    )


def test_client_server_closing_mid_response(http_server: tuple[str, int]) -> None:
    driver = Driver(http_server)
    try:
        event = driver.request(plain("/cut"))
        assert event == ConnectionEnded(
            error=IncompleteResponse("the server closed the connection mid-response")
        )
    finally:
        driver.close()


def test_client_oversized_response(http_server: tuple[str, int]) -> None:
    driver = Driver(http_server, max_response_size=1000)
    try:
        event = driver.request(plain("/huge"))
        assert isinstance(event, ConnectionEnded)
        assert isinstance(event.error, ResponseTooLarge)
    finally:
        driver.close()


# -- our server against http.client / urllib -----------------------------------------------------


def answer(conn: HTTPServerConnection, request: RequestReceived) -> None:
    """A tiny application: the reference server's routing, minus the chat logic."""
    try:
        endpoint = endpoint_of(request.path)
        if endpoint is Endpoint.CUSTOMER_CODE:
            step1 = parse_customer_code_request(request)
            code = CustomerCode(code="c", customer_id="cu", customer_key="k", state=step1.client_id)
            conn.send_json(200, code.to_json())
        elif endpoint is Endpoint.CUSTOMER_TOKEN:
            parse_customer_token_request(request)
            conn.send_json(200, CustomerToken(access_token="t", expires_in=60).to_json())
        else:
            call = parse_web_api_request(request)
            result: dict[str, Any] = {"action": call.action, "payload": call.payload}
            if call.file is not None:
                result["size"] = call.file.size
                result["filename"] = call.file.filename
            conn.send_json(200, web_api_success(result))
    except HTTPRequestError as error:
        conn.send_error(error)


def serve_connection(sock: socket.socket, log: list[object], **limits: int) -> None:
    conn = HTTPServerConnection(**limits)
    sock.settimeout(TIMEOUT)
    with sock:
        while True:
            data = sock.recv(65536)
            conn.receive_data(data)
            pending = list(conn.events())
            while pending:
                event = pending.pop(0)
                log.append(event)
                if isinstance(event, RequestReceived):
                    answer(conn, event)
                    pending += list(conn.events())
                elif isinstance(event, UpgradeRequested):
                    return
            sock.sendall(conn.data_to_send())
            if conn.must_close:
                # Lingering close: stop writing, drain what the client still sends, then close,
                # so that unread input does not turn into a reset that eats our answer.
                sock.shutdown(socket.SHUT_WR)
                while sock.recv(65536):
                    pass
                return
            if not data:
                return


@pytest.fixture
def our_server() -> Iterator[tuple[int, list[object]]]:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    log: list[object] = []
    stop = threading.Event()

    def accept_loop() -> None:
        threads = []
        while not stop.is_set():
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            thread = threading.Thread(
                target=serve_connection,
                args=(sock, log),
                kwargs={"max_body_size": 4096, "max_upload_size": 200_000},
            )
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join(TIMEOUT)

    acceptor = threading.Thread(target=accept_loop)
    acceptor.start()
    try:
        yield listener.getsockname()[1], log
    finally:
        stop.set()
        acceptor.join(TIMEOUT)
        listener.close()


def test_server_against_http_client_keep_alive(our_server: tuple[int, list[object]]) -> None:
    port, log = our_server
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        for i in range(3):
            client.request(
                "POST",
                "/customer/v0.3/action/send_event?license_id=3",
                body=json.dumps({"chat_id": "C", "i": i}),
                headers=headers,
            )
            response = client.getresponse()
            assert response.status == 200 and response.reason == "OK"
            assert json.loads(response.read()) == {
                "payload": {"action": "send_event", "payload": {"chat_id": "C", "i": i}}
            }
        body = b"".join(
            build_send_file_body(
                chat_id="C", file=FilePart(filename="f.txt", data=b"x" * 50_000), boundary="bb"
            )
        )
        client.request(
            "POST",
            "/customer/v0.3/action/send_file?license_id=3",
            body=body,
            headers={
                "Authorization": f"Bearer {TOKEN}",
                "Content-Type": "multipart/form-data; boundary=bb",
            },
        )
        response = client.getresponse()
        assert json.loads(response.read())["payload"]["size"] == 50_000
        # A chunked request body (http.client streams an iterable with chunked encoding).
        client.request(
            "POST",
            "/customer/v0.3/action/close_thread?license_id=3",
            body=iter([b'{"chat_id"', b':"C"}']),
            headers=headers,
            encode_chunked=True,
        )
        response = client.getresponse()
        assert json.loads(response.read())["payload"]["payload"] == {"chat_id": "C"}
        client.request("POST", "/customer/v0.3/action/close_thread", body=b"{}", headers=headers)
        response = client.getresponse()
        assert response.status == 400
        assert (
            json.loads(response.read())["error"]["message"] == "missing license_id query parameter"
        )
        client.request("GET", "/customer/v0.3/action/close_thread?license_id=3", headers=headers)
        response = client.getresponse()
        assert (response.status, response.getheader("Allow")) == (405, "POST")
        response.read()
        client.request("POST", "/nowhere", body=b"{}", headers=headers)
        response = client.getresponse()
        assert response.status == 404
        response.read()
        client.request(
            "POST", "/customer/v0.3/action/close_thread?license_id=3", body=b"{x", headers=headers
        )
        response = client.getresponse()
        assert response.status == 400 and b"not valid JSON" in response.read()
    finally:
        client.close()
    assert sum(isinstance(e, RequestReceived) for e in log) == 9  # all on one connection


def test_server_413_against_http_client(our_server: tuple[int, list[object]]) -> None:
    port, log = our_server
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        client.request(
            "POST",
            "/customer/v0.3/action/send_event?license_id=3",
            body=b"{" + b" " * 5000 + b"}",
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        response = client.getresponse()
        assert response.status == 413
        assert response.getheader("Connection") == "close"
        assert json.loads(response.read())["error"]["type"] == "validation"
    finally:
        client.close()
    assert [e.status_code for e in log if isinstance(e, RequestRejected)] == [413]


def test_server_against_urllib_accounts(our_server: tuple[int, list[object]]) -> None:
    port, _ = our_server
    base = f"http://127.0.0.1:{port}"
    step1 = urllib.request.Request(
        f"{base}/customer/",
        data=b"client_id=app&response_type=code&redirect_uri=r",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    with urllib.request.urlopen(step1, timeout=TIMEOUT) as response:
        assert json.loads(response.read())["state"] == "app"
    step2 = urllib.request.Request(
        f"{base}/customer/token",
        data=b"grant_type=authorization_code&code=c&client_id=app&client_secret=s&redirect_uri=r",
    )
    with urllib.request.urlopen(step2, timeout=TIMEOUT) as response:
        assert json.loads(response.read()) == {
            "access_token": "t",
            "expires_in": 60,
            "token_type": "Bearer",
        }
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(
            urllib.request.Request(f"{base}/customer/", data=b"client_id=app"), timeout=TIMEOUT
        )
    assert info.value.code == 401
    info.value.close()


def test_server_hands_a_websocket_upgrade_over(our_server: tuple[int, list[object]]) -> None:
    port, log = our_server
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(
            b"GET /customer/v0.3/rtm/ws?license_id=1 HTTP/1.1\r\nHost: h\r\n"
            b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        assert sock.recv(1) == b""  # this test's driver just closes after the hand-over
    upgrades = [e for e in log if isinstance(e, UpgradeRequested)]
    assert len(upgrades) == 1 and upgrades[0].path == "/customer/v0.3/rtm/ws"
