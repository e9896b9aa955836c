"""The skeleton of the world, and what the clock makes of it.

A `RunPlan` is a run's whole life decided up front: when it is created, starts, waits for tool
outputs, is cancelled, and ends, plus its steps with their timings, final statuses, usage and the
shape of their tool calls (types and output/result counts). Text payloads are not part of the plan;
`details.py` generates them on demand. The functions here answer "what does this run or step look
like at clock `now`", which both the API (objects.py) and the ground truth (expected.py) rely on.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import List, Optional, Tuple

TERMINAL_RUN_STATUSES = frozenset({"completed", "failed", "cancelled", "expired", "incomplete"})
RUN_EXPIRY_S = 600  # the API expires a run 10 minutes after it is created

# (tool-call type, number of code-interpreter outputs, number of file-search results)
CallShape = Tuple[str, int, int]


class StepPlan:
    """One run step, with absolute unix-second timestamps.

    Attributes:
        index: position in the run.
        id: ``step_...``.
        type: ``message_creation``, ``tool_calls`` or (Foundry preview) ``activities``.
        created_at: when the step appears.
        end_at: when it reaches `status`; before that it is ``in_progress``.
        status: final status: completed, failed, cancelled or expired.
        error_code: ``last_error.code`` of a failed step.
        usage: (prompt, completion, total) once terminal.
        usage_absent: Foundry only: the object carries no ``usage`` key at all.
        calls: tool-call shapes of a ``tool_calls`` step.
        message_id: ``msg_...`` of a ``message_creation`` step.
        ra_start, ra_end: the window in which the run waits for this step's function outputs.
        details: cache for the generated ``step_details`` (terminal form, with content).
        json: cache of the serialized terminal step, without and with file-search content.
    """

    __slots__ = (
        "index",
        "id",
        "type",
        "created_at",
        "end_at",
        "status",
        "error_code",
        "usage",
        "usage_absent",
        "calls",
        "message_id",
        "ra_start",
        "ra_end",
        "details",
        "json",
    )

    def __init__(self, index: int, step_id: str, step_type: str) -> None:
        self.index = index
        self.id = step_id
        self.type = step_type
        self.created_at = 0
        self.end_at = 0
        self.status = "completed"
        self.error_code: Optional[str] = None
        self.usage: Tuple[int, int, int] = (0, 0, 0)
        self.usage_absent = False
        self.calls: Tuple[CallShape, ...] = ()
        self.message_id: Optional[str] = None
        self.ra_start: Optional[int] = None
        self.ra_end: Optional[int] = None
        self.details: Optional[dict] = None
        self.json: Optional[list] = None  # serialized terminal form: [without content, with content]

    def shift(self, offset: int) -> None:
        """Move all timestamps by `offset` seconds (plans are built relative to run creation)."""
        self.created_at += offset
        self.end_at += offset
        if self.ra_start is not None:
            self.ra_start += offset
            self.ra_end += offset  # type: ignore[operator]


class RunPlan:
    """One run, with absolute unix-second timestamps.

    Attributes:
        key: stable key of the run inside its thread (``("p", k)`` or ``("w", window, j)``).
        id: ``run_...``.
        thread_index: index of the thread it belongs to.
        assistant: index into `vocab.ASSISTANTS`.
        model: the model the run reports.
        created_at, started_at, end_at: lifecycle times; `started_at` is None if it never started.
        status: final status, reached at `end_at`.
        phases: ``[(t, open_status)]`` ascending; the status at a time before `end_at` is the last
            phase whose `t` is <= that time.
        steps: the steps, ascending by `created_at` (strictly increasing).
        error_code: ``last_error.code`` of a failed run.
        incomplete_reason: ``incomplete_details.reason`` of an incomplete run.
        usage: the run's usage once terminal: the sum over all of its steps.
        user_message_id, user_message_at: the user message that started the run.
        max_prompt_tokens, max_completion_tokens: run limits (set for incomplete runs).
        attrs: cache for generated static attributes (instructions, metadata, ...).
        json: cache of the serialized terminal run.
    """

    __slots__ = (
        "key",
        "id",
        "thread_index",
        "assistant",
        "model",
        "created_at",
        "started_at",
        "end_at",
        "status",
        "phases",
        "steps",
        "step_created",
        "step_by_id",
        "error_code",
        "incomplete_reason",
        "usage",
        "user_message_id",
        "user_message_at",
        "max_prompt_tokens",
        "max_completion_tokens",
        "attrs",
        "json",
    )

    def __init__(self, key: tuple, run_id: str, thread_index: int) -> None:
        self.key = key
        self.id = run_id
        self.thread_index = thread_index
        self.assistant = 0
        self.model = ""
        self.created_at = 0
        self.started_at: Optional[int] = None
        self.end_at = 0
        self.status = "completed"
        self.phases: List[Tuple[int, str]] = []
        self.steps: List[StepPlan] = []
        self.step_created: List[int] = []
        self.step_by_id: dict = {}
        self.error_code: Optional[str] = None
        self.incomplete_reason: Optional[str] = None
        self.usage: Tuple[int, int, int] = (0, 0, 0)
        self.user_message_id = ""
        self.user_message_at = 0
        self.max_prompt_tokens: Optional[int] = None
        self.max_completion_tokens: Optional[int] = None
        self.attrs: Optional[dict] = None
        self.json: Optional[bytes] = None  # serialized terminal form

    def shift(self, offset: int) -> None:
        """Move the run and its steps by `offset` seconds and build the lookup indexes."""
        self.created_at += offset
        self.end_at += offset
        self.user_message_at += offset
        if self.started_at is not None:
            self.started_at += offset
        self.phases = [(t + offset, s) for t, s in self.phases]
        for step in self.steps:
            step.shift(offset)
        self.step_created = [s.created_at for s in self.steps]
        self.step_by_id = {s.id: s.index for s in self.steps}

    # --- the clock's view -------------------------------------------------------------------

    def status_at(self, now: int) -> str:
        """The run's status at `now` (the run must be visible: created_at <= now)."""
        if now >= self.end_at:
            return self.status
        status = "queued"
        for t, phase in self.phases:
            if t > now:
                break
            status = phase
        return status

    def visible_step_count(self, now: int) -> int:
        """How many of the steps exist at `now` (a prefix of `steps`)."""
        return bisect_right(self.step_created, now)

    def waiting_step(self, now: int) -> Optional[StepPlan]:
        """The step whose function outputs the run waits for at `now`, if it is requires_action."""
        if now >= self.end_at:
            return None
        for step in self.steps:
            if step.ra_start is not None and step.ra_start <= now < step.ra_end:  # type: ignore[operator]
                return step
        return None


def step_status_at(step: StepPlan, now: int) -> str:
    """The step's status at `now` (the step must be visible: created_at <= now)."""
    return step.status if now >= step.end_at else "in_progress"


def shows_outputs(step_status: str) -> bool:
    """Whether tool-call results (outputs, search results, function output) are filled in.

    Only a completed step shows them: while in progress nothing has come back yet, and a step that
    failed, was cancelled or expired never received them.
    """
    return step_status == "completed"
