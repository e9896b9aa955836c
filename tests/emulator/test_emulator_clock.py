"""The clock: advancing reveals new runs in about 5% of threads per hour and finishes open runs."""

from __future__ import annotations

import pytest

from runsteps.emulator import World

from .conftest import CTL, SMALL

TERMINAL = {"completed", "failed", "cancelled", "expired", "incomplete"}
# Allowed moves between the statuses a client can observe, in order.
NEXT = {
    "queued": {"in_progress", "cancelling", "failed", "cancelled", "expired"},
    "in_progress": {"requires_action", "cancelling"} | TERMINAL,
    "requires_action": {"in_progress", "cancelling", "expired", "failed", "cancelled"} | TERMINAL,
    "cancelling": {"cancelled"},
}


def test_an_hour_brings_new_runs_to_about_five_percent_of_threads():
    world = World(seed=3, threads=800, runs_per_thread=2, steps_per_run=2)
    before = {tid: len(world.runs(tid)) for tid in world.thread_ids()}
    runs_before = world.expected()["tables"]["runs"]
    world.advance(3600)
    grown = sum(1 for tid, n in before.items() if len(world.runs(tid)) > n)
    share = grown / len(before)
    assert 0.03 <= share <= 0.075, share
    assert world.expected()["tables"]["runs"] > runs_before


def test_advance_finishes_open_runs_with_usage():
    world = World(**SMALL)
    open_runs = [(tid, r["id"]) for tid in world.thread_ids() for r in world.runs(tid) if r["status"] not in TERMINAL]
    assert len(open_runs) >= 4  # threads 2..5 each end with an open run at the default clock
    before = world.expected()
    assert before["open_runs"] == len(open_runs)
    world.advance(3600)
    after = world.expected()
    assert after["clock"] == before["clock"] + 3600
    for tid, rid in open_runs:
        run = world.run(tid, rid)
        steps = world.steps(tid, rid)
        assert run["status"] in TERMINAL and run["usage"] is not None
        assert all(s["status"] in {"completed", "failed", "cancelled", "expired"} for s in steps)
        for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
            assert run["usage"][key] == sum(s["usage"][key] for s in steps)
    assert after["run_tokens"]["total_tokens"] > before["run_tokens"]["total_tokens"]
    assert sum(after["runs_by_status"].values()) == after["tables"]["runs"]


def test_status_moves_only_forward():
    world = World(**SMALL)
    ids = world.thread_ids()
    watched = {(tid, r["id"]): [r["status"]] for tid in ids[2:6] for r in world.runs(tid)[-1:]}
    for _ in range(70):  # 70 x 10 s: past the 10-minute expiry of every run
        world.advance(10)
        for (tid, rid), seen in watched.items():
            status = world.run(tid, rid)["status"]
            if status != seen[-1]:
                assert status in NEXT[seen[-1]], (seen, status)
                seen.append(status)
    finals = {seen[-1] for seen in watched.values()}
    assert finals <= TERMINAL
    assert ["queued", "in_progress"] == watched[(ids[3], world.runs(ids[3])[-1]["id"])][:2]
    assert watched[(ids[5], world.runs(ids[5])[-1]["id"])] == ["cancelling", "cancelled"]


def test_clock_only_moves_forward():
    world = World(seed=1, threads=3)
    with pytest.raises(ValueError):
        world.advance(-1)


def test_advance_over_http(make_emulator):
    emu = make_emulator()
    start = emu.world.now
    r = CTL.post(emu.root_url + "/_emulator/advance", params={"seconds": 7200})
    assert r.json() == {"clock": start + 7200}
    expected = CTL.get(emu.root_url + "/_emulator/expected").json()
    assert expected == emu.world.expected() and expected["clock"] == start + 7200
    emu.advance(60)
    assert CTL.get(emu.root_url + "/_emulator/clock").json() == {"clock": start + 7260}
