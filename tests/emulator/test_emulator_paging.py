"""Paging edge cases over real HTTP: limits 1 and 100, an empty thread, exactly 100 items, cursors
that do not exist, `before` with `after`, and the 400s for bad limits."""

from __future__ import annotations

import pytest

from .conftest import client_for, walk


@pytest.fixture(scope="module")
def http(emu):
    with client_for(emu) as c:
        yield c


def test_limit_one_walks_everything(emu, http):
    tid = emu.world.thread_ids()[2]
    want = [r["id"] for r in emu.world.runs(tid)]
    seen, after = [], None
    while True:
        body = http.get(f"/threads/{tid}/runs", params={"limit": 1, "order": "asc", **({"after": after} if after else {})}).json()
        assert len(body["data"]) == 1
        assert body["first_id"] == body["last_id"] == body["data"][0]["id"]
        seen.append(body["last_id"])
        if not body["has_more"]:
            break
        after = body["last_id"]
    assert seen == want


def test_default_limit_and_order(emu, http):
    tid = emu.world.thread_ids()[1]
    body = http.get(f"/threads/{tid}/runs").json()
    want = [r["id"] for r in emu.world.runs(tid)][::-1][:20]  # desc, 20
    assert [r["id"] for r in body["data"]] == want and body["has_more"] is True


def test_empty_thread(emu, http):
    tid = emu.world.thread_ids()[0]  # thread index 0 never has runs
    for params in ({}, {"order": "asc"}, {"limit": 100}):
        body = http.get(f"/threads/{tid}/runs", params=params).json()
        assert body == {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}


def test_exactly_one_hundred_items(emu, http):
    tid = emu.world.thread_ids()[1]  # thread index 1 has exactly 100 runs
    body = http.get(f"/threads/{tid}/runs", params={"limit": 100, "order": "asc"}).json()
    assert len(body["data"]) == 100 and body["has_more"] is False
    assert body["first_id"] == body["data"][0]["id"] and body["last_id"] == body["data"][-1]["id"]
    body = http.get(f"/threads/{tid}/runs", params={"limit": 99}).json()
    assert len(body["data"]) == 99 and body["has_more"] is True
    # ... and its oldest run has exactly 100 steps.
    oldest = emu.world.runs(tid)[0]["id"]
    body = http.get(f"/threads/{tid}/runs/{oldest}/steps", params={"limit": 100}).json()
    assert len(body["data"]) == 100 and body["has_more"] is False


def test_cursor_that_does_not_exist(emu, http):
    tid = emu.world.thread_ids()[2]
    for params in ({"after": "run_doesnotexist000000000000"}, {"before": "run_doesnotexist000000000000"},
                   {"after": "step_notarun"}, {"after": emu.world.runs(emu.world.thread_ids()[3])[0]["id"]}):
        body = http.get(f"/threads/{tid}/runs", params=params).json()
        assert body["data"] == [] and body["has_more"] is False, params


def test_before_and_after_together(emu, http):
    tid = emu.world.thread_ids()[1]
    want = [r["id"] for r in emu.world.runs(tid)]
    lo, hi = want[10], want[40]
    asc = walk(http, f"/threads/{tid}/runs", order="asc", after=lo, before=hi, limit=7)
    assert [r["id"] for r in asc] == want[11:40]
    desc = walk(http, f"/threads/{tid}/runs", order="desc", after=hi, before=lo, limit=7)
    assert [r["id"] for r in desc] == want[11:40][::-1]
    first = http.get(f"/threads/{tid}/runs", params={"order": "asc", "after": lo, "before": hi, "limit": 29}).json()
    assert len(first["data"]) == 29 and first["has_more"] is False
    crossed = http.get(f"/threads/{tid}/runs", params={"order": "asc", "after": hi, "before": lo}).json()
    assert crossed["data"] == [] and crossed["has_more"] is False


@pytest.mark.parametrize(
    "value, code",
    [("0", "integer_below_min_value"), ("101", "integer_above_max_value"), ("abc", "invalid_type"),
     ("-3", "integer_below_min_value"), ("1.5", "invalid_type")],
)
def test_bad_limit_is_400(emu, http, value, code):
    tid = emu.world.thread_ids()[2]
    run = emu.world.runs(tid)[0]["id"]
    for path in (f"/threads/{tid}/runs", f"/threads/{tid}/runs/{run}/steps", f"/threads/{tid}/messages", "/assistants"):
        r = http.get(path, params={"limit": value})
        assert r.status_code == 400
        err = r.json()["error"]
        assert err["type"] == "invalid_request_error" and err["param"] == "limit" and err["code"] == code
        assert value in err["message"]


def test_bad_order_and_include_are_400(emu, http):
    tid = emu.world.thread_ids()[2]
    run = emu.world.runs(tid)[0]["id"]
    r = http.get(f"/threads/{tid}/runs", params={"order": "newest"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "order"
    r = http.get(f"/threads/{tid}/runs/{run}/steps", params={"include[]": "step_details.secret"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "include[]"


def test_unknown_ids_are_404(emu, http):
    world = emu.world
    tid = world.thread_ids()[2]
    run = world.runs(tid)[0]["id"]
    for path in ("/threads/thread_nope", "/threads/thread_nope/runs", f"/threads/{tid}/runs/run_nope",
                 f"/threads/{tid}/runs/run_nope/steps", f"/threads/{tid}/runs/{run}/steps/step_nope",
                 f"/threads/{tid}/messages/msg_nope", "/assistants/asst_nope"):
        r = http.get(path)
        assert r.status_code == 404, path
        assert r.json()["error"]["type"] == "invalid_request_error"
        assert r.headers["x-request-id"]


def test_messages_match_message_creation_steps(emu, http):
    world = emu.world
    tid = world.thread_ids()[2]
    messages = walk(http, f"/threads/{tid}/messages", order="asc", limit=100)
    by_id = {m["id"]: m for m in messages}
    for run in world.runs(tid):
        created = [s["step_details"]["message_creation"]["message_id"] for s in world.steps(tid, run["id"])
                   if s["type"] == "message_creation"]
        for mid in created:
            assert by_id[mid]["run_id"] == run["id"] and by_id[mid]["role"] == "assistant"
            assert http.get(f"/threads/{tid}/messages/{mid}").json() == by_id[mid]
        filtered = walk(http, f"/threads/{tid}/messages", order="asc", run_id=run["id"])
        assert [m["id"] for m in filtered] == created
    assert [m["created_at"] for m in messages] == sorted(m["created_at"] for m in messages)
    assert any(m["role"] == "user" for m in messages)
