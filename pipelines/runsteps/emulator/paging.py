"""Cursor paging with the Assistants API's semantics, and validation of the list parameters.

Semantics (documented in docs/emulator.md):
- The list is ordered by (created_at, id), ascending for ``order=asc`` and descending otherwise.
- ``after=X`` keeps the items after X in that order; ``before=Y`` keeps the items before Y. Both may
  be combined: the window between them. The page is the first ``limit`` items of the window and
  ``has_more`` says whether the window holds more. This is what the official SDK relies on: it
  pages with ``after=<last id>`` and keeps any ``before`` the caller gave.
- A cursor id that is not in the list (unknown, deleted, or not yet visible) gives an empty page
  with ``has_more`` false.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple, TypeVar

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class BadParam(Exception):
    """A query parameter the API rejects with 400 ``invalid_request_error``."""

    def __init__(self, message: str, param: str, code: str) -> None:
        super().__init__(message)
        self.message, self.param, self.code = message, param, code


@dataclass(frozen=True)
class ListParams:
    """Validated list query parameters."""

    limit: int = DEFAULT_LIMIT
    order: str = "desc"
    after: Optional[str] = None
    before: Optional[str] = None


def parse_list_params(query: dict) -> ListParams:
    """Validate ``limit``, ``order``, ``after`` and ``before`` as the API does.

    Args:
        query: last value per query key.

    Returns:
        The parameters.

    Raises:
        BadParam: with the official messages and codes.
    """
    raw = query.get("limit")
    limit = DEFAULT_LIMIT
    if raw is not None:
        try:
            limit = int(raw)
        except ValueError:
            raise BadParam(f"Invalid 'limit': expected an integer, but got '{raw}' instead.", "limit", "invalid_type")
        if limit < 1:
            raise BadParam(
                f"Invalid 'limit': integer below minimum value. Expected a value >= 1, but got {limit} instead.",
                "limit",
                "integer_below_min_value",
            )
        if limit > MAX_LIMIT:
            raise BadParam(
                f"Invalid 'limit': integer above maximum value. Expected a value <= {MAX_LIMIT}, but got {limit} instead.",
                "limit",
                "integer_above_max_value",
            )
    order = query.get("order") or "desc"
    if order not in ("asc", "desc"):
        raise BadParam(
            f"Invalid value for 'order': expected one of 'asc' or 'desc', but got '{order}' instead.",
            "order",
            "invalid_value",
        )
    return ListParams(limit, order, query.get("after") or None, query.get("before") or None)


def paginate(
    items: Sequence[T],
    position_of: Callable[[str], Optional[int]],
    params: ListParams,
    loop: bool = False,
) -> Tuple[List[T], bool]:
    """One page of `items` (ascending) under `params`.

    Args:
        items: the visible items, ascending by (created_at, id).
        position_of: id -> index in `items`, or None when the id is not in the list.
        params: validated list parameters.
        loop: the paging-loop fault: ignore cursors and always claim there is more.

    Returns:
        ``(page items in the requested order, has_more)``.
    """
    n = len(items)
    desc = params.order == "desc"
    if loop:
        start, end = 0, n
    else:
        start, end = 0, n
        if params.after is not None:
            p = position_of(params.after)
            if p is None or p >= n:
                return [], False
            start = (n - 1 - p if desc else p) + 1
        if params.before is not None:
            p = position_of(params.before)
            if p is None or p >= n:
                return [], False
            end = n - 1 - p if desc else p
    count = max(0, end - start)
    take = min(params.limit, count)
    if desc:
        page = [items[n - 1 - s] for s in range(start, start + take)]
    else:
        page = list(items[start : start + take])
    return page, (True if loop else count > params.limit)
