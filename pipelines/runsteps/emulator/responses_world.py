"""The deterministic Responses world: sessions of responses behind a clock.

Sessions are generated on demand from (seed, session index) and kept in a small LRU cache; only
their headers (kind, conversation id, creation time, agent, model) are computed up front. A response
or conversation id encodes its session, so `GET /responses/{id}` generates only that session.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections import OrderedDict
from typing import Any, Callable, Dict, FrozenSet, Iterator, List, Optional, Set, Tuple

from .generate import ANCHOR
from .paging import ListParams, paginate
from .responses_generate import (
    ResponsesShape,
    build_session,
    decode_conversation_id,
    decode_response_id,
    extend,
    session_header,
)
from .responses_objects import conversation_item, conversation_object, input_item, response_object
from .responses_plan import ResponsePlan, SessionRecord
from .world import NotFound

RESPONSES_FLAVOURS = ("openai", "foundry")
DEFAULT_RETENTION_DAYS = {"openai": 30, "foundry": None}
Page = Tuple[List[Dict[str, Any]], bool]


class _Header:
    __slots__ = ("index", "kind", "conversation_id", "created_at", "agent", "model")

    def __init__(self, index: int, facts) -> None:
        self.index = index
        self.kind, self.conversation_id, self.created_at, self.agent, self.model = facts


class ResponsesWorld:
    """A generated Responses / Conversations organisation (or Foundry project) with a clock.

    Args:
        seed: world seed; the same knobs give the same world, in any process.
        conversations: number of sessions; 70% are conversations, 30% `previous_response_id` chains
            (with at least 3, sessions 0-2 are special: see docs/emulator.md).
        responses_per_conversation: mean past responses of an ordinary session.
        flavour: ``openai`` or ``foundry``.
        activity: share of sessions that get a new response per hour of clock.
        retention_days: responses older than this answer 404 (default: 30 at openai, none at foundry;
            0 or None: kept forever).
        cache_sessions: generated sessions kept (LRU).
    """

    api = "responses"

    def __init__(self, seed: int = 7, conversations: int = 50, responses_per_conversation: float = 8,
                 flavour: str = "openai", *, activity: float = 0.05, retention_days: Any = "default",
                 cache_sessions: int = 512) -> None:
        if flavour not in RESPONSES_FLAVOURS:
            raise ValueError(f"the responses API has flavours {', '.join(RESPONSES_FLAVOURS)}, not {flavour!r}")
        if conversations < 0 or responses_per_conversation < 0:
            raise ValueError("conversations and responses_per_conversation must be >= 0")
        if not 0 <= activity < 1:
            raise ValueError("activity must be in [0, 1)")
        self.shape = ResponsesShape(int(seed), int(conversations), float(responses_per_conversation), flavour, activity)
        if retention_days == "default":
            retention_days = DEFAULT_RETENTION_DAYS[flavour]
        self.retention_days: Optional[float] = retention_days or None
        self._now = ANCHOR
        self._lock = threading.RLock()
        self._cache: "OrderedDict[int, SessionRecord]" = OrderedDict()
        self._cache_size = max(1, cache_sessions)
        self._headers = [_Header(i, session_header(self.shape, i)) for i in range(self.shape.conversations)]
        self._deleted_responses: Set[str] = set()
        self._deleted_conversations: Set[int] = set()
        self._listing: Optional[Tuple[tuple, List[Tuple[int, str, int, int]]]] = None

    # --- knobs and clock ----------------------------------------------------------------------

    @property
    def seed(self) -> int:
        return self.shape.seed

    @property
    def conversations(self) -> int:
        return self.shape.conversations

    @property
    def responses_per_conversation(self) -> float:
        return self.shape.responses_per_conversation

    @property
    def flavour(self) -> str:
        return self.shape.flavour

    @property
    def now(self) -> int:
        """The clock, in unix seconds (starts at 2026-08-20T00:00:00Z)."""
        return self._now

    def advance(self, seconds: int) -> None:
        """Move the clock forward: new responses appear, open ones finish, old ones pass retention."""
        seconds = int(seconds)
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._now += seconds

    def knobs(self) -> Dict[str, Any]:
        s = self.shape
        return {"api": "responses", "seed": s.seed, "conversations": s.conversations,
                "responses_per_conversation": s.responses_per_conversation, "flavour": s.flavour,
                "activity": s.activity, "retention_days": self.retention_days, "clock": self._now}

    def __repr__(self) -> str:
        s = self.shape
        return (f"ResponsesWorld(seed={s.seed}, conversations={s.conversations}, "
                f"responses_per_conversation={s.responses_per_conversation:g}, flavour={s.flavour!r})")

    # --- sessions and plans ----------------------------------------------------------------------

    def _record(self, index: int) -> SessionRecord:
        with self._lock:
            rec = self._cache.get(index)
            if rec is not None:
                self._cache.move_to_end(index)
            else:
                rec = build_session(self.shape, index)
                self._cache[index] = rec
                if len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
            extend(self.shape, rec, self._now)
            return rec

    def _iter_records(self) -> Iterator[SessionRecord]:
        for h in self._headers:
            if h.created_at <= self._now:
                yield self._record(h.index)

    def retained(self, plan: ResponsePlan, now: Optional[int] = None) -> bool:
        """Whether a response is still stored (not past the retention window)."""
        if self.retention_days is None:
            return True
        return plan.created_at > (self._now if now is None else now) - int(self.retention_days * 86_400)

    def _plan(self, response_id: str) -> Tuple[SessionRecord, ResponsePlan]:
        """A retrievable response. Raises NotFound with the API's message otherwise."""
        missing = NotFound("response", response_id, f"Response with id '{response_id}' not found.")
        where = decode_response_id(self.shape, response_id)
        if where is None or not 0 <= where[0] < len(self._headers) or response_id in self._deleted_responses:
            raise missing
        if self._headers[where[0]].created_at > self._now:
            raise missing
        rec = self._record(where[0])
        k = rec.by_id.get(response_id)
        if k is None or rec.responses[k].created_at > self._now or not self.retained(rec.responses[k]):
            raise missing
        return rec, rec.responses[k]

    def _conversation(self, conversation_id: str) -> SessionRecord:
        missing = NotFound("conversation", conversation_id, f"Conversation with id '{conversation_id}' not found.")
        index = decode_conversation_id(self.shape, conversation_id)
        if index is None or not 0 <= index < len(self._headers) or index in self._deleted_conversations:
            raise missing
        h = self._headers[index]
        if h.conversation_id != conversation_id or h.created_at > self._now:
            raise missing
        return self._record(index)

    # --- ids (OpenAI lists neither responses nor conversations: tests and demos need them) -------

    def response_ids(self, retained_only: bool = False) -> List[str]:
        """Every response created by the clock (deleted ones excluded), session by session in index
        order, oldest first within a session. Past-retention responses are included (an app's logs
        still hold their ids; the API answers 404) unless `retained_only`."""
        now = self._now
        return [p.id for rec in self._iter_records() for p in rec.visible(now)
                if p.id not in self._deleted_responses and (not retained_only or self.retained(p))]

    def conversation_ids(self) -> List[str]:
        """Every conversation created by the clock (deleted ones excluded), in session index order."""
        return [h.conversation_id for h in self._headers
                if h.conversation_id and h.created_at <= self._now and h.index not in self._deleted_conversations]

    def delete_response(self, response_id: str) -> None:
        """The response answers 404 from now on (its items stay in its conversation, as at OpenAI)."""
        self._plan(response_id)
        self._deleted_responses.add(response_id)

    def delete_conversation(self, conversation_id: str) -> None:
        """The conversation and its items answer 404 from now on (its responses stay)."""
        self._deleted_conversations.add(self._conversation(conversation_id).index)

    # --- objects (exactly what the HTTP API serves) ------------------------------------------------

    def response(self, response_id: str, include: FrozenSet[str] = frozenset()) -> Dict[str, Any]:
        rec, plan = self._plan(response_id)
        return response_object(self.shape, rec, plan, self._now, frozenset(include))

    def input_items(self, response_id: str) -> List[Dict[str, Any]]:
        """All input items of a response, in the order they were given."""
        rec, plan = self._plan(response_id)
        return [input_item(self.shape, rec, plan, j) for j in range(len(plan.inputs))]

    def conversation(self, conversation_id: str) -> Dict[str, Any]:
        return conversation_object(self.shape, self._conversation(conversation_id))

    def conversation_items(self, conversation_id: str, include: FrozenSet[str] = frozenset()) -> List[Dict[str, Any]]:
        """All items of a conversation visible at the clock, oldest first."""
        page, _ = self.conversation_items_page(conversation_id, ListParams(limit=10**9, order="asc"), include)
        return page

    # --- pages -------------------------------------------------------------------------------------

    def input_items_page(self, response_id: str, params: ListParams, include: FrozenSet[str] = frozenset(),
                         loop: bool = False) -> Page:
        rec, plan = self._plan(response_id)
        pos = {item_id: j for j, item_id in enumerate(plan.input_ids)}
        page, more = paginate(list(range(len(plan.inputs))), lambda i: pos.get(i), params, loop)
        return [input_item(self.shape, rec, plan, j) for j in page], more

    def conversation_items_page(self, conversation_id: str, params: ListParams, include: FrozenSet[str] = frozenset(),
                                item_type: Optional[str] = None, loop: bool = False) -> Page:
        rec = self._conversation(conversation_id)
        entries, at, pos = rec.item_entries()
        visible = entries[: bisect_right(at, self._now)]
        position: Callable[[str], Optional[int]] = pos.get
        if item_type:
            visible = [e for e in visible if self._item_type(rec, e) == item_type]
            where = {e[1]: i for i, e in enumerate(visible)}
            position = where.get
        page, more = paginate(visible, position, params, loop)
        return [conversation_item(self.shape, rec, rec.responses[e[2]], e[3], e[4], include) for e in page], more

    @staticmethod
    def _item_type(rec: SessionRecord, entry) -> str:
        plan = rec.responses[entry[2]]
        return plan.inputs[entry[4]] if entry[3] == 0 else plan.outputs[entry[4]][0]

    def _all_responses(self) -> List[Tuple[int, str, int, int]]:
        """Every listable response as ``(created_at, id, session, k)``, ascending (Foundry's listing)."""
        key = (self._now, len(self._deleted_responses))
        if self._listing is None or self._listing[0] != key:
            rows = [(p.created_at, p.id, rec.index, p.k) for rec in self._iter_records() for p in rec.visible(self._now)
                    if p.id not in self._deleted_responses and self.retained(p)]
            rows.sort()
            self._listing = (key, rows)
        return self._listing[1]

    def responses_page(self, params: ListParams, *, agent_name: Optional[str] = None, agent_id: Optional[str] = None,
                       conversation_id: Optional[str] = None, loop: bool = False) -> Page:
        """A page of `GET /responses` (Foundry only), filtered as its query asks."""
        rows = self._all_responses()
        if agent_name or agent_id or conversation_id:
            rows = [row for row in rows if self._header_matches(self._headers[row[2]], agent_name, agent_id, conversation_id)]
        pos = {row[1]: i for i, row in enumerate(rows)}
        page, more = paginate(rows, pos.get, params, loop)
        out = []
        for _, _, index, k in page:
            rec = self._record(index)
            out.append(response_object(self.shape, rec, rec.responses[k], self._now))
        return out, more

    def conversations_page(self, params: ListParams, *, agent_name: Optional[str] = None,
                           agent_id: Optional[str] = None, loop: bool = False) -> Page:
        """A page of `GET /conversations` (Foundry only): ordered by (created_at, id)."""
        heads = sorted((h for h in self._headers if h.conversation_id and h.created_at <= self._now
                        and h.index not in self._deleted_conversations
                        and self._header_matches(h, agent_name, agent_id, None)),
                       key=lambda h: (h.created_at, h.conversation_id))
        pos = {h.conversation_id: i for i, h in enumerate(heads)}
        page, more = paginate(heads, pos.get, params, loop)
        return [conversation_object(self.shape, self._record(h.index)) for h in page], more

    def _header_matches(self, h: _Header, agent_name: Optional[str], agent_id: Optional[str],
                        conversation_id: Optional[str]) -> bool:
        if conversation_id and h.conversation_id != conversation_id:
            return False
        agent = h.agent
        if agent_name and (agent is None or agent[0] != agent_name):
            return False
        if agent_id and (agent is None or f"{agent[0]}:{agent[1]}" != agent_id):
            return False
        return True

    # --- ground truth ------------------------------------------------------------------------------

    def expected(self) -> Dict[str, Any]:
        """What a loader that read everything retrievable at the clock must hold (see docs/emulator.md)."""
        from .responses_expected import compute_expected

        return compute_expected(self)
