"""A blocking client over the **Web API transport alone** (HTTP, no WebSocket).

The proof that transports are pluggable: the same request payloads and the same result parsing
as the RTM client, carried by ``transports.webapi`` over h11 instead of
``transports.websocket``.

* **chat.io v0.3** (``license_id``): the nine actions the v0.3 Web API serves (``wire.md``
  section 4), built with :mod:`customer_protocol.payloads` and read with
  :func:`customer_protocol.dispatch.resolve`; reading chats and last-seen timestamps need the
  RTM connection.
* **LiveChat v3.5/v3.6** (``api="3.6", organization_id=...``): ``POST
  /v3.6/customer/action/<action>?organization_id=``, bare payloads back, ``{"error": {...}}``
  as typed errors, ``upload_file`` as multipart. Every method is the core's own
  (:mod:`adapters._webcore` runs it with one HTTP exchange per request), so the seed's methods
  and those of ``v3.md`` section 5 behave as over RTM, except that no push ever arrives.

What needs the RTM connection in either dialect (history cursors, pushes and events,
``update_customer_page``) fails at once with :class:`NotSupportedError`::

    with WebAPIClient(
        api="3.6", organization_id="...", token="...", url="https://api.livechatinc.com"
    ) as client:
        chat = client.start_chat()
        client.send_message(chat.id, "Hello over plain HTTP")
"""

from __future__ import annotations

import random
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Literal, NoReturn, Self, TypeVar, cast

from customer_protocol import (
    AuthenticationError,
    Chat,
    Event,
    InvalidArgumentsError,
    Rating,
    Token,
    UploadFile,
    payloads,
)
from customer_protocol.args import check_chat
from customer_protocol.dialects import dialect_for
from customer_protocol.dispatch import RESPONSE, ChatTracker, resolve
from customer_protocol.tokens import TokenCache
from transports.webapi import build_web_api_request, decode_web_api_response

from ._blocking import exchange, token_from
from ._common import NotSupportedError, bind_accounts, check_target, parse_base_url, web_base
from ._http import exchange_steps
from ._surface import Blocking, Call, Surface, Upload, request
from ._upload import upload_plan
from ._webcore import WebCore, run_call

__all__ = ["NotSupportedError", "WebAPIClient"]

T = TypeVar("T")


class WebAPIClient(Surface, Blocking):
    """The Web API actions of the SDK over HTTP only (blocking; one request per call).

    Safe to share between threads: the v3 calls run one at a time.
    """

    RTM_ONLY = frozenset({"update_customer_page"})
    """Declared methods no dialect's Web API carries."""

    def __init__(
        self,
        *,
        api: str = "0.3",
        license_id: int | None = None,
        organization_id: str | None = None,
        token: Any,
        url: str,
        accounts_url: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 30.0,
        rng: Callable[[], float] | None = None,
    ) -> None:
        self.target = check_target(api, license_id, organization_id)
        """The API version and account the requests are built for."""
        self.license_id = self.target.license_id
        self.url = web_base(parse_base_url(url))
        self._token_source = token
        bind_accounts(token, accounts_url, self.url)
        self._ssl = ssl_context
        self._timeout = timeout
        self._rng = rng or random.SystemRandom().random
        self._tokens = TokenCache()
        self._tracker = ChatTracker()
        self._custom_id = payloads.custom_ids(self._rng)
        self._dialect = dialect_for(self.target.api)
        self._core: WebCore | None = None
        self._lock = threading.Lock()
        if self.target.api != "0.3":
            self._core = WebCore(
                self._post,
                api=self.target.api,
                organization_id=self.target.organization_id,
                host=self.url.host,
                rng=self._rng,
            )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    # ------------------------------------------------------------------------------------------
    # What the Web API carries: the declared methods (adapters._surface) served by name

    @classmethod
    def _method(cls, declared: request[Any, Any]) -> Callable[..., Any]:
        name = declared.name
        if name in cls.RTM_ONLY:

            def unsupported(self: WebAPIClient, *args: Any, **kwargs: Any) -> NoReturn:
                self._unsupported(name)

            method = declared.dress(unsupported)
            method.__doc__ = "Not carried by the Web API (it needs the RTM connection)."
            return method
        served_in_v03 = hasattr(cls, f"_web_{name}")

        def serve(self: WebAPIClient, *args: Any, **kwargs: Any) -> Any:
            if self._core is None and not served_in_v03:  # refused before the arguments
                self._refuse(name)
            return self._run(declared.func(self, *args, **kwargs))

        method = declared.dress(serve)
        if not served_in_v03:
            method.__doc__ = f"{declared.__doc__}\n\nOver the Web API: LiveChat v3 only."
        return method

    def _run(self, call: Call[T]) -> T:
        if self._core is not None:
            with self._lock:
                return run_call(self._core, call, self._upload)
        if isinstance(call, Upload):
            return cast(T, self._web_send_file(call))
        return cast(T, getattr(self, f"_web_{call.name}")(*call.args, **call.kwargs))

    def _web_start_chat(self, *, events: Any, scope: Any, properties: Any) -> Chat:
        payload = payloads.start_chat(events, scope, properties, self._custom_id)
        return cast(Chat, self._action("start_chat", payload))

    def _web_send_event(self, chat: str, event: Mapping[str, Any]) -> Event:
        payload = payloads.send_event(chat, event, self._custom_id)
        return cast(Event, self._action("send_event", payload))

    def _web_send_message(self, chat: str, text: str, *, custom_id: str | None) -> Event:
        return self._web_send_event(chat, payloads.message(text, custom_id))

    def _web_close_thread(self, chat: str) -> bool:
        return bool(self._action("close_thread", payloads.close_thread(chat)))

    def _web_update_customer(self, *, name: Any, email: Any, fields: Any) -> bool:
        return bool(self._action("update_customer", payloads.update_customer(name, email, fields)))

    def _web_update_chat_properties(self, chat: str, properties: Mapping[str, Any]) -> bool:
        payload = payloads.chat_properties(chat, properties)
        return bool(self._action("update_chat_properties", payload))

    def _web_update_chat_thread_properties(
        self, chat: str, thread: str, properties: Mapping[str, Any]
    ) -> bool:
        payload = payloads.thread_properties(chat, thread, properties)
        return bool(self._action("update_chat_thread_properties", payload))

    def _web_update_chat_scopes(self, chat: str, *, add_scopes: Any, remove_scopes: Any) -> bool:
        payload = payloads.chat_scopes(chat, add_scopes, remove_scopes)
        return bool(self._action("update_chat_scopes", payload))

    def _web_send_rating(
        self, chat: str, value: Literal["good", "bad"], *, comment: str | None
    ) -> Rating:
        """Rate the newest thread this client saw in ``chat`` (start_chat or send_event)."""
        properties = payloads.rating_properties(chat, value, comment)
        thread = self._tracker.newest_thread(chat)
        if thread is None:
            self._unsupported("send_rating for a chat whose threads this client has not seen")
        self._post(
            "update_chat_thread_properties", payloads.thread_properties(chat, thread, properties)
        )
        return Rating(chat=chat, thread=thread, value=value, comment=comment)

    def _web_send_file(self, upload: Upload) -> str:
        upload.read()
        output = UploadFile(
            call=0,
            chat_id=check_chat(upload.args[0]),
            custom_id=upload.kwargs["custom_id"] or self._custom_id(),
            data=upload.data,
            filename=upload.filename or "file",
            content_type=upload.content_type or "application/octet-stream",
            token=None,
        )
        url = self._upload(output, upload).get("url")
        if not isinstance(url, str):
            raise InvalidArgumentsError("The upload response has no url.")
        return url

    def _upload(self, output: UploadFile, upload: Upload) -> dict[str, Any]:
        """Carry one upload (v0.3 ``send_file``, v3 ``upload_file``); the response payload."""
        plan = upload_plan(output, self._token(), self.url, self.target, self._rng)
        steps = exchange_steps(plan.request, body=plan.body, on_progress=upload.on_progress)
        return plan.decode(exchange(self.url, steps, ssl_context=self._ssl, timeout=self._timeout))

    def set_sneak_peek(self, chat: str, text: str) -> None:
        """Send a sneak peek now (no throttle: the caller decides how often)."""
        payloads.sneak_peek(chat, text)  # checks the arguments
        self._post(*self._dialect.sneak_peek(chat, text))

    # ------------------------------------------------------------------------------------------
    # What needs the RTM connection (besides the declared methods the Web API does not carry)

    def get_chat_history(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Not carried by the Web API."""
        self._unsupported("get_chat_history")

    def on(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Events are pushes, which only the RTM connection delivers."""
        self._unsupported("events (on/off/events)")

    off = on
    events = on

    # ------------------------------------------------------------------------------------------

    def _refuse(self, name: str) -> NoReturn:
        """Refuse a declared method: not in this dialect, or not carried by its Web API."""
        if name not in self._dialect.methods:
            raise NotSupportedError(f"{name} is not in api {self.target.api!r}.")
        self._unsupported(name)

    @staticmethod
    def _unsupported(what: str) -> NoReturn:
        raise NotSupportedError(
            f"{what} needs the RTM (WebSocket) connection; the Web API does not carry it. "
            "Use adapters.sync/asyncio/trio.connect."
        )

    def _token(self, fresh: bool = False) -> Token:
        if not fresh and (cached := self._tokens.get(time.monotonic())) is not None:
            return cached
        token = token_from(
            self._token_source, fresh, web=self.url, ssl_context=self._ssl, timeout=self._timeout
        )
        self._tokens.store(token, time.monotonic())
        return token

    def _post(self, action: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """POST one action; a rejected token is replaced once (sdk.md section 1)."""
        try:
            return self._post_once(action, payload, fresh=False)
        except AuthenticationError:
            self._tokens.invalidate()
            return self._post_once(action, payload, fresh=True)

    def _post_once(self, action: str, payload: Mapping[str, Any], *, fresh: bool) -> dict[str, Any]:
        request = build_web_api_request(
            host=self.url.host_header,
            access_token=self._token(fresh).access_token,
            license_id=self.license_id,
            action=action,
            payload=payload,
            prefix=self.url.prefix,
            api=self.target.api,
            organization_id=self.target.organization_id,
        )
        response = exchange(
            self.url, exchange_steps(request), ssl_context=self._ssl, timeout=self._timeout
        )
        return decode_web_api_response(response)

    def _action(self, action: str, payload: Mapping[str, Any]) -> Any:
        value, _events = resolve(
            action, RESPONSE, self._post(action, payload), payload, self._tracker
        )
        return value
