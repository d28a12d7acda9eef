"""The SDK methods in the LiveChat v3.x dialect: the seed's (``spec/v3.md`` section 4) and the
new ones (section 5), each on top of the engine's request primitives.

Every function takes the client first and returns a call id; argument errors raise
``INVALID_ARGS`` at once (the builders of :mod:`.v3_payloads`), nothing registered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Final, Literal

from customer_protocol import args as check
from customer_protocol.errors import CustomerSDKError, InvalidArgumentsError, RequestFailedError
from customer_protocol.models import Event, Rating, Thread, ThreadsSummary

from . import v3_payloads as build
from . import v3_results as results
from .base import start_upload
from .v3 import OpenedChat

if TYPE_CHECKING:
    from customer_protocol.client import ClientProtocol

__all__ = ["METHODS", "METHODS_35", "send_uploaded"]

_PAGE: Final = 25
"""``list_chats`` page size when walking to an offset."""


def _event_of(value: Any, custom_id: str | None) -> Event:
    """A send's result: the event itself, or the one a thread-opening ``resume_chat`` carried."""
    if isinstance(value, OpenedChat):
        event = value.event(custom_id)
        if event is None:
            raise RequestFailedError("The new thread carries no event.", type="malformed_response")
        return event
    result: Event = value
    return result


# --------------------------------------------------------------------------------------------
# The seed's methods (v3.md section 4)


def start_chat(
    engine: ClientProtocol,
    now: float,
    *,
    events: Sequence[Mapping[str, Any]] = (),
    scope: Mapping[str, Any] | None = None,
    properties: Mapping[str, Any] | None = None,
) -> int:
    """``start_chat``; the seed's ``scope`` ``{"groups": [ids]}`` becomes ``access``."""
    access = None
    if scope is not None:
        scope = check.check_mapping(scope, "scope")
        if "groups" in scope:
            access = {"group_ids": scope["groups"]}
    payload = build.start_chat(
        engine.new_custom_id, events=events, properties=properties, access=access
    )
    return engine.call("start_chat", payload, now, map_value=lambda opened: opened.chat)


class _Send:
    """One send's requests: ``send_event``, and the ``chat_inactive`` -> ``resume_chat``
    fallback (one object per send; its bound methods are the requests' callbacks)."""

    __slots__ = (
        "call",
        "chat",
        "custom_id",
        "encoded",
        "engine",
        "payload",
        "reconcilable",
        "reopened",
    )

    def __init__(
        self,
        engine: ClientProtocol,
        chat: str,
        payload: dict[str, Any],
        call: int,
        encoded: str | None = None,
    ) -> None:
        self.engine = engine
        self.chat = chat
        self.payload = payload
        self.encoded = encoded
        self.call = call
        self.custom_id: str = payload["event"]["custom_id"]
        self.reconcilable = engine.config.exactly_once_sends
        self.reopened = False

    def ok(self, value: Any) -> None:
        try:
            event = _event_of(value, self.custom_id)
        except CustomerSDKError as exc:
            self.engine.fail(self.call, exc)
        else:
            self.engine.succeed(self.call, event)

    def send(self) -> None:
        engine = self.engine
        engine.submit(
            engine.request(
                "send_event",
                self.payload,
                on_ok=self.ok,
                on_err=self.on_err,
                reconcilable=self.reconcilable,
                chat=self.chat,
                custom_id=self.custom_id,
                encoded=self.encoded,
            )
        )

    def resume(self) -> None:
        engine = self.engine
        engine.tracker.set_active(self.chat, False)
        engine.submit(
            engine.request(
                "resume_chat",
                build.resume_with_event(self.payload),
                on_ok=self.ok,
                on_err=self.on_resume_err,
                reconcilable=self.reconcilable,
                chat=self.chat,
                custom_id=self.custom_id,
            )
        )

    def on_err(self, error: CustomerSDKError) -> None:
        if error.type == "chat_inactive":
            self.resume()
        else:
            self.engine.fail(self.call, error)

    def on_resume_err(self, error: CustomerSDKError) -> None:
        # Another send (or device) reopened the chat first: the server refuses to resume an
        # active chat, so the event goes to the new thread, once.
        if (
            error.type == "validation"
            and not self.reopened
            and not self.engine.tracker.is_inactive(self.chat)
        ):
            self.reopened = True
            self.send()
        else:
            self.engine.fail(self.call, error)


class _SendWithResult(_Send):
    """A send that continues a call already open and ends it with a given result."""

    __slots__ = ("result",)

    def __init__(
        self, engine: ClientProtocol, chat: str, payload: dict[str, Any], call: int, result: Any
    ) -> None:
        super().__init__(engine, chat, payload, call)
        self.result = result

    def ok(self, value: Any) -> None:
        try:
            _event_of(value, self.custom_id)
        except CustomerSDKError as exc:
            self.engine.fail(self.call, exc)
        else:
            self.engine.succeed(self.call, self.result)


def _send(
    engine: ClientProtocol,
    chat: str,
    payload: dict[str, Any],
    now: float,
    *,
    call: int | None = None,
    result: Any = None,
    encoded: str | None = None,
) -> int:
    """send_event, or resume_chat to a chat known inactive / answered ``chat_inactive``.

    ``call`` continues a call already open (``send_file`` after its upload), which then ends
    with ``result`` instead of the event. ``encoded`` is ``payload`` as JSON text, if made.
    """
    if call is None:
        call = engine.open_call(now)
    send = (
        _Send(engine, chat, payload, call, encoded)
        if result is None
        else _SendWithResult(engine, chat, payload, call, result)
    )
    if engine.tracker.is_inactive(chat):
        send.resume()
    else:
        send.send()
    return call


def send_event(engine: ClientProtocol, chat: str, event: Mapping[str, Any], now: float) -> int:
    """``send_event`` (exactly once across drops)."""
    return _send(engine, chat, build.send_event(chat, event, engine.new_custom_id), now)


def send_message(
    engine: ClientProtocol, chat: str, text: str, now: float, *, custom_id: str | None = None
) -> int:
    """``send_event`` of a ``message``."""
    payload = build.send_message(chat, text, custom_id, engine.new_custom_id)
    return _send(engine, chat, payload, now, encoded=build.encoded_message(payload))


def close_thread(engine: ClientProtocol, chat: str, now: float) -> int:
    """``deactivate_chat {id}``; ``True``, and the chat is known inactive."""
    payload = build.deactivate_chat(chat)
    return engine.call(
        "deactivate_chat", payload, now, before_ok=lambda _: engine.tracker.set_active(chat, False)
    )


def get_chats_summary(
    engine: ClientProtocol, now: float, *, offset: int = 0, limit: int = 10
) -> int:
    """``list_chats`` pages up to ``offset + limit`` chats, in the seed's shape."""
    check.check_offset(offset)
    check.check_limit(limit, check.CHATS_SUMMARY_MAX_LIMIT)
    call = engine.open_call(now)
    gathered: list[Any] = []

    def on_page(page: results.ChatsPage) -> None:
        gathered.extend(page.chats)
        if len(gathered) < offset + limit and page.next_page_id and page.chats:
            _request(
                engine, call, "list_chats", build.list_chats(page_id=page.next_page_id), on_page
            )
            return
        engine.succeed(
            call, results.chats_summary(gathered[offset : offset + limit], page.total_chats)
        )

    _request(engine, call, "list_chats", build.list_chats(limit=_PAGE), on_page)
    return call


def _request(
    engine: ClientProtocol,
    call: int,
    action: str,
    payload: Mapping[str, Any],
    on_ok: Callable[[Any], None],
) -> None:
    engine.submit(engine.request(action, payload, on_ok=on_ok, on_err=engine.failer(call)))


def get_chat_threads(
    engine: ClientProtocol, chat: str, thread_ids: Sequence[str], now: float
) -> int:
    """One ``get_chat {chat_id, thread_id}`` per id; the threads sorted by ``order``."""
    payloads = [
        build.get_chat(chat, thread) for thread in check.check_str_list(thread_ids, "thread_ids")
    ]
    call = engine.open_call(now)
    loaded: list[Thread] = []
    left = [len(payloads)]

    def on_chat(value: results.GetChatResult) -> None:
        if value.thread is not None:
            loaded.append(value.thread)
        left[0] -= 1
        if left[0] == 0:
            engine.succeed(call, tuple(sorted(loaded, key=lambda thread: thread.order)))

    for payload in payloads:
        _request(engine, call, "get_chat", payload, on_chat)
    return call


def get_chat_threads_summary(
    engine: ClientProtocol, chat: str, now: float, *, offset: int = 0, limit: int = 25
) -> int:
    """``list_threads`` pages (newest first) up to ``offset + limit`` threads."""
    check.check_chat(chat)
    check.check_offset(offset)
    check.check_limit(limit, check.THREADS_SUMMARY_MAX_LIMIT)
    call = engine.open_call(now)
    gathered: list[Thread] = []

    def on_page(page: results.ThreadsPage) -> None:
        gathered.extend(page.threads)
        if len(gathered) < offset + limit and page.next_page_id and page.threads:
            payload = build.list_threads(chat, page_id=page.next_page_id)
            _request(engine, call, "list_threads", payload, on_page)
            return
        total = page.found_threads if page.found_threads is not None else len(gathered)
        chosen = gathered[offset : offset + limit]
        summaries = results.thread_summaries(chosen)
        engine.succeed(call, ThreadsSummary(threads_summary=summaries, total_threads=total))

    payload = build.list_threads(chat, limit=min(offset + limit, build.LIST_THREADS_MAX_LIMIT))
    _request(engine, call, "list_threads", payload, on_page)
    return call


def update_customer(
    engine: ClientProtocol,
    now: float,
    *,
    name: str | None = None,
    email: str | None = None,
    fields: Mapping[str, str] | None = None,
) -> int:
    """``update_customer`` and/or ``set_customer_session_fields``; remembered for login."""
    steps = build.update_customer(name=name, email=email, fields=fields)
    remembered: dict[str, Any] = {}
    if name is not None:
        remembered["name"] = name
    if email is not None:
        remembered["email"] = email
    if fields is not None:
        remembered["fields"] = dict(fields)
    call = engine.open_call(now)

    def next_step(_: Any = None) -> None:
        if not steps:
            engine.remember_customer(remembered)
            engine.succeed(call, True)
            return
        action, payload = steps.pop(0)
        _request(engine, call, action, payload, next_step)

    next_step()
    return call


def update_last_seen_timestamp(
    engine: ClientProtocol,
    chat: str,
    now: float,
    *,
    timestamp_ms: int | None = None,
    wall_ms: int | None = None,
) -> int:
    """``mark_events_as_seen``; the result is the ms sent (``wall_ms`` when none is given)."""
    millis = timestamp_ms if timestamp_ms is not None else wall_ms
    if millis is None:
        raise InvalidArgumentsError("'timestamp_ms' or the wall-clock 'wall_ms' is needed.")
    payload = build.mark_events_as_seen(chat, millis)
    return engine.call("mark_events_as_seen", payload, now, map_value=lambda _: int(millis // 1))


def update_chat_properties(
    engine: ClientProtocol, chat: str, properties: Mapping[str, Any], now: float
) -> int:
    """``update_chat_properties {id, properties}``."""
    return engine.call(
        "update_chat_properties", build.update_chat_properties(chat, properties), now
    )


def update_chat_thread_properties(
    engine: ClientProtocol, chat: str, thread: str, properties: Mapping[str, Any], now: float
) -> int:
    """``update_thread_properties {chat_id, thread_id, properties}``."""
    payload = build.update_thread_properties(chat, thread, properties)
    return engine.call("update_thread_properties", payload, now)


def _with_newest_thread(
    engine: ClientProtocol, chat: str, call: int, then: Callable[[str], None]
) -> None:
    """Call ``then(thread)`` with the chat's newest thread (``list_threads`` when unknown)."""
    thread = engine.tracker.newest_thread(chat)
    if thread is not None:
        then(thread)
        return

    def on_page(page: results.ThreadsPage) -> None:
        if not page.threads:
            engine.fail(call, RequestFailedError("The chat has no thread.", type="validation"))
            return
        then(max(page.threads, key=lambda thread: thread.order).id)

    _request(engine, call, "list_threads", build.list_threads(chat, limit=1), on_page)


def send_rating(
    engine: ClientProtocol,
    chat: str,
    value: Literal["good", "bad"],
    now: float,
    *,
    comment: str | None = None,
) -> int:
    """The newest thread, then ``update_thread_properties {rating: {score, comment}}``."""
    build.send_rating(chat, "thread", value, comment)  # checks the arguments first
    call = engine.open_call(now)

    def rate(thread: str) -> None:
        rating = Rating(chat=chat, thread=thread, value=value, comment=comment)
        payload = build.send_rating(chat, thread, value, comment)
        _request(
            engine,
            call,
            "update_thread_properties",
            payload,
            lambda _: engine.succeed(call, rating),
        )

    _with_newest_thread(engine, chat, call, rate)
    return call


def cancel_rate(
    engine: ClientProtocol, now: float, chat: str, properties: Sequence[str] = ("score",)
) -> int:
    """The newest thread, then ``delete_thread_properties {rating: [names]}``; ``True``."""
    build.cancel_rate(chat, "thread", properties)
    call = engine.open_call(now)

    def cancel(thread: str) -> None:
        payload = build.cancel_rate(chat, thread, properties)
        _request(
            engine, call, "delete_thread_properties", payload, lambda _: engine.succeed(call, True)
        )

    _with_newest_thread(engine, chat, call, cancel)
    return call


def send_file(
    engine: ClientProtocol,
    chat: str,
    data: bytes,
    now: float,
    *,
    filename: str = "file",
    content_type: str = "application/octet-stream",
    custom_id: str | None = None,
) -> int:
    """Web ``upload_file``, then ``send_event {type: "file", url}``; the result is the URL."""
    check.check_chat(chat)
    check.check_optional_str(custom_id, "custom_id")
    custom_id = custom_id or engine.new_custom_id()
    return start_upload(
        engine,
        now,
        data,
        action="upload_file",
        chat=chat,
        custom_id=custom_id,
        filename=filename,
        content_type=content_type,
    )


def upload_file(
    engine: ClientProtocol,
    now: float,
    data: bytes,
    *,
    filename: str = "file",
    content_type: str = "application/octet-stream",
) -> int:
    """Web ``upload_file`` alone; the result is the URL."""
    return start_upload(
        engine,
        now,
        data,
        action="upload_file",
        chat="",
        custom_id="",
        filename=filename,
        content_type=content_type,
    )


def send_uploaded(engine: ClientProtocol, call: int, url: str) -> None:
    """An upload ended with ``url``: a plain ``upload_file`` ends; a ``send_file`` sends the
    file event (exactly once, as every send) and ends with the URL."""
    output = engine.upload_output(call)
    if output is None or not output.chat_id:
        engine.succeed(call, url)
        return
    payload = {
        "chat_id": output.chat_id,
        "event": {"type": "file", "url": url, "custom_id": output.custom_id},
    }
    _send(engine, output.chat_id, payload, engine.input_time, call=call, result=url)


# --------------------------------------------------------------------------------------------
# Methods new in v3 (v3.md section 5): one request each, typed by v3_results


def _simple(
    action: str,
    builder: Callable[..., Mapping[str, Any]],
    *,
    then: Callable[[ClientProtocol, Mapping[str, Any]], None] | None = None,
    result: Callable[[Any], Any] | None = None,
) -> Callable[..., int]:
    def method(engine: ClientProtocol, now: float, *args: Any, **kwargs: Any) -> int:
        payload = builder(*args, **kwargs)
        hook = None if then is None else partial(then, engine, payload)
        return engine.call(
            action,
            payload,
            now,
            before_ok=None if hook is None else lambda _: hook(),
            map_value=result,
        )

    method.__name__ = action
    method.__doc__ = f"``{action}`` (v3.md section 5)."
    return method


def _inactive(engine: ClientProtocol, payload: Mapping[str, Any]) -> None:
    engine.tracker.set_active(payload["id"], False)


def _remember_fields(engine: ClientProtocol, payload: Mapping[str, Any]) -> None:
    fields: dict[str, str] = {}
    for item in payload["session_fields"]:
        fields.update(item)
    engine.remember_customer({"fields": fields})


def _resume(engine: ClientProtocol, now: float, chat: str, **kwargs: Any) -> int:
    payload = build.resume_chat(chat, engine.new_custom_id, **kwargs)
    return engine.call("resume_chat", payload, now, map_value=lambda opened: opened.chat)


def _list_threads(engine: ClientProtocol, now: float, chat: str, **kwargs: Any) -> int:
    return engine.call("list_threads", build.list_threads(chat, **kwargs), now)


_COMMON: Final[Mapping[str, Callable[..., int]]] = {
    "start_chat": start_chat,
    "send_event": send_event,
    "send_message": send_message,
    "close_thread": close_thread,
    "get_chats_summary": get_chats_summary,
    "get_chat_threads": get_chat_threads,
    "get_chat_threads_summary": get_chat_threads_summary,
    "update_customer": update_customer,
    "update_last_seen_timestamp": update_last_seen_timestamp,
    "update_chat_properties": update_chat_properties,
    "update_chat_thread_properties": update_chat_thread_properties,
    "send_rating": send_rating,
    "send_file": send_file,
    # section 5
    "list_chats": _simple("list_chats", build.list_chats),
    "list_threads": _list_threads,
    "get_chat": _simple("get_chat", build.get_chat),
    "resume_chat": _resume,
    "deactivate_chat": _simple("deactivate_chat", build.deactivate_chat, then=_inactive),
    "send_rich_message_postback": _simple(
        "send_rich_message_postback", build.send_rich_message_postback
    ),
    "delete_chat_properties": _simple("delete_chat_properties", build.delete_chat_properties),
    "delete_thread_properties": _simple("delete_thread_properties", build.delete_thread_properties),
    "update_event_properties": _simple("update_event_properties", build.update_event_properties),
    "delete_event_properties": _simple("delete_event_properties", build.delete_event_properties),
    "get_customer": _simple("get_customer", build.get_customer),
    "set_customer_session_fields": _simple(
        "set_customer_session_fields", build.set_customer_session_fields, then=_remember_fields
    ),
    "update_customer_page": _simple("update_customer_page", build.update_customer_page),
    "list_group_statuses": _simple("list_group_statuses", build.list_group_statuses),
    "get_form": _simple("get_form", build.get_form),
    "get_predicted_agent": _simple("get_predicted_agent", build.get_predicted_agent),
    "get_url_info": _simple("get_url_info", build.get_url_info),
    "mark_events_as_seen": _simple("mark_events_as_seen", build.mark_events_as_seen),
    "accept_greeting": _simple("accept_greeting", build.accept_greeting),
    "cancel_greeting": _simple("cancel_greeting", build.cancel_greeting),
    "cancel_rate": cancel_rate,
    "upload_file": upload_file,
}

METHODS_35: Final[Mapping[str, Callable[..., int]]] = _COMMON
"""The methods of v3.5."""

METHODS: Final[Mapping[str, Callable[..., int]]] = {
    **_COMMON,
    "delete_event": _simple("delete_event", build.delete_event),
    "send_greeting_button_clicked": _simple(
        "send_greeting_button_clicked", build.send_greeting_button_clicked
    ),
    "request_welcome_message": _simple("request_welcome_message", build.request_welcome_message),
}
"""The methods of v3.6 (``delete_event``, greeting buttons and welcome messages are new)."""
