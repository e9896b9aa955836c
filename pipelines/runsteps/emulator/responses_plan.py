"""Plans of the Responses world: sessions (a conversation or a `previous_response_id` chain) and
their responses, with every time, status, usage and item shape decided up front.

Text payloads are not part of a plan: `responses_objects.py` builds them on demand from their own
seeds. Plans answer "what does this response look like at clock `now`", which both the API and the
ground truth (`responses_expected.py`) rely on, so the two cannot drift apart.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from typing import Dict, List, Optional, Tuple

TERMINAL_STATUSES = frozenset({"completed", "failed", "cancelled", "incomplete"})
# Statuses whose response has output items and usage (a failed or cancelled one has neither).
PRODUCTIVE_STATUSES = frozenset({"completed", "incomplete"})

# (item type, count): count is the number of file-search results or code-interpreter outputs,
# 0 for the other types.
ItemShape = Tuple[str, int]


def hex_id(*parts: object, length: int = 48) -> str:
    """`length` hex digits derived from a key path (stable across processes)."""
    digest = hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=(length + 1) // 2).hexdigest()
    return digest[:length]


class ResponsePlan:
    """One response, with absolute unix-second times.

    Attributes:
        session: index of its session; k: its position in the session.
        id: ``resp_...`` (encodes session and position: see `responses_ids`).
        created_at: when it appears; start_at: when it leaves ``queued``; end_at: when it reaches
            `status` (before: ``queued`` then ``in_progress``).
        status: final status; error_code / incomplete_reason: of a failed / incomplete response.
        background: created with ``background: true`` (only those can be queued or cancelled).
        model: model id (OpenAI) or deployment name (Foundry).
        usage: ``(input, cached input, output, reasoning)`` of a productive response, else None.
        max_output_tokens: set on responses cut short by it.
        inputs: item types of its input (user message, function outputs, approval response).
        outputs: item shapes of its output, present once it is completed or incomplete.
        input_ids, output_ids, call_ids: item ids, parallel to `inputs` / `outputs`; call ids of
            the calls that carry one (else "").
        previous_response_id: set in chains; None in conversations and on a chain's first response.
        attrs, json: caches of generated texts and of the serialized terminal object.
    """

    __slots__ = ("session", "k", "id", "created_at", "start_at", "end_at", "status", "error_code",
                 "incomplete_reason", "background", "model", "usage", "max_output_tokens", "inputs",
                 "outputs", "input_ids", "output_ids", "call_ids", "input_call_ids", "previous_response_id",
                 "attrs", "json")

    def __init__(self, session: int, k: int) -> None:
        self.session, self.k = session, k
        self.id = ""
        self.created_at = self.start_at = self.end_at = 0
        self.status = "completed"
        self.error_code: Optional[str] = None
        self.incomplete_reason: Optional[str] = None
        self.background = False
        self.model = ""
        self.usage: Optional[Tuple[int, int, int, int]] = None
        self.max_output_tokens: Optional[int] = None
        self.inputs: Tuple[str, ...] = ()
        self.outputs: Tuple[ItemShape, ...] = ()
        self.input_ids: Tuple[str, ...] = ()
        self.output_ids: Tuple[str, ...] = ()
        self.call_ids: Tuple[str, ...] = ()
        self.input_call_ids: Tuple[str, ...] = ()
        self.previous_response_id: Optional[str] = None
        self.attrs: Optional[dict] = None
        self.json: Optional[Dict[tuple, bytes]] = None

    def status_at(self, now: int) -> str:
        """The status at `now` (the response must be visible: created_at <= now)."""
        if now >= self.end_at:
            return self.status
        return "in_progress" if now >= self.start_at else "queued"

    def productive_at(self, now: int) -> bool:
        """Whether its output items and usage are visible at `now`."""
        return now >= self.end_at and self.status in PRODUCTIVE_STATUSES


class SessionRecord:
    """A generated session: a conversation (``conv_...``) or a chain of responses linked by
    ``previous_response_id`` (no conversation object). Responses never overlap inside a session.
    """

    __slots__ = ("index", "kind", "special", "conversation_id", "created_at", "agent", "model", "responses",
                 "created", "by_id", "next_window", "last_end", "_items_n", "_items", "_items_at", "_items_pos",
                 "attrs")

    def __init__(self, index: int, kind: str, special: str, conversation_id: Optional[str], created_at: int,
                 agent: Optional[Tuple[str, str]], model: str) -> None:
        self.index, self.kind, self.special = index, kind, special
        self.conversation_id = conversation_id
        self.created_at = created_at
        self.agent = agent  # (name, version), None for responses made without an agent
        self.model = model
        self.responses: List[ResponsePlan] = []
        self.created: List[int] = []
        self.by_id: Dict[str, int] = {}
        self.next_window: Optional[int] = 0
        self.last_end = created_at
        self._items_n = -1
        self._items: List[Tuple[int, str, int, int, int]] = []
        self._items_at: List[int] = []
        self._items_pos: Dict[str, int] = {}
        self.attrs: Optional[dict] = None

    def append(self, plan: ResponsePlan) -> None:
        self.by_id[plan.id] = len(self.responses)
        self.responses.append(plan)
        self.created.append(plan.created_at)
        self.last_end = max(self.last_end, plan.end_at)

    def visible(self, now: int) -> List[ResponsePlan]:
        return self.responses[: bisect_right(self.created, now)]

    def item_entries(self) -> Tuple[List[Tuple[int, str, int, int, int]], List[int], Dict[str, int]]:
        """The conversation's items as ``(visible_at, id, response index, side, position)``, in the
        order the conversation holds them: each response's input items when it is created, then
        its output items when it ends (only if it produced any). Side 0 is input, 1 output.
        """
        if self._items_n != len(self.responses):
            items: List[Tuple[int, str, int, int, int]] = []
            for ri, plan in enumerate(self.responses):
                for j, item_id in enumerate(plan.input_ids):
                    items.append((plan.created_at, item_id, ri, 0, j))
                if plan.status in PRODUCTIVE_STATUSES:
                    for j, item_id in enumerate(plan.output_ids):
                        items.append((plan.end_at, item_id, ri, 1, j))
            # Stable sort: items keep their insertion order within one instant.
            items.sort(key=lambda e: e[0])
            self._items = items
            self._items_at = [e[0] for e in items]
            self._items_pos = {e[1]: i for i, e in enumerate(items)}
            self._items_n = len(self.responses)
        return self._items, self._items_at, self._items_pos
