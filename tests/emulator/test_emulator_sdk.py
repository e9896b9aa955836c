"""The official `openai` SDK, pointed at the emulator, pages through runs and steps with its own
auto-pagination and gets exactly the world's objects: both orders, with `after` and with `before`."""

from __future__ import annotations

import openai
import pytest

from .conftest import INCLUDE


@pytest.fixture(scope="module")
def client(emu):
    assert hasattr(openai.OpenAI(api_key="x", base_url="http://127.0.0.1:1/v1").beta, "threads"), (
        "this openai version has no beta.threads")
    return openai.OpenAI(base_url=emu.base_url, api_key=emu.api_key, max_retries=0, timeout=10)


def ids(objects):
    return [o.id for o in objects]


def test_runs_auto_pagination_matches_world(emu, client):
    world = emu.world
    for tid in world.thread_ids()[:6]:
        want = world.runs(tid)
        want_ids = [r["id"] for r in want]
        small = max(2, len(want_ids) // 4)  # a few pages per listing, also for the thread with 100 runs
        asc = list(client.beta.threads.runs.list(tid, order="asc", limit=small))
        assert [r.to_dict() for r in asc] == want  # every field, exactly as the world has it
        assert ids(client.beta.threads.runs.list(tid, order="desc", limit=small)) == want_ids[::-1]
        assert ids(client.beta.threads.runs.list(tid)) == want_ids[::-1]  # defaults: desc, 20 per page
        if len(want_ids) >= 3:
            mid = len(want_ids) // 2
            cursor = want_ids[mid]
            assert ids(client.beta.threads.runs.list(tid, order="asc", after=cursor, limit=small)) == want_ids[mid + 1:]
            assert ids(client.beta.threads.runs.list(tid, order="desc", after=cursor, limit=small)) == want_ids[:mid][::-1]
            # The SDK keeps `before` and adds `after=<last id>` per page: the window before the cursor.
            assert ids(client.beta.threads.runs.list(tid, order="asc", before=cursor, limit=small)) == want_ids[:mid]
            assert ids(client.beta.threads.runs.list(tid, order="desc", before=cursor, limit=small)) == want_ids[mid + 1:][::-1]


def test_steps_auto_pagination_matches_world(emu, client):
    world = emu.world
    checked = 0
    for tid in world.thread_ids()[1:6]:
        for run in world.runs(tid)[-5:]:
            rid = run["id"]
            want = world.steps(tid, rid)
            want_ids = [s["id"] for s in want]
            got = list(client.beta.threads.runs.steps.list(rid, thread_id=tid, order="asc", limit=2))
            assert [s.to_dict() for s in got] == want
            full = list(client.beta.threads.runs.steps.list(rid, thread_id=tid, order="asc", limit=3, include=[INCLUDE]))
            assert [s.to_dict() for s in full] == world.steps(tid, rid, include_content=True)
            assert ids(client.beta.threads.runs.steps.list(rid, thread_id=tid, order="desc", limit=2)) == want_ids[::-1]
            if len(want_ids) >= 3:
                cursor = want_ids[1]
                assert ids(client.beta.threads.runs.steps.list(rid, thread_id=tid, order="asc", after=cursor, limit=1)) \
                    == want_ids[2:]
                assert ids(client.beta.threads.runs.steps.list(rid, thread_id=tid, order="desc", before=cursor, limit=1)) \
                    == want_ids[2:][::-1]
            checked += len(want_ids)
    assert checked > 50


def test_sdk_retrieves_objects(emu, client):
    world = emu.world
    tid = world.thread_ids()[2]
    run = world.runs(tid)[0]
    assert client.beta.threads.retrieve(tid).to_dict() == world.thread(tid)
    assert client.beta.threads.runs.retrieve(run["id"], thread_id=tid).to_dict() == run
    step = world.steps(tid, run["id"])[0]
    assert client.beta.threads.runs.steps.retrieve(step["id"], thread_id=tid, run_id=run["id"]).to_dict() == step
    with pytest.raises(openai.NotFoundError):
        client.beta.threads.runs.retrieve("run_doesnotexist000000000000", thread_id=tid)
