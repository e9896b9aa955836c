"""How many requests may be in flight, and when the next may start (adaptive, AIMD, FIFO waiters)."""

from __future__ import annotations

import asyncio
import collections
import re
import time
from typing import Mapping, Optional

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")


def parse_duration(value: Optional[str]) -> Optional[float]:
    """`x-ratelimit-reset-*` durations such as `12ms`, `1s`, `6m0s` to seconds."""
    if not value:
        return None
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    parts = _DURATION.findall(value)
    if not parts:
        try:
            return float(value)
        except ValueError:
            return None
    return sum(float(n) * scale[u] for n, u in parts)


class AdaptiveLimiter:
    """How many requests may be in flight, and when the next may start.

    The limit halves on a 429 and grows back by one per window of successes (AIMD). When the
    `x-ratelimit-remaining-requests` header says the budget is spent, requests are spaced by the time
    one request's worth of budget takes to come back, instead of being sent to collect 429s.

    Waiters queue in FIFO order and a freed slot wakes exactly one of them: with thousands of step
    pages queued, waking them all on every response (a Condition's notify_all) cost more CPU than
    the HTTP itself (measured).
    """

    def __init__(self, maximum: int) -> None:
        self.maximum = max(1, maximum)
        self.limit = float(self.maximum)
        self.in_flight = 0
        self._waiters: "collections.deque[asyncio.Future[None]]" = collections.deque()
        self._remaining: Optional[int] = None
        self._interval = 0.0  # seconds for one request's worth of budget to come back
        self._next_slot = 0.0

    async def acquire(self) -> None:
        if self._waiters or self.in_flight >= int(self.limit):
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter  # resolved by release() with the slot already counted as ours
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._free_slot()  # a slot was handed to us just as we were cancelled
                else:
                    try:
                        self._waiters.remove(waiter)
                    except ValueError:
                        pass  # _free_slot already took it off the queue (and skipped it, being done)
                raise
        else:
            self.in_flight += 1
        await self._pace()

    async def _pace(self) -> None:
        if self._remaining is not None and self._remaining <= 0:
            now = time.monotonic()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self._interval
            if slot > now:
                await asyncio.sleep(slot - now)
        if self._remaining is not None:
            self._remaining -= 1

    def release(self, headers: Optional[Mapping[str, str]], rate_limited: bool) -> None:
        if rate_limited:
            self.limit = max(1.0, self.limit / 2)
        else:
            self.limit = min(float(self.maximum), self.limit + 1.0 / max(self.limit, 1.0))
        if headers is not None:
            self._observe(headers, rate_limited)
        self._free_slot()

    def _free_slot(self) -> None:
        self.in_flight -= 1
        while self._waiters and self.in_flight < int(self.limit):
            waiter = self._waiters.popleft()
            if not waiter.done():
                self.in_flight += 1
                waiter.set_result(None)

    def _observe(self, headers: Mapping[str, str], rate_limited: bool) -> None:
        remaining = headers.get("x-ratelimit-remaining-requests")
        if remaining is None:
            return
        try:
            remaining_n = int(float(remaining))
            limit_n = int(float(headers.get("x-ratelimit-limit-requests") or 0))
        except ValueError:
            return
        reset = parse_duration(headers.get("x-ratelimit-reset-requests")) or 0.0
        # The server counted what it has answered; the requests still in flight will use up more.
        self._remaining = (0 if rate_limited else remaining_n) - (self.in_flight - 1)
        used = max(1, limit_n - remaining_n) if limit_n else 1
        self._interval = min(reset / used, 60.0)
