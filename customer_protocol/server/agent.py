"""The agent simulator: a scripted agent driven by deadlines (no clock of its own).

The core tells it what customers did (:meth:`AgentSimulator.notice`) and asks it at each timer
(:meth:`AgentSimulator.fire`) to carry out the moves that are due; the moves change the store
through :class:`~customer_protocol.server.logic.ChatLogic` and come back as pushes. The script
is described in :class:`~customer_protocol.server.config.AgentConfig`. A move whose thread is
no longer active when it is due is dropped (the agent never reopens a closed thread), and so is
the answer to a rating the customer has withdrawn meanwhile. Scheduled moves are not persisted.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass

from .config import AgentConfig
from .logic import ChatLogic, ChatStarted, CustomerMessage, Note, PushOut, ThreadRated
from .store import AgentRecord

__all__ = ["AgentSimulator", "Move"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Move:
    """One scheduled move: ``kind`` is ``join``, ``typing``, ``say`` or ``close``
    (``if_rated``: say it only if the thread still holds a rating)."""

    kind: str
    chat_id: str
    thread_id: str
    text: str = ""
    typing: bool = False
    if_rated: bool = False


class AgentSimulator:
    """One scripted agent answering every chat (see :class:`AgentConfig`)."""

    def __init__(self, config: AgentConfig, logic: ChatLogic) -> None:
        self.config = config
        self.logic = logic
        self.agent = AgentRecord(id=config.id, name=config.name, avatar=config.avatar)
        if logic.store.agents.get(config.id) != self.agent:
            logic.store.put_agent(self.agent)
        self._goodbye = re.compile(config.goodbye_pattern, re.IGNORECASE)
        self._queue: list[tuple[float, int, Move]] = []
        self._seq = 0

    def _at(self, when: float, move: Move) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (when, self._seq, move))

    def notice(self, note: Note, now: float) -> None:
        """Schedule the agent's reaction to what a customer did at ``now``."""
        cfg = self.config
        if isinstance(note, ChatStarted):
            self._at(
                now + cfg.join_delay,
                Move(kind="join", chat_id=note.chat_id, thread_id=note.thread_id),
            )
            if cfg.greeting:
                self._at(
                    now + cfg.join_delay,
                    Move(
                        kind="say",
                        chat_id=note.chat_id,
                        thread_id=note.thread_id,
                        text=cfg.greeting,
                    ),
                )
        elif isinstance(note, CustomerMessage):
            if self._goodbye.search(note.text):
                self._answer(note.chat_id, note.thread_id, now, cfg.farewell)
                self._at(
                    now + cfg.reply_delay,
                    Move(kind="close", chat_id=note.chat_id, thread_id=note.thread_id),
                )
            else:
                text = cfg.reply_template.replace("{text}", note.text)
                self._answer(note.chat_id, note.thread_id, now, text)
        elif isinstance(note, ThreadRated):
            thread = self.logic.store.threads.get(note.thread_id)
            if cfg.rating_reply is None or thread is None or not thread.active:
                return
            word = "good" if note.score == 1 else "bad"
            text = cfg.rating_reply.replace("{score_word}", word)
            self._answer(note.chat_id, note.thread_id, now, text, if_rated=True)

    def _answer(
        self, chat_id: str, thread_id: str, now: float, text: str, *, if_rated: bool = False
    ) -> None:
        """Type after ``typing_delay``; at ``reply_delay`` stop typing and say ``text``."""
        cfg = self.config
        for when, typing in ((cfg.typing_delay, True), (cfg.reply_delay, False)):
            self._at(
                now + when,
                Move(kind="typing", chat_id=chat_id, thread_id=thread_id, typing=typing),
            )
        self._at(
            now + cfg.reply_delay,
            Move(kind="say", chat_id=chat_id, thread_id=thread_id, text=text, if_rated=if_rated),
        )

    def next_deadline(self) -> float | None:
        """When the next move is due, if any."""
        return self._queue[0][0] if self._queue else None

    @property
    def pending(self) -> int:
        """How many moves are scheduled."""
        return len(self._queue)

    def fire(self, now: float, wall: int) -> list[PushOut]:
        """Carry out every move due at ``now``, in schedule order; their pushes."""
        pushes: list[PushOut] = []
        while self._queue and self._queue[0][0] <= now:
            _, _, move = heapq.heappop(self._queue)
            pushes.extend(self._carry_out(move, wall))
        return pushes

    def _carry_out(self, move: Move, wall: int) -> list[PushOut]:
        store = self.logic.store
        chat = store.chats.get(move.chat_id)
        thread = store.threads.get(move.thread_id)
        if chat is None or thread is None or not thread.active:
            return []
        if move.if_rated and self.logic.rating_score(thread) is None:
            return []
        pushes: list[PushOut] = []
        if self.agent.id not in chat.user_ids:
            pushes.extend(self.logic.agent_join(self.agent, chat, wall))
        if move.kind == "typing":
            pushes.append(self.logic.agent_typing(self.agent, chat, move.typing, wall))
        elif move.kind == "say":
            pushes.append(self.logic.agent_message(self.agent, chat, move.text, wall))
        elif move.kind == "close":
            pushes.append(self.logic.end_thread(chat, self.agent.id))
        return pushes
