"""A bare async crawler of threads → runs → steps with httpx, independent of the loader's code.

Two uses:
- the S3 ceiling ("bare fetch"): the same pages the loader needs, fetched with the same concurrency
  and one shared connection pool, parsed just enough to page (orjson), then thrown away;
- ground truth for predictions: how many pages each listing takes, which runs a thread has and their
  status, counted by talking to the emulator the way the spec says a client pages
  (`limit=100`, `after=<last id of data>` until `has_more` is false or `data` is empty).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import httpx
import orjson

PAGE = 100


@dataclass
class ThreadCrawl:
    """What was found in one thread (ids and statuses only, when asked to keep them)."""

    thread_id: str
    requests: int = 0
    run_pages: int = 0
    step_pages: int = 0
    runs: int = 0
    steps: int = 0
    run_list: List[Tuple[str, str]] = field(default_factory=list)  # (run id, status), ascending
    steps_by_run: Dict[str, int] = field(default_factory=dict)


class Crawler:
    def __init__(self, base_url: str, api_key: str, concurrency: int = 16,
                 headers: Optional[Dict[str, str]] = None) -> None:
        self.base_url = base_url.rstrip("/")
        # Assistants' beta header by default; the Responses API takes none (`headers={}`).
        extra = {"OpenAI-Beta": "assistants=v2"} if headers is None else headers
        self.headers = {"Authorization": f"Bearer {api_key}", **extra, "Accept": "application/json"}
        self.concurrency = concurrency
        self.sem = asyncio.Semaphore(concurrency)
        self.pools: List[httpx.AsyncClient] = []
        self.busy: List[int] = []
        self.requests = 0
        self.retries = 0

    async def __aenter__(self) -> "Crawler":
        # Plain httpx clients, but several pools of at most 8 connections, each request on the least
        # busy one: one pool's CPU cost grows with the square of its size (at 32 connections one pool
        # fetched the standard world in 26.3 s, four pools of 8 in 13.6 s), and a ceiling should be
        # httpx at its best.
        n = -(-self.concurrency // 8)
        per = -(-self.concurrency // n)
        limits = httpx.Limits(max_connections=per, max_keepalive_connections=per)
        self.pools = [httpx.AsyncClient(base_url=self.base_url, headers=self.headers, limits=limits,
                                        timeout=httpx.Timeout(60.0)) for _ in range(n)]
        self.busy = [0] * n
        return self

    async def __aexit__(self, *exc: object) -> None:
        for pool in self.pools:
            await pool.aclose()

    async def _get(self, path: str, params: Optional[Dict[str, Any]]) -> httpx.Response:
        i = self.busy.index(min(self.busy))
        self.busy[i] += 1
        try:
            return await self.pools[i].get(path, params=params)
        finally:
            self.busy[i] -= 1

    async def get(self, path: str, params: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        assert self.pools
        for attempt in range(10):
            async with self.sem:
                self.requests += 1
                try:
                    r = await self._get(path, params)
                except httpx.TransportError:
                    # e.g. the server closed a keep-alive connection just as it was reused: a
                    # transient fault of the wire that every real client retries.
                    self.retries += 1
                    await asyncio.sleep(0.05 * 2 ** min(attempt, 4))
                    continue
            if r.status_code == 200:
                return orjson.loads(r.content)
            if r.status_code in (429, 500, 502, 503, 504):
                self.retries += 1
                wait = r.headers.get("retry-after-ms")
                await asyncio.sleep(float(wait) / 1000 if wait else 0.5 * 2 ** min(attempt, 4))
                continue
            r.raise_for_status()
        raise RuntimeError(f"GET {path}: gave up after retries")

    async def list_pages(self, path: str, params: Dict[str, Any]) -> Tuple[int, List[Dict[str, Any]]]:
        """(pages requested, items) of one listing."""
        query = {"limit": PAGE, **params}
        pages, items = 0, []
        while True:
            page = await self.get(path, query)
            pages += 1
            data = page.get("data") or []
            items.extend(data)
            if not page.get("has_more") or not data:
                return pages, items
            query = {**query, "after": data[-1]["id"]}

    async def thread(self, tid: str, fetch_thread: bool = True, steps: bool = True,
                     after: Optional[str] = None, skip_runs: Sequence[str] = (), keep: bool = False) -> ThreadCrawl:
        """Crawl one thread: its object (optional), its runs after `after`, and the steps of every
        listed run not in `skip_runs`."""
        out = ThreadCrawl(tid)
        if fetch_thread:
            await self.get(f"/threads/{tid}")
            out.requests += 1
        params: Dict[str, Any] = {"order": "asc"}
        if after:
            params["after"] = after
        out.run_pages, runs = await self.list_pages(f"/threads/{tid}/runs", params)
        out.requests += out.run_pages
        out.runs = len(runs)
        if keep:
            out.run_list = [(r["id"], r["status"]) for r in runs]
        if steps:
            skip = set(skip_runs)

            async def run_steps(rid: str) -> Tuple[str, int, int]:
                pages, items = await self.list_pages(f"/threads/{tid}/runs/{rid}/steps", {"order": "asc"})
                return rid, pages, len(items)

            for rid, pages, n in await asyncio.gather(*(run_steps(r["id"]) for r in runs if r["id"] not in skip)):
                out.step_pages += pages
                out.steps += n
                if keep:
                    out.steps_by_run[rid] = n
            out.requests += out.step_pages
        del runs
        return out


async def crawl(base_url: str, api_key: str, thread_ids: Sequence[str], concurrency: int = 16,
                fetch_thread: bool = True, steps: bool = True, keep: bool = False,
                cursors: Optional[Dict[str, Tuple[Optional[str], Sequence[str]]]] = None) -> List[ThreadCrawl]:
    """Crawl many threads at once (every request passes one semaphore of `concurrency`).

    `cursors` maps a thread id to `(watermark, runs not to fetch again)`: an incremental crawl.
    """
    async with Crawler(base_url, api_key, concurrency) as c:
        async def one(tid: str) -> ThreadCrawl:
            after, skip = (cursors or {}).get(tid, (None, ()))
            return await c.thread(tid, fetch_thread=fetch_thread, steps=steps, after=after, skip_runs=skip, keep=keep)

        # A bounded window of threads in progress, so that memory stays flat on big worlds.
        results: List[ThreadCrawl] = []
        window = max(8, concurrency * 2)
        pending: set = set()
        it = iter(thread_ids)
        for tid in it:
            pending.add(asyncio.ensure_future(one(tid)))
            if len(pending) >= window:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                results.extend(t.result() for t in done)
        if pending:
            done, _ = await asyncio.wait(pending)
            results.extend(t.result() for t in done)
        order = {tid: i for i, tid in enumerate(thread_ids)}
        results.sort(key=lambda r: order[r.thread_id])
        return results


def crawl_sync(*args: Any, **kwargs: Any) -> List[ThreadCrawl]:
    return asyncio.run(crawl(*args, **kwargs))


def bare_fetch(base_url: str, api_key: str, thread_ids: Sequence[str], concurrency: int) -> Dict[str, Any]:
    """The S3 ceiling: fetch every page a first load needs, discard it, report counts."""
    started = time.perf_counter()
    results = crawl_sync(base_url, api_key, thread_ids, concurrency=concurrency)
    return {
        "seconds_in_process": time.perf_counter() - started,
        "requests": sum(r.requests for r in results),
        "runs": sum(r.runs for r in results),
        "steps": sum(r.steps for r in results),
        "per_thread": {r.thread_id: [r.requests, r.runs, r.steps] for r in results},
    }
