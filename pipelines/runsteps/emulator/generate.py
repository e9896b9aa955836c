"""Generation of thread timelines: which runs a thread has, when, and how each one goes.

Shape of the world (see docs/emulator.md):
- The default clock is 2026-08-20T00:00:00Z (`ANCHOR`). Threads are created between 42 and 3 days
  before it; their past runs are spread uniformly between thread creation and the anchor.
- About 10% of ordinary threads have a "live" run that straddles the anchor (open at the anchor).
- After the anchor, new runs arrive per thread as a Poisson process in 6-hour windows, at a rate such
  that a share `activity` (default 5%) of ordinary threads gets at least one new run per hour.
- Runs of a thread never overlap (the API allows one active run per thread), and every run ends
  within 10 minutes of its creation (it expires at 600 s).
- With at least 3 threads, some indices are special: 0 never has runs; 1 has exactly 100 runs, all
  terminal, the oldest with exactly 100 steps, and never gets new ones; 2 is a showcase of every
  terminal outcome and tool type, ending with a run in `requires_action` at the anchor; 3, 4 and 5
  (when they exist) end with a run that is `queued`, `in_progress` and `cancelling` at the anchor.

Why one file of ~550 lines: every function here draws from the same seeded random streams in a fixed
order; split across modules, a change in one would silently reshuffle the worlds that tests and the
benchmarks' recorded results depend on. It is kept whole so that order stays visible in one place.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from .ids import new_id, poisson, rng_for
from .plan import RUN_EXPIRY_S, CallShape, RunPlan, StepPlan
from .vocab import ASSISTANTS, FOUNDRY_EXTRA_TOOL_TYPES, MODELS, REASONING_MODELS

ANCHOR = calendar.timegm((2026, 8, 20, 0, 0, 0))  # 2026-08-20T00:00:00Z, the default clock
DAY = 86_400
THREAD_AGE_MAX_S = 42 * DAY
THREAD_AGE_MIN_S = 3 * DAY
WINDOW_S = 6 * 3600  # future runs are generated in windows of this length, on demand
LIVE_SHARE = 0.10  # ordinary threads whose last run is open at the anchor
RUN_BUDGET_S = 585  # a non-expiring run ends before this many seconds after creation
MAX_STEPS = 120  # steps per run are capped so that a run fits in its 10 minutes
MAX_RUNS_FACTOR = 10  # a thread has at most this many times the mean runs
LEAD_S = 5  # the user message comes 1-4 s before its run
GAP_S = 5  # minimum idle time between two runs of a thread

SPECIAL_KINDS = {
    0: "empty",
    1: "hundred",
    2: "showcase",
    3: "live_queued",
    4: "live_in_progress",
    5: "live_cancelling",
}
KITCHEN_SINK_ASSISTANT = 5  # has code_interpreter, file_search and function tools


@dataclass(frozen=True)
class WorldShape:
    """The knobs a world is generated from.

    Attributes:
        seed: the world seed.
        threads: number of threads.
        runs_per_thread: mean number of past runs of an ordinary thread.
        steps_per_run: mean number of steps of a run that runs to the end.
        flavour: ``openai``, ``azure`` or ``foundry`` (Foundry worlds have extra tool types, no
            ``incomplete`` runs, and steps without usage).
        activity: share of ordinary threads that get a new run per hour of clock.
    """

    seed: int
    threads: int
    runs_per_thread: float
    steps_per_run: float
    flavour: str
    activity: float = 0.05

    @property
    def foundry(self) -> bool:
        return self.flavour == "foundry"

    @property
    def rate_per_s(self) -> float:
        """Poisson rate of new runs per thread per second: P(>=1 in an hour) == activity."""
        if self.activity <= 0:
            return 0.0
        return -math.log(1.0 - min(self.activity, 0.999)) / 3600.0


def thread_kind(shape: WorldShape, index: int) -> str:
    """The role of thread `index`: ``normal`` or one of the special kinds (only with >= 3 threads)."""
    if shape.threads < 3:
        return "normal"
    return SPECIAL_KINDS.get(index, "normal")


def thread_header(seed: int, index: int) -> Tuple[str, int]:
    """The id and creation time of a thread: cheap, so they are computed for every thread at start.

    Args:
        seed: world seed.
        index: thread index.

    Returns:
        ``(thread_id, created_at)``.
    """
    r = rng_for(seed, "thread", index)
    thread_id = new_id(r, "thread_")
    created_at = ANCHOR - THREAD_AGE_MAX_S + r.randrange(THREAD_AGE_MAX_S - THREAD_AGE_MIN_S)
    return thread_id, created_at


class ThreadRecord:
    """A generated thread: its runs on the timeline, with lookup indexes.

    Runs are kept ascending by creation time (strictly increasing, since runs never overlap). Future
    runs are generated window by window as the clock passes them (`extend`).
    """

    __slots__ = ("index", "id", "created_at", "kind", "runs", "run_created", "run_by_id", "next_window",
                 "last_end", "_msg_n", "_msg_entries", "_msg_created", "_msg_by_id", "attrs")

    def __init__(self, index: int, thread_id: str, created_at: int, kind: str) -> None:
        self.index = index
        self.id = thread_id
        self.created_at = created_at
        self.kind = kind
        self.runs: List[RunPlan] = []
        self.run_created: List[int] = []
        self.run_by_id: Dict[str, int] = {}
        self.next_window: Optional[int] = 0
        self.last_end = created_at
        self._msg_n = -1
        self._msg_entries: List[Tuple[int, str, int, int]] = []
        self._msg_created: List[int] = []
        self._msg_by_id: Dict[str, int] = {}
        self.attrs: Optional[dict] = None

    def append(self, run: RunPlan) -> None:
        """Add a placed run at the end of the timeline."""
        self.run_by_id[run.id] = len(self.runs)
        self.runs.append(run)
        self.run_created.append(run.created_at)
        self.last_end = max(self.last_end, run.end_at)

    def extend(self, shape: WorldShape, now: int) -> None:
        """Generate the future windows that start before `now` (their runs may be visible)."""
        rate = shape.rate_per_s
        while self.next_window is not None and ANCHOR + self.next_window * WINDOW_S < now:
            w = self.next_window
            start = ANCHOR + w * WINDOW_S
            wr = rng_for(shape.seed, "window", self.index, w)
            # Arrivals in (start, start + WINDOW_S]: none can be visible before the window starts.
            arrivals = sorted(wr.randint(1, WINDOW_S) for _ in range(poisson(wr, rate * WINDOW_S)))
            for j, arrival in enumerate(arrivals):
                run = make_run(shape, self.index, ("w", w, j))
                # A run cannot start while the previous one is active: arrivals queue behind it.
                created = max(start + arrival, self.last_end + GAP_S + LEAD_S)
                run.shift(created)
                self.append(run)
            self.next_window = w + 1

    def message_entries(self) -> Tuple[List[Tuple[int, str, int, int]], List[int], Dict[str, int]]:
        """All messages of the thread as ``(created_at, id, run_index, step_index or -1)``, ascending.

        Returns:
            The entries, their creation times (for bisecting) and an id -> position map. Rebuilt
            only when the timeline grew.
        """
        if self._msg_n != len(self.runs):
            entries: List[Tuple[int, str, int, int]] = []
            for ri, run in enumerate(self.runs):
                entries.append((run.user_message_at, run.user_message_id, ri, -1))
                for step in run.steps:
                    if step.message_id is not None:
                        entries.append((step.created_at, step.message_id, ri, step.index))
            entries.sort(key=lambda e: (e[0], e[1]))
            self._msg_entries = entries
            self._msg_created = [e[0] for e in entries]
            self._msg_by_id = {e[1]: i for i, e in enumerate(entries)}
            self._msg_n = len(self.runs)
        return self._msg_entries, self._msg_created, self._msg_by_id


def build_thread(shape: WorldShape, index: int, thread_id: str, created_at: int) -> ThreadRecord:
    """Generate thread `index` up to the anchor (its past runs and its live run, if any).

    Args:
        shape: the world knobs.
        index: thread index.
        thread_id, created_at: from `thread_header`.

    Returns:
        The record; call `ThreadRecord.extend` to add runs after the anchor.
    """
    kind = thread_kind(shape, index)
    rec = ThreadRecord(index, thread_id, created_at, kind)
    if kind == "empty":
        rec.next_window = None
        return rec
    r = rng_for(shape.seed, "runs", index)
    recipes: List[Optional[dict]]
    live: Optional[dict] = None
    if kind == "hundred":
        recipes = [{"status": "completed", "steps": 100}] + [None] * 99
        rec.next_window = None  # exactly 100 runs at every clock
    elif kind == "showcase":
        recipes = list(showcase_recipes(shape))
        live = {"status": "completed", "assistant": KITCHEN_SINK_ASSISTANT, "ra": True, "phase": "requires_action"}
    else:
        mean = max(0.0, shape.runs_per_thread)
        n = 0 if mean == 0 else round(r.gammavariate(1.5, mean / 1.5))
        n = min(n, max(1, int(MAX_RUNS_FACTOR * mean)))
        recipes = [None] * n
        if kind == "live_queued":
            live = {"status": "completed", "queue": (20, 90), "phase": "queued"}
        elif kind == "live_in_progress":
            live = {"status": "completed", "phase": "in_progress"}
        elif kind == "live_cancelling":
            live = {"status": "cancelled", "cancel": "running", "cancel_min": 2, "phase": "cancelling"}
        elif n > 0 and r.random() < LIVE_SHARE:
            live = {"phase": None}
            recipes.pop()
    past = [make_run(shape, index, ("p", k), recipe) for k, recipe in enumerate(recipes)]
    hi = ANCHOR - 10
    live_run: Optional[RunPlan] = None
    if live is not None:
        live_run = make_run(shape, index, ("p", len(past)), live)
        offset = live_offset(live_run, live.get("phase"), r)
        live_run.shift(ANCHOR - offset)
        hi = live_run.user_message_at - GAP_S
    for run in place_sequential(past, created_at + 60, hi, r):
        rec.append(run)
    if live_run is not None:
        rec.append(live_run)
    return rec


def showcase_recipes(shape: WorldShape) -> Sequence[dict]:
    """One run of every terminal outcome, the first one using every tool type of the flavour."""
    incomplete = "completed" if shape.foundry else "incomplete"  # Foundry has no incomplete status
    return (
        {"status": "completed", "tools": "all", "assistant": KITCHEN_SINK_ASSISTANT},
        {"status": "failed", "error": "server_error"},
        {"status": "failed", "error": "rate_limit_exceeded"},
        {"status": "failed", "error": "invalid_prompt"},
        {"status": "cancelled", "cancel": "running"},
        {"status": "cancelled", "cancel": "queued"},
        {"status": "expired", "expire": "waiting", "assistant": KITCHEN_SINK_ASSISTANT},
        {"status": "expired", "expire": "queued"},
        {"status": incomplete, "reason": "max_completion_tokens"},
        {"status": incomplete, "reason": "max_prompt_tokens"},
    )


def place_sequential(runs: List[RunPlan], lo: int, hi: int, r) -> List[RunPlan]:
    """Place relative-time runs on [lo, hi] in order, without overlap, uniformly spread.

    Classic trick: sorted uniform offsets in the free room plus the cumulative footprint of the
    runs before, so run k always starts after run k-1 ended.

    Args:
        runs: plans with times relative to their creation (created_at == 0).
        lo, hi: the interval the runs (including their user messages) must fit in.
        r: random stream.

    Returns:
        The runs that fit (all of them, unless the knobs ask for more than the interval holds).
    """
    feet = [run.end_at + LEAD_S + GAP_S for run in runs]
    while runs and sum(feet) > hi - lo:
        runs, feet = runs[:-1], feet[:-1]
    room = hi - lo - sum(feet)
    offsets = sorted(r.randint(0, room) for _ in runs)
    used = 0
    for run, offset, foot in zip(runs, offsets, feet):
        run.shift(lo + offset + used + LEAD_S)
        used += foot
    return runs


def live_offset(run: RunPlan, phase: Optional[str], r) -> int:
    """How many seconds before the anchor a live run must be created to be in `phase` at the anchor.

    Args:
        run: the plan, with times relative to its creation.
        phase: the open status wanted at the anchor, or None for any point of its open life.
        r: random stream.

    Returns:
        An offset in [0, run.end_at).
    """
    if phase is None:
        return r.randint(0, run.end_at - 1)
    if phase == "queued":
        return (run.started_at or run.end_at) // 2
    if phase == "requires_action":
        step = next(s for s in run.steps if s.ra_start is not None)
        return (step.ra_start + step.ra_end) // 2  # type: ignore[operator]
    if phase == "cancelling":
        t_req = next(t for t, s in run.phases if s == "cancelling")
        return (t_req + run.end_at) // 2
    last = run.steps[-1]  # in_progress: in the middle of the final step
    return (last.created_at + last.end_at) // 2


# --- one run ---------------------------------------------------------------------------------


def _outcome(r, shape: WorldShape, recipe: dict) -> Tuple[str, Optional[str], Optional[str], str]:
    """Pick (final status, error code, incomplete reason, mode) for a run."""
    status = recipe.get("status")
    if status is None:
        u = r.random()
        status = ("completed" if u < 0.78 else "incomplete" if u < 0.84 else "failed" if u < 0.91
                  else "cancelled" if u < 0.955 else "expired")
    if shape.foundry and status == "incomplete":
        status = "completed"
    error = reason = None
    mode = ""
    if status == "failed":
        error = recipe.get("error") or r.choices(
            ("server_error", "rate_limit_exceeded", "invalid_prompt"), (0.45, 0.35, 0.20))[0]
    elif status == "incomplete":
        reason = recipe.get("reason") or r.choice(("max_completion_tokens", "max_prompt_tokens"))
    elif status == "cancelled":
        mode = recipe.get("cancel") or ("queued" if r.random() < 0.2 else "running")
    elif status == "expired":
        mode = recipe.get("expire") or ("queued" if r.random() < 0.25 else "waiting")
    return status, error, reason, mode


def _call_shape(r, tool_type: str) -> CallShape:
    if tool_type == "code_interpreter":
        return (tool_type, r.choice((0, 1, 1, 1, 2, 3)), 0)
    if tool_type == "file_search":
        return (tool_type, 0, r.choice((0, 2, 3, 4, 5, 5, 6)))
    return (tool_type, 0, 0)


def _tool_step_calls(r, shape: WorldShape, assistant: dict, force: Optional[str] = None) -> Tuple[CallShape, ...]:
    """Tool calls of one tool_calls step. Function calls get a step of their own, as in the API."""
    types: List[str] = list(assistant["tools"])  # type: ignore[arg-type]
    weights = [3.0] * len(types)
    if shape.foundry:
        extra = list(assistant["foundry_tools"])  # type: ignore[arg-type]
        types += extra
        weights += [1.0 if t != "quantum_oracle" else 0.15 for t in extra]
    kind = force or r.choices(types, weights)[0]
    if kind == "function":
        return tuple(("function", 0, 0) for _ in range(r.choice((1, 1, 1, 2, 3))))
    calls = [_call_shape(r, kind)]
    others = [t for t in types if t != "function"]
    if force is None and r.random() < 0.2 and others:
        calls.append(_call_shape(r, r.choice(others)))
    return tuple(calls)


def make_run(shape: WorldShape, thread_index: int, key: tuple, recipe: Optional[dict] = None) -> RunPlan:
    """Plan one run, with times relative to its creation (created_at == 0).

    Args:
        shape: world knobs.
        thread_index: the thread it belongs to.
        key: stable key inside the thread; with the seed and thread index it seeds the run.
        recipe: forced decisions (status, error, steps, tools, phase, ...) for special threads.

    Returns:
        The plan; `RunPlan.shift` places it on the timeline.
    """
    recipe = recipe or {}
    r = rng_for(shape.seed, "run", thread_index, *key)
    run = RunPlan(key, new_id(r, "run_"), thread_index)
    run.user_message_id = new_id(r, "msg_")
    run.user_message_at = -r.randint(1, LEAD_S - 1)
    a = recipe.get("assistant")
    run.assistant = r.randrange(len(ASSISTANTS)) if a is None else a
    assistant = ASSISTANTS[run.assistant]
    run.model = assistant["model"] if r.random() < 0.85 else r.choice(MODELS)  # type: ignore[assignment]
    status, error, reason, mode = _outcome(r, shape, recipe)
    if status == "expired" and mode == "waiting" and "function" not in assistant["tools"]:  # type: ignore[operator]
        mode = "queued"  # only a run that calls functions can wait for outputs
    run.status, run.error_code, run.incomplete_reason = status, error, reason
    queue = recipe.get("queue")
    q = r.randint(*queue) if queue else (r.randint(0, 6) if r.random() < 0.9 else r.randint(7, 40))

    # Runs that end before doing any work.
    if (status, mode) == ("expired", "queued"):
        run.phases, run.end_at = [(0, "queued")], RUN_EXPIRY_S
        return run
    if (status, mode) == ("cancelled", "queued"):
        t_req = r.randint(1, 30)
        run.phases, run.end_at = [(0, "queued"), (t_req, "cancelling")], t_req + r.randint(1, 3)
        return run
    run.started_at = q
    if status == "failed" and error == "invalid_prompt":
        run.phases, run.end_at = [(0, "queued"), (q, "in_progress")], q + r.randint(1, 3)
        return run

    # Step types: tool_calls steps, with a message step at the end (and here and there before).
    specs: List[Tuple[str, Tuple[CallShape, ...]]] = []
    if recipe.get("tools") == "all":
        if shape.foundry:
            specs.append(("activities", ()))
        specs.append(("tool_calls", (("code_interpreter", 2, 0), ("file_search", 0, 3))))
        specs.append(("tool_calls", (("function", 0, 0), ("function", 0, 0))))
        if shape.foundry:
            specs += [("tool_calls", ((t, 0, 0),)) for t in FOUNDRY_EXTRA_TOOL_TYPES]
        specs.append(("message_creation", ()))
    elif recipe.get("ra"):
        specs = [("tool_calls", (("function", 0, 0),)), ("message_creation", ())]
    else:
        n = recipe.get("steps")
        if n is None:
            mean = max(1.0, shape.steps_per_run)
            n = min(MAX_STEPS, max(1, round(r.gammavariate(2.0, mean / 2.0))))
        for _ in range(n - 1):
            if r.random() < 0.8:
                specs.append(("tool_calls", _tool_step_calls(r, shape, assistant)))
            else:
                specs.append(("message_creation", ()))
        specs.append(("message_creation", ()))
        if shape.foundry and recipe.get("steps") is None and r.random() < 0.04:
            specs.insert(0, ("activities", ()))  # Foundry preview: MCP tool listing
        if recipe.get("steps") is None and len(specs) > MAX_STEPS:
            specs = specs[-MAX_STEPS:]

    # Where the run stops early, it stops at step f.
    f = len(specs) - 1
    if status in ("failed", "cancelled"):
        f = r.randrange(len(specs))
    elif status == "expired":  # waiting for function outputs that never come
        f = r.randrange(len(specs))
        specs[f] = ("tool_calls", _tool_step_calls(r, shape, assistant, force="function"))
    specs = specs[: f + 1]

    # Timeline: each interval has a minimum and an extra part; extras shrink to fit the budget.
    intervals: List[List[int]] = []
    for k, (stype, calls) in enumerate(specs):
        is_function = bool(calls) and calls[0][0] == "function"
        intervals.append([0, r.randint(0, 2)])  # gap before the step
        if is_function:
            wait_min = 4 if recipe.get("ra") else 1
            intervals += [[1, r.randint(0, 4)], [wait_min, r.randint(2, 75)], [1, r.randint(0, 2)]]
        else:
            work_min = 2 if k == len(specs) - 1 else 1
            intervals.append([work_min, r.randint(1, 24)])
    budget = RUN_BUDGET_S - q
    mins = sum(i[0] for i in intervals)
    extras = sum(i[1] for i in intervals)
    if mins + extras > budget and extras:
        factor = max(0, budget - mins) / extras
        for i in intervals:
            i[1] = int(i[1] * factor)
    durations = [i[0] + i[1] for i in intervals]

    t = q
    pos = 0
    steps: List[StepPlan] = []
    for k, (stype, calls) in enumerate(specs):
        step = StepPlan(k, new_id(r, "step_"), stype)
        step.calls = calls
        t += durations[pos]
        pos += 1
        step.created_at = t
        if calls and calls[0][0] == "function":
            call_at = t + durations[pos]
            submit_at = call_at + durations[pos + 1]
            t = submit_at + durations[pos + 2]
            pos += 3
            step.ra_start, step.ra_end = call_at, submit_at
        else:
            t += durations[pos]
            pos += 1
        step.end_at = t
        if stype == "message_creation":
            step.message_id = new_id(r, "msg_")
        steps.append(step)

    # The last step decides how the run ends.
    last = steps[-1]
    cancel_at: Optional[int] = None
    if status == "failed":
        limit = (last.ra_start if last.ra_start is not None else last.end_at) - last.created_at
        last.end_at = last.created_at + r.randint(1, max(1, limit))
        last.ra_start = last.ra_end = None  # it fails before asking for outputs
        last.status, last.error_code = "failed", error
    elif status == "cancelled":
        cancel_at = r.randint(last.created_at, max(last.created_at, last.end_at - 1))
        last.end_at = cancel_at + r.randint(recipe.get("cancel_min", 1), 4)
        last.status = "cancelled"
        if last.ra_start is not None:
            if last.ra_start < cancel_at:
                last.ra_end = min(last.ra_end, cancel_at)  # type: ignore[type-var]
            else:
                last.ra_start = last.ra_end = None
    elif status == "expired":
        last.ra_end = RUN_EXPIRY_S
        last.end_at = RUN_EXPIRY_S
        last.status = "expired"
    run.end_at = last.end_at

    phases: List[Tuple[int, str]] = [(0, "queued"), (q, "in_progress")]
    for step in steps:
        if step.ra_start is not None:
            phases.append((step.ra_start, "requires_action"))
            if step.ra_end < run.end_at and step.ra_end != cancel_at:  # type: ignore[operator]
                phases.append((step.ra_end, "in_progress"))  # type: ignore[arg-type]
    if cancel_at is not None:
        phases.append((cancel_at, "cancelling"))
    run.phases = phases

    _fill_usage(r, shape, run, steps)
    run.steps = steps
    return run


def _fill_usage(r, shape: WorldShape, run: RunPlan, steps: List[StepPlan]) -> None:
    """Token usage per step (the context grows step by step) and the run's sum."""
    reasoning = run.model in REASONING_MODELS
    acc = r.randint(250, 4500)
    for step in steps:
        prompt = acc + r.randint(0, 120)
        if step.type == "message_creation":
            completion = r.randint(25, 700)
        elif step.type == "activities":
            completion = r.randint(5, 60)
        else:
            completion = r.randint(12, 220)
        if reasoning:
            completion += r.randint(64, 2400)
        if step.status == "failed":
            completion = r.randint(0, 16)
        elif step.status == "cancelled":
            completion = r.randint(0, completion)
        step.usage = (prompt, completion, prompt + completion)
        acc = prompt + completion + (r.randint(20, 900) if step.type == "tool_calls" else 0)
        step.usage_absent = shape.foundry and r.random() < 0.15
    p = sum(s.usage[0] for s in steps)
    c = sum(s.usage[1] for s in steps)
    if run.incomplete_reason == "max_completion_tokens":
        if c < 256:  # the limit is >= 256 in the API: make the run reach it
            bump = 256 - c
            s = steps[-1]
            s.usage = (s.usage[0], s.usage[1] + bump, s.usage[2] + bump)
            c = 256
        run.max_completion_tokens = c
    elif run.incomplete_reason == "max_prompt_tokens":
        run.max_prompt_tokens = max(256, p)
    elif r.random() < 0.2:
        run.max_prompt_tokens = max(256, -(-int(p * 1.5) // 1000) * 1000)
        run.max_completion_tokens = max(256, -(-int(c * 1.5) // 1000) * 1000)
    run.usage = (p, c, p + c)
