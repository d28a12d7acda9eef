"""The chat.io v0.3 dialect of the server: its actions, responses and pushes (``wire.md``).

:class:`V03Dialect` validates v0.3 payloads, carries actions out through the shared
:class:`~customer_protocol.server.logic.ChatLogic` and renders facts as v0.3 pushes with the
views of :mod:`~customer_protocol.server.views`.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import quote

from customer_protocol.codec import encode_push

from .facts import (
    ChatPropertiesUpdated,
    CustomerUpdated,
    EventAdded,
    Fact,
    ScopesUpdated,
    SeenUpdated,
    ThreadClosed,
    ThreadOpened,
    ThreadPropertiesUpdated,
    Typing,
    UserAdded,
)
from .logic import ChatLogic, ChatStarted, Outcome, PushOut, SneakPeek, Upload
from .outputs import StoreFile
from .store import ChatRecord
from .validation import (
    ApiError,
    check_customer_update,
    check_event,
    check_flat_properties,
    check_scopes,
    get_int,
    get_object,
    get_str,
    to_read_form,
)
from .views import Views

__all__ = ["RTM_ACTIONS", "WEB_ACTIONS", "V03Dialect"]

WEB_ACTIONS: Final = frozenset(
    {
        "start_chat",
        "send_event",
        "send_file",
        "send_sneak_peek",
        "close_thread",
        "update_chat_scopes",
        "update_customer",
        "update_chat_properties",
        "update_chat_thread_properties",
    }
)
RTM_ACTIONS: Final = (WEB_ACTIONS - {"send_file"}) | {
    "get_chats_summary",
    "get_chat_threads",
    "get_chat_threads_summary",
    "update_last_seen_timestamp",
}


class V03Dialect:
    """chat.io Customer API v0.3 over the shared logic."""

    api: Final = "0.3"

    def __init__(self, logic: ChatLogic) -> None:
        self.logic = logic
        self.store = logic.store
        self.config = logic.config
        self.views = Views(logic.store, logic.present)

    # -- envelope ----------------------------------------------------------------------------

    @staticmethod
    def encode_push(action: str, payload: dict[str, Any], request_id: str | None) -> bytes:
        """A v0.3 push (no ``version``)."""
        return encode_push(action, payload, request_id=request_id)

    def login_response(self, customer_id: str) -> dict[str, Any]:
        """The ``login`` response payload."""
        return {"customer_id": customer_id, "static_config_path": self.config.static_config_path}

    # -- pushes ------------------------------------------------------------------------------

    def render(self, fact: Fact) -> list[tuple[str, dict[str, Any]]]:
        """The v0.3 pushes of a fact (none for what v0.3 cannot say)."""
        store, views = self.store, self.views
        match fact:
            case ThreadOpened():
                chat = store.chats[fact.chat_id]
                view = views.chat_with_thread(chat, store.threads[fact.thread_id])
                return [("incoming_chat_thread", {"chat": view})]
            case EventAdded():
                event = {"chat_id": fact.chat_id, "thread_id": fact.thread_id, "event": fact.event}
                return [("incoming_event", event)]
            case ThreadClosed():
                closed: dict[str, Any] = {"chat_id": fact.chat_id, "thread_id": fact.thread_id}
                if fact.user_id is not None:
                    closed["user_id"] = fact.user_id
                return [("thread_closed", closed)]
            case UserAdded():
                chat = store.chats[fact.chat_id]
                added = {"added": [views.user(fact.user_id, chat)], "removed_ids": []}
                return [("chat_users_updated", {"chat_id": chat.id, "updated_users": added})]
            case Typing():
                indicator = {
                    "author_id": fact.author_id,
                    "timestamp": fact.wall,
                    "is_typing": fact.is_typing,
                }
                return [
                    (
                        "incoming_typing_indicator",
                        {"chat_id": fact.chat_id, "typing_indicator": indicator},
                    )
                ]
            case ChatPropertiesUpdated():
                props = to_read_form(fact.properties)
                return [("chat_properties_updated", {"chat_id": fact.chat_id, "properties": props})]
            case ThreadPropertiesUpdated():
                payload: dict[str, Any] = {
                    "chat_id": fact.chat_id,
                    "thread_id": fact.thread_id,
                    "properties": to_read_form(fact.properties),
                }
                return [("chat_thread_properties_updated", payload)]
            case CustomerUpdated():
                customer = store.customers[fact.customer_id]
                return [
                    (
                        "customer_updated",
                        {"chat_id": c, "customer": views.customer(customer, store.chats[c])},
                    )
                    for c in fact.chat_ids
                ]
            case SeenUpdated():
                seen = {
                    "user_id": fact.user_id,
                    "chat_id": fact.chat_id,
                    "timestamp": fact.ms // 1000,
                }
                return [("last_seen_timestamp_updated", seen)]
            case ScopesUpdated():
                scopes = {
                    "chat_id": fact.chat_id,
                    "scopes_added": {"groups": list(fact.added)},
                    "scopes_removed": {"groups": list(fact.removed)},
                }
                return [("chat_scopes_updated", scopes)]
            case _:
                return []

    # -- actions -----------------------------------------------------------------------------

    def run(
        self,
        customer_id: str,
        action: str,
        payload: dict[str, Any],
        wall: int,
        upload: Upload | None = None,
    ) -> Outcome:
        """Carry out ``action`` (one of :data:`RTM_ACTIONS` or :data:`WEB_ACTIONS`) for the
        customer. Raises :class:`ApiError` (nothing changed) when it is not acceptable."""
        if action == "send_file":
            return self.send_file(customer_id, payload, wall, upload)
        handler = getattr(self, action, None)
        if action not in RTM_ACTIONS or handler is None:
            raise ApiError("validation", f"action: unknown action {action!r}")
        result: Outcome = handler(customer_id, payload, wall)
        return result

    def _push(self, chat: ChatRecord, fact: Fact, echo: bool = True) -> PushOut:
        return PushOut(customer_id=chat.customer_id, fact=fact, echo=echo)

    def get_chats_summary(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """``{chats_summary, total_chats}``, most recent activity first."""
        offset = get_int(payload, "offset", default=0, maximum=100) or 0
        limit = get_int(payload, "limit", default=10, minimum=1, maximum=25) or 10
        chats = sorted(self.store.chats_of(customer_id), key=lambda c: c.order, reverse=True)
        page = chats[offset : offset + limit]
        return Outcome(
            response={
                "chats_summary": [self.views.chat_summary(c) for c in page],
                "total_chats": len(chats),
            }
        )

    def get_chat_threads(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """``{chat: {id, users, properties, scopes, threads}}``, threads ascending by order."""
        chat = self.logic.chat_for(customer_id, payload)
        ids = payload.get("thread_ids")
        if not isinstance(ids, list) or not all(isinstance(t, str) for t in ids):
            raise ApiError("validation", "thread_ids: must be a list of strings")
        for thread_id in ids:
            if thread_id not in chat.thread_ids:
                raise ApiError("validation", f"thread_ids: no thread {thread_id!r} in this chat")
        threads = sorted((self.store.threads[t] for t in set(ids)), key=lambda t: t.order)
        return Outcome(response={"chat": self.views.chat_with_threads(chat, threads)})

    def get_chat_threads_summary(
        self, customer_id: str, payload: dict[str, Any], wall: int, *, oldest_first: bool = False
    ) -> Outcome:
        """``{threads_summary, total_threads}``: offset 0 is the newest page; the page is
        listed ascending by order. (``oldest_first``: the ``OLDEST_PAGE_FIRST`` fault.)"""
        chat = self.logic.chat_for(customer_id, payload)
        offset = get_int(payload, "offset", default=0) or 0
        limit = get_int(payload, "limit", default=25, minimum=1, maximum=100) or 25
        newest_first = self.store.threads_of(chat)[:: 1 if oldest_first else -1]
        page = sorted(newest_first[offset : offset + limit], key=lambda t: t.order)
        summary = [{"id": t.id, "order": t.order, "total_events": len(t.events)} for t in page]
        return Outcome(response={"threads_summary": summary, "total_threads": len(newest_first)})

    def start_chat(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """Create a chat with its first (active) thread; push ``incoming_chat_thread``."""
        documented = get_object(payload, "chat")
        if documented is not None:
            groups = check_scopes(documented.get("scopes"), "chat.scopes")
            props = documented.get("properties")
            thread_part = get_object(documented, "thread", name="chat.thread") or {}
            raw_events = thread_part.get("events", [])
            thread_props = thread_part.get("properties")
            where = "chat.thread.events"
        else:
            groups = self._routing_groups(payload.get("routing_scope"))
            props = payload.get("properties")
            raw_events = payload.get("events", [])
            thread_props = None
            where = "events"
        if raw_events is None:
            raw_events = []
        if not isinstance(raw_events, list):
            raise ApiError("validation", f"{where}: must be a list")
        events = [check_event(e, f"{where}[{i}]") for i, e in enumerate(raw_events)]
        chat_props = to_read_form(check_flat_properties(props)) if props is not None else {}
        t_props = (
            to_read_form(check_flat_properties(thread_props, "chat.thread.properties"))
            if thread_props is not None
            else {}
        )
        chat = self.logic.new_chat(customer_id, wall, properties=chat_props, groups=groups)
        thread = self.logic.new_thread(chat, t_props, wall_ms=self.logic.ms(wall))
        outcome = Outcome(notes=[ChatStarted(chat_id=chat.id, thread_id=thread.id)])
        for event in events:
            _, stored, _ = self.logic.add_event(chat, customer_id, event, wall)
            self.logic.note_message(outcome, chat, thread, stored)
        outcome.response = {"chat": self.views.chat_with_thread(chat, thread)}
        fact = ThreadOpened(chat_id=chat.id, thread_id=thread.id, requester_id=customer_id)
        outcome.pushes.append(self._push(chat, fact))
        return outcome

    @staticmethod
    def _routing_groups(scope: Any) -> list[int]:
        if scope is None:
            return []
        if not isinstance(scope, dict):
            raise ApiError("validation", "routing_scope: must be an object")
        kind = scope.get("type", "license")
        if kind == "license":
            return []
        if kind == "group":
            ids = scope.get("ids", scope.get("groups"))
            return check_scopes({"groups": ids}, "routing_scope")
        raise ApiError("validation", "routing_scope.type: must be 'license' or 'group'")

    def send_event(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """Store the event; push ``incoming_event`` (``incoming_chat_thread`` if it opened a
        thread). Response ``{thread_id, event}``."""
        chat = self.logic.chat_for(customer_id, payload)
        event = check_event(payload.get("event"))
        thread, stored, opened = self.logic.add_event(chat, customer_id, event, wall)
        fact = self.logic.event_fact(chat, thread, stored, opened, customer_id)
        outcome = Outcome(
            response={"thread_id": thread.id, "event": stored}, pushes=[self._push(chat, fact)]
        )
        self.logic.note_message(outcome, chat, thread, stored)
        return outcome

    def send_file(
        self, customer_id: str, payload: dict[str, Any], wall: int, upload: Upload | None
    ) -> Outcome:
        """Web API only: store a ``file`` event whose URL serves the upload; response
        ``{url}``; the outcome's ``files`` hold the bytes to keep."""
        chat = self.logic.chat_for(customer_id, payload)
        custom_id = get_str(payload, "custom_id", required=False)
        if upload is None:
            raise ApiError("validation", "file: is required")
        if len(upload.data) > self.config.max_file_size:
            size = self.config.max_file_size / (1024 * 1024)
            raise ApiError("validation", f"file: The file is too big (max size is {size:.2f} MB).")
        file_id = self.store.new_file_id()
        name = upload.name or "file"
        url = f"{self.config.files_base_url}/{file_id}/{quote(name)}"
        event: dict[str, Any] = {
            "type": "file",
            "name": name,
            "url": url,
            "content_type": upload.content_type or "application/octet-stream",
            "size": len(upload.data),
        }
        if custom_id is not None:
            event["custom_id"] = custom_id
        thread, stored, opened = self.logic.add_event(chat, customer_id, event, wall)
        kept = StoreFile(
            file_id=file_id,
            name=name,
            content_type=event["content_type"],
            url=url,
            data=upload.data,
        )
        fact = self.logic.event_fact(chat, thread, stored, opened, customer_id)
        return Outcome(response={"url": url}, pushes=[self._push(chat, fact)], files=[kept])

    def send_sneak_peek(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """Record the sneak peek for the agents; response ``{}``, no push."""
        chat = self.logic.chat_for(customer_id, payload)
        text = payload.get("sneak_peek_text")
        if not isinstance(text, str):
            raise ApiError("validation", "sneak_peek_text: must be a string")
        peek = SneakPeek(chat_id=chat.id, author_id=customer_id, text=text, timestamp=wall)
        return Outcome(notes=[peek])

    def close_thread(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """Close the active thread; push ``thread_closed``."""
        chat = self.logic.chat_for(customer_id, payload)
        return Outcome(pushes=[self.logic.end_thread(chat, customer_id)])

    def update_chat_scopes(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """Add and remove scope groups; push ``chat_scopes_updated`` with what changed."""
        chat = self.logic.chat_for(customer_id, payload)
        add = check_scopes(payload.get("add_scopes"), "add_scopes")
        remove = check_scopes(payload.get("remove_scopes"), "remove_scopes")
        groups = list(chat.scopes.get("groups", []))
        added = [g for g in add if g not in groups and g not in remove]
        removed = [g for g in remove if g in groups]
        groups = [g for g in groups if g not in removed] + added
        chat.scopes = {"groups": groups} if groups else {}
        self.store.touch("chat", chat.id)
        fact = ScopesUpdated(chat_id=chat.id, added=tuple(added), removed=tuple(removed))
        return Outcome(pushes=[self._push(chat, fact)])

    def update_customer(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """Update the customer; response ``{customer}``; push ``customer_updated`` once per
        chat with an active thread."""
        changes = check_customer_update(payload.get("customer"))
        customer = self.logic.customer(customer_id)
        self.logic.apply_customer_update(customer, changes)
        active = self.logic.active_chat_ids(customer_id)
        fact = CustomerUpdated(customer_id=customer_id, chat_ids=active)
        return Outcome(
            response={"customer": self.views.customer(customer)},
            pushes=[PushOut(customer_id=customer_id, fact=fact)] if active else [],
        )

    def update_chat_properties(
        self, customer_id: str, payload: dict[str, Any], wall: int
    ) -> Outcome:
        """Merge flat properties into the chat; push ``chat_properties_updated`` with only
        what changed (no push when nothing did)."""
        chat = self.logic.chat_for(customer_id, payload)
        flat = check_flat_properties(payload.get("properties"))
        return Outcome(pushes=self.logic.update_chat_properties(chat, flat))

    def update_chat_thread_properties(
        self, customer_id: str, payload: dict[str, Any], wall: int
    ) -> Outcome:
        """Merge flat properties into a thread (active or not); push
        ``chat_thread_properties_updated`` with only what changed; a rating is noted for
        the agent simulator."""
        chat = self.logic.chat_for(customer_id, payload)
        thread = self.logic.thread_of(chat, payload)
        flat = check_flat_properties(payload.get("properties"))
        return self.logic.update_thread_properties(chat, thread, flat)

    def update_last_seen_timestamp(
        self, customer_id: str, payload: dict[str, Any], wall: int
    ) -> Outcome:
        """Set the customer's last-seen time in the chat (default: now); response
        ``{timestamp}``; push ``last_seen_timestamp_updated``."""
        chat = self.logic.chat_for(customer_id, payload)
        timestamp = get_int(payload, "timestamp", default=wall) or 0
        self.logic.set_seen(chat, customer_id, timestamp * 1000)
        fact = SeenUpdated(chat_id=chat.id, user_id=customer_id, ms=timestamp * 1000)
        return Outcome(response={"timestamp": timestamp}, pushes=[self._push(chat, fact)])
