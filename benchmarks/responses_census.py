"""Ground truth for the Responses scenarios, without loader code: the requests a first load needs, the
S1 limit, the S4 prediction, and the S3 ceiling (a bare httpx fetch).

A first load of a Foundry project (`runsteps load --api responses --provider foundry`, nothing named)
needs, at minimum:

- the project's `GET /responses` listing, `limit=100`: `pages(R)` requests that form a chain (each
  page's `after` is the previous page's last id, so they cannot overlap one another);
- one `GET /responses/{id}?include[]=...` per listed response: the hosted-tool payloads (file-search
  results, code-interpreter outputs) come only there, never in the listing.

- the project's `GET /conversations` listing, and each listed conversation's items
  (`GET /conversations/{id}/items`, `limit=100`): counted by crawling them with our own client.

A response's output items come inside it. The response counts come from the emulator's control plane
(`/_emulator/expected`, `/_emulator/responses`).
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .census import cursor_after, pages
from .fetch import Crawler

# What runsteps asks for per response (README "Responses and Conversations tables"): the payloads
# of the analysts' child tables. A baseline that wants the same data has to ask for the same.
INCLUDES = ("file_search_call.results", "code_interpreter_call.outputs")
ROWS = ("responses", "output_items", "file_search_results", "code_interpreter_outputs")
TERMINAL = ("completed", "failed", "incomplete", "cancelled")


def api_root(project_endpoint: str) -> str:
    """The Responses API root below a Foundry project endpoint (what the loader appends itself)."""
    return project_endpoint.rstrip("/") + "/openai/v1"


@dataclass
class ResponsesCensus:
    """A Responses world's first load: R responses, P listing pages, and the rows it holds."""

    responses: int
    rows: Dict[str, int]  # expected rows: responses, output_items, file_search_results, code_interpreter_outputs
    open_responses: int
    conversation_requests: int = 0  # the conversation listing's pages and every conversation's item pages

    @property
    def listing_pages(self) -> int:
        return pages(self.responses)

    @property
    def requests(self) -> int:
        return self.listing_pages + self.responses + self.conversation_requests

    def limit_s(self, latency_s: float, concurrency: int) -> float:
        """The physical floor at `concurrency` requests in flight: every request costs `latency_s`, and
        the listing's pages are a chain that at least one fetch must follow."""
        return max(self.requests * latency_s / concurrency, (self.listing_pages + 1) * latency_s)

    def listing_first_s(self, latency_s: float, concurrency: int) -> float:
        """The floor of a client that lists everything first and only then fetches (runsteps today)."""
        return (self.listing_pages + math.ceil(self.responses / concurrency)) * latency_s


@dataclass
class Conversations:
    """The project's conversations as listed now: their ids in listing order, the newest item of each."""

    listing_pages: int
    ids: List[str]
    last_item: Dict[str, Optional[str]]
    item_pages: int  # pages to read every conversation's items whole

    @property
    def requests(self) -> int:
        return self.listing_pages + self.item_pages


async def _conversations(project_endpoint: str, api_key: str, concurrency: int) -> Conversations:
    async with _crawler(project_endpoint, api_key, concurrency) as c:
        n, listed = await c.list_pages("/conversations", {"order": "asc"})
        ids = [conv["id"] for conv in listed]
        crawled = await asyncio.gather(*(c.list_pages(f"/conversations/{cid}/items", {"order": "asc"}) for cid in ids))
        return Conversations(n, ids, {cid: (items[-1]["id"] if items else None) for cid, (_, items) in zip(ids, crawled)},
                             sum(k for k, _ in crawled))


def snapshot_conversations(project_endpoint: str, api_key: str, concurrency: int = 16) -> Conversations:
    """The project's conversations and their items, crawled through the API now."""
    return asyncio.run(_conversations(project_endpoint, api_key, concurrency))


def responses_census(expected: Dict[str, Any], response_ids: Sequence[str]) -> ResponsesCensus:
    """From the emulator's ground truth; the id list and the totals must agree."""
    tables = expected["tables"]
    if tables["responses"] != len(response_ids):
        raise RuntimeError(f"the emulator's totals ({tables['responses']} responses) disagree with its id list "
                           f"({len(response_ids)})")
    return ResponsesCensus(responses=len(response_ids), rows={k: int(tables[k]) for k in ROWS},
                           open_responses=int(expected.get("open_responses", 0)))


# --- crawling with our own client ------------------------------------------------------------------


def _crawler(project_endpoint: str, api_key: str, concurrency: int) -> Crawler:
    return Crawler(api_root(project_endpoint), api_key, concurrency, headers={})


async def _listing(c: Crawler, after: Optional[str] = None) -> Tuple[int, List[Tuple[str, str]]]:
    """(pages, [(id, status)]) of `GET /responses?order=asc` after `after`."""
    n, items = await c.list_pages("/responses", {"order": "asc", **({"after": after} if after else {})})
    return n, [(r["id"], r["status"]) for r in items]


async def _snapshot(project_endpoint: str, api_key: str, concurrency: int) -> List[Tuple[str, str]]:
    async with _crawler(project_endpoint, api_key, concurrency) as c:
        return (await _listing(c))[1]


def snapshot_responses(project_endpoint: str, api_key: str, concurrency: int = 16) -> List[Tuple[str, str]]:
    """The project's responses as (id, status), ascending, as listed through the API now."""
    return asyncio.run(_snapshot(project_endpoint, api_key, concurrency))


@dataclass
class ResponsesPrediction:
    requests: int
    listing_pages: int
    fetches: int
    new_responses: int
    reopened: int  # open at the first load, fetched again
    watermark: Optional[str]


async def _predict(project_endpoint: str, api_key: str, before: List[Tuple[str, str]],
                   conversations: Optional[Conversations], concurrency: int) -> ResponsesPrediction:
    watermark, done = cursor_after(before)
    known = {rid for rid, _ in before}
    async with _crawler(project_endpoint, api_key, concurrency) as c:
        n_pages, listed = await _listing(c, watermark)
        todo = [rid for rid, _ in listed if rid not in set(done)]
        fetched = await asyncio.gather(*(c.get(f"/responses/{rid}", {"include[]": list(INCLUDES)}) for rid in todo))
        conversation_requests = 0
        if conversations is not None:
            # the conversation listing after the last one listed before; a new conversation's items whole;
            # a conversation listed before only when a fetched response began (new) or ended in it,
            # from its newest item before
            after = conversations.ids[-1] if conversations.ids else None
            n_conv, new = await c.list_pages("/conversations", {"order": "asc", **({"after": after} if after else {})})
            touched = {(r.get("conversation") or {}).get("id") for r in fetched
                       if r["id"] not in known or r.get("status") in TERMINAL}
            reads = [(conv["id"], None) for conv in new]
            reads += [(cid, conversations.last_item[cid]) for cid in sorted(t for t in touched if t) if cid in conversations.last_item]
            item_pages = await asyncio.gather(*(c.list_pages(f"/conversations/{cid}/items",
                                                             {"order": "asc", **({"after": last} if last else {})})
                                                for cid, last in reads))
            conversation_requests = n_conv + sum(k for k, _ in item_pages)
        return ResponsesPrediction(
            requests=n_pages + len(todo) + conversation_requests, listing_pages=n_pages, fetches=len(todo),
            new_responses=sum(1 for rid in todo if rid not in known),
            reopened=sum(1 for rid in todo if rid in known), watermark=watermark)


def predict_incremental(project_endpoint: str, api_key: str, before: List[Tuple[str, str]],
                        concurrency: int = 16, conversations: Optional[Conversations] = None) -> ResponsesPrediction:
    """The requests of the load that follows a first load taken at `before`, at the emulator's clock now.

    README "How the Responses load works": one watermark per project, the last response of the
    longest all-terminal prefix of the listing; terminal responses after it are done and not fetched
    again; the listing after the watermark is read whole, and every listed response that is not done
    (new, or open last time) is fetched by id. The crawl that counts them makes those requests."""
    return asyncio.run(_predict(project_endpoint, api_key, before, conversations, concurrency))


# --- S3's ceiling ------------------------------------------------------------------------------------


async def _bare(project_endpoint: str, api_key: str, concurrency: int) -> Dict[str, Any]:
    """Page through the listing and fetch each page's responses as soon as the page is in (the
    listing's chain overlaps the fetches), every response parsed and dropped."""
    fetched = items = 0
    async with _crawler(project_endpoint, api_key, concurrency) as c:
        async def one(rid: str) -> int:
            return len((await c.get(f"/responses/{rid}", {"include[]": list(INCLUDES)})).get("output") or [])

        tasks: List[asyncio.Task] = []
        query: Dict[str, Any] = {"limit": 100, "order": "asc"}
        listing_pages = 0
        while True:
            page = await c.get("/responses", query)
            listing_pages += 1
            data = page.get("data") or []
            tasks += [asyncio.ensure_future(one(r["id"])) for r in data]
            if not page.get("has_more") or not data:
                break
            query = {**query, "after": data[-1]["id"]}
        for n in await asyncio.gather(*tasks):
            fetched += 1
            items += n
        return {"requests": listing_pages + fetched, "listing_pages": listing_pages, "responses": fetched,
                "output_items": items, "retries": c.retries}


def bare_fetch(project_endpoint: str, api_key: str, concurrency: int) -> Dict[str, Any]:
    started = time.perf_counter()
    out = asyncio.run(_bare(project_endpoint, api_key, concurrency))
    out["seconds_in_process"] = time.perf_counter() - started
    return out
