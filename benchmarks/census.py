"""Ground truth for the limits and predictions, computed without any loader code.

- `world_census`: how many requests a first load of each thread needs at minimum (the thread object,
  the run-list pages, the step-list pages of every run; 100 items a page, `has_more` false on the
  last), from the emulator's own world built in this process with the same knobs. It is checked
  against the running emulator's `/_emulator/expected` totals, so a drift between the two is caught.
- `predict_incremental`: the requests an incremental load must make after a clock advance, from two
  snapshots taken through the HTTP API with our own httpx crawler (`fetch.py`) and the watermark
  rules of docs/design.md ("Incremental loading"), re-implemented here from the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .emulator_proc import WorldSpec
from .fetch import crawl_sync

TERMINAL = frozenset({"completed", "failed", "cancelled", "expired", "incomplete"})
PAGE = 100


def pages(n: int) -> int:
    """List pages needed for `n` items: at least one (an empty list is one request)."""
    return max(1, -(-n // PAGE))


@dataclass
class Census:
    """Per thread: (minimum requests of a first load, runs, steps)."""

    spec: WorldSpec
    per_thread: Dict[str, Tuple[int, int, int]]
    order: List[str] = field(default_factory=list)

    def requests(self, ids: Optional[Sequence[str]] = None) -> int:
        return sum(self.per_thread[t][0] for t in (ids if ids is not None else self.order))

    def runs(self, ids: Optional[Sequence[str]] = None) -> int:
        return sum(self.per_thread[t][1] for t in (ids if ids is not None else self.order))

    def steps(self, ids: Optional[Sequence[str]] = None) -> int:
        return sum(self.per_thread[t][2] for t in (ids if ids is not None else self.order))


def world_census(spec: WorldSpec, expected: Optional[Dict[str, Any]] = None) -> Census:
    """Minimum requests per thread of a first load of `spec`, from the emulator's world at its clock."""
    from runsteps.emulator.world import World

    world = World(seed=spec.seed, threads=spec.threads, runs_per_thread=spec.runs_per_thread,
                  steps_per_run=spec.steps_per_run, flavour=spec.flavour, activity=spec.activity)
    per: Dict[str, Tuple[int, int, int]] = {}
    order = world.thread_ids()
    for tid in order:
        runs = world.runs(tid)
        n_steps = 0
        requests = 1 + pages(len(runs))  # GET the thread, then list its runs
        for run in runs:
            k = len(world.steps(tid, run["id"]))
            n_steps += k
            requests += pages(k)
        per[tid] = (requests, len(runs), n_steps)
    census = Census(spec, per, order)
    if expected is not None:
        tables = expected.get("tables", {})
        if (tables.get("runs"), tables.get("run_steps")) != (census.runs(), census.steps()):
            raise RuntimeError(
                f"census of {spec.name} disagrees with the emulator: {census.runs()} runs / {census.steps()} steps "
                f"here, {tables.get('runs')} / {tables.get('run_steps')} served")
    return census


# --- S4: the incremental prediction ----------------------------------------------------------


def cursor_after(listed: Sequence[Tuple[str, str]], watermark: Optional[str] = None,
                 done: Sequence[str] = ()) -> Tuple[Optional[str], List[str]]:
    """docs/design.md, step 6: the watermark moves to the last run of the longest all-terminal prefix of
    the listing; the terminal runs after it are remembered as done (not fetched again)."""
    prefix = 0
    for _, status in listed:
        if status not in TERMINAL:
            break
        prefix += 1
    if prefix:
        watermark = listed[prefix - 1][0]
    return watermark, [rid for rid, status in listed[prefix:] if status in TERMINAL]


@dataclass
class Snapshot:
    """Each thread's runs as (id, status), ascending, as listed through the API."""

    runs: Dict[str, List[Tuple[str, str]]]


def snapshot_runs(base_url: str, api_key: str, thread_ids: Sequence[str], concurrency: int = 16) -> Snapshot:
    results = crawl_sync(base_url, api_key, thread_ids, concurrency=concurrency, fetch_thread=False,
                         steps=False, keep=True)
    return Snapshot({r.thread_id: r.run_list for r in results})


@dataclass
class Prediction:
    requests: int
    threads: int
    threads_with_new_runs: int
    new_runs: int
    reopened_runs: int  # runs open at the first load, fetched again
    run_list_pages: int
    step_pages: int


def predict_incremental(base_url: str, api_key: str, before: Snapshot, concurrency: int = 16) -> Prediction:
    """Requests of the load that follows a full first load taken at `before`, at the emulator's clock now.

    Per thread: list runs after its watermark (all pages), then the step pages of every listed run
    that is not a remembered terminal one (new runs, and runs that were open last time). The crawl
    that counts them is itself that sequence of requests, made with our own client.
    """
    cursors = {tid: cursor_after(runs) for tid, runs in before.runs.items()}
    results = crawl_sync(base_url, api_key, list(before.runs), concurrency=concurrency, fetch_thread=False,
                         steps=True, keep=True, cursors=cursors)
    with_new = new_runs = reopened = 0
    for r in results:
        known = {rid for rid, _ in before.runs[r.thread_id]}
        fresh = [rid for rid, _ in r.run_list if rid not in known]
        new_runs += len(fresh)
        with_new += bool(fresh)
        reopened += sum(1 for rid, _ in r.run_list if rid in known and rid not in cursors[r.thread_id][1])
    return Prediction(
        requests=sum(r.requests for r in results), threads=len(results), threads_with_new_runs=with_new,
        new_runs=new_runs, reopened_runs=reopened, run_list_pages=sum(r.run_pages for r in results),
        step_pages=sum(r.step_pages for r in results))
