"""The LiveChat v3.x dialect of the server: login, customers, status, greetings and the rest.

A base of :class:`~customer_protocol.server.v3_actions.V3Actions` (kept apart so that no module
grows past a screenful of screens). The reference server has one group (``0``), online when the
agent simulator is on, and no license or group properties unless configured.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote, urlsplit

from customer_protocol.rfc3339 import format_ms, parse_ms

from .facts import CustomerSideStorageUpdated, CustomerUpdated, SeenUpdated, V3Only
from .logic import ChatLogic, Outcome, PushOut, Upload
from .outputs import StoreFile
from .store import CustomerRecord, Store
from .v3_checks import check_group_id, check_session_fields
from .v3_views import V3Views
from .validation import ApiError, get_int, get_object, get_str

__all__ = ["V3Other"]

_FORM_TYPES: Final = ("prechat", "postchat", "ticket")
_GROUP: Final = 0
_CUSTOMER_STRINGS: Final = ("name", "email", "avatar")


class V3Other:
    """Customer, status and other v3 actions (see :class:`V3Actions`)."""

    logic: ChatLogic
    store: Store
    views: V3Views
    uploads: dict[str, dict[str, Any]]
    greetings: dict[str, dict[str, Any]]
    greeted: int
    api: str = "3.6"

    # -- helpers -----------------------------------------------------------------------------

    def online_groups(self) -> list[int]:
        """The groups with an agent accepting chats."""
        return [_GROUP] if self.logic.config.agent is not None else []

    def _agent_view(self) -> dict[str, Any]:
        agent = self.logic.config.agent
        if agent is None:
            raise ApiError("group_offline", "no agent is available")
        return self.views.agent(agent.id)

    def _customer_changes(self, value: Mapping[str, Any], where: str) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        for key in _CUSTOMER_STRINGS:
            if value.get(key) is not None:
                if not isinstance(value[key], str):
                    raise ApiError("validation", f"{where}{key}: must be a string")
                changes[key] = value[key]
        if value.get("session_fields") is not None:
            changes["fields"] = check_session_fields(
                value["session_fields"], f"{where}session_fields"
            )
        for key in ("address", "omnichannel"):
            if value.get(key) is not None and not isinstance(value[key], dict):
                raise ApiError("validation", f"{where}{key}: must be an object")
        return changes

    def _updated(self, customer: CustomerRecord) -> Outcome:
        fact = CustomerUpdated(
            customer_id=customer.id, chat_ids=self.logic.active_chat_ids(customer.id)
        )
        return Outcome(pushes=[PushOut(customer_id=customer.id, fact=fact)])

    @staticmethod
    def _count(customer: CustomerRecord, name: str) -> None:
        customer.stats[name] = customer.stats.get(name, 0) + 1

    # -- login -------------------------------------------------------------------------------

    def login(
        self, customer: CustomerRecord, payload: dict[str, Any], wall: int, api: str
    ) -> tuple[Outcome, frozenset[str] | None]:
        """The v3 ``login`` of an authenticated customer: the response, a
        ``customer_side_storage_updated`` push, and the pushes the connection asked for
        (``None``: all)."""
        given = payload.get("customer")
        if given is not None and not isinstance(given, dict):
            raise ApiError("validation", "customer: must be an object")
        changes = self._customer_changes(given or {}, "customer.")
        storage = payload.get("customer_side_storage")
        if storage is not None and (
            not isinstance(storage, dict) or not all(isinstance(v, str) for v in storage.values())
        ):
            raise ApiError("validation", "customer_side_storage: must be an object of strings")
        wanted = self._push_filter(payload.get("pushes"), api)
        for key in ("is_mobile",):
            if payload.get(key) is not None and not isinstance(payload[key], bool):
                raise ApiError("validation", f"{key}: must be a boolean")
        check_group_id(payload.get("group_id"), "group_id", required=False)
        page = get_object(payload, "customer_page")
        if changes:
            self.logic.apply_customer_update(customer, changes)
        self._count(customer, "visits_count")
        if page is not None and isinstance(page.get("url"), str):
            self._count(customer, "page_views_count")
        customer.side_storage = {
            **(storage or customer.side_storage),
            "customer_visits": str(customer.stats["visits_count"]),
        }
        self.store.touch("customer", customer.id)
        chats = self.store.chats_of(customer.id)
        response = {
            "customer": self.views.customer(customer, statistics=True),
            "has_active_thread": any(self.store.active_thread(c) is not None for c in chats),
            "chats": [
                {"chat_id": c.id, "has_unread_events": self.views.has_unread(c, customer.id)}
                for c in chats
            ],
            "__priv_dynamic_config": {
                "online_groups_ids": self.online_groups(),
                "customer_groups": {
                    "monitoring": {
                        "id": _GROUP,
                        "static_config_url": self.logic.config.static_config_path,
                    }
                },
            },
        }
        greeting = self._last_greeting(customer.id)
        if greeting is not None:
            response["greeting"] = greeting
        fact = CustomerSideStorageUpdated(storage=dict(customer.side_storage))
        push = PushOut(customer_id=customer.id, fact=fact, echo=False)
        return Outcome(response=response, pushes=[push]), wanted

    @staticmethod
    def _push_filter(value: Any, api: str) -> frozenset[str] | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ApiError("validation", "pushes: must be an object of version: [push names]")
        for version, names in value.items():
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise ApiError("validation", f"pushes.{version}: must be a list of push names")
        names = value.get(api)
        if names is None or "all" in names:
            return None
        return frozenset(names) | {"customer_disconnected"}

    # -- customers ---------------------------------------------------------------------------

    def update_customer(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """Update name, email, avatar, session fields; ``customer_updated``."""
        known = (*_CUSTOMER_STRINGS, "session_fields", "address", "omnichannel")
        if not any(payload.get(k) is not None for k in known):
            raise ApiError("validation", "payload: at least one customer field is required")
        changes = self._customer_changes(payload, "")
        customer = self.logic.customer(customer_id)
        self.logic.apply_customer_update(customer, changes)
        return self._updated(customer)

    def set_customer_session_fields(
        self, customer_id: str, payload: dict[str, Any], wall: int
    ) -> Outcome:
        """Set session fields (merged into the customer's, in order); ``customer_updated``."""
        if payload.get("session_fields") is None:
            raise ApiError("validation", "session_fields: is required")
        fields = check_session_fields(payload["session_fields"])
        customer = self.logic.customer(customer_id)
        self.logic.apply_customer_update(customer, {"fields": fields})
        return self._updated(customer)

    def get_customer(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """The customer object with ``statistics``."""
        customer = self.logic.customer(customer_id)
        return Outcome(response=self.views.customer(customer, statistics=True))

    def update_customer_page(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """Count a page view (``url`` required, ``title`` optional); no group change."""
        get_str(payload, "url")
        get_str(payload, "title", required=False)
        customer = self.logic.customer(customer_id)
        self._count(customer, "page_views_count")
        self.store.touch("customer", customer.id)
        return Outcome()

    def activate_customer_page(
        self, customer_id: str, payload: dict[str, Any], wall: int
    ) -> Outcome:
        """Accepted and answered ``{}`` (lc-sdk-python sends it; not in the v3.6 reference)."""
        return Outcome()

    def deactivate_customer_page(
        self, customer_id: str, payload: dict[str, Any], wall: int
    ) -> Outcome:
        """Accepted and answered ``{}`` (as :meth:`activate_customer_page`)."""
        return Outcome()

    # -- status and other --------------------------------------------------------------------

    def list_group_statuses(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """``{groups_status: {id: online|offline}}`` for ``all`` or the known ``group_ids``."""
        every = payload.get("all")
        ids = payload.get("group_ids")
        if every is not None and not isinstance(every, bool):
            raise ApiError("validation", "all: must be a boolean")
        if ids is not None:
            if not isinstance(ids, list):
                raise ApiError("validation", "group_ids: must be a list of group ids")
            ids = [check_group_id(g, f"group_ids[{i}]") for i, g in enumerate(ids)]
        if not every and ids is None:
            raise ApiError("validation", "all: give all=true or group_ids")
        online = self.online_groups()
        wanted = [_GROUP] if every else [g for g in ids or () if g == _GROUP]
        status = {str(g): "online" if g in online else "offline" for g in wanted}
        return Outcome(response={"groups_status": status})

    def get_form(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """A small enabled form of the ``type`` asked for, for group 0."""
        group = check_group_id(payload.get("group_id"), "group_id")
        kind = payload.get("type")
        if kind not in _FORM_TYPES:
            raise ApiError("validation", "type: must be 'prechat', 'postchat' or 'ticket'")
        if group != _GROUP:
            raise ApiError("group_not_found", "group_id: no such group")
        fields = [
            {"id": f"{kind}-1", "type": "header", "label": f"The {kind} form"},
            {"id": f"{kind}-2", "type": "name", "label": "Name:", "required": False},
            {"id": f"{kind}-3", "type": "email", "label": "E-mail:", "required": False},
        ]
        return Outcome(response={"enabled": True, "form": {"id": f"{kind}-form", "fields": fields}})

    def get_predicted_agent(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """The simulator's agent (``group_offline`` without one)."""
        return Outcome(response={"agent": self._agent_view(), "queue": False})

    def get_url_info(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """What the server can say about a URL without fetching it."""
        url = get_str(payload, "url") or ""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ApiError("validation", "url: must be an http(s) URL")
        info = {
            "title": parts.netloc,
            "description": "",
            "image_url": "",
            "image_original_url": "",
            "image_width": 0,
            "image_height": 0,
            "url": url,
        }
        return Outcome(response=info)

    def mark_events_as_seen(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """Set ``events_seen_up_to``; ``events_marked_as_seen``."""
        chat = self.logic.chat_for(customer_id, payload, missing="not_found")
        raw = payload.get("seen_up_to")
        if raw is None:
            raise ApiError("validation", "seen_up_to: is required")
        ms = parse_ms(raw)
        if ms is None:
            raise ApiError("validation", "seen_up_to: must be an RFC 3339 date-time")
        self.logic.set_seen(chat, customer_id, ms)
        fact = SeenUpdated(chat_id=chat.id, user_id=customer_id, ms=ms)
        return Outcome(pushes=[PushOut(customer_id=customer_id, fact=fact)])

    def greet(self, customer_id: str, text: str, wall: int) -> PushOut:
        """A greeting for the customer (an ``incoming_greeting`` push for v3 connections)."""
        self.greeted += 1
        number = self.greeted
        unique_id = f"GR{number:08d}"
        customer = self.logic.customer(customer_id)
        self._count(customer, "greetings_shown_count")
        self.store.touch("customer", customer_id)
        agent = self._agent_view()
        event = {
            "id": f"{unique_id}_1",
            "created_at": format_ms(self.logic.ms(wall)),
            "type": "message",
            "text": text,
            "author_id": agent["id"],
        }
        payload = {
            "id": number,
            "unique_id": unique_id,
            "displayed_first_time": True,
            "addon": "email",
            "subtype": "announcement",
            "is_exit_intent": False,
            "event": event,
            "agent": agent,
        }
        self.greetings[unique_id] = {"customer_id": customer_id, "accepted": False, **payload}
        return PushOut(
            customer_id=customer_id, fact=V3Only(action="incoming_greeting", payload=payload)
        )

    def _last_greeting(self, customer_id: str) -> dict[str, Any] | None:
        """The customer's newest greeting not canceled (login's ``greeting``)."""
        for greeting in reversed(self.greetings.values()):
            if greeting["customer_id"] == customer_id:
                view = {k: v for k, v in greeting.items() if k != "customer_id"}
                view["displayed_first_time"] = False
                return view
        return None

    def _greeting(self, customer_id: str, payload: dict[str, Any], key: str) -> str:
        unique_id = get_str(payload, key) or ""
        greeting = self.greetings.get(unique_id)
        if greeting is None or greeting["customer_id"] != customer_id:
            raise ApiError("greeting_not_found", f"{key}: no such greeting")
        return unique_id

    def accept_greeting(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """``greeting_accepted``; ``greeting_not_found`` for an unknown greeting."""
        get_int(payload, "greeting_id", default=None)
        if payload.get("greeting_id") is None:
            raise ApiError("validation", "greeting_id: is required")
        unique_id = self._greeting(customer_id, payload, "unique_id")
        self.greetings[unique_id]["accepted"] = True
        customer = self.logic.customer(customer_id)
        self._count(customer, "greetings_accepted_count")
        self.store.touch("customer", customer_id)
        fact = V3Only(action="greeting_accepted", payload={"unique_id": unique_id})
        return Outcome(pushes=[PushOut(customer_id=customer_id, fact=fact)])

    def cancel_greeting(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """``greeting_canceled``; ``greeting_not_found`` for an unknown greeting."""
        unique_id = self._greeting(customer_id, payload, "unique_id")
        del self.greetings[unique_id]
        fact = V3Only(action="greeting_canceled", payload={"unique_id": unique_id})
        return Outcome(pushes=[PushOut(customer_id=customer_id, fact=fact)])

    def send_greeting_button_clicked(
        self, customer_id: str, payload: dict[str, Any], wall: int
    ) -> Outcome:
        """Accepted for a known greeting (``button_id`` required)."""
        self._greeting(customer_id, payload, "greeting_unique_id")
        get_str(payload, "button_id")
        return Outcome()

    def request_welcome_message(
        self, customer_id: str, payload: dict[str, Any], wall: int
    ) -> Outcome:
        """``{id, predicted_agent, queue}``; the agent's ``incoming_welcome_message``."""
        message_id = get_str(payload, "id", required=False) or "welcome"
        check_group_id(payload.get("group_id"), "group_id", required=False)
        agent = self._agent_view()
        event = {
            "created_at": format_ms(self.logic.ms(wall)),
            "type": "message",
            "text": "Welcome! How can I help you?",
            "author_id": agent["id"],
        }
        fact = V3Only(action="incoming_welcome_message", payload={"id": message_id, "event": event})
        return Outcome(
            response={"id": message_id, "predicted_agent": agent, "queue": False},
            pushes=[PushOut(customer_id=customer_id, fact=fact)],
        )

    def check_goals(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """Accepted (no goals are configured); the fields are checked when given."""
        if payload.get("session_fields") is not None:
            check_session_fields(payload["session_fields"])
        check_group_id(payload.get("group_id"), "group_id", required=False)
        get_str(payload, "page_url", required=False)
        return Outcome()

    def list_license_properties(
        self, customer_id: str, payload: dict[str, Any], wall: int
    ) -> Outcome:
        """The license's properties (none)."""
        get_str(payload, "namespace", required=False)
        get_str(payload, "name", required=False)
        return Outcome()

    def list_group_properties(
        self, customer_id: str, payload: dict[str, Any], wall: int
    ) -> Outcome:
        """A group's properties (none); ``group_not_found`` for another group."""
        if check_group_id(payload.get("id"), "id") != _GROUP:
            raise ApiError("group_not_found", "id: no such group")
        return Outcome()

    # -- Web API only ------------------------------------------------------------------------

    def upload_file(self, upload: Upload | None) -> Outcome:
        """Keep a file; ``{url}`` (use it in a ``file`` event)."""
        if upload is None:
            raise ApiError("validation", "file: is required")
        config = self.logic.config
        if len(upload.data) > config.max_file_size:
            raise ApiError("entity_too_large", "file: larger than the 10 MB limit")
        file_id = self.store.new_file_id()
        name = upload.name or "file"
        url = f"{config.files_base_url}/{file_id}/{quote(name)}"
        content_type = upload.content_type or "application/octet-stream"
        self.uploads[url] = {"name": name, "content_type": content_type, "size": len(upload.data)}
        kept = StoreFile(
            file_id=file_id, name=name, content_type=content_type, url=url, data=upload.data
        )
        return Outcome(response={"url": url}, files=[kept])

    def get_dynamic_configuration(
        self, customer_id: str, payload: dict[str, Any], wall: int
    ) -> Outcome:
        """The dynamic configuration of group 0 (the v3.6 shape, or the older flat one)."""
        group = check_group_id(payload.get("group_id"), "group_id", required=False) or _GROUP
        if group != _GROUP:
            raise ApiError("group_not_found", "group_id: no such group")
        livechat: dict[str, Any] = {
            "group_id": _GROUP,
            "client_limit_exceeded": False,
            "domain_allowed": True,
            "config_version": "1",
            "localization_version": "1",
            "language": "en",
        }
        online = self.online_groups()
        if online:
            livechat["online_group_ids"] = online
        if self.api in ("3.4", "3.5"):
            return Outcome(response=livechat)
        response = {
            "organization_id": self.logic.config.organization_id,
            "default_widget": "livechat",
            "livechat_active": True,
            "livechat": livechat,
        }
        return Outcome(response=response)

    def get_configuration(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """The widget configuration of group 0 (no buttons, forms or integrations)."""
        check_group_id(payload.get("group_id"), "group_id")
        get_str(payload, "version")
        response = {
            "buttons": [],
            "integrations": {},
            "properties": {"group": {}, "license": {}},
        }
        return Outcome(response=response)

    def get_localization(self, customer_id: str, payload: dict[str, Any], wall: int) -> Outcome:
        """A few widget strings."""
        check_group_id(payload.get("group_id"), "group_id")
        get_str(payload, "language")
        get_str(payload, "version")
        strings = {
            "Agents_currently_not_available": "Our agents are not available at the moment.",
            "Chat_closed": "The chat has been closed.",
        }
        return Outcome(response=strings)

    def request_email_verification(
        self, customer_id: str, payload: dict[str, Any], wall: int
    ) -> Outcome:
        """Accepted (no e-mail is sent); ``callback_uri`` required."""
        get_str(payload, "callback_uri")
        return Outcome()
