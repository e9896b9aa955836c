"""Which conversations a load reads, and from which item on (README "How the Responses load works").

A conversation's items are only ever appended (at a response's start, its inputs; at its end, its
outputs; or posted to the conversation), so a conversation loaded before is read from its newest
loaded item on (`after`), never whole again. It is read when it is named (`--conversation-id`: its
object too, for metadata changed since), listed as new by Foundry (the listing holds the object),
or when a response of it was loaded in this load that is new or has ended: only then can it have
items the warehouse lacks.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Set

from sourcekit.ids import is_valid_id

from .extract import ConversationJob, FetchedResponse
from .flatten import conversation_id_of
from .incremental import is_terminal


class ConversationPlan:
    """Hands out each conversation's job once per load.

    Args:
        known: the `conversations` rows loaded before, by id.
        known_responses: ids of the responses loaded before.
    """

    def __init__(self, known: Mapping[str, Mapping[str, Any]], known_responses: Iterable[str]) -> None:
        self.known = known
        self.known_responses: Set[str] = set(known_responses)
        self.scheduled: Set[str] = set()

    def job(self, conversation_id: str, via: str, listed: Optional[Dict[str, Any]] = None) -> Optional[ConversationJob]:
        """The job for one conversation, or None when this load reads it already."""
        if conversation_id in self.scheduled:
            return None
        self.scheduled.add(conversation_id)
        row = self.known.get(conversation_id)
        after, first = None, 0
        if row is not None and row.get("deleted_at") is None and is_valid_id(row.get("last_item_id")):
            after, first = row["last_item_id"], int(row.get("item_count") or 0)
        fetch_object = listed is None and (via == "input" or row is None)
        return ConversationJob(conversation_id, via, listed=listed, fetch_object=fetch_object,
                               after_item=after, first_position=first)

    def initial(self, given: Iterable[str], listed: Iterable[Dict[str, Any]]) -> List[ConversationJob]:
        """Jobs for the conversations named, then for those Foundry listed as new."""
        jobs = [self.job(cid, "input") for cid in given]
        jobs += [self.job(c["id"], "listed", listed=c) for c in listed]
        return [j for j in jobs if j is not None]

    def touched_by(self, fetched: FetchedResponse) -> Optional[ConversationJob]:
        """The job for the conversation a fetched response added items to, if that conversation was
        loaded before (and not found gone) and the response is new or has ended."""
        response = fetched.response
        if response is None:
            return None
        cid = conversation_id_of(response)
        row = self.known.get(cid) if cid else None
        if row is None or row.get("deleted_at") is not None:
            return None
        if fetched.response_id in self.known_responses and not is_terminal(response):
            return None  # still open: it has added nothing since it was loaded
        return self.job(cid, "response")
