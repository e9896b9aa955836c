"""When to retry a request and how long to wait first, as the official SDKs do."""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime
from typing import Mapping, Optional

# Retries, as the official SDK does them.
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
MAX_RETRIES = 8
INITIAL_BACKOFF_S = 0.5
MAX_BACKOFF_S = 8.0
MAX_RETRY_AFTER_S = 120.0


def retry_after_seconds(headers: Mapping[str, str]) -> Optional[float]:
    """What `retry-after-ms` or `retry-after` (seconds or an HTTP date) asks for, capped."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return min(float(raw_ms) / 1000.0, MAX_RETRY_AFTER_S)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if raw:
        try:
            return min(float(raw), MAX_RETRY_AFTER_S)
        except ValueError:
            try:
                return min(max(parsedate_to_datetime(raw).timestamp() - time.time(), 0.0), MAX_RETRY_AFTER_S)
            except (TypeError, ValueError):
                return None
    return None


def backoff_seconds(attempt: int, rng: random.Random) -> float:
    """0.5 s doubling to 8 s, less up to 25% jitter (the official SDK's schedule)."""
    base = min(INITIAL_BACKOFF_S * (2 ** attempt), MAX_BACKOFF_S)
    return base * (1 - 0.25 * rng.random())
