"""Tolerant coercions for flattening API objects: whatever a provider sends, a column gets a value of
its type or None, never an exception. Shared by every source's pure `flatten` module."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, List, Mapping, Optional

import orjson


def to_timestamp(value: Any) -> Optional[datetime]:
    """Unix seconds (int, float or numeric string) to an aware UTC datetime; anything else to None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(float(value), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def as_text(value: Any) -> Optional[str]:
    """Strings as they are; anything else (an object, a list, a number) as JSON text."""
    if value is None or isinstance(value, str):
        return value
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def json_value(value: Any) -> Any:
    """A value for a json column: objects and arrays as they are; a stray scalar wrapped, not lost."""
    if value is None or isinstance(value, (dict, list)):
        return value
    return {"value": value}


def as_int(value: Any) -> Optional[int]:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def as_float(value: Any) -> Optional[float]:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def as_bool(value: Any) -> Optional[bool]:
    return value if isinstance(value, bool) else None


def as_map(value: Any) -> Mapping[str, Any]:
    # Parsed JSON is a dict: `type(...) is dict` first, since `isinstance` against the `Mapping` ABC
    # costs ten times more, and flattening asks it about a million times per 100k steps.
    if type(value) is dict:
        return value
    return value if isinstance(value, Mapping) else {}


def is_map(value: Any) -> bool:
    """Whether `value` is a mapping (a parsed JSON object, or any `Mapping`)."""
    return type(value) is dict or isinstance(value, Mapping)


def as_list(value: Any) -> List[Any]:
    return value if isinstance(value, list) else []
