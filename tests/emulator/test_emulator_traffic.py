"""Traffic shaping as an httpx client sees it: latency, rate limits and every fault kind."""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest

from runsteps.emulator import FAULT_KINDS, TrafficConfig

from .conftest import CTL, client_for

DURATION = re.compile(r"^\d+ms$|^\d+(\.\d+)?s$|^\d+m\d+(\.\d+)?s$")


def runs_path(emu) -> str:
    return f"/threads/{emu.world.thread_ids()[2]}/runs"


def test_latency(make_emulator):
    emu = make_emulator(traffic=TrafficConfig(latency_ms=300, jitter_ms=50))
    with client_for(emu) as c:
        c.get(runs_path(emu))  # connect first: only the response time is measured
        t0 = time.perf_counter()
        assert c.get(runs_path(emu)).status_code == 200
        assert time.perf_counter() - t0 >= 0.3
        CTL.get(emu.root_url + "/_emulator/health")
        t0 = time.perf_counter()
        CTL.get(emu.root_url + "/_emulator/stats")  # the control plane is never slowed down
        assert time.perf_counter() - t0 < 0.25


def test_rate_limit(make_emulator):
    emu = make_emulator(traffic=TrafficConfig(rate_limit_rpm=12))
    with client_for(emu) as c:
        responses = [c.get(runs_path(emu), params={"limit": 1}) for _ in range(14)]
    ok = [r for r in responses if r.status_code == 200]
    limited = [r for r in responses if r.status_code == 429]
    assert 12 <= len(ok) <= 13 and len(limited) == 14 - len(ok)  # the bucket refills 0.2 requests/s
    remaining = [int(r.headers["x-ratelimit-remaining-requests"]) for r in ok]
    assert remaining == sorted(remaining, reverse=True) and remaining[-1] == 0
    for r in responses:
        assert r.headers["x-ratelimit-limit-requests"] == "12"
        assert DURATION.match(r.headers["x-ratelimit-reset-requests"]), r.headers["x-ratelimit-reset-requests"]
    err = limited[0].json()["error"]
    assert err["code"] == "rate_limit_exceeded"
    assert int(limited[0].headers["retry-after-ms"]) > 0 and int(limited[0].headers["retry-after"]) >= 1


def test_rate_limit_retry_header_choice(make_emulator):
    emu = make_emulator(traffic=TrafficConfig(rate_limit_rpm=1, rate_limit_retry_header="retry-after"))
    with client_for(emu) as c:
        c.get(runs_path(emu))
        r = c.get(runs_path(emu))
    assert r.status_code == 429 and "retry-after" in r.headers and "retry-after-ms" not in r.headers


@pytest.mark.parametrize("kind", ["429", "429_bare", "insufficient_quota", "500", "502", "503", "504"])
def test_status_faults(make_emulator, kind):
    emu = make_emulator(traffic=TrafficConfig(**{f"fault_{kind}": 1.0}))
    with client_for(emu) as c:
        r = c.get(runs_path(emu))
    assert r.headers["x-request-id"]
    if kind == "502":
        assert r.status_code == 502 and r.headers["content-type"].startswith("text/html") and "<html>" in r.text
        return
    err = r.json()["error"]
    assert set(err) == {"message", "type", "param", "code"}
    if kind == "429":
        assert r.status_code == 429 and err["code"] == "rate_limit_exceeded"
        assert r.headers["retry-after-ms"] == "200" and r.headers["retry-after"] == "1"
    elif kind == "429_bare":
        assert r.status_code == 429 and "retry-after" not in r.headers and "retry-after-ms" not in r.headers
    elif kind == "insufficient_quota":
        assert r.status_code == 429 and err["code"] == "insufficient_quota" and err["type"] == "insufficient_quota"
    else:
        assert r.status_code == int(kind) and err["type"] == "server_error"


def test_connection_reset(make_emulator):
    emu = make_emulator(traffic=TrafficConfig(fault_reset=1.0))
    with client_for(emu) as c:
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            c.get(runs_path(emu))
    assert emu.stats()["requests"]["GET /threads/{thread_id}/runs"] == {"reset": 1}


def test_stall_outlasts_a_client_timeout(make_emulator):
    emu = make_emulator(traffic=TrafficConfig(fault_stall=1.0, stall_seconds=5))
    with client_for(emu, timeout=0.3) as c:
        t0 = time.perf_counter()
        with pytest.raises(httpx.ReadTimeout):
            c.get(runs_path(emu))
        assert time.perf_counter() - t0 < 2
    deadline = time.monotonic() + 3  # the server notices the client gave up
    while not emu.request_log and time.monotonic() < deadline:
        time.sleep(0.02)
    assert emu.request_log[-1]["fault"] == "stall"


def test_truncated_json(make_emulator):
    emu = make_emulator(traffic=TrafficConfig(fault_truncated=1.0))
    with client_for(emu) as c:
        r = c.get(runs_path(emu))
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        r.json()


def test_fault_mix_is_seeded(make_emulator):
    mix = dict(fault_500=0.3, fault_429=0.2, fault_seed=5)
    observed = []
    for _ in range(2):
        emu = make_emulator(traffic=TrafficConfig(**mix))
        with client_for(emu) as c:
            observed.append([c.get(runs_path(emu), params={"limit": 1}).status_code for _ in range(30)])
    assert observed[0] == observed[1]
    assert {200, 429, 500} == set(observed[0])


def test_persistent_and_targeted_faults(make_emulator):
    emu = make_emulator(traffic=TrafficConfig(fault_after_requests=2, persistent_status=401))
    tid = emu.world.thread_ids()[2]
    with client_for(emu) as c:
        assert [c.get(f"/threads/{tid}").status_code for _ in range(4)] == [200, 200, 401, 401]
        assert CTL.get(emu.root_url + "/_emulator/threads").status_code == 200  # never faulted
        emu.set_traffic(fault_500=1.0, fault_limit=1)
        assert [c.get(f"/threads/{tid}").status_code for _ in range(3)] == [500, 200, 200]
        run = emu.world.runs(tid)[0]["id"]
        emu.set_traffic(TrafficConfig(persistent_status=404, fault_path=f"{run}/steps"))
        assert c.get(f"/threads/{tid}/runs/{run}").status_code == 200
        assert c.get(f"/threads/{tid}/runs/{run}/steps").status_code == 404
        emu.set_traffic(None)
        assert c.get(f"/threads/{tid}/runs/{run}/steps").status_code == 200


def test_paging_loop(make_emulator):
    emu = make_emulator(traffic=TrafficConfig(paging_loop=True))
    tid = emu.world.thread_ids()[1]
    with client_for(emu) as c:
        first = c.get(f"/threads/{tid}/runs", params={"limit": 10}).json()
        again = c.get(f"/threads/{tid}/runs", params={"limit": 10, "after": first["last_id"]}).json()
    assert first["has_more"] and again["has_more"] and again["last_id"] == first["last_id"]


def test_faults_over_the_control_plane(make_emulator):
    emu = make_emulator()
    url = emu.root_url + "/_emulator/faults"
    r = CTL.post(url, json={"fault_503": 1.0, "retry_after_ms": 50})
    assert r.status_code == 200 and r.json()["fault_503"] == 1.0
    assert CTL.get(url).json()["fault_503"] == 1.0
    with client_for(emu) as c:
        assert c.get(runs_path(emu)).status_code == 503
        assert CTL.post(url, json={"fault_666": 1.0}).status_code == 400
        assert CTL.post(url, json={"fault_500": 2.0}).status_code == 400
        assert CTL.post(url, json={}).status_code == 200  # everything off again
        assert c.get(runs_path(emu)).status_code == 200


def test_every_fault_kind_has_a_knob():
    for kind in FAULT_KINDS:
        assert TrafficConfig(**{f"fault_{kind}": 1.0}).fault_probability(kind) == 1.0
    with pytest.raises(ValueError):
        TrafficConfig(fault_500=0.6, fault_502=0.6)
