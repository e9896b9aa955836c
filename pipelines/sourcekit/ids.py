"""The one rule for object ids that go into URL paths, applied where an id enters: the input given
to a source, and each id read from an API response before it is used in a URL."""

from __future__ import annotations

import re
from typing import Any, Iterable, Tuple

# Nothing but these characters may reach a URL path.
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


def is_valid_id(value: Any) -> bool:
    """Whether `value` may go into a URL path."""
    return isinstance(value, str) and ID_PATTERN.match(value) is not None


def id_problem(value: Any, kind: str = "id") -> str:
    """Why `value` may not go into a URL path, naming it (shortened)."""
    shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "...'"
    return (f"invalid {kind} {shown}: ids must match {ID_PATTERN.pattern} "
            "(letters, digits, '_' and '-', at most 128)")


class CheckedIds(Tuple[str, ...]):
    """Ids already checked and deduplicated (first occurrence wins); a source takes them as they are."""

    __slots__ = ()

    def __new__(cls, ids: Iterable[str] = ()) -> "CheckedIds":
        return super().__new__(cls, dict.fromkeys(ids))


def check_ids(values: Iterable[Any], kind: str) -> CheckedIds:
    """Input ids, checked once: raises `InvalidIdError` naming the first bad one and where it came from."""
    from .errors import InvalidIdError

    if isinstance(values, CheckedIds):
        return values
    checked = []
    for value in values:
        if not is_valid_id(value):
            raise InvalidIdError(id_problem(value, kind))
        checked.append(value)
    return CheckedIds(checked)
