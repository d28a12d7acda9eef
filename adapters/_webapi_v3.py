"""The Web API client's LiveChat v3 actions (``spec/v3.md`` sections 1, 4 and 5).

:class:`V3WebActions` serves the declared methods (:mod:`adapters._surface`) by name over v3's
Web API: the same payload builders (``customer_protocol.dialects.v3_payloads``) and results
(the v3 dialect's ``resolve``) as the RTM client, one ``POST`` each. Without pushes, a call
resolves from its response, as the RTM client does when a push never comes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from customer_protocol import Rating, RequestFailedError, UploadFile
from customer_protocol.args import check_chat
from customer_protocol.dialects import v3_payloads as build
from customer_protocol.dialects import v3_results as results
from customer_protocol.dialects.v3 import V3, OpenedChat
from customer_protocol.dispatch import RESPONSE, ChatTracker

__all__ = ["V3_WEB", "V3WebActions"]

_SIMPLE: Final[Mapping[str, Callable[..., Mapping[str, Any]]]] = {
    "list_chats": build.list_chats,
    "list_threads": build.list_threads,
    "get_chat": build.get_chat,
    "deactivate_chat": build.deactivate_chat,
    "delete_event": build.delete_event,
    "send_rich_message_postback": build.send_rich_message_postback,
    "delete_chat_properties": build.delete_chat_properties,
    "delete_thread_properties": build.delete_thread_properties,
    "update_event_properties": build.update_event_properties,
    "delete_event_properties": build.delete_event_properties,
    "get_customer": build.get_customer,
    "set_customer_session_fields": build.set_customer_session_fields,
    "update_customer_page": build.update_customer_page,
    "list_group_statuses": build.list_group_statuses,
    "get_form": build.get_form,
    "get_predicted_agent": build.get_predicted_agent,
    "get_url_info": build.get_url_info,
    "mark_events_as_seen": build.mark_events_as_seen,
    "accept_greeting": build.accept_greeting,
    "cancel_greeting": build.cancel_greeting,
    "send_greeting_button_clicked": build.send_greeting_button_clicked,
    "request_welcome_message": build.request_welcome_message,
}
"""Methods that are one action of the same name, built from the method's arguments."""

_SEED: Final = frozenset(
    {
        "start_chat",
        "send_event",
        "send_message",
        "close_thread",
        "update_customer",
        "update_chat_properties",
        "update_chat_thread_properties",
        "send_rating",
        "resume_chat",
        "cancel_rate",
    }
)

V3_WEB: Final = frozenset(_SIMPLE) | _SEED
"""Every declared method the v3 Web API carries (``send_file`` is served beside them)."""


class V3WebActions:
    """The v3 half of :class:`adapters.webapi.WebAPIClient` (a mixin)."""

    _tracker: ChatTracker
    _v3: V3

    def _post(self, action: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _new_custom_id(self) -> str:
        raise NotImplementedError

    def _v3_action(self, action: str, payload: Mapping[str, Any]) -> Any:
        value, _events = self._v3.resolve(
            action, RESPONSE, self._post(action, payload), payload, self._tracker
        )
        return value

    def _v3_run(self, name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        builder = _SIMPLE.get(name)
        if builder is not None:
            value = self._v3_action(name, builder(*args, **kwargs))
            if name == "deactivate_chat":
                self._tracker.set_active(args[0], False)
            return value
        handler: Callable[..., Any] = getattr(self, f"_v3_{name}")
        return handler(*args, **kwargs)

    # -- the seed's methods (v3.md section 4) ------------------------------------------------

    def _v3_start_chat(self, *, events: Any, scope: Any, properties: Any) -> Any:
        access = None
        if isinstance(scope, Mapping) and "groups" in scope:
            access = {"group_ids": scope["groups"]}
        payload = build.start_chat(
            self._new_custom_id, events=events, properties=properties, access=access
        )
        opened: OpenedChat = self._v3_action("start_chat", payload)
        return opened.chat

    def _v3_send_event(self, chat: str, event: Mapping[str, Any]) -> Any:
        return self._v3_send(chat, build.send_event(chat, event, self._new_custom_id))

    def _v3_send_message(self, chat: str, text: str, *, custom_id: str | None) -> Any:
        payload = build.send_message(chat, text, custom_id, self._new_custom_id)
        return self._v3_send(chat, payload)

    def _v3_send(self, chat: str, payload: dict[str, Any]) -> Any:
        """``send_event``, or ``resume_chat`` to a chat known inactive / answered
        ``chat_inactive`` (v3.md section 4)."""
        if not self._tracker.is_inactive(chat):
            try:
                return self._v3_action("send_event", payload)
            except RequestFailedError as error:
                if error.type != "chat_inactive":
                    raise
        opened: OpenedChat = self._v3_action("resume_chat", build.resume_with_event(payload))
        event = opened.event(payload["event"]["custom_id"])
        if event is None:  # pragma: no cover - the server echoes the events it stored
            raise RequestFailedError("The new thread carries no event.", type="malformed_response")
        return event

    def _v3_close_thread(self, chat: str) -> bool:
        self._v3_action("deactivate_chat", build.deactivate_chat(chat))
        self._tracker.set_active(chat, False)
        return True

    def _v3_update_customer(self, *, name: Any, email: Any, fields: Any) -> bool:
        for action, payload in build.update_customer(name=name, email=email, fields=fields):
            self._v3_action(action, payload)
        return True

    def _v3_update_chat_properties(self, chat: str, properties: Mapping[str, Any]) -> bool:
        self._v3_action("update_chat_properties", build.update_chat_properties(chat, properties))
        return True

    def _v3_update_chat_thread_properties(
        self, chat: str, thread: str, properties: Mapping[str, Any]
    ) -> bool:
        payload = build.update_thread_properties(chat, thread, properties)
        self._v3_action("update_thread_properties", payload)
        return True

    def _newest_thread(self, chat: str) -> str:
        thread = self._tracker.newest_thread(check_chat(chat))
        if thread is not None:
            return thread
        page: results.ThreadsPage = self._v3_action(
            "list_threads", build.list_threads(chat, limit=1)
        )
        if not page.threads:
            raise RequestFailedError("The chat has no thread.", type="validation")
        return max(page.threads, key=lambda item: item.order).id

    def _v3_send_rating(self, chat: str, value: str, *, comment: str | None) -> Rating:
        build.send_rating(chat, "thread", value, comment)  # the arguments, checked first
        thread = self._newest_thread(chat)
        self._v3_action("update_thread_properties", build.send_rating(chat, thread, value, comment))
        return Rating(chat=chat, thread=thread, value=value, comment=comment)  # type: ignore[arg-type]

    def _v3_cancel_rate(self, chat: str, *, properties: Sequence[str]) -> bool:
        build.cancel_rate(chat, "thread", properties)
        thread = self._newest_thread(chat)
        self._v3_action("delete_thread_properties", build.cancel_rate(chat, thread, properties))
        return True

    def _v3_resume_chat(self, chat: str, **options: Any) -> Any:
        payload = build.resume_chat(chat, self._new_custom_id, **options)
        opened: OpenedChat = self._v3_action("resume_chat", payload)
        return opened.chat

    def _v3_file_event(self, output: UploadFile, url: str) -> None:
        """``send_file``'s second half: the ``file`` event with the uploaded URL."""
        event = {"type": "file", "url": url, "custom_id": output.custom_id}
        self._v3_send(output.chat_id, {"chat_id": output.chat_id, "event": event})
