"""The incremental rules (README "How the Responses load works"), as pure functions.

Foundry lists a project's responses (`GET /responses?order=asc&after=<watermark>`): one watermark per
listing scope, the last response of the longest all-terminal prefix of the listing, exactly as runs
within a thread in the Assistants source; terminal responses after it are remembered as done and not
fetched again; every other listed response (new, or still open last time) is fetched by id.

OpenAI lists nothing: responses come in by id, and each one's `previous_response_id` chain is walked
back until a response already loaded, or the start of the chain. Responses loaded while still open
are fetched again until they end.
"""

from __future__ import annotations

from typing import Any, Iterable, List, Mapping, Optional, Sequence, Tuple

from .settings import TERMINAL_RESPONSE_STATUSES


def is_terminal(response: Mapping[str, Any]) -> bool:
    return response.get("status") in TERMINAL_RESPONSE_STATUSES


def to_fetch(done_ids: Iterable[str], listed: Sequence[Mapping[str, Any]]) -> List[Mapping[str, Any]]:
    """The listed responses to fetch by id: new ones, and ones that were open last time."""
    done = set(done_ids)
    return [r for r in listed if r["id"] not in done]


def advance(watermark: Optional[str], listed: Sequence[Mapping[str, Any]], fetched_status: Mapping[str, Any],
            gone: Iterable[str] = ()) -> Tuple[Optional[str], List[str]]:
    """The watermark and done list after `listed` (ascending, everything after the old watermark) loaded.

    Args:
        watermark: the watermark the listing was made with.
        listed: the responses listed after it, in ascending order.
        fetched_status: the status each fetched response had when fetched (newer than the listing's).
        gone: listed responses that will never load (404 when fetched); they count as finished.
    """
    gone = set(gone)

    def finished(response: Mapping[str, Any]) -> bool:
        status = fetched_status.get(response["id"], response.get("status"))
        return status in TERMINAL_RESPONSE_STATUSES or response["id"] in gone

    end = 0
    while end < len(listed) and finished(listed[end]):
        end += 1
    new_watermark = listed[end - 1]["id"] if end else watermark
    return new_watermark, [r["id"] for r in listed[end:] if finished(r)]


def chain_next(response: Mapping[str, Any], known: Iterable[str], claimed: Iterable[str]) -> Optional[str]:
    """The previous response to fetch next, or None at a response already loaded (or claimed by
    another walk of this load) or at the start of the chain."""
    previous = response.get("previous_response_id")
    if not previous or previous in known or previous in claimed:
        return None
    return previous
