"""The adaptive limiter: a slot per request in flight, handed out first come first served, halved on
a 429, and never lost or double-counted when a waiting request is cancelled."""

from __future__ import annotations

import asyncio

import pytest

from sourcekit.limiter import AdaptiveLimiter


def run(coro):
    return asyncio.run(coro)


def test_slots_go_to_waiters_in_arrival_order():
    async def scenario():
        limiter = AdaptiveLimiter(1)
        await limiter.acquire()
        order = []

        async def waiter(name):
            await limiter.acquire()
            order.append(name)

        tasks = [asyncio.ensure_future(waiter(n)) for n in ("a", "b", "c")]
        await asyncio.sleep(0)
        for _ in range(3):
            limiter.release(None, rate_limited=False)
            await asyncio.sleep(0)
            await asyncio.sleep(0)
        await asyncio.gather(*tasks)
        return order, limiter.in_flight

    assert run(scenario()) == (["a", "b", "c"], 1)


def test_a_429_halves_the_limit_and_successes_grow_it_back():
    limiter = AdaptiveLimiter(8)
    limiter.in_flight = 1
    limiter.release(None, rate_limited=True)
    assert limiter.limit == 4.0
    for _ in range(40):
        limiter.in_flight = 1
        limiter.release(None, rate_limited=False)
    assert limiter.limit == 8.0


@pytest.mark.parametrize("slot_freed_before_the_waiter_wakes", [True, False], ids=["freed-first", "not-freed"])
def test_a_cancelled_waiter_gives_up_its_place_cleanly(slot_freed_before_the_waiter_wakes):
    async def scenario():
        limiter = AdaptiveLimiter(1)
        await limiter.acquire()
        task = asyncio.ensure_future(limiter.acquire())
        await asyncio.sleep(0)  # the task now waits for a slot
        task.cancel()
        if slot_freed_before_the_waiter_wakes:
            # The freed slot meets the cancelled waiter first: it must skip it, and the waiter's own
            # clean-up must then find nothing left to remove.
            limiter.release(None, rate_limited=False)
        with pytest.raises(asyncio.CancelledError):
            await task
        return limiter.in_flight, len(limiter._waiters)

    expected_in_flight = 0 if slot_freed_before_the_waiter_wakes else 1
    assert run(scenario()) == (expected_in_flight, 0)
