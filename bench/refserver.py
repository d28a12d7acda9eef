"""The reference server in a subprocess, prepared for figures 9 and 10.

``python -m bench.refserver --customers N [--threads T --events E]`` prints one JSON line
``{"port", "tokens": [...], "chat": <id of the big chat of the first customer or null>}``,
then reads commands from stdin until it closes: ``broadcast`` writes one push to every RTM
connection and answers ``sent <count>``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from adapters.server import ReferenceServer, run_in_thread
from customer_protocol.codec import encode_push
from customer_protocol.server import ServerConfig
from customer_protocol.server.outputs import Send
from customer_protocol.server.store import ChatRecord, Store, ThreadRecord


def populate(store: Store, customer_id: str, threads: int, events: int) -> str:
    """A chat of ``threads`` closed threads of ``events`` messages each (wire shapes)."""
    chat = ChatRecord(id=store.new_chat_id(), customer_id=customer_id, order=store.next_order())
    chat.user_ids = [customer_id]
    for t in range(threads):
        thread = ThreadRecord(
            id=store.new_thread_id(),
            chat_id=chat.id,
            order=store.next_order(),
            active=False,
            user_ids=[customer_id],
        )
        for e in range(events):
            thread.events.append(
                {
                    "id": store.new_event_id(),
                    "order": store.next_order(),
                    "type": "message",
                    "author_id": customer_id,
                    "timestamp": 1508414284 + t,
                    "text": f"message {e} of thread {t}",
                }
            )
        store.put_thread(thread)
        chat.thread_ids.append(thread.id)
    chat.order = store.next_order()
    store.put_chat(chat)
    return chat.id


def broadcast(server: ReferenceServer) -> int:
    data = encode_push("bench_broadcast", {"text": "hello, everyone"})
    conns = list(server._conns)  # a benchmark hook: every RTM connection
    server.apply([Send(conn_id=conn, data=data) for conn in conns])
    return len(conns)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--events", type=int, default=10)
    args = parser.parse_args()
    config = ServerConfig(agent=None, idle_timeout=None, token_ttl=86400)
    with run_in_thread(port=0, config=config) as server:
        tokens = [server.create_customer() for _ in range(args.customers)]
        chat = None
        if args.threads:
            core = server.core
            chat = server.call(populate, core.store, tokens[0][0], args.threads, args.events)
            server.call(core.store.drain_changes)
        port = int(server.url.rsplit(":", 1)[1])
        print(port, json.dumps({"tokens": [t for _, t in tokens], "chat": chat}), flush=True)
        for line in sys.stdin:
            if line.strip() == "broadcast":
                start = time.perf_counter()
                count = server.call(broadcast, server.server)
                print(f"sent {count} {time.perf_counter() - start:.6f}", flush=True)


if __name__ == "__main__":
    main()
