"""The loader's state for the Responses source, kept in the dataset (see `sourcekit.cursor_table`):

- `response_cursors`: one row per listing scope (Foundry's project, or one agent's responses in it):
  the responses watermark and the done responses after it, and the conversations watermark;
- the `responses` table itself: which responses are loaded, and which were still open (fetched again);
- the `conversations` table: the conversations loaded before, with their item count and newest item
  (their items are listed after it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence

import dlt
import orjson
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from sourcekit.cursor_table import read_rows

from .settings import TABLES

CURSOR_TABLE = "response_cursors"


@dataclass
class ListingCursor:
    """Where listing one scope stands (`scope`: e.g. `foundry https://.../openai/v1 agent=NAME`)."""

    scope: str
    watermark_response_id: Optional[str] = None
    done_response_ids: List[str] = field(default_factory=list)
    watermark_conversation_id: Optional[str] = None
    updated_at: Optional[datetime] = None

    def row(self) -> Dict[str, Any]:
        return asdict(self)


def listing_scope(base_url: str, agent_name: Optional[str]) -> str:
    """The key of one listing's cursor: the project (its URL: no secret) and the agent filter."""
    return f"foundry {base_url}" + (f" agent={agent_name}" if agent_name else "")


def read_cursor(scope: str) -> ListingCursor:
    columns = list(TABLES[CURSOR_TABLE]["columns"])
    for row in read_rows(CURSOR_TABLE, columns, ["done_response_ids"], added_later=["watermark_conversation_id"]):
        if row["scope"] == scope:
            row["done_response_ids"] = list(row["done_response_ids"] or [])
            return ListingCursor(**row)
    return ListingCursor(scope)


@dataclass
class KnownResponses:
    """The responses loaded before: all of their ids, and those that were open and not gone since."""

    ids: set = field(default_factory=set)
    open_ids: List[str] = field(default_factory=list)


def read_known_responses(terminal: frozenset) -> KnownResponses:
    known = KnownResponses()
    for row in read_rows("responses", ["id", "status", "deleted_at"]):
        known.ids.add(row["id"])
        if row["status"] not in terminal and row["deleted_at"] is None:
            known.open_ids.append(row["id"])
    known.open_ids.sort()
    return known


def read_conversations() -> Dict[str, Dict[str, Any]]:
    """Every conversation row loaded before, by id."""
    columns = list(TABLES["conversations"]["columns"])
    return {row["id"]: row for row in read_rows("conversations", columns, ["metadata"], added_later=["last_item_id"])}


def read_response_rows(ids: Sequence[str]) -> List[Dict[str, Any]]:
    """The `responses` rows of `ids` as loaded (to mark them gone without losing what they hold)."""
    if not ids:
        return []
    columns = list(TABLES["responses"]["columns"])
    pipeline = dlt.current.pipeline()
    try:
        with pipeline.sql_client() as client:
            quoted = ", ".join(client.escape_column_name(c) for c in columns)
            marks = ", ".join(["%s"] * len(ids))
            rows = client.execute_sql(
                f"SELECT {quoted} FROM {client.make_qualified_table_name('responses')} WHERE id IN ({marks})", *ids)
    except DatabaseUndefinedRelation:
        return []
    out = []
    for values in rows or ():
        row = dict(zip(columns, values))
        for column in ("tools", "metadata", "details"):
            if isinstance(row[column], (str, bytes)):
                row[column] = orjson.loads(row[column])
        out.append(row)
    return out
