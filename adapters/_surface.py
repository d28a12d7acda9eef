"""The public request methods, declared once for every client (async, sync and Web API).

Each request method is a plain function in :class:`Surface` that names the core method and its
arguments and returns a typed, not yet issued :class:`Call` ``[T]`` (``T``: the result type).
:func:`request` turns it into a descriptor that each driver serves its own way:

* on an :class:`Awaiting` driver (the anyio client) the method is ``async`` and returns ``T``;
* on a :class:`Blocking` driver (the sync client, the Web API client) it blocks and returns ``T``.

The driver decides how a :class:`Call` is issued and how its end is waited for (``_run``);
mypy sees the exact signature (``ParamSpec``) and result type for both kinds, and ``help()`` /
Sphinx see the name, docstring and signature of the declaration. Adding a method is one
declaration here (and, when the core lacks it, the core method it names). The Web API client
serves it in v3 through the core (:mod:`adapters._webcore`), and in v0.3 once it has a
``_web_<name>`` handler, refusing it with ``NotSupportedError`` until then.
"""

from __future__ import annotations

import functools
import inspect
import re
import time
import types
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any, Concatenate, Generic, Literal, ParamSpec, Self, TypeVar, cast, overload

from customer_protocol import (
    Chat,
    ChatsPage,
    ChatsSummary,
    ClientProtocol,
    Customer,
    Event,
    FormResult,
    GetChatResult,
    HistoryBatch,
    HistoryPosition,
    PredictedAgent,
    Rating,
    Thread,
    ThreadsPage,
    ThreadsSummary,
    UrlInfo,
    WelcomeMessage,
)

from ._http import Progress
from ._upload import FileLike, read_file

__all__ = ["Awaiting", "Blocking", "Call", "Cursor", "Surface", "Upload", "request"]

P = ParamSpec("P")
T = TypeVar("T")
Core = ClientProtocol

_RESULT = re.compile(r"^Call\[(.+)\]$")


class Call(Generic[T]):
    """A request to the core, not issued yet: the core method's name and its arguments.

    ``T`` is the type of the call's result. A driver issues it (:meth:`issue`, with ``now``,
    under its own lock) and waits for the call id's end; the Web API client serves it by name.
    """

    __slots__ = ("args", "kwargs", "name")

    def __init__(self, method: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        self.name: str = method.__name__
        self.args = args
        self.kwargs = kwargs

    def issue(self, core: ClientProtocol, now: float) -> int:
        """Start the call on ``core``; returns its call id."""
        return cast(int, getattr(core, self.name)(*self.args, now=now, **self.kwargs))

    def __repr__(self) -> str:
        return f"Call({self.name})"


class Upload(Call[str]):
    """A call that sends a file: the driver reads it first (off the event loop when async).

    ``args``/``kwargs`` are the core method's arguments around the file's bytes, which are
    passed after ``args`` with the settled ``filename`` and ``content_type``.
    """

    __slots__ = ("content_type", "data", "file", "filename", "on_progress")

    def __init__(
        self,
        method: Callable[..., Any],
        /,
        *args: Any,
        file: FileLike,
        on_progress: Progress | None,
        filename: str | None,
        content_type: str | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(method, *args, **kwargs)
        self.file, self.on_progress = file, on_progress
        self.filename, self.content_type = filename, content_type
        self.data = b""

    def read(self) -> None:
        """Read the file (blocking) and settle its name and content type."""
        self.data, self.filename, self.content_type = read_file(
            self.file, self.filename, self.content_type
        )

    def issue(self, core: ClientProtocol, now: float) -> int:
        """Start the upload on ``core`` (after :meth:`read`); returns its call id."""
        return cast(
            int,
            getattr(core, self.name)(
                *self.args,
                self.data,
                now=now,
                filename=self.filename or "file",
                content_type=self.content_type or "application/octet-stream",
                **self.kwargs,
            ),
        )


class Driver:
    """A class that serves :func:`request` methods: it says how a method is built."""

    @classmethod
    def _method(cls, declared: request[Any, Any]) -> Callable[..., Any]:
        """The function ``declared`` is on this class (here: the declaration itself)."""
        return declared.func


class Awaiting(Driver):
    """A driver whose request methods are coroutines (the anyio client and its cursors)."""

    async def _run(self, call: Call[T]) -> T:
        """Issue ``call`` and wait for its end; returns its result or raises its error."""
        raise NotImplementedError

    @classmethod
    def _method(cls, declared: request[Any, Any]) -> Callable[..., Any]:
        return declared.awaiting


class Blocking(Driver):
    """A driver whose request methods block their caller (the sync and Web API clients)."""

    def _run(self, call: Call[T]) -> T:
        """Issue ``call`` and block until its end; returns its result or raises its error."""
        raise NotImplementedError

    @classmethod
    def _method(cls, declared: request[Any, Any]) -> Callable[..., Any]:
        return declared.blocking


class request(Generic[P, T]):
    """A request method declared once; each driver class gets its own function for it."""

    def __init__(self, func: Callable[Concatenate[Any, P], Call[T]]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__
        self._per_class: dict[type, Callable[..., Any]] = {}
        signature = inspect.signature(func)
        result = func.__annotations__.get("return")
        if isinstance(result, str) and (found := _RESULT.match(result)):
            result = found.group(1)
        self._signature = signature.replace(return_annotation=result)
        self._annotations = {**func.__annotations__, "return": result}

        async def awaiting(self: Awaiting, *args: Any, **kwargs: Any) -> Any:
            return await self._run(func(self, *args, **kwargs))

        def blocking(self: Blocking, *args: Any, **kwargs: Any) -> Any:
            return self._run(func(self, *args, **kwargs))

        self.awaiting = self.dress(awaiting)
        self.blocking = self.dress(blocking)

    def dress(self, method: Callable[..., Any]) -> Callable[..., Any]:
        """Give ``method`` the declaration's name, docstring, signature and result type."""
        functools.update_wrapper(method, self.func)
        del method.__wrapped__  # type: ignore[attr-defined]
        method.__signature__ = self._signature  # type: ignore[attr-defined]
        method.__annotations__ = dict(self._annotations)
        return method

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(
        self, obj: Awaiting, owner: type[Any] | None = None
    ) -> Callable[P, Coroutine[Any, Any, T]]: ...
    @overload
    def __get__(self, obj: Blocking, owner: type[Any] | None = None) -> Callable[P, T]: ...
    def __get__(self, obj: Any, owner: type[Any] | None = None) -> Any:
        cls = type(obj) if owner is None else owner
        method = self._per_class.get(cls)
        if method is None:
            method = self._per_class[cls] = cast(type[Driver], cls)._method(self)
        return method if obj is None else types.MethodType(method, obj)


class Surface(Driver):
    """The request methods every client has (each driver serves them its own way)."""

    @request
    def start_chat(
        self,
        *,
        events: Sequence[Mapping[str, Any]] = (),
        scope: Mapping[str, Any] | None = None,
        properties: Mapping[str, Any] | None = None,
    ) -> Call[Chat]:
        """Start a chat (optionally with first events)."""
        return Call(Core.start_chat, events=events, scope=scope, properties=properties)

    @request
    def send_event(self, chat: str, event: Mapping[str, Any]) -> Call[Event]:
        """Send an event; exactly once across reconnects (by ``custom_id``)."""
        return Call(Core.send_event, chat, event)

    @request
    def send_message(self, chat: str, text: str, *, custom_id: str | None = None) -> Call[Event]:
        """Send a text message."""
        return Call(Core.send_message, chat, text, custom_id=custom_id)

    @request
    def close_thread(self, chat: str) -> Call[bool]:
        """Close the chat's active thread."""
        return Call(Core.close_thread, chat)

    @request
    def get_chats_summary(self, *, offset: int = 0, limit: int = 10) -> Call[ChatsSummary]:
        """The customer's chats, most recent activity first."""
        return Call(Core.get_chats_summary, offset=offset, limit=limit)

    @request
    def get_chat_threads(self, chat: str, thread_ids: Sequence[str]) -> Call[tuple[Thread, ...]]:
        """Load threads by id, sorted by order."""
        return Call(Core.get_chat_threads, chat, thread_ids)

    @request
    def get_chat_threads_summary(
        self, chat: str, *, offset: int = 0, limit: int = 25
    ) -> Call[ThreadsSummary]:
        """A page of thread summaries (offset 0 is the newest page)."""
        return Call(Core.get_chat_threads_summary, chat, offset=offset, limit=limit)

    @request
    def update_customer(
        self,
        *,
        name: str | None = None,
        email: str | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> Call[bool]:
        """Update the customer (also sent at every later login)."""
        return Call(Core.update_customer, name=name, email=email, fields=fields)

    @request
    def update_last_seen_timestamp(self, chat: str, timestamp: int | None = None) -> Call[int]:
        """Update the last-seen timestamp (ms); returns the stored timestamp in ms."""
        # v3 sends the wall clock when no timestamp is given; the core reads no clock.
        wall_ms = int(time.time() * 1000)
        return Call(Core.update_last_seen_timestamp, chat, timestamp_ms=timestamp, wall_ms=wall_ms)

    @request
    def update_chat_properties(self, chat: str, properties: Mapping[str, Any]) -> Call[bool]:
        """Set chat properties (``{namespace: {name: value}}``)."""
        return Call(Core.update_chat_properties, chat, properties)

    @request
    def update_chat_thread_properties(
        self, chat: str, thread: str, properties: Mapping[str, Any]
    ) -> Call[bool]:
        """Set thread properties (``{namespace: {name: value}}``)."""
        return Call(Core.update_chat_thread_properties, chat, thread, properties)

    @request
    def update_chat_scopes(
        self,
        chat: str,
        *,
        add_scopes: Mapping[str, Any] | None = None,
        remove_scopes: Mapping[str, Any] | None = None,
    ) -> Call[bool]:
        """Change the chat's scopes."""
        return Call(
            Core.update_chat_scopes, chat, add_scopes=add_scopes, remove_scopes=remove_scopes
        )

    @request
    def send_rating(
        self, chat: str, value: Literal["good", "bad"], comment: str | None = None
    ) -> Call[Rating]:
        """Rate the chat's newest thread ``"good"`` or ``"bad"``."""
        return Call(Core.send_rating, chat, value, comment=comment)

    @request
    def send_file(
        self,
        chat: str,
        file: FileLike,
        *,
        custom_id: str | None = None,
        on_progress: Progress | None = None,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> Call[str]:
        """Upload a file over the Web API (10 MiB max); returns its URL.

        ``on_progress(sent, total)`` is called as the body goes out (from a worker thread in
        the sync client); returning ``False`` cancels the upload, and so does cancelling the
        calling task in the async client: the call then fails with ``CANCELLED``.
        """
        return Upload(
            Core.send_file,
            chat,
            file=file,
            on_progress=on_progress,
            filename=filename,
            content_type=content_type,
            custom_id=custom_id,
        )

    # ------------------------------------------------------------------------------------------
    # Methods new in LiveChat v3 (v3.md section 5): NOT_SUPPORTED on a v0.3 connection

    @request
    def list_chats(
        self,
        *,
        limit: int | None = None,
        sort_order: Literal["asc", "desc"] | None = None,
        page_id: str | None = None,
    ) -> Call[ChatsPage]:
        """One page of the customer's chats (v3); pass ``next_page_id`` as ``page_id`` for more.

        ``page_id`` excludes ``limit`` and ``sort_order`` (the page carries them).
        """
        return Call(Core.list_chats, limit=limit, sort_order=sort_order, page_id=page_id)

    @request
    def list_threads(
        self,
        chat: str,
        *,
        sort_order: Literal["asc", "desc"] | None = None,
        limit: int | None = None,
        min_events_count: int | None = None,
        page_id: str | None = None,
    ) -> Call[ThreadsPage]:
        """One page of the chat's threads with their events (v3; newest first by default).

        Give ``limit`` or ``min_events_count`` (not both); ``page_id`` excludes the others.
        """
        return Call(
            Core.list_threads,
            chat,
            sort_order=sort_order,
            limit=limit,
            min_events_count=min_events_count,
            page_id=page_id,
        )

    @request
    def get_chat(self, chat: str, thread: str | None = None) -> Call[GetChatResult]:
        """The chat, its users and one thread: ``thread``, or the newest (v3)."""
        return Call(Core.get_chat, chat, thread=thread)

    @request
    def resume_chat(
        self,
        chat: str,
        *,
        events: Sequence[Mapping[str, Any]] = (),
        properties: Mapping[str, Any] | None = None,
        thread_properties: Mapping[str, Any] | None = None,
        access: Mapping[str, Any] | None = None,
        active: bool | None = None,
        continuous: bool | None = None,
    ) -> Call[Chat]:
        """Open a new thread in an inactive chat (optionally with first events) (v3).

        Resolves on the ``incoming_chat`` push, like :meth:`start_chat`; ``access`` is
        ``{"group_ids": [...]}``.
        """
        return Call(
            Core.resume_chat,
            chat,
            events=events,
            properties=properties,
            thread_properties=thread_properties,
            access=access,
            active=active,
            continuous=continuous,
        )

    @request
    def deactivate_chat(self, chat: str) -> Call[bool]:
        """Close the chat's active thread (v3; what :meth:`close_thread` sends)."""
        return Call(Core.deactivate_chat, chat)

    @request
    def delete_event(self, chat: str, thread: str, event: str) -> Call[bool]:
        """Delete one of the customer's own events (v3.6)."""
        return Call(Core.delete_event, chat, thread, event)

    @request
    def send_rich_message_postback(
        self,
        chat: str,
        thread: str,
        event: str,
        *,
        postback_id: str,
        toggled: bool,
        button_type: str | None = None,
        button_value: str | None = None,
        ecommerce: Mapping[str, Any] | None = None,
    ) -> Call[bool]:
        """Answer a button of the rich message ``event`` (v3)."""
        return Call(
            Core.send_rich_message_postback,
            chat,
            thread,
            event,
            postback_id=postback_id,
            toggled=toggled,
            button_type=button_type,
            button_value=button_value,
            ecommerce=ecommerce,
        )

    @request
    def delete_chat_properties(
        self, chat: str, properties: Mapping[str, Sequence[str]]
    ) -> Call[bool]:
        """Delete chat properties ``{namespace: [names]}`` (v3)."""
        return Call(Core.delete_chat_properties, chat, properties)

    @request
    def delete_thread_properties(
        self, chat: str, thread: str, properties: Mapping[str, Sequence[str]]
    ) -> Call[bool]:
        """Delete thread properties ``{namespace: [names]}`` (v3)."""
        return Call(Core.delete_thread_properties, chat, thread, properties)

    @request
    def update_event_properties(
        self, chat: str, thread: str, event: str, properties: Mapping[str, Any]
    ) -> Call[bool]:
        """Set event properties ``{namespace: {name: value}}`` (v3)."""
        return Call(Core.update_event_properties, chat, thread, event, properties)

    @request
    def delete_event_properties(
        self, chat: str, thread: str, event: str, properties: Mapping[str, Sequence[str]]
    ) -> Call[bool]:
        """Delete event properties ``{namespace: [names]}`` (v3)."""
        return Call(Core.delete_event_properties, chat, thread, event, properties)

    @request
    def get_customer(self) -> Call[Customer]:
        """The customer as the server knows it, with ``statistics`` (v3)."""
        return Call(Core.get_customer)

    @request
    def set_customer_session_fields(self, fields: Mapping[str, str]) -> Call[bool]:
        """Set the customer's session fields (also sent at every later login) (v3)."""
        return Call(Core.set_customer_session_fields, fields)

    @request
    def update_customer_page(self, url: str, title: str | None = None) -> Call[Mapping[int, str]]:
        """Tell the server which page the customer is on; the groups whose status changed (v3)."""
        return Call(Core.update_customer_page, url, title=title)

    @request
    def list_group_statuses(
        self, group_ids: Sequence[int] | None = None
    ) -> Call[Mapping[int, str]]:
        """``{group_id: status}`` for ``group_ids``, or for every group when ``None`` (v3)."""
        return Call(Core.list_group_statuses, group_ids=group_ids)

    @request
    def get_form(
        self, group_id: int, type: Literal["prechat", "postchat", "ticket"]
    ) -> Call[FormResult]:
        """A group's pre-chat, post-chat or ticket form (v3)."""
        return Call(Core.get_form, group_id, type)

    @request
    def get_predicted_agent(self) -> Call[PredictedAgent]:
        """The agent a new chat would be routed to, and whether it would queue (v3.5+)."""
        return Call(Core.get_predicted_agent)

    @request
    def get_url_info(self, url: str) -> Call[UrlInfo]:
        """The title, description and image of a web page (v3)."""
        return Call(Core.get_url_info, url)

    @request
    def mark_events_as_seen(self, chat: str, seen_up_to_ms: int) -> Call[bool]:
        """Mark the chat's events up to ``seen_up_to_ms`` (epoch ms) as seen (v3)."""
        return Call(Core.mark_events_as_seen, chat, seen_up_to_ms)

    @request
    def accept_greeting(self, greeting_id: int, unique_id: str) -> Call[bool]:
        """Accept a greeting the server pushed (``incoming_greeting``) (v3)."""
        return Call(Core.accept_greeting, greeting_id, unique_id)

    @request
    def cancel_greeting(self, unique_id: str) -> Call[bool]:
        """Dismiss a greeting the server pushed (v3)."""
        return Call(Core.cancel_greeting, unique_id)

    @request
    def send_greeting_button_clicked(self, greeting_unique_id: str, button_id: str) -> Call[bool]:
        """Report a click on one of a greeting's buttons (v3.6)."""
        return Call(Core.send_greeting_button_clicked, greeting_unique_id, button_id)

    @request
    def request_welcome_message(
        self, *, welcome_message_id: str | None = None, group_id: int | None = None
    ) -> Call[WelcomeMessage]:
        """Ask for a welcome message (a group's, or a given one) (v3.6)."""
        return Call(
            Core.request_welcome_message, welcome_message_id=welcome_message_id, group_id=group_id
        )

    @request
    def cancel_rate(self, chat: str, properties: Sequence[str] = ("score",)) -> Call[bool]:
        """Withdraw the rating of the chat's newest thread (its ``rating`` properties) (v3)."""
        return Call(Core.cancel_rate, chat, properties=properties)

    @request
    def upload_file(
        self,
        file: FileLike,
        *,
        on_progress: Progress | None = None,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> Call[str]:
        """Upload a file over the Web API (10 MiB max) without sending it; its URL (v3).

        Send it later as ``{"type": "file", "url": url}`` with :meth:`send_event`; progress
        and cancelling as in :meth:`send_file`.
        """
        return Upload(
            Core.upload_file,
            file=file,
            on_progress=on_progress,
            filename=filename,
            content_type=content_type,
        )


class Cursor(Driver):
    """What the async and the sync history cursors share (iteration is per driver)."""

    def __init__(self, client: Any, cursor: int) -> None:
        self._client = client
        self._cursor = cursor
        self._finished = False

    @request
    def next(self) -> Call[HistoryBatch]:
        """Load the next (older) batch: ``HistoryBatch(done, value)``."""
        return Call(Core.history_next, self._cursor)

    @property
    def position(self) -> HistoryPosition:
        """Where the cursor is; pass it to ``get_chat_history(position=...)`` to resume."""
        return cast(HistoryPosition, self._client.core.history_position(self._cursor))
