"""The deterministic world: threads, runs, steps and messages behind a clock.

Threads are generated on demand from (seed, thread index) and kept in a small LRU cache, so a world
of a million steps costs little memory and starts at once; only thread ids and creation times are
computed up front. Everything a client sees is a function of the generated plans and the clock.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Set, Tuple

from .details import assistant_objects
from .generate import ANCHOR, ThreadRecord, WorldShape, build_thread, thread_header
from .objects import message_object, run_json, run_object, step_json, step_object, thread_object
from .paging import ListParams, paginate
from .plan import RunPlan

FLAVOURS = ("openai", "azure", "foundry")
DEFAULT_CLOCK = ANCHOR


class NotFound(KeyError):
    """An id the world does not know (or no longer knows), as the API answers with 404."""

    def __init__(self, kind: str, object_id: str, message: str) -> None:
        super().__init__(message)
        self.kind, self.object_id, self.message = kind, object_id, message

    def __str__(self) -> str:
        return self.message


class _Header:
    __slots__ = ("index", "id", "created_at")

    def __init__(self, index: int, thread_id: str, created_at: int) -> None:
        self.index, self.id, self.created_at = index, thread_id, created_at


class World:
    """A generated Assistants API v2 organisation with a clock.

    Args:
        seed: world seed; the same knobs give the same world, in any process.
        threads: number of threads.
        runs_per_thread: mean number of runs of an ordinary thread before the default clock.
        steps_per_run: mean number of steps of a run that runs to completion.
        flavour: ``openai``, ``azure`` (same data as openai) or ``foundry`` (extra tool-call types,
            ``activities`` steps, steps without usage, no ``incomplete`` runs).
        activity: share of ordinary threads that get a new run per hour of clock (default 5%).
        cache_threads: how many generated threads to keep (LRU).

    The clock starts at 2026-08-20T00:00:00Z (`DEFAULT_CLOCK`) and only moves forward.
    """

    def __init__(
        self,
        seed: int = 7,
        threads: int = 50,
        runs_per_thread: float = 20,
        steps_per_run: float = 6,
        flavour: str = "openai",
        *,
        activity: float = 0.05,
        cache_threads: int = 256,
    ) -> None:
        if flavour not in FLAVOURS:
            raise ValueError(f"flavour must be one of {', '.join(FLAVOURS)}, not {flavour!r}")
        if threads < 0 or runs_per_thread < 0 or steps_per_run < 0:
            raise ValueError("threads, runs_per_thread and steps_per_run must be >= 0")
        if not 0 <= activity < 1:
            raise ValueError("activity must be in [0, 1)")
        self.shape = WorldShape(int(seed), int(threads), float(runs_per_thread), float(steps_per_run), flavour, activity)
        self._now = DEFAULT_CLOCK
        self._lock = threading.RLock()
        self._cache: "OrderedDict[int, ThreadRecord]" = OrderedDict()
        self._cache_size = max(1, cache_threads)
        self._headers: List[_Header] = []
        self._index_by_id: Dict[str, int] = {}
        for i in range(self.shape.threads):
            tid, created = thread_header(self.shape.seed, i)
            self._headers.append(_Header(i, tid, created))
            self._index_by_id[tid] = i
        self._by_created = sorted(self._headers, key=lambda h: (h.created_at, h.id))
        self._created_pos = {h.id: p for p, h in enumerate(self._by_created)}
        self._deleted_threads: Set[int] = set()
        self._deleted_runs: Set[str] = set()
        self._assistants = assistant_objects(self.shape)
        self._assistant_pos = {a["id"]: i for i, a in enumerate(self._assistants)}

    # --- knobs and clock ----------------------------------------------------------------------

    @property
    def seed(self) -> int:
        return self.shape.seed

    @property
    def threads(self) -> int:
        return self.shape.threads

    @property
    def runs_per_thread(self) -> float:
        return self.shape.runs_per_thread

    @property
    def steps_per_run(self) -> float:
        return self.shape.steps_per_run

    @property
    def flavour(self) -> str:
        return self.shape.flavour

    @property
    def now(self) -> int:
        """The clock, in unix seconds."""
        return self._now

    def advance(self, seconds: int) -> None:
        """Move the clock forward: new runs appear, open runs move on and may finish.

        Args:
            seconds: how far, >= 0.
        """
        seconds = int(seconds)
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._now += seconds

    # --- deletion (simulates objects deleted in the real API: they answer 404) ------------------

    def delete_thread(self, thread_id: str) -> None:
        """Delete a thread: from now on it answers 404 and is not listed."""
        self._deleted_threads.add(self.thread_index(thread_id))

    def delete_run(self, thread_id: str, run_id: str) -> None:
        """Delete a run: from now on it answers 404 and is not listed."""
        self._run(thread_id, run_id)
        self._deleted_runs.add(run_id)

    # --- internals ------------------------------------------------------------------------------

    def thread_index(self, thread_id: str) -> int:
        """The index of a live thread.

        Raises:
            NotFound: unknown or deleted thread.
        """
        i = self._index_by_id.get(thread_id)
        if i is None or i in self._deleted_threads:
            raise NotFound("thread", thread_id, f"No thread found with id '{thread_id}'.")
        return i

    def _record(self, index: int, cache: bool = True) -> ThreadRecord:
        with self._lock:
            rec = self._cache.get(index)
            if rec is not None:
                self._cache.move_to_end(index)
            else:
                h = self._headers[index]
                rec = build_thread(self.shape, index, h.id, h.created_at)
                if cache:
                    self._cache[index] = rec
                    if len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
            rec.extend(self.shape, self._now)
            return rec

    def _visible_runs(self, rec: ThreadRecord, now: int) -> Tuple[List[RunPlan], Any]:
        """Visible runs, ascending, and an id -> position function."""
        n = bisect_right(rec.run_created, now)
        runs = rec.runs[:n]
        if self._deleted_runs and any(r.id in self._deleted_runs for r in runs):
            runs = [r for r in runs if r.id not in self._deleted_runs]
            pos = {r.id: i for i, r in enumerate(runs)}
            return runs, pos.get
        return runs, rec.run_by_id.get

    def _run(self, thread_id: str, run_id: str) -> Tuple[ThreadRecord, RunPlan]:
        rec = self._record(self.thread_index(thread_id))
        i = rec.run_by_id.get(run_id)
        if i is None or rec.runs[i].created_at > self._now or run_id in self._deleted_runs:
            raise NotFound("run", run_id, f"No run found with id '{run_id}'.")
        return rec, rec.runs[i]

    def _assistant_id(self, run: RunPlan) -> str:
        return self._assistants[run.assistant]["id"]

    def _run_dict(self, rec: ThreadRecord, run: RunPlan, now: int) -> Dict[str, Any]:
        return run_object(self.shape, rec.id, self._assistant_id(run), run, now)

    def _step_dicts(self, rec: ThreadRecord, run: RunPlan, steps, now: int, include: bool) -> List[Dict[str, Any]]:
        aid = self._assistant_id(run)
        return [step_object(self.shape, rec.id, aid, run, s, now, include) for s in steps]

    # --- public read API (dicts exactly as the HTTP API serves them) ----------------------------

    def thread_ids(self) -> List[str]:
        """All thread ids that exist at the current clock, in thread-index order."""
        return [h.id for h in self._headers if h.created_at <= self._now and h.index not in self._deleted_threads]

    def thread(self, thread_id: str) -> Dict[str, Any]:
        """The thread object."""
        i = self.thread_index(thread_id)
        rec = self._cache.get(i)
        return thread_object(self.shape, rec if rec is not None else self._headers[i])

    def runs(self, thread_id: str) -> List[Dict[str, Any]]:
        """All runs visible at the clock, ascending by (created_at, id)."""
        now = self._now
        rec = self._record(self.thread_index(thread_id))
        runs, _ = self._visible_runs(rec, now)
        return [self._run_dict(rec, r, now) for r in runs]

    def run(self, thread_id: str, run_id: str) -> Dict[str, Any]:
        """One run."""
        rec, run = self._run(thread_id, run_id)
        return self._run_dict(rec, run, self._now)

    def steps(self, thread_id: str, run_id: str, include_content: bool = False) -> List[Dict[str, Any]]:
        """All steps of a run visible at the clock, ascending.

        Args:
            thread_id, run_id: the run.
            include_content: whether file-search results carry `content`, as with `include[]`.
        """
        now = self._now
        rec, run = self._run(thread_id, run_id)
        return self._step_dicts(rec, run, run.steps[: run.visible_step_count(now)], now, include_content)

    def step(self, thread_id: str, run_id: str, step_id: str, include_content: bool = False) -> Dict[str, Any]:
        """One step."""
        now = self._now
        rec, run = self._run(thread_id, run_id)
        k = run.step_by_id.get(step_id)
        if k is None or run.steps[k].created_at > now:
            raise NotFound("step", step_id, f"No run step found with id '{step_id}'.")
        return self._step_dicts(rec, run, [run.steps[k]], now, include_content)[0]

    def messages(self, thread_id: str, run_id: Optional[str] = None) -> List[Dict[str, Any]]:
        """All messages visible at the clock, ascending; optionally only those a run created."""
        page, _ = self.list_messages(thread_id, ListParams(limit=10**9, order="asc"), run_id=run_id)
        return page

    def message(self, thread_id: str, message_id: str) -> Dict[str, Any]:
        """One message."""
        now = self._now
        rec = self._record(self.thread_index(thread_id))
        entries, created, by_id = rec.message_entries()
        p = by_id.get(message_id)
        if p is None or entries[p][0] > now or rec.runs[entries[p][2]].id in self._deleted_runs:
            raise NotFound("message", message_id, f"No message found with id '{message_id}'.")
        return self._message_dict(rec, entries[p], now)

    def _message_dict(self, rec: ThreadRecord, entry, now: int) -> Dict[str, Any]:
        run = rec.runs[entry[2]]
        step = run.steps[entry[3]] if entry[3] >= 0 else None
        return message_object(self.shape, rec.id, self._assistant_id(run), run, step, now)

    def assistants(self) -> List[Dict[str, Any]]:
        """The assistants, ascending by creation time."""
        return list(self._assistants)

    def assistant(self, assistant_id: str) -> Dict[str, Any]:
        """One assistant."""
        p = self._assistant_pos.get(assistant_id)
        if p is None:
            raise NotFound("assistant", assistant_id, f"No assistant found with id '{assistant_id}'.")
        return self._assistants[p]

    # --- pages (used by the server: only the page's objects are built) --------------------------

    def list_threads(self, params: ListParams, loop: bool = False) -> Tuple[List[Dict[str, Any]], bool]:
        """A page of threads ordered by (created_at, id) (Foundry's GET /threads)."""
        if self._deleted_threads:
            items = [h for h in self._by_created if h.index not in self._deleted_threads]
            pos = {h.id: i for i, h in enumerate(items)}.get
        else:
            items, pos = self._by_created, self._created_pos.get
        page, more = paginate(items, pos, params, loop)
        return [thread_object(self.shape, h) for h in page], more

    def list_assistants(self, params: ListParams, loop: bool = False) -> Tuple[List[Dict[str, Any]], bool]:
        """A page of assistants."""
        return paginate(self._assistants, self._assistant_pos.get, params, loop)

    def list_runs(self, thread_id: str, params: ListParams, loop: bool = False) -> Tuple[List[Dict[str, Any]], bool]:
        """A page of the runs of a thread."""
        now = self._now
        rec = self._record(self.thread_index(thread_id))
        runs, pos = self._visible_runs(rec, now)
        page, more = paginate(runs, pos, params, loop)
        return [self._run_dict(rec, r, now) for r in page], more

    def list_steps(
        self, thread_id: str, run_id: str, params: ListParams, include_content: bool, loop: bool = False
    ) -> Tuple[List[Dict[str, Any]], bool]:
        """A page of the steps of a run."""
        now = self._now
        rec, run = self._run(thread_id, run_id)
        steps = run.steps[: run.visible_step_count(now)]
        page, more = paginate(steps, run.step_by_id.get, params, loop)
        return self._step_dicts(rec, run, page, now, include_content), more

    def runs_page_json(self, thread_id: str, params: ListParams, loop: bool = False) -> Tuple[List[bytes], List[str], bool]:
        """Like `list_runs`, but serialized: ``(json of each run, their ids, has_more)``."""
        now = self._now
        rec = self._record(self.thread_index(thread_id))
        runs, pos = self._visible_runs(rec, now)
        page, more = paginate(runs, pos, params, loop)
        return [run_json(self.shape, rec.id, self._assistant_id(r), r, now) for r in page], [r.id for r in page], more

    def steps_page_json(
        self, thread_id: str, run_id: str, params: ListParams, include_content: bool, loop: bool = False
    ) -> Tuple[List[bytes], List[str], bool]:
        """Like `list_steps`, but serialized: ``(json of each step, their ids, has_more)``."""
        now = self._now
        rec, run = self._run(thread_id, run_id)
        steps = run.steps[: run.visible_step_count(now)]
        page, more = paginate(steps, run.step_by_id.get, params, loop)
        aid = self._assistant_id(run)
        return [step_json(self.shape, rec.id, aid, run, s, now, include_content) for s in page], [s.id for s in page], more

    def list_messages(
        self, thread_id: str, params: ListParams, run_id: Optional[str] = None, loop: bool = False
    ) -> Tuple[List[Dict[str, Any]], bool]:
        """A page of the messages of a thread, optionally only those a run created."""
        now = self._now
        rec = self._record(self.thread_index(thread_id))
        entries, created, by_id = rec.message_entries()
        visible = entries[: bisect_right(created, now)]
        pos = by_id.get
        if run_id is not None or self._deleted_runs:
            visible = [
                e
                for e in visible
                if rec.runs[e[2]].id not in self._deleted_runs
                and (run_id is None or (e[3] >= 0 and rec.runs[e[2]].id == run_id))
            ]
            pos = {e[1]: i for i, e in enumerate(visible)}.get
        page, more = paginate(visible, pos, params, loop)
        return [self._message_dict(rec, e, now) for e in page], more

    # --- ground truth -----------------------------------------------------------------------------

    def expected(self) -> Dict[str, Any]:
        """What the loader's tables must hold once everything visible now is loaded.

        See `expected.compute_expected` for the exact shape.
        """
        from .expected import compute_expected

        return compute_expected(self)

    def _iter_records(self):
        """Live threads with their records, without evicting the cache's working set."""
        for h in self._headers:
            if h.index in self._deleted_threads or h.created_at > self._now:
                continue
            yield self._record(h.index, cache=False)

    def __repr__(self) -> str:
        s = self.shape
        return (f"World(seed={s.seed}, threads={s.threads}, runs_per_thread={s.runs_per_thread:g}, "
                f"steps_per_run={s.steps_per_run:g}, flavour={s.flavour!r}, now={self._now})")
