"""sdk.md section 2 (beyond): exactly-once sends whatever the chat did while we were away.

The lookup after a reconnect searches every thread that can hold the send, from the thread that
was the chat's newest known one when the send was written up to the newest, paging the thread
summaries; and a push carrying the ``custom_id`` of a held send resolves it (no ``new_event``).
"""

from __future__ import annotations

from typing import Any

from customer_protocol import Config, MessageEvent, NewEvent, ThreadSummaryEvent, UserData
from customer_protocol.outputs import Output

from .harness import (
    Harness,
    Sent,
    chat,
    ended,
    message,
    names,
    of,
    thread,
    threads_chat,
    value,
)


class Chat:
    """The server side of one chat: threads oldest first, each a list of events."""

    def __init__(self, cid: str = "c1") -> None:
        self.cid = cid
        self.threads: list[tuple[str, int, list[dict[str, Any]]]] = []

    def add_thread(self, events: list[dict[str, Any]] | None = None) -> str:
        tid = f"t{len(self.threads) + 1}"
        self.threads.append((tid, 10 * (len(self.threads) + 1), events or []))
        return tid

    def answer(self, h: Harness, sent: Sent) -> list[Output]:
        """Answer a lookup request the way the server would."""
        payload = sent.payload or {}
        assert payload["chat_id"] == self.cid
        if sent.action == "get_chat_threads_summary":
            offset, limit = payload.get("offset", 0), payload.get("limit", 25)
            page = self.threads[::-1][offset : offset + limit]
            items = [{"id": t, "order": o, "total_events": len(e)} for t, o, e in page]
            return h.respond(sent, {"threads_summary": items, "total_threads": len(self.threads)})
        assert sent.action == "get_chat_threads", sent
        wanted = payload["thread_ids"]
        loaded = [thread(t, o, e, active=False) for t, o, e in self.threads if t in wanted]
        return h.respond(sent, threads_chat(self.cid, loaded))


def lookup(h: Harness, server: Chat, out: list[Output]) -> tuple[list[Output], list[Sent]]:
    """Answer lookup requests until the client writes something else; everything it wrote."""
    everything: list[Output] = []
    requests: list[Sent] = []
    pending = [s for s in h.sent(out) if s.action.startswith("get_chat_threads")]
    while pending:
        sent = pending.pop(0)
        requests.append(sent)
        answer = server.answer(h, sent)
        everything += answer
        pending += [s for s in h.sent(answer) if s.action.startswith("get_chat_threads")]
    return everything, requests


def started(h: Harness, server: Chat) -> None:
    """start_chat: the client learns the chat's first thread (the send's since thread)."""
    tid = server.add_thread()
    call, out = h.call("start_chat")
    sent = h.one(out, "start_chat")
    opened = chat(server.cid, thread(tid, server.threads[-1][1]))
    h.push("incoming_chat_thread", {"chat": opened}, request_id=sent.request_id)
    assert value(h.log, call).id == server.cid


def send_and_drop(h: Harness, custom_id: str = "cid-1", text: str = "hello") -> int:
    call, out = h.call("send_message", "c1", text, custom_id=custom_id)
    h.one(out, "send_event")
    h.drop()
    assert call not in ended(h.log)
    h.until_open()
    return call


def stored(custom_id: str = "cid-1", eid: str = "e-mine", text: str = "hello") -> dict[str, Any]:
    return message(eid, 1, text, author="cust", custom_id=custom_id)


def ready() -> Harness:
    h = Harness()
    h.connect()
    return h


# --------------------------------------------------------------------------------------------
# Fix 1: every thread that can hold the send


def test_found_after_the_thread_was_closed_and_a_new_one_started_twice() -> None:
    h, server = ready(), Chat()
    started(h, server)
    call = send_and_drop(h)
    server.threads[0][2].append(stored())  # stored in t1 before the drop
    server.add_thread([message("a1", 2, "agent again")])  # the agent closed t1 and wrote again
    server.add_thread([message("a2", 3, "and again")])  # ... twice
    out, requests = lookup(h, server, h.open_and_login())
    assert value(out, call).id == "e-mine"
    assert [s.action for s in h.sent(out) if s.action == "send_event"] == []  # not sent again
    assert requests[-1].payload == {"chat_id": "c1", "thread_ids": ["t3", "t2", "t1"]}
    assert names(out) == []  # quiet: no new_event, no user_data


def test_many_threads_are_read_page_by_page_down_to_the_since_thread() -> None:
    h, server = ready(), Chat()
    started(h, server)
    call = send_and_drop(h)
    server.threads[0][2].append(stored())
    for n in range(59):
        server.add_thread([message(f"a{n}", n + 2)])
    out, requests = lookup(h, server, h.open_and_login())
    assert value(out, call).id == "e-mine"
    pages = [s.payload for s in requests if s.action == "get_chat_threads_summary"]
    assert pages == [{"chat_id": "c1", "offset": o, "limit": 25} for o in (0, 25, 50)]
    loads = [
        s.payload["thread_ids"] for s in requests if s.action == "get_chat_threads" and s.payload
    ]
    assert [len(ids) for ids in loads] == [25, 25, 10]  # bounded: one page per request
    assert all(s.action != "send_event" for s in h.sent(out))


def test_the_lookup_stops_at_the_thread_active_when_the_send_was_written() -> None:
    h, server = ready(), Chat()
    for _ in range(40):
        server.add_thread()
    h.push("incoming_chat_thread", {"chat": chat("c1", thread("t40", 400))})  # newest known
    call = send_and_drop(h)
    for _ in range(3):
        server.add_thread()
    out, requests = lookup(h, server, h.open_and_login())
    assert [s.action for s in requests] == ["get_chat_threads_summary", "get_chat_threads"]
    assert requests[1].payload == {"chat_id": "c1", "thread_ids": ["t43", "t42", "t41", "t40"]}
    resent = [s for s in h.sent(out) if s.action == "send_event"]  # not found: sent again
    assert [s.payload["event"]["custom_id"] for s in resent if s.payload] == ["cid-1"]
    assert call not in ended(h.log)


def test_unknown_since_thread_reads_every_page_until_found_then_stops() -> None:
    h, server = ready(), Chat()  # the client never saw a thread of c1
    for _ in range(70):
        server.add_thread()
    server.threads[30][2].append(stored())  # t31: on the second page (newest first)
    call = send_and_drop(h)
    out, requests = lookup(h, server, h.open_and_login())
    assert value(out, call).id == "e-mine"
    pages = [s.payload for s in requests if s.action == "get_chat_threads_summary"]
    assert [p["offset"] for p in pages if p] == [0, 25]  # found: the third page is not read


def test_unknown_since_thread_not_found_reads_to_the_oldest_and_resends() -> None:
    h, server = ready(), Chat()
    for _ in range(30):
        server.add_thread()
    call = send_and_drop(h)
    out, requests = lookup(h, server, h.open_and_login())
    pages = [s.payload["offset"] for s in requests if s.payload and "offset" in s.payload]
    assert pages == [0, 25]
    assert [s.action for s in h.sent(out) if s.action == "send_event"] == ["send_event"]
    assert call not in ended(h.log)


def test_a_server_repeating_the_same_page_does_not_keep_the_lookup_going() -> None:
    h = ready()
    call = send_and_drop(h)
    out = h.open_and_login()
    page = {"threads_summary": [{"id": "t1", "order": 1, "total_events": 1}], "total_threads": 99}
    for _ in range(2):
        summary = h.sent(out)[-1]
        assert summary.action == "get_chat_threads_summary"
        out = h.respond(summary, page)
        if not any(s.action == "get_chat_threads" for s in h.sent(out)):
            break
        out = h.respond(h.one(out, "get_chat_threads"), threads_chat("c1", [thread("t1", 1)]))
    assert [s.action for s in h.sent(out)] == ["send_event"]  # gave up and sent again
    assert call not in ended(h.log)


def test_sends_of_one_chat_with_different_since_threads_search_from_the_oldest() -> None:
    h, server = ready(), Chat()
    started(h, server)
    first, out = h.call("send_message", "c1", "one", custom_id="A")
    t2 = server.add_thread()
    h.push("incoming_chat_thread", {"chat": chat("c1", thread(t2, 20))})
    second, out = h.call("send_message", "c1", "two", custom_id="B")
    h.drop()
    h.until_open()
    server.threads[0][2].append(stored("A", "eA", "one"))
    server.threads[1][2].append(stored("B", "eB", "two"))
    server.add_thread()
    out, _ = lookup(h, server, h.open_and_login())
    assert (value(out, first).id, value(out, second).id) == ("eA", "eB")


def test_reconcile_threads_is_deprecated_and_ignored() -> None:
    h = Harness(Config(reconcile_threads=1))
    h.connect()
    server = Chat()
    started(h, server)
    call = send_and_drop(h)
    server.threads[0][2].append(stored())
    server.add_thread()
    server.add_thread()
    out, _ = lookup(h, server, h.open_and_login())
    assert value(out, call).id == "e-mine"


def test_a_failed_page_fails_only_that_chats_sends_the_other_chat_goes_on() -> None:
    h = ready()
    a, _ = h.call("send_message", "c1", "a", custom_id="A")
    b, _ = h.call("send_message", "c2", "b", custom_id="B")
    h.drop()
    h.until_open()
    out = h.open_and_login()
    first, second = h.sent(out)[-2:]
    assert repr(h.client._reconciler) == "Reconciler(held=2, lookups=['c1', 'c2'])"
    page = {"threads_summary": [{"id": "t1", "order": 1}], "total_threads": 1}
    out = h.respond(first, page)
    out = h.error(h.one(out, "get_chat_threads"), "internal")
    assert ended(out)[a].error.type == "internal"  # type: ignore[union-attr]
    out = h.respond(second, {"threads_summary": [], "total_threads": 0})
    assert [s.payload["event"]["custom_id"] for s in h.sent(out) if s.payload] == ["B"]
    assert b not in ended(h.log)


# --------------------------------------------------------------------------------------------
# Fix 2: our own stored event pushed to the new connection without our request_id


def own_push(event: dict[str, Any], chat_id: str = "c1", tid: str = "t1") -> dict[str, Any]:
    return {"chat_id": chat_id, "thread_id": tid, "event": event}


def test_own_push_before_the_lookup_resolves_the_send_and_is_no_new_event() -> None:
    h, server = ready(), Chat()
    started(h, server)
    call = send_and_drop(h)
    later, _ = h.call("close_thread", "c1")  # queued while away
    server.threads[0][2].append(stored())
    h.client.transport_opened(h.now)
    login = h.one(h.drain(), "login")
    summary = h.one(h.respond(login, {"customer_id": "cust"}), "get_chats_summary")
    # The server delivers our stored event to the new connection, without our request_id.
    out = h.push("incoming_event", own_push(stored()))
    result = value(out, call)
    assert isinstance(result, MessageEvent) and (result.id, result.thread) == ("e-mine", "t1")
    assert of(out, NewEvent) == []
    out = h.respond(summary, {"chats_summary": [], "total_chats": 0})
    # Nothing is left to look up: no lookup, no resend; the queued call goes out.
    assert [s.action for s in h.sent(out)] == ["close_thread"]
    assert later not in ended(h.log)


def test_own_push_while_the_lookup_runs_resolves_once_and_nothing_is_sent_again() -> None:
    h, server = ready(), Chat()
    started(h, server)
    call = send_and_drop(h)
    server.threads[0][2].append(stored())
    server.add_thread()
    out = h.open_and_login()
    page = h.sent(out)[-1]
    assert page.action == "get_chat_threads_summary"
    out = h.push("incoming_event", own_push(stored()))
    assert value(out, call).id == "e-mine"
    assert names(out) == []  # no new_event for our own message
    out, _ = lookup(h, server, server.answer(h, page))  # the lookup's answers come later
    assert call not in ended(out)  # not resolved twice
    assert all(s.action != "send_event" for s in h.sent(out))  # not sent again


def test_own_push_with_other_sends_still_held_the_lookup_goes_on_for_them() -> None:
    h, server = ready(), Chat()
    started(h, server)
    a, _ = h.call("send_message", "c1", "a", custom_id="A")
    b, _ = h.call("send_message", "c1", "b", custom_id="B")
    h.drop()
    h.until_open()
    server.threads[0][2].append(stored("A", "eA", "a"))
    out = h.open_and_login()
    page = h.sent(out)[-1]
    out = h.push("incoming_event", own_push(stored("A", "eA", "a")))
    assert value(out, a).id == "eA" and of(out, NewEvent) == []
    out, _ = lookup(h, server, server.answer(h, page))
    resent = [s for s in h.sent(out) if s.action == "send_event"]
    assert [s.payload["event"]["custom_id"] for s in resent if s.payload] == ["B"]
    assert b not in ended(h.log)


def test_own_push_in_a_new_thread_emits_the_thread_but_not_our_event() -> None:
    h = ready()
    h.push("thread_closed", {"chat_id": "c1", "thread_id": "t0"})
    call = send_and_drop(h)
    h.open_and_login()
    opened = thread("t2", 20, [stored(), message("a1", 2, "welcome back")])
    out = h.push("incoming_chat_thread", {"chat": chat("c1", opened)})
    assert value(out, call).id == "e-mine"
    assert [type(e) for e in out if not hasattr(e, "call")][:3] == [
        UserData,
        UserData,
        ThreadSummaryEvent,
    ]
    assert [e.event.id for e in of(out, NewEvent)] == ["a1"]  # the agent's, not ours


def test_a_push_with_another_custom_id_or_chat_is_still_a_new_event() -> None:
    h = ready()
    call = send_and_drop(h)
    h.open_and_login()
    out = h.push("incoming_event", own_push(stored("someone-else", "e1")))
    out += h.push("incoming_event", own_push(stored(), chat_id="c2"))
    assert [e.event.id for e in of(out, NewEvent)] == ["e1", "e-mine"]
    assert call not in ended(h.log)


def test_own_push_after_the_lookup_found_the_send_is_no_new_event_either() -> None:
    h, server = ready(), Chat()
    started(h, server)
    call = send_and_drop(h)
    server.threads[0][2].append(stored())
    out, _ = lookup(h, server, h.open_and_login())
    assert value(out, call).id == "e-mine"
    out = h.push("incoming_event", own_push(stored()))  # the server's push comes late
    assert of(out, NewEvent) == []
    out = h.push("incoming_event", own_push(stored("other", "e-other")))
    assert [e.event.id for e in of(out, NewEvent)] == ["e-other"]


def test_the_memory_of_reconciled_sends_is_bounded() -> None:
    from customer_protocol.reconcile import RECONCILED_MEMORY

    h, server = ready(), Chat()
    started(h, server)
    ids = [f"cid-{n}" for n in range(RECONCILED_MEMORY + 1)]
    calls = [h.call("send_message", "c1", "x", custom_id=cid)[0] for cid in ids]
    h.drop()
    h.until_open()
    server.threads[0][2].extend(stored(cid, f"e-{cid}", "x") for cid in ids)
    out, _ = lookup(h, server, h.open_and_login())
    assert all(value(h.log, call).custom_id == cid for call, cid in zip(calls, ids, strict=True))
    out = h.push("incoming_event", own_push(stored(ids[0], "e-first", "x")))
    assert [e.event.id for e in of(out, NewEvent)] == ["e-first"]  # the oldest was forgotten
    out = h.push("incoming_event", own_push(stored(ids[-1], "e-last", "x")))
    assert of(out, NewEvent) == []
