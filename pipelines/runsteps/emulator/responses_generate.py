"""Generation of the Responses world's sessions: which responses each one has, when, and how each goes.

Shape (see docs/emulator.md, "Responses and Conversations"):
- The default clock is 2026-08-20T00:00:00Z, as in the Assistants world. Sessions are created
  between 42 and 3 days before it; their past responses are spread uniformly up to the clock, so a
  30-day retention window hides the oldest ones.
- 70% of ordinary sessions are conversations (responses carry ``conversation: {id}``), 30% chains
  (each response names the previous one in ``previous_response_id``; no conversation object).
- About 10% of ordinary sessions end with a response open (queued / in_progress) at the clock; after
  it, new responses arrive per session as a Poisson process (share `activity` per hour).
- Special sessions (when there are at least 3): 0 is a showcase conversation (every item type,
  every error code, every incomplete reason, cancelled, and an in_progress response at the clock);
  1 a 60-response conversation ending with a queued response; 2 a 40-day chain whose oldest
  responses are past a 30-day retention (at Foundry: made without an agent).

Ids: a response id is ``resp_`` + 48 hex digits like the real ones, whose first 8 are the creation
time (as OpenAI's are) and whose next 12 encode (session, position) under a seed-derived mask; so
`GET /responses/{id}` finds its session without an index of every response. Conversation ids
(``conv_``) encode the session the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Optional, Tuple

from .generate import ANCHOR, DAY, THREAD_AGE_MAX_S, THREAD_AGE_MIN_S, WINDOW_S
from .ids import mix, new_id, poisson, rng_for
from .responses_plan import ItemShape, ResponsePlan, SessionRecord, hex_id
from .responses_vocab import (
    AGENTS,
    ERROR_CODES,
    ERROR_WEIGHTS,
    FOUNDRY_DEPLOYMENTS,
    FOUNDRY_ERROR_CODES,
    FOUNDRY_ERROR_WEIGHTS,
    FOUNDRY_TOOL_KINDS,
    INCOMPLETE_REASONS,
    ITEM_PREFIX,
    OPENAI_MODELS,
    OPENAI_TOOL_KINDS,
    REASONING_MODELS,
    UNKNOWN_ITEM_TYPE,
)

CONVERSATION_SHARE = 0.70
LIVE_SHARE = 0.10
GAP_S = 20  # idle time between two responses of a session
MAX_FACTOR = 10  # a session has at most this many times the mean responses
SPECIALS = {0: "showcase", 1: "long", 2: "old_chain"}
LONG_RESPONSES = 60
AGENTLESS_SHARE = 0.10


@dataclass(frozen=True)
class ResponsesShape:
    """The knobs a Responses world is generated from.

    Attributes:
        seed: world seed.
        conversations: number of sessions (conversations and chains).
        responses_per_conversation: mean past responses of an ordinary session.
        flavour: ``openai`` or ``foundry`` (Foundry: deployments, agents, Microsoft tool items).
        activity: share of sessions that get a new response per hour of clock.
    """

    seed: int
    conversations: int
    responses_per_conversation: float
    flavour: str
    activity: float = 0.05

    @property
    def foundry(self) -> bool:
        return self.flavour == "foundry"

    @property
    def rate_per_s(self) -> float:
        if self.activity <= 0:
            return 0.0
        return -math.log(1.0 - min(self.activity, 0.999)) / 3600.0

    @property
    def masks(self) -> Tuple[int, int]:
        m = mix(self.seed, "id-mask")
        return m & 0xFFFFFFFF, (m >> 32) & 0xFFFF


# --- ids ----------------------------------------------------------------------------------------


def response_id(shape: ResponsesShape, session: int, k: int, created_at: int) -> str:
    m32, m16 = shape.masks
    return (f"resp_{created_at & 0xFFFFFFFF:08x}{session ^ m32:08x}{k ^ m16:04x}"
            + hex_id(shape.seed, "resp", session, k, length=28))


def decode_response_id(shape: ResponsesShape, rid: str) -> Optional[Tuple[int, int]]:
    """(session, position) encoded in a response id, or None when it cannot be one of ours."""
    if not rid.startswith("resp_") or len(rid) != 53:
        return None
    try:
        session, k = int(rid[13:21], 16), int(rid[21:25], 16)
    except ValueError:
        return None
    m32, m16 = shape.masks
    return session ^ m32, k ^ m16


def conversation_id(shape: ResponsesShape, session: int, created_at: int) -> str:
    m32, _ = shape.masks
    return f"conv_{created_at & 0xFFFFFFFF:08x}{session ^ m32:08x}" + hex_id(shape.seed, "conv", session, length=32)


def decode_conversation_id(shape: ResponsesShape, cid: str) -> Optional[int]:
    if not cid.startswith("conv_") or len(cid) != 53:
        return None
    try:
        return int(cid[13:21], 16) ^ shape.masks[0]
    except ValueError:
        return None


# --- sessions -------------------------------------------------------------------------------------


def session_special(shape: ResponsesShape, index: int) -> str:
    return SPECIALS.get(index, "normal") if shape.conversations >= 3 else "normal"


def session_header(shape: ResponsesShape, index: int) -> Tuple[str, Optional[str], int, Optional[Tuple[str, str]], str]:
    """Cheap facts of a session, computed for every session at start (the Foundry lists filter on them).

    Returns:
        ``(kind, conversation id or None, created_at, (agent name, agent version) or None, model)``.
    """
    r = rng_for(shape.seed, "session", index)
    special = session_special(shape, index)
    created = ANCHOR - THREAD_AGE_MAX_S + r.randrange(THREAD_AGE_MAX_S - THREAD_AGE_MIN_S)
    kind = "conversation" if r.random() < CONVERSATION_SHARE else "chain"
    models = FOUNDRY_DEPLOYMENTS if shape.foundry else OPENAI_MODELS
    model = r.choice(models)
    name, versions = r.choice(AGENTS)
    agent: Optional[Tuple[str, str]] = (name, str(1 + r.randrange(versions)))
    if r.random() < AGENTLESS_SHARE:
        agent = None  # a response made without an agent (a plain model call in the project)
    if special == "showcase":
        kind, created, model = "conversation", ANCHOR - 2 * DAY, ("o3-research" if shape.foundry else "o3")
        agent = (name, "1")
    elif special == "long":
        kind, created = "conversation", ANCHOR - 20 * DAY
    elif special == "old_chain":
        kind, created, agent = "chain", ANCHOR - 40 * DAY, None  # and made without an agent
    conv = conversation_id(shape, index, created) if kind == "conversation" else None
    return kind, conv, created, agent, model


def build_session(shape: ResponsesShape, index: int) -> SessionRecord:
    """Generate session `index` up to the default clock (`extend` adds what comes after)."""
    kind, conv, created, agent, model = session_header(shape, index)
    special = session_special(shape, index)
    rec = SessionRecord(index, kind, special, conv, created, agent, model)
    r = rng_for(shape.seed, "responses", index)
    live: Optional[dict] = None
    if special == "showcase":
        recipes = showcase_recipes(shape)
        live = {"phase": "in_progress"}
    elif special == "long":
        recipes = [{}] * (LONG_RESPONSES - 1)
        live = {"phase": "queued"}
    elif special == "old_chain":
        recipes = [{}] * 12
        rec.next_window = None
    else:
        mean = max(0.0, shape.responses_per_conversation)
        n = 0 if mean == 0 else round(r.gammavariate(1.5, mean / 1.5))
        n = min(n, max(1, int(MAX_FACTOR * mean)))
        if kind == "chain":
            n = max(n, 1)  # a chain exists only through its responses
        recipes = [{}] * n
        if n > 0 and r.random() < LIVE_SHARE:
            recipes.pop()
            live = {"phase": r.choice(("queued", "in_progress"))}
    plans = [make_plan(shape, rec, k, recipe) for k, recipe in enumerate(recipes)]
    hi = ANCHOR - 60
    live_plan = None
    if live is not None:
        live_plan = make_plan(shape, rec, len(plans), {"status": "completed", "background": True})
        # Place it so that it is in the wanted phase at the clock.
        queue, run = live_plan.start_at, live_plan.end_at - live_plan.start_at
        if live["phase"] == "queued":  # created <= clock < start
            at = ANCHOR - r.randint(0, queue - 1)
        else:  # start <= clock < end
            at = ANCHOR - queue - r.randint(0, run - 1)
        _shift(live_plan, at)
        hi = at - GAP_S
    lo = created + 30
    footprint = sum(p.end_at + GAP_S for p in plans)
    room = max(0, hi - lo - footprint)
    offsets = sorted(r.randrange(room + 1) for _ in plans)
    used = 0
    for plan, off in zip(plans, offsets):
        _shift(plan, lo + off + used)
        used += plan.end_at - plan.created_at + GAP_S
        _finish(shape, rec, plan)
    if live_plan is not None:
        _finish(shape, rec, live_plan)
    return rec


def extend(shape: ResponsesShape, rec: SessionRecord, now: int) -> None:
    """Generate the future windows of `rec` that start before `now`."""
    rate = shape.rate_per_s
    while rec.next_window is not None and ANCHOR + rec.next_window * WINDOW_S < now:
        w = rec.next_window
        start = ANCHOR + w * WINDOW_S
        wr = rng_for(shape.seed, "rwindow", rec.index, w)
        arrivals = sorted(wr.randint(1, WINDOW_S) for _ in range(poisson(wr, rate * WINDOW_S)))
        for arrival in arrivals:
            plan = make_plan(shape, rec, len(rec.responses), {})
            # One response at a time per session: a new one waits until the previous one ended.
            _shift(plan, max(start + arrival, rec.last_end + GAP_S))
            _finish(shape, rec, plan)
        rec.next_window = w + 1


def _shift(plan: ResponsePlan, at: int) -> None:
    plan.created_at += at
    plan.start_at += at
    plan.end_at += at


def _finish(shape: ResponsesShape, rec: SessionRecord, plan: ResponsePlan) -> None:
    """Give a placed plan its id, its inputs (they depend on the previous response) and item ids."""
    prev = rec.responses[-1] if rec.responses else None
    plan.id = response_id(shape, rec.index, plan.k, plan.created_at)
    if rec.kind == "chain" and prev is not None:
        plan.previous_response_id = prev.id
    if plan.inputs == ():
        plan.inputs = _inputs_after(prev, plan)
    plan.input_ids = tuple(_item_id(shape, rec.index, plan.k, "in", j, t) for j, t in enumerate(plan.inputs))
    plan.output_ids = tuple(_item_id(shape, rec.index, plan.k, "out", j, t) for j, (t, _) in enumerate(plan.outputs))
    plan.call_ids = tuple(
        ("call_" + hex_id(shape.seed, "call", rec.index, plan.k, j, length=24)) if _has_call_id(t) else ""
        for j, (t, _) in enumerate(plan.outputs)
    )
    # Outputs of the previous response's function calls (and approval requests) answer them here.
    answered = [cid for (t, _), cid in zip(prev.outputs, prev.call_ids) if t == "function_call"] if prev else []
    approvals = [oid for (t, _), oid in zip(prev.outputs, prev.output_ids) if t == "mcp_approval_request"] if prev else []
    links = iter(answered + approvals)
    plan.input_call_ids = tuple(next(links, "") if t in ("function_call_output", "mcp_approval_response") else ""
                                for t in plan.inputs)
    rec.append(plan)


def _inputs_after(prev: Optional[ResponsePlan], plan: ResponsePlan) -> Tuple[str, ...]:
    if prev is not None and prev.status == "completed":
        calls = sum(1 for t, _ in prev.outputs if t == "function_call")
        if calls:
            return ("function_call_output",) * calls
        if any(t == "mcp_approval_request" for t, _ in prev.outputs):
            return ("mcp_approval_response",)
    return ("message",)


def _has_call_id(item_type: str) -> bool:
    return item_type in ("function_call", "computer_call", "custom_tool_call") or item_type in FOUNDRY_TOOL_KINDS \
        or item_type.endswith("_call_output") and item_type[: -len("_output")] in FOUNDRY_TOOL_KINDS


def _item_id(shape: ResponsesShape, session: int, k: int, side: str, j: int, item_type: str) -> str:
    return ITEM_PREFIX.get(item_type, "item_") + hex_id(shape.seed, "item", session, k, side, j)


# --- one response ----------------------------------------------------------------------------------


def showcase_recipes(shape: ResponsesShape) -> List[dict]:
    """One response per tool kind of the flavour (and the unknown type), then every failure and
    incomplete reason, then a cancelled one. The first has a long pasted input (two input pages)."""
    kinds = list(OPENAI_TOOL_KINDS) + (list(FOUNDRY_TOOL_KINDS) if shape.foundry else []) + [UNKNOWN_ITEM_TYPE]
    recipes: List[dict] = [{"status": "completed", "tools": (kind,), **({"inputs": ("message",) * 25} if i == 0 else {})}
                           for i, kind in enumerate(kinds)]
    recipes += [{"status": "failed", "error": code} for code in error_codes(shape)[0]]
    recipes += [{"status": "incomplete", "reason": reason} for reason in INCOMPLETE_REASONS]
    recipes.append({"status": "cancelled"})
    return recipes


def error_codes(shape: ResponsesShape) -> Tuple[Tuple[str, ...], Tuple[float, ...]]:
    """The `ResponseErrorCode` values of the flavour's spec, and how often each occurs."""
    return (FOUNDRY_ERROR_CODES, FOUNDRY_ERROR_WEIGHTS) if shape.foundry else (ERROR_CODES, ERROR_WEIGHTS)


def make_plan(shape: ResponsesShape, rec: SessionRecord, k: int, recipe: dict) -> ResponsePlan:
    """A response with times relative to its creation (`_shift` places it)."""
    r = rng_for(shape.seed, "response", rec.index, k)
    plan = ResponsePlan(rec.index, k)
    plan.model = rec.model
    roll = r.random()
    status = recipe.get("status")
    if status is None:
        status = ("completed" if roll < 0.84 else "failed" if roll < 0.90 else "incomplete" if roll < 0.96
                  else "cancelled")
    plan.status = status
    plan.background = bool(recipe.get("background")) or status == "cancelled" or r.random() < 0.15
    queue = r.randint(1, 20) if plan.background else 0
    reasoning = plan.model in REASONING_MODELS
    run = r.randint(2, 180 if reasoning else 60)
    plan.start_at, plan.end_at = queue, queue + run
    if status == "failed":
        codes, weights = error_codes(shape)
        plan.error_code = recipe.get("error") or r.choices(codes, weights=weights)[0]
    elif status == "incomplete":
        plan.incomplete_reason = recipe.get("reason") or r.choices(INCOMPLETE_REASONS, weights=(7, 3))[0]
    if "inputs" in recipe:
        plan.inputs = recipe["inputs"]
    if status in ("completed", "incomplete"):
        plan.outputs = _outputs(shape, r, status, reasoning, recipe.get("tools"))
        plan.usage = _usage(r, k, reasoning)
        if plan.incomplete_reason == "max_output_tokens":
            plan.max_output_tokens = plan.usage[2]
    return plan


def _outputs(shape: ResponsesShape, r, status: str, reasoning: bool, tools) -> Tuple[ItemShape, ...]:
    items: List[ItemShape] = [("reasoning", 0)] if reasoning else []
    if status == "incomplete":
        return tuple(items + [("message", 0)])
    if tools is None:
        pool = OPENAI_TOOL_KINDS + (FOUNDRY_TOOL_KINDS if shape.foundry else ())
        tools = tuple(r.sample(pool, r.choice((1, 1, 2)))) if r.random() < 0.45 else ()
        if r.random() < 0.01:
            tools += (UNKNOWN_ITEM_TYPE,)
    waits = False  # the response ends on a call the client must answer in the next response
    for kind in tools:
        if kind == "function_call":
            continue  # last: the response stops there
        if kind == "mcp_approval_request":
            waits = True
            continue
        if kind == "file_search_call":
            items.append((kind, r.randint(0, 5)))
        elif kind == "code_interpreter_call":
            items.append((kind, r.randint(0, 3)))
        elif kind == "mcp_call":
            items += [("mcp_list_tools", 0), ("mcp_call", 0)] if r.random() < 0.3 else [("mcp_call", 0)]
        elif kind in FOUNDRY_TOOL_KINDS:
            items += [(kind, 0), (kind + "_output", 0)]
        else:
            items.append((kind, 0))
    if "function_call" in tools:
        return tuple(items + [("function_call", 0)] * r.randint(1, 2))
    if waits:
        return tuple(items + [("mcp_approval_request", 0)])
    return tuple(items + [("message", 0)])


def _usage(r, k: int, reasoning: bool) -> Tuple[int, int, int, int]:
    """(input, cached input, output, reasoning): cached is part of input, reasoning part of output."""
    inp = r.randint(60, 1500) + min(60_000, 420 * k + r.randint(0, 300) * k)
    # Prompt caching starts at 1,024 tokens and works in 128-token increments.
    cached = 0 if k == 0 or inp < 1024 else int(inp * r.uniform(0.2, 0.9)) // 128 * 128
    out = r.randint(15, 900)
    reason = 0
    if reasoning:
        reason = r.randint(64, 4000)
        out += reason
    return inp, cached, out, reason


def account_ids(seed: int) -> Tuple[str, str]:
    """Ids that are the same for every response of a world (vector store, container prefix)."""
    r = rng_for(seed, "account")
    return new_id(r, "vs_"), new_id(r, "cntr_")
