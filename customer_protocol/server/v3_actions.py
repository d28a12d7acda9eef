"""The LiveChat v3.x dialect of the server: chats, events and properties (``v3.md`` sections 4-5).

:class:`V3Actions` holds every v3 action over the shared
:class:`~customer_protocol.server.logic.ChatLogic` (the customer, status and other actions are
in :mod:`~customer_protocol.server.v3_other`); :class:`V3Dialect` is one version's face of it
(``3.4``, ``3.5``, ``3.6``: the version goes into every push). Responses are the docs' bare
payloads; errors are ``validation`` (naming the field), ``not_found``, ``authorization`` (another
customer's chat) and ``chat_inactive``.
"""

from __future__ import annotations

from typing import Any, Final

from .facts import (
    ChatPropertiesDeleted,
    EventAdded,
    EventDeleted,
    EventPropertiesDeleted,
    EventPropertiesUpdated,
    Fact,
    RichMessagePostback,
    ThreadOpened,
    ThreadPropertiesDeleted,
)
from .logic import ChatLogic, ChatStarted, Outcome, PushOut, SneakPeek, Upload
from .store import ChatRecord, ThreadRecord
from .v3_checks import (
    check_bool,
    check_delete_properties,
    check_v3_event,
    decode_page,
    encode_page,
)
from .v3_other import V3Other
from .v3_views import V3Views, encode_v3_push
from .validation import (
    ApiError,
    check_flat_properties,
    get_int,
    get_object,
    get_str,
    to_read_form,
)

__all__ = ["RTM_ACTIONS", "V3_APIS", "WEB_ACTIONS", "V3Actions", "V3Dialect"]

V3_APIS: Final = ("3.4", "3.5", "3.6")
"""The LiveChat Customer Chat API versions the server serves beside v0.3."""
RTM_ACTIONS: Final = frozenset(
    {
        "list_chats",
        "list_threads",
        "get_chat",
        "start_chat",
        "resume_chat",
        "deactivate_chat",
        "send_event",
        "delete_event",
        "send_rich_message_postback",
        "send_sneak_peek",
        "update_chat_properties",
        "delete_chat_properties",
        "update_thread_properties",
        "delete_thread_properties",
        "update_event_properties",
        "delete_event_properties",
        "update_customer",
        "update_customer_page",
        "set_customer_session_fields",
        "get_customer",
        "list_group_statuses",
        "get_form",
        "get_predicted_agent",
        "get_url_info",
        "mark_events_as_seen",
        "accept_greeting",
        "cancel_greeting",
        "send_greeting_button_clicked",
        "request_welcome_message",
        # beyond the v3.6 RTM reference: what real clients send (v3.md §11)
        "activate_customer_page",
        "deactivate_customer_page",
        "check_goals",
        "list_license_properties",
        "list_group_properties",
    }
)
WEB_ACTIONS: Final = RTM_ACTIONS | {
    "upload_file",
    "get_dynamic_configuration",
    "get_configuration",
    "get_localization",
    "request_email_verification",
}
_CLOSED_BY_CUSTOMER: Final = "manual_archived_customer"


class V3Actions(V3Other):
    """Every v3 action (one instance shared by all v3 versions)."""

    def __init__(self, logic: ChatLogic) -> None:
        self.logic = logic
        self.store = logic.store
        self.config = logic.config
        self.views = V3Views(logic)
        self.uploads: dict[str, dict[str, Any]] = {}
        """``upload_file`` URLs → the file's ``name``, ``content_type`` and ``size``."""
        self.greetings: dict[str, dict[str, Any]] = {}
        """Greetings not canceled: ``unique_id`` → the push payload, ``accepted`` and the
        ``customer_id`` (not persisted)."""
        self.greeted = 0

    def run(  # noqa: PLR0917 - the ServerDialect.run arguments plus the version
        self,
        api: str,
        customer_id: str,
        action: str,
        payload: dict[str, Any],
        wall: int,
        upload: Upload | None = None,
        *,
        web: bool = False,
    ) -> Outcome:
        """Carry out a v3 action; raises :class:`ApiError` (nothing changed) if unacceptable."""
        if action == "upload_file" and web:
            return self.upload_file(upload)
        known = WEB_ACTIONS if web else RTM_ACTIONS
        handler = getattr(self, action, None)
        if action not in known or handler is None:
            raise ApiError("validation", f"action: unknown action {action!r}")
        self.api = api
        result: Outcome = handler(customer_id, payload, wall)
        return result

    # -- helpers -----------------------------------------------------------------------------

    def _chat(self, customer_id: str, payload: dict[str, Any], key: str = "chat_id") -> ChatRecord:
        return self.logic.chat_for(customer_id, payload, key, missing="not_found")

    def _thread(self, chat: ChatRecord, payload: dict[str, Any]) -> ThreadRecord:
        return self.logic.thread_of(chat, payload, missing="not_found")

    def _event(
        self, customer_id: str, payload: dict[str, Any]
    ) -> tuple[ChatRecord, ThreadRecord, dict[str, Any]]:
        """The chat, thread and event that ``chat_id``, ``thread_id`` and ``event_id`` name."""
        chat = self._chat(customer_id, payload)
        thread = self._thread(chat, payload)
        event_id = get_str(payload, "event_id")
        for event in thread.events:
            if event["id"] == event_id:
                return chat, thread, event
        raise ApiError("not_found", "event_id: no such event in this thread")

    @staticmethod
    def _push(chat: ChatRecord, fact: Fact, echo: bool = True) -> PushOut:
        return PushOut(customer_id=chat.customer_id, fact=fact, echo=echo)

    def _chat_parts(
        self, payload: dict[str, Any], *, resume: bool
    ) -> tuple[dict[str, Any], list[int] | None, dict[str, Any], dict[str, Any], list[Any]]:
        """The checked ``chat`` object of start/resume: ``(chat, groups, chat props, thread
        props, events)``."""
        chat = get_object(payload, "chat", required=resume) or {}
        access = get_object(chat, "access", name="chat.access")
        groups: list[int] | None = None
        if access is not None:
            ids = access.get("group_ids", [])
            if not isinstance(ids, list) or any(
                isinstance(g, bool) or not isinstance(g, int) or g < 0 for g in ids
            ):
                raise ApiError("validation", "chat.access.group_ids: must be a list of group ids")
            groups = list(dict.fromkeys(ids))
        props = chat.get("properties")
        chat_props = {}
        if props is not None:
            chat_props = to_read_form(check_flat_properties(props, "chat.properties"))
        thread = get_object(chat, "thread", name="chat.thread") or {}
        t_raw = thread.get("properties")
        t_props = {}
        if t_raw is not None:
            t_props = to_read_form(check_flat_properties(t_raw, "chat.thread.properties"))
        raw_events = thread.get("events")
        if raw_events is None:
            raw_events = []
        if not isinstance(raw_events, list):
            raise ApiError("validation", "chat.thread.events: must be a list")
        events = [check_v3_event(e, f"chat.thread.events[{i}]") for i, e in enumerate(raw_events)]
        users = chat.get("users")
        if users is not None and not isinstance(users, list):
            raise ApiError("validation", "chat.users: must be a list")
        check_bool(payload, "active", True)
        check_bool(payload, "continuous", None)
        return chat, groups, chat_props, t_props, [self._file_details(e) for e in events]

    def _file_details(self, event: dict[str, Any]) -> dict[str, Any]:
        """A ``file`` event gets the name, type and size of its ``upload_file`` URL."""
        if event["type"] == "file":
            known = self.uploads.get(event["url"])
            if known is not None:
                return {**known, **event}
        return event

    def _open(
        self,
        *,
        customer_id: str,
        chat: ChatRecord,
        payload: dict[str, Any],
        wall: int,
        t_props: dict[str, Any],
        events: list[dict[str, Any]],
    ) -> tuple[Outcome, ThreadRecord]:
        """Open a thread (inactive if ``active`` is false) with its first events."""
        active = check_bool(payload, "active", True)
        thread = self.logic.new_thread(chat, t_props, active=active, wall_ms=self.logic.ms(wall))
        outcome = Outcome()
        if active:
            outcome.notes.append(ChatStarted(chat_id=chat.id, thread_id=thread.id))
        ids = []
        for event in events:
            _, stored, _ = self.logic.add_event(chat, customer_id, event, wall, reopen=False)
            ids.append(stored["id"])
            self.logic.note_message(outcome, chat, thread, stored)
        self.logic.set_seen(chat, customer_id, self.logic.ms(wall))
        outcome.response = {"thread_id": thread.id}
        if ids:
            outcome.response["event_ids"] = ids
        fact = ThreadOpened(chat_id=chat.id, thread_id=thread.id, requester_id=customer_id)
        outcome.pushes.append(self._push(chat, fact))
        return outcome, thread

    # -- chats -------------------------------------------------------------------------------

    def list_chats(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """Chat summaries by their last thread's creation, newest first by default; paged."""
        if payload.get("page_id") is not None:
            if payload.get("limit") is not None or payload.get("sort_order") is not None:
                raise ApiError("validation", "page_id: cannot be combined with limit/sort_order")
            state = decode_page(payload["page_id"], "chats")
            offset, limit, order = state["o"], int(state.get("l") or 10), state["s"]
        else:
            offset = 0
            limit = get_int(payload, "limit", default=10, minimum=1, maximum=25) or 10
            order = self._sort_order(payload)

        def key(chat: ChatRecord) -> tuple[int, int]:
            last = self.store.last_thread(chat)
            return (self.views.thread_ms(last) if last else 0, chat.order)

        chats = sorted(self.store.chats_of(customer_id), key=key, reverse=order == "desc")
        page = chats[offset : offset + limit]
        response: dict[str, Any] = {
            "chats_summary": [self.views.chat_summary(c) for c in page],
            "total_chats": len(chats),
        }
        if offset + limit < len(chats):
            state = {"k": "chats", "o": offset + limit, "l": limit, "s": order}
            response["next_page_id"] = encode_page(state)
        if offset > 0:
            state = {"k": "chats", "o": max(0, offset - limit), "l": limit, "s": order}
            response["previous_page_id"] = encode_page(state)
        return Outcome(response=response)

    @staticmethod
    def _sort_order(payload: dict[str, Any]) -> str:
        order = payload.get("sort_order", "desc")
        if order not in ("asc", "desc"):
            raise ApiError("validation", "sort_order: must be 'asc' or 'desc'")
        return str(order)

    def list_threads(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """A page of the chat's threads, newest first by default (``limit`` threads, or as
        many as make ``min_events_count`` events)."""
        chat = self._chat(customer_id, payload)
        if payload.get("page_id") is not None:
            if any(payload.get(k) is not None for k in ("limit", "sort_order", "min_events_count")):
                raise ApiError(
                    "validation", "page_id: cannot be combined with limit/sort_order/min_events"
                )
            state = decode_page(payload["page_id"], "threads:" + chat.id)
            offset, order = state["o"], state["s"]
            limit, min_events = state.get("l"), state.get("m")
        else:
            offset, order = 0, self._sort_order(payload)
            limit = get_int(payload, "limit", default=None, minimum=1, maximum=100)
            min_events = get_int(payload, "min_events_count", default=None, minimum=1, maximum=100)
            if limit is not None and min_events is not None:
                raise ApiError("validation", "limit: cannot be combined with min_events_count")
            if limit is None and min_events is None:
                limit = 3
        threads = self.store.threads_of(chat)
        if order == "desc":
            threads = threads[::-1]
        if isinstance(min_events, int):
            end = self._min_events_end(threads, offset, min_events)
            start = offset
            back = offset
            total = 0
            while back > 0 and total < min_events:
                back -= 1
                total += len(threads[back].events)
            previous = back
        else:
            size = int(limit or 3)
            start, end, previous = offset, offset + size, max(0, offset - size)
        page = threads[start:end]
        response: dict[str, Any] = {
            "threads": [self.views.thread(chat, t) for t in page],
            "found_threads": len(threads),
        }
        kind = "threads:" + chat.id
        base = {"k": kind, "s": order, **({"m": min_events} if min_events else {"l": limit})}
        if end < len(threads):
            response["next_page_id"] = encode_page({**base, "o": end})
        if start > 0:
            response["previous_page_id"] = encode_page({**base, "o": previous})
        return Outcome(response=response)

    @staticmethod
    def _min_events_end(threads: list[ThreadRecord], offset: int, min_events: int) -> int:
        end, total = offset, 0
        while end < len(threads) and (end == offset or total < min_events):
            total += len(threads[end].events)
            end += 1
        return end

    def get_chat(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """``{id, thread, users, access, properties}`` (the given or the latest thread)."""
        chat = self._chat(customer_id, payload)
        if payload.get("thread_id") is not None:
            thread: ThreadRecord | None = self._thread(chat, payload)
        else:
            thread = self.store.last_thread(chat)
        return Outcome(response=self.views.chat_with_thread(chat, thread))

    def start_chat(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """A new chat with its first thread; ``{chat_id, thread_id, event_ids?}``; the
        ``incoming_chat`` push answers it."""
        _, groups, chat_props, t_props, events = self._chat_parts(payload, resume=False)
        chat = self.logic.new_chat(customer_id, wall, properties=chat_props, groups=groups)
        outcome, _ = self._open(
            customer_id=customer_id,
            chat=chat,
            payload=payload,
            wall=wall,
            t_props=t_props,
            events=events,
        )
        outcome.response = {"chat_id": chat.id, **outcome.response}
        return outcome

    def resume_chat(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """A new thread in an inactive chat; ``{thread_id, event_ids?}``; ``incoming_chat``."""
        parts, groups, chat_props, t_props, events = self._chat_parts(payload, resume=True)
        chat = self.logic.chat_for(customer_id, parts, "id", missing="not_found", name="chat.id")
        if self.store.active_thread(chat) is not None:
            raise ApiError("validation", "chat.id: the chat is already active")
        if groups is not None:
            chat.scopes = {"groups": groups} if groups and groups != [0] else {}
        for namespace, entries in chat_props.items():
            chat.properties.setdefault(namespace, {}).update(entries)
        outcome, _ = self._open(
            customer_id=customer_id,
            chat=chat,
            payload=payload,
            wall=wall,
            t_props=t_props,
            events=events,
        )
        return outcome

    def deactivate_chat(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """Close the active thread (a system message records it): ``chat_deactivated``."""
        chat = self._chat(customer_id, payload, "id")
        if self.store.active_thread(chat) is None:
            raise ApiError("chat_inactive", "id: the chat is not active")
        note = {
            "type": "system_message",
            "text": "The customer closed the chat.",
            "system_message_type": _CLOSED_BY_CUSTOMER,
        }
        thread, stored, _ = self.logic.add_event(chat, None, note, wall)
        side = EventAdded(chat_id=chat.id, thread_id=thread.id, event=stored)
        return Outcome(
            pushes=[self._push(chat, side, echo=False), self.logic.end_thread(chat, customer_id)]
        )

    # -- events ------------------------------------------------------------------------------

    def send_event(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """Store an event in the active thread (or, with ``attach_to_last_thread``, in the
        last one); ``{event_id}``; the ``incoming_event`` push answers it."""
        chat = self._chat(customer_id, payload)
        event = self._file_details(check_v3_event(payload.get("event")))
        attach = check_bool(payload, "attach_to_last_thread", False)
        if self.store.active_thread(chat) is None and not (attach and chat.thread_ids):
            raise ApiError("chat_inactive", "chat_id: the chat is not active")
        thread, stored, _ = self.logic.add_event(chat, customer_id, event, wall, reopen=False)
        self.logic.set_seen(chat, customer_id, self.logic.ms(wall))
        fact = EventAdded(chat_id=chat.id, thread_id=thread.id, event=stored)
        outcome = Outcome(response={"event_id": stored["id"]}, pushes=[self._push(chat, fact)])
        if thread.active:
            self.logic.note_message(outcome, chat, thread, stored)
        return outcome

    def delete_event(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """Remove one of the customer's events; ``event_deleted``."""
        chat, thread, event = self._event(customer_id, payload)
        if event.get("author_id") != customer_id:
            raise ApiError("authorization", "event_id: the event is not the customer's")
        thread.events.remove(event)
        thread.event_ms.pop(event["id"], None)
        fact = EventDeleted(chat_id=chat.id, thread_id=thread.id, event_id=event["id"])
        return self._thread_changed(chat, thread, fact)

    def send_rich_message_postback(
        self, customer_id: str, payload: dict[str, Any], wall: int
    ) -> Outcome:
        """A rich message button answer; ``incoming_rich_message_postback`` (active threads)."""
        chat, thread, event = self._event(customer_id, payload)
        postback = get_object(payload, "postback", required=True) or {}
        get_str(postback, "id", name="postback.id")
        if not isinstance(postback.get("toggled"), bool):
            raise ApiError("validation", "postback.toggled: must be a boolean")
        for key in ("button_type", "button_value"):
            if postback.get(key) is not None and not isinstance(postback[key], str):
                raise ApiError("validation", f"postback.{key}: must be a string")
        ecommerce = get_object(postback, "ecommerce", name="postback.ecommerce")
        if ecommerce is not None:
            get_str(ecommerce, "product_id", name="postback.ecommerce.product_id")
        if not thread.active:
            return Outcome()
        fact = RichMessagePostback(
            user_id=customer_id,
            chat_id=chat.id,
            thread_id=thread.id,
            event_id=event["id"],
            postback=dict(postback),
        )
        return Outcome(pushes=[self._push(chat, fact)])

    def send_sneak_peek(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """Record the sneak peek for the agents; no push."""
        chat = self._chat(customer_id, payload)
        text = payload.get("sneak_peek_text")
        if not isinstance(text, str):
            raise ApiError("validation", "sneak_peek_text: must be a string")
        if self.store.active_thread(chat) is None:
            return Outcome()
        peek = SneakPeek(chat_id=chat.id, author_id=customer_id, text=text, timestamp=wall)
        return Outcome(notes=[peek])

    # -- properties --------------------------------------------------------------------------

    def update_chat_properties(
        self, customer_id: str, payload: dict[str, Any], wall: int
    ) -> Outcome:
        """Merge chat properties; ``chat_properties_updated`` with what changed."""
        chat = self._chat(customer_id, payload, "id")
        flat = check_flat_properties(payload.get("properties"))
        return Outcome(pushes=self.logic.update_chat_properties(chat, flat))

    def delete_chat_properties(
        self, customer_id: str, payload: dict[str, Any], wall: int
    ) -> Outcome:
        """Delete chat properties; ``chat_properties_deleted`` with what was there."""
        chat = self._chat(customer_id, payload, "id")
        gone = self.logic.unset(chat.properties, check_delete_properties(payload.get("properties")))
        if not gone:
            return Outcome()
        self.store.touch("chat", chat.id)
        return Outcome(
            pushes=[self._push(chat, ChatPropertiesDeleted(chat_id=chat.id, properties=gone))]
        )

    def update_thread_properties(
        self, customer_id: str, payload: dict[str, Any], wall: int
    ) -> Outcome:
        """Merge thread properties; ``thread_properties_updated`` with what changed; a
        rating is noted for the agent simulator."""
        chat = self._chat(customer_id, payload)
        thread = self._thread(chat, payload)
        flat = check_flat_properties(payload.get("properties"))
        return self.logic.update_thread_properties(chat, thread, flat)

    def delete_thread_properties(
        self, customer_id: str, payload: dict[str, Any], wall: int
    ) -> Outcome:
        """Delete thread properties; ``thread_properties_deleted``."""
        chat = self._chat(customer_id, payload)
        thread = self._thread(chat, payload)
        names = check_delete_properties(payload.get("properties"))
        gone = self.logic.unset(thread.properties, names)
        if not gone:
            return Outcome()
        fact = ThreadPropertiesDeleted(chat_id=chat.id, thread_id=thread.id, properties=gone)
        return self._thread_changed(chat, thread, fact)

    def update_event_properties(
        self, customer_id: str, payload: dict[str, Any], wall: int
    ) -> Outcome:
        """Merge event properties; ``event_properties_updated``."""
        chat, thread, event = self._event(customer_id, payload)
        flat = check_flat_properties(payload.get("properties"))
        changed = self.logic.merge(event.setdefault("properties", {}), flat)
        if not changed:
            return Outcome()
        fact = EventPropertiesUpdated(
            chat_id=chat.id, thread_id=thread.id, event_id=event["id"], properties=changed
        )
        return self._thread_changed(chat, thread, fact)

    def delete_event_properties(
        self, customer_id: str, payload: dict[str, Any], wall: int
    ) -> Outcome:
        """Delete event properties; ``event_properties_deleted``."""
        chat, thread, event = self._event(customer_id, payload)
        names = check_delete_properties(payload.get("properties"))
        gone = self.logic.unset(event.get("properties") or {}, names)
        if not gone:
            return Outcome()
        if not event.get("properties"):
            event.pop("properties", None)
        fact = EventPropertiesDeleted(
            chat_id=chat.id, thread_id=thread.id, event_id=event["id"], properties=gone
        )
        return self._thread_changed(chat, thread, fact)

    def _thread_changed(self, chat: ChatRecord, thread: ThreadRecord, fact: Fact) -> Outcome:
        """Mark ``thread`` changed (stored again) and push ``fact``."""
        self.store.touch("thread", thread.id)
        return Outcome(pushes=[self._push(chat, fact)])


class V3Dialect:
    """One v3.x version (``api``) of :class:`V3Actions` for the server core."""

    def __init__(self, actions: V3Actions, api: str) -> None:
        if api not in V3_APIS:
            raise ValueError(f"unsupported v3 version {api!r}")
        self.actions = actions
        self._api = api

    @property
    def api(self) -> str:
        """``"3.4"``, ``"3.5"`` or ``"3.6"``."""
        return self._api

    def render(self, fact: Fact) -> list[tuple[str, dict[str, Any]]]:
        """The v3 pushes of a fact."""
        return self.actions.views.render(fact)

    def encode_push(self, action: str, payload: dict[str, Any], request_id: str | None) -> bytes:
        """A v3 push carrying this version."""
        return encode_v3_push(self._api, action, payload, request_id)

    def run(
        self,
        customer_id: str,
        action: str,
        payload: dict[str, Any],
        wall: int,
        upload: Upload | None = None,
    ) -> Outcome:
        """An RTM action of this version."""
        return self.actions.run(self._api, customer_id, action, payload, wall, upload)
