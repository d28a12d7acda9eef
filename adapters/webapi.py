"""A blocking client over the **Web API transport alone** (HTTP, no WebSocket).

The proof that transports are pluggable: the same request payloads
(:mod:`customer_protocol.payloads`) and the same result parsing
(:func:`customer_protocol.dispatch.resolve`) as the RTM client, carried by
``transports.webapi`` over h11 instead of ``transports.websocket``. It supports the actions the
Web API serves (``wire.md`` section 4; with ``api="3.5"``/``"3.6"`` LiveChat's v3 Web actions,
:mod:`adapters._webapi_v3`); everything that needs the RTM connection (reading chats the v0.3
way, history, pushes and events, last-seen timestamps) fails at once with
:class:`NotSupportedError`::

    with WebAPIClient(license_id=1, token="...", url="http://127.0.0.1:8080") as client:
        chat = client.start_chat()
        client.send_message(chat.id, "Hello over plain HTTP")
"""

from __future__ import annotations

import random
import ssl
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
from customer_protocol.dialects.v3 import V3
from customer_protocol.dispatch import RESPONSE, ChatTracker, resolve
from customer_protocol.tokens import TokenCache
from transports.webapi import build_web_api_request, decode_web_api_response

from ._blocking import exchange, token_from
from ._common import NotSupportedError, bind_accounts, check_target, parse_base_url, web_base
from ._http import exchange_steps
from ._surface import Blocking, Call, Surface, Upload, request
from ._upload import upload_plan
from ._webapi_v3 import V3_WEB, V3WebActions

__all__ = ["NotSupportedError", "WebAPIClient"]

T = TypeVar("T")


class WebAPIClient(V3WebActions, Surface, Blocking):
    """The Web API actions of the SDK over HTTP only (blocking; one request per call)."""

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
        self._v3 = V3(api if api != "0.3" else "3.6")
        """v3's payload results (a v0.3 client never uses it)."""
        self.url = web_base(parse_base_url(url))
        self._token_source = token
        bind_accounts(token, accounts_url, self.url)
        self._ssl = ssl_context
        self._timeout = timeout
        self._rng = rng or random.SystemRandom().random
        self._tokens = TokenCache()
        self._tracker = ChatTracker()
        self._custom_id = payloads.custom_ids(self._rng)

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
        if hasattr(cls, f"_web_{declared.name}") or declared.name in V3_WEB:
            return super()._method(declared)

        def unsupported(self: WebAPIClient, *args: Any, **kwargs: Any) -> NoReturn:
            self._unsupported(declared.name)

        method = declared.dress(unsupported)
        method.__doc__ = "Not carried by the Web API (it needs the RTM connection)."
        return method

    def _run(self, call: Call[T]) -> T:
        if isinstance(call, Upload):
            return cast(T, self._web_send_file(call))
        if self.target.api != "0.3":
            if call.name not in V3_WEB:
                raise NotSupportedError(f"{call.name} is not a method of API {self.target.api}.")
            return cast(T, self._v3_run(call.name, call.args, call.kwargs))
        handler = getattr(self, f"_web_{call.name}", None)
        if handler is None:  # a v3 method
            raise NotSupportedError(f"{call.name} is not a method of API 0.3.")
        return cast(T, handler(*call.args, **call.kwargs))

    def _new_custom_id(self) -> str:
        return self._custom_id()

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
            action="send_file" if self.target.api == "0.3" else "upload_file",
        )
        plan = upload_plan(output, self._token(), self.url, self.target, self._rng)
        steps = exchange_steps(plan.request, body=plan.body, on_progress=upload.on_progress)
        result = plan.decode(
            exchange(self.url, steps, ssl_context=self._ssl, timeout=self._timeout)
        )
        url = result.get("url")
        if not isinstance(url, str):
            raise InvalidArgumentsError("The upload response has no url.")
        if output.action == "upload_file":  # v3: the upload only stores the file
            self._v3_file_event(output, url)
        return url

    def set_sneak_peek(self, chat: str, text: str) -> None:
        """Send a sneak peek now (no throttle: the caller decides how often)."""
        self._post("send_sneak_peek", payloads.sneak_peek(chat, text))

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
