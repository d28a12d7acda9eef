"""A scripted LiveChat v3.6 peer for the client core: :class:`V3Harness` logs in with v3
shapes (``login`` -> ``list_chats``) and builds the pushes tests need."""

from __future__ import annotations

from typing import Any

from customer_protocol import Config
from customer_protocol.outputs import Output
from tests.core.harness import Harness

from . import samples as s

ORG = "390e44e6-f1e6-0368c-z6ddb-74g14508c2ex"


def login_payload(**more: Any) -> dict[str, Any]:
    """A ``login`` response (the docs' shape, our values)."""
    return {
        "customer": s.customer(
            statistics={"chats_count": 1, "threads_count": 2, "visits_count": 3}
        ),
        "has_active_thread": False,
        "chats": [{"chat_id": "CH1", "has_unread_events": False}],
        "__priv_dynamic_config": {"online_groups_ids": [0]},
        **more,
    }


def chats_page(*summaries: dict[str, Any], next_page_id: str | None = None) -> dict[str, Any]:
    page: dict[str, Any] = {"chats_summary": list(summaries), "total_chats": len(summaries)}
    if next_page_id is not None:
        page["next_page_id"] = next_page_id
    return page


def threads_page(*threads: dict[str, Any], next_page_id: str | None = None) -> dict[str, Any]:
    page: dict[str, Any] = {"threads": list(threads), "found_threads": len(threads)}
    if next_page_id is not None:
        page["next_page_id"] = next_page_id
    return page


def incoming_chat(chat_id: str = "CH1", thread: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"chat": s.chat(chat_id, thread=thread if thread is not None else s.thread())}


def incoming_event(event: dict[str, Any], chat: str = "CH1", thread: str = "TH1") -> dict[str, Any]:
    return {"chat_id": chat, "thread_id": thread, "event": event}


class V3Harness(Harness):
    """:class:`Harness` for ``api="3.6"`` (or ``api``)."""

    def __init__(
        self,
        config: Config | None = None,
        seed: int = 7,
        api: str = "3.6",
        host: str | None = "api.livechatinc.com",
        **kwargs: Any,
    ) -> None:
        from customer_protocol import ClientProtocol, SeededRandom

        self.client = ClientProtocol(
            api=api,
            organization_id=ORG,
            host=host,
            config=config or Config(),
            rng=SeededRandom(seed),
            **kwargs,
        )
        self.now = 0.0
        self.log: list[Output] = []

    def open_and_login(
        self, summary: dict[str, Any] | None = None, *, customer_id: str = s.CUSTOMER_ID
    ) -> list[Output]:
        outputs: list[Output] = []
        self.client.transport_opened(self.now)
        out = self.drain()
        outputs += out
        login = self.one(out, "login")
        out = self.respond(login, login_payload(customer=s.customer(id=customer_id)))
        outputs += out
        request = self.one(out, "list_chats")
        outputs += self.respond(request, summary or chats_page())
        return outputs
