"""The control plane under /_emulator, the request log and the Emulator's Python methods."""

from __future__ import annotations

import httpx

from .conftest import CTL, client_for


def test_threads_stats_and_reset(make_emulator):
    emu = make_emulator()
    root = emu.root_url + "/_emulator"
    assert CTL.get(root + "/threads").json() == {"data": emu.world.thread_ids()}
    tid = emu.world.thread_ids()[2]
    run = emu.world.runs(tid)[0]["id"]
    with client_for(emu) as c:
        c.get(f"/threads/{tid}/runs")
        c.get(f"/threads/{tid}/runs")
        c.get(f"/threads/{tid}/runs/{run}/steps")
        c.get("/threads/thread_nope/runs")
    stats = CTL.get(root + "/stats").json()
    assert stats == {"total": 4, "max_in_flight": 1,  # one sequential client
                     "requests": {"GET /threads/{thread_id}/runs": {"200": 2, "404": 1},
                                  "GET /threads/{thread_id}/runs/{run_id}/steps": {"200": 1}}}
    assert emu.stats() == stats
    log = emu.request_log
    assert [e["status"] for e in log] == [200, 200, 200, 404]
    assert set(log[0]) >= {"method", "path", "query", "status", "request_id"}
    assert log[0]["path"] == f"/v1/threads/{tid}/runs" and log[0]["request_id"].startswith("req_")
    assert CTL.get(root + "/requests", params={"limit": 1}).json()["data"] == log[-1:]
    assert CTL.post(root + "/stats/reset").status_code == 200
    assert CTL.get(root + "/stats").json() == {"total": 0, "max_in_flight": 0, "requests": {}} and emu.request_log == []
    emu.reset_stats()


def test_keys(make_emulator):
    emu = make_emulator()
    tid = emu.world.thread_ids()[2]
    with client_for(emu) as c:
        assert c.get(f"/threads/{tid}").status_code == 200
        CTL.post(emu.root_url + "/_emulator/keys/revoke")
        r = c.get(f"/threads/{tid}")
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
        CTL.post(emu.root_url + "/_emulator/keys", json={"api_key": "sk-rotated"})
        assert c.get(f"/threads/{tid}").status_code == 401
    assert emu.api_key == "sk-rotated"
    with client_for(emu) as c:
        assert c.get(f"/threads/{tid}").status_code == 200
        emu.revoke_key()
        assert c.get(f"/threads/{tid}").status_code == 401
        emu.set_api_key("sk-again")
    with client_for(emu) as c:
        assert c.get(f"/threads/{tid}").status_code == 200


def test_deleted_objects_answer_404(make_emulator):
    emu = make_emulator()
    ids = emu.world.thread_ids()
    runs = emu.world.runs(ids[2])
    with client_for(emu) as c:
        assert CTL.post(emu.root_url + f"/_emulator/threads/{ids[3]}/delete").json() == {"id": ids[3], "deleted": True}
        assert c.get(f"/threads/{ids[3]}").status_code == 404
        assert c.get(f"/threads/{ids[3]}/runs").status_code == 404
        assert ids[3] not in CTL.get(emu.root_url + "/_emulator/threads").json()["data"]
        r = CTL.post(emu.root_url + f"/_emulator/threads/{ids[2]}/runs/{runs[0]['id']}/delete")
        assert r.status_code == 200
        assert c.get(f"/threads/{ids[2]}/runs/{runs[0]['id']}/steps").status_code == 404
        listed = c.get(f"/threads/{ids[2]}/runs", params={"order": "asc", "limit": 100}).json()["data"]
        assert [r["id"] for r in listed] == [r["id"] for r in runs[1:]]
        emu.delete_run(ids[2], runs[1]["id"])
        emu.delete_thread(ids[4])
        assert c.get(f"/threads/{ids[2]}/runs/{runs[1]['id']}").status_code == 404
        assert c.get(f"/threads/{ids[4]}").status_code == 404
    assert CTL.post(emu.root_url + "/_emulator/threads/thread_nope/delete").status_code == 404


def test_control_plane_errors_and_health(make_emulator):
    emu = make_emulator(flavour="foundry")
    root = emu.root_url + "/_emulator"
    health = CTL.get(root + "/health").json()
    assert health["ok"] and health["flavour"] == "foundry" and health["base_path"] == "/api/projects/demo"
    assert CTL.get(root + "/world").json()["threads"] == emu.world.threads
    assert CTL.get(root + "/nope").status_code == 404
    assert CTL.post(root + "/advance").status_code == 400
    assert CTL.post(root + "/advance", params={"seconds": "-5"}).status_code == 400


def test_emulator_stops_cleanly(make_emulator):
    emu = make_emulator()
    url = emu.root_url + "/_emulator/health"
    assert CTL.get(url).status_code == 200
    emu.stop()
    try:
        CTL.get(url, timeout=1)
        raise AssertionError("still serving")
    except httpx.ConnectError:
        pass
    emu.stop()  # idempotent


def test_expected_over_http_holds_the_responses_without_an_agent(make_emulator):
    from runsteps.emulator.responses_world import ResponsesWorld

    from .test_responses_world import SMALL_R

    emu = make_emulator(api="responses", flavour="foundry", **SMALL_R)
    served = CTL.get(emu.root_url + "/_emulator/expected")
    assert served.status_code == 200, served.text
    in_process = ResponsesWorld(**SMALL_R, flavour="foundry").expected()
    assert None in in_process["responses_by_agent"]  # the case JSON has no key for
    by_agent = {None if k == "null" else k: v for k, v in served.json()["responses_by_agent"].items()}
    assert by_agent == in_process["responses_by_agent"]
    assert served.json()["tables"] == in_process["tables"]
