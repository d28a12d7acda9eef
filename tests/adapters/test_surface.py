"""The method surface declared once (``adapters._surface``): types, signatures, serving.

No network here: the drivers' end-to-end behaviour is covered by the other adapter tests.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, TypeVar

import pytest
from adapters_helpers import V3_METHODS

from adapters._surface import Awaiting, Blocking, Call, Cursor, Surface, Upload, request
from adapters.asyncio import AsyncClient, AsyncHistory
from adapters.asyncio import connect as connect_async
from adapters.sync import Client, History
from adapters.sync import connect as connect_sync
from adapters.webapi import NotSupportedError, WebAPIClient
from customer_protocol import ClientProtocol, UploadFile, errors

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
DECLARED = sorted(name for name, value in vars(Surface).items() if isinstance(value, request))
SEED_REQUESTS = {
    "start_chat",
    "send_event",
    "send_message",
    "close_thread",
    "get_chats_summary",
    "get_chat_threads",
    "get_chat_threads_summary",
    "update_customer",
    "update_last_seen_timestamp",
    "update_chat_properties",
    "update_chat_thread_properties",
    "update_chat_scopes",
    "send_rating",
    "send_file",
}

V3_REQUESTS = set(V3_METHODS)
"""v3.md section 5."""

RTM_ONLY = {"update_customer_page"}
"""The declared requests the Web API client cannot serve in any dialect."""
WEB_V03 = {
    "start_chat",
    "send_event",
    "send_message",
    "close_thread",
    "update_customer",
    "update_chat_properties",
    "update_chat_thread_properties",
    "update_chat_scopes",
    "send_rating",
    "send_file",
}
"""The declared requests the Web API client serves in v0.3 (all but RTM_ONLY in v3)."""


def test_mypy_types_the_surface_per_driver() -> None:
    """``await client.start_chat()`` is a Chat, ``sync_client.start_chat()`` too (mypy)."""
    from mypy import api

    checked = ROOT / "tests" / "adapters" / "surface_types.py"
    out, err, status = api.run(
        ["--strict", "--config-file", str(ROOT / "pyproject.toml"), str(checked)]
    )
    assert status == 0, out + err


def test_every_seed_and_v3_request_is_declared_once_in_the_surface() -> None:
    assert set(DECLARED) == SEED_REQUESTS | V3_REQUESTS
    for name in DECLARED:
        for client in (AsyncClient, Client, WebAPIClient):
            defined_in = next(k for k in client.__mro__ if name in vars(k))
            assert defined_in is Surface, (client, name)


@pytest.mark.parametrize("name", DECLARED)
def test_each_driver_gets_the_declarations_name_doc_and_signature(name: str) -> None:
    declared = vars(Surface)[name]
    expected = inspect.signature(declared.func)
    for client, is_async in ((AsyncClient, True), (Client, False), (WebAPIClient, False)):
        method = getattr(client, name)
        assert method.__name__ == name
        assert inspect.iscoroutinefunction(method) is is_async
        signature = inspect.signature(method)
        assert list(signature.parameters.values()) == list(expected.parameters.values())
        assert signature.return_annotation == expected.return_annotation.removeprefix(
            "Call["
        ).removesuffix("]")
        if client is WebAPIClient and name in RTM_ONLY:
            assert method.__doc__.startswith("Not carried by the Web API")
        elif client is WebAPIClient and name not in WEB_V03:
            assert method.__doc__ == declared.func.__doc__ + (
                "\n\nOver the Web API: LiveChat v3 only."
            )
        else:
            assert method.__doc__ == declared.func.__doc__


def test_a_bound_method_has_the_public_signature() -> None:
    client = WebAPIClient(license_id=1, token="t", url="http://127.0.0.1:9")
    signature = inspect.signature(client.send_message)
    assert list(signature.parameters) == ["chat", "text", "custom_id"]
    assert getattr(client.send_message, "__self__", None) is client


@pytest.mark.parametrize("name", sorted((SEED_REQUESTS | V3_REQUESTS) - {"send_file"}))
def test_each_declaration_names_a_core_method(name: str) -> None:
    func = vars(Surface)[name].func
    arguments = {
        parameter.name: "x"
        for parameter in inspect.signature(func).parameters.values()
        if parameter.name != "self" and parameter.default is inspect.Parameter.empty
    }
    positional = [
        arguments.pop(p.name)
        for p in inspect.signature(func).parameters.values()
        if p.kind is p.POSITIONAL_OR_KEYWORD and p.name in arguments
    ]
    call = func(None, *positional, **arguments)
    assert isinstance(call, Call)
    method = getattr(ClientProtocol, call.name)
    assert callable(method)
    if not isinstance(call, Upload):  # the core takes what the declaration passes, and now
        inspect.signature(method).bind(None, *call.args, now=0.0, **call.kwargs)


def test_upload_file_is_an_upload_without_a_chat() -> None:
    probe = _BlockingProbe()
    probe.upload_file(b"abc", filename="a.bin")
    (upload,) = probe.calls
    assert isinstance(upload, Upload)
    assert (upload.name, upload.args, upload.kwargs) == ("upload_file", (), {})
    upload.read()
    core = ClientProtocol(api="3.6", organization_id="org", rng=lambda: 0.5)
    with pytest.raises(errors.NotSupportedError):  # a v0.3 core has no upload_file
        upload.issue(ClientProtocol(license_id=1, rng=lambda: 0.5), 0.0)
    assert isinstance(upload.issue(core, 0.0), int)
    assert [o.action for o in core.outputs() if isinstance(o, UploadFile)] == ["upload_file"]


class _BlockingProbe(Surface, Blocking):
    """A fake driver: ``_run`` records the call instead of issuing it."""

    def __init__(self) -> None:
        self.calls: list[Call[Any]] = []

    def _run(self, call: Call[T]) -> T:
        self.calls.append(call)
        return "done"  # type: ignore[return-value]


class _AwaitingProbe(Surface, Awaiting):
    """A fake async driver: ``_run`` records the call instead of issuing it."""

    def __init__(self) -> None:
        self.calls: list[Call[Any]] = []

    async def _run(self, call: Call[T]) -> T:
        self.calls.append(call)
        return "done"  # type: ignore[return-value]


def test_a_blocking_driver_runs_the_declared_call() -> None:
    probe = _BlockingProbe()
    result: Any = probe.send_message("CH1", "hi", custom_id="c1")
    assert result == "done"
    (call,) = probe.calls
    assert (call.name, call.args, call.kwargs) == (
        "send_message",
        ("CH1", "hi"),
        {"custom_id": "c1"},
    )
    probe.update_last_seen_timestamp("CH1", 5)
    assert probe.calls[-1].kwargs["timestamp_ms"] == 5
    assert isinstance(probe.calls[-1].kwargs["wall_ms"], int)  # v3's wall clock


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_an_awaiting_driver_awaits_the_declared_call(anyio_backend: str) -> None:
    probe = _AwaitingProbe()
    result: Any = await probe.get_chats_summary(limit=3)
    assert result == "done"
    (call,) = probe.calls
    assert (call.name, call.args, call.kwargs) == (
        "get_chats_summary",
        (),
        {"offset": 0, "limit": 3},
    )


def test_wrong_arguments_fail_before_the_driver_sees_them() -> None:
    probe = _BlockingProbe()
    with pytest.raises(TypeError):
        probe.close_thread("CH1", "extra")  # type: ignore[call-arg]
    assert probe.calls == []


def test_send_file_is_an_upload_read_by_the_driver(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"hello")
    probe = _BlockingProbe()
    probe.send_file("CH1", path, custom_id="f1")
    (upload,) = probe.calls
    assert isinstance(upload, Upload)
    upload.read()
    assert (upload.data, upload.filename, upload.content_type) == (
        b"hello",
        "notes.txt",
        "text/plain",
    )


def test_the_cursors_share_next_and_position() -> None:
    for cursor, is_async in ((AsyncHistory, True), (History, False)):
        assert issubclass(cursor, Cursor)
        assert inspect.iscoroutinefunction(cursor.next) is is_async
        assert "position" not in vars(cursor)


def test_connect_has_the_constructors_signature() -> None:
    for connect, client in ((connect_async, AsyncClient), (connect_sync, Client)):
        signature = inspect.signature(connect)
        assert signature.parameters == inspect.signature(client).parameters
        assert signature.return_annotation == client.__name__
        assert connect.__name__ == "connect"
        assert connect.__doc__
    made = connect_sync(license_id=1, token="t")
    assert isinstance(made, Client)
    made.__exit__(None, None, None)  # never entered: closes its wake-up sockets


def test_the_web_client_refuses_what_it_cannot_carry_before_checking_arguments() -> None:
    client = WebAPIClient(license_id=1, token="t", url="http://127.0.0.1:9")
    with pytest.raises(NotSupportedError, match="get_chat_threads needs the RTM"):
        client.get_chat_threads()  # type: ignore[call-arg]
    with pytest.raises(NotSupportedError, match=r"list_chats is not in api '0\.3'"):
        client.list_chats(limit="x")  # type: ignore[arg-type]
    v3 = WebAPIClient(api="3.6", organization_id="o", token="t", url="http://127.0.0.1:9")
    with pytest.raises(NotSupportedError, match="update_customer_page needs the RTM"):
        v3.update_customer_page()  # type: ignore[call-arg]
