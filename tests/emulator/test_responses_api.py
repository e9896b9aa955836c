"""The Responses emulator over HTTP: the official SDK sees what plain HTTP sees, expiring tokens,
Foundry's listings with filters and paging, OpenAI's absence of listings, shared traffic shaping."""

from __future__ import annotations

import time

import openai
import pytest

from runsteps.emulator import ResponsesWorld

from .conftest import CTL
from .test_responses_world import SMALL_R, http, walk


# The SDK has no model for Foundry's item types nor for the unknown one: it keeps them (with all their
# fields, as the equality below shows) in a fallback model and warns when dumping them.
@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")
@pytest.mark.parametrize("flavour", ["openai", "foundry"])
def test_sdk_sees_what_http_sees(make_emulator, flavour):
    emu = make_emulator(api="responses", flavour=flavour, **SMALL_R)
    client = openai.OpenAI(base_url=emu.api_root, api_key=emu.api_key, max_retries=0)
    include = ["file_search_call.results", "code_interpreter_call.outputs"]
    with http(emu) as c:
        for rid in emu.world.response_ids(retained_only=True)[:40]:
            raw = c.get(f"/responses/{rid}", params={"include[]": include}).json()
            assert client.responses.retrieve(rid, include=include).model_dump(exclude_unset=True) == raw
            items = [i.model_dump(exclude_unset=True) for i in client.responses.input_items.list(rid, limit=7)]
            assert items == walk(c, f"/responses/{rid}/input_items")
        for cid in emu.world.conversation_ids():
            assert client.conversations.retrieve(cid).model_dump(exclude_unset=True) == c.get(f"/conversations/{cid}").json()
            items = [i.model_dump(exclude_unset=True) for i in client.conversations.items.list(cid, limit=9, order="asc")]
            assert items == walk(c, f"/conversations/{cid}/items", order="asc")
            assert len(items) == len(emu.world.conversation_items(cid))


def test_base_url_is_the_project_endpoint_at_foundry(make_emulator):
    emu = make_emulator(api="responses", flavour="foundry", **SMALL_R)
    assert emu.base_url.endswith("/api/projects/demo") and emu.api_root == emu.base_url + "/openai/v1"
    oa = make_emulator(api="responses", flavour="openai", **SMALL_R)
    assert oa.base_url == oa.api_root and oa.base_url.endswith("/v1")
    assert oa.client_headers() == {"Authorization": f"Bearer {oa.api_key}"}  # no beta header
    assert oa.client_params() == {}


@pytest.mark.parametrize("flavour", ["openai", "foundry"])
def test_expiring_token(make_emulator, flavour):
    emu = make_emulator(api="responses", flavour=flavour, **SMALL_R)
    rid = emu.world.response_ids(retained_only=True)[0]
    token = CTL.post(emu.root_url + "/_emulator/token?ttl=1").json()
    assert token["token_type"] == "Bearer" and token["expires_in"] == 1
    url = f"{emu.api_root}/responses/{rid}"
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    assert CTL.get(url, headers=auth).status_code == 200
    time.sleep(max(0.0, token["expires_on"] - time.time()) + 0.05)
    expired = CTL.get(url, headers=auth)
    assert expired.status_code == 401
    if flavour == "foundry":
        assert expired.json()["error"]["code"] == "ExpiredAuthenticationToken"
        assert "is earlier than current UTC time" in expired.json()["error"]["message"]
        assert 'error="invalid_token"' in expired.headers["www-authenticate"]
    else:
        assert expired.json()["error"]["code"] == "invalid_api_key"
    # A fresh token (what a loader's sign-in refresh gets) works again; the key never expired.
    fresh = emu.issue_token(60)["access_token"]
    assert CTL.get(url, headers={"Authorization": f"Bearer {fresh}"}).status_code == 200
    assert CTL.get(url, headers=emu.client_headers()).status_code == 200
    assert CTL.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401


def test_openai_has_no_listings(make_emulator):
    emu = make_emulator(api="responses", flavour="openai", **SMALL_R)
    with http(emu) as c:
        for path in ("/responses", "/conversations"):
            r = c.get(path)
            assert r.status_code == 404 and r.json()["error"]["message"] == f"Invalid URL (GET /v1{path})"


def test_foundry_lists_page_and_filter(make_emulator):
    emu = make_emulator(api="responses", flavour="foundry", **SMALL_R)
    w = emu.world
    everything = [w.response(i) for i in w.response_ids()]
    with http(emu) as c:
        asc = walk(c, "/responses", order="asc")
        assert [r["id"] for r in asc] == [r["id"] for r in sorted(everything, key=lambda r: (r["created_at"], r["id"]))]
        # Small pages, descending, with after: the same responses in reverse.
        pages, after = [], None
        while True:
            body = c.get("/responses", params={"limit": 9, **({"after": after} if after else {})}).json()
            assert "object" not in body
            pages += body["data"]
            if not body["has_more"]:
                break
            assert body["last_id"] == body["data"][-1]["id"]
            after = body["last_id"]
        assert pages == asc[::-1]
        # before + after: the window between them.
        window = c.get("/responses", params={"order": "asc", "after": asc[2]["id"], "before": asc[9]["id"]}).json()
        assert [r["id"] for r in window["data"]] == [r["id"] for r in asc[3:9]]
        # Filters, each against an independent selection of the served objects.
        cid = w.conversation_ids()[1]
        by_conv = walk(c, "/responses", conversation_id=cid, order="asc")
        assert by_conv and by_conv == [r for r in asc if (r["conversation"] or {}).get("id") == cid]
        agent = next(r["agent_reference"] for r in asc if r["agent_reference"])
        by_name = walk(c, "/responses", agent_name=agent["name"], order="asc")
        assert by_name == [r for r in asc if (r["agent_reference"] or {}).get("name") == agent["name"]]
        by_id = walk(c, "/responses", agent_id=f"{agent['name']}:{agent['version']}", order="asc")
        assert by_id and by_id == [r for r in by_name if r["agent_reference"]["version"] == agent["version"]]
        assert walk(c, "/responses", agent_name="nobody") == []
        # Conversations: listed, filtered by agent; items filtered by type.
        convs = walk(c, "/conversations", order="asc")
        assert sorted(x["id"] for x in convs) == sorted(w.conversation_ids())
        named = {x["id"] for x in walk(c, "/conversations", agent_name=agent["name"])}
        agent_of = {r["conversation"]["id"]: (r["agent_reference"] or {}).get("name") for r in asc if r["conversation"]}
        assert named and {k for k, v in agent_of.items() if v == agent["name"]} <= named
        assert not {k for k, v in agent_of.items() if v != agent["name"]} & named
        items = walk(c, f"/conversations/{cid}/items")
        messages = walk(c, f"/conversations/{cid}/items", item_type="message")
        assert messages == [i for i in items if i["type"] == "message"] and len(messages) < len(items)
        assert c.get("/responses", params={"limit": 0}).status_code == 400
        empty = c.get("/responses", params={"after": "resp_unknown"}).json()
        assert empty == {"data": [], "has_more": False}


def test_traffic_shaping_and_faults_apply(make_emulator):
    emu = make_emulator(api="responses", **SMALL_R)
    rid = emu.world.response_ids(retained_only=True)[0]
    emu.set_traffic(fault_500=1.0, fault_path="/input_items")
    with http(emu) as c:
        assert c.get(f"/responses/{rid}").status_code == 200
        assert c.get(f"/responses/{rid}/input_items").status_code == 500
        emu.set_traffic(rate_limit_rpm=2)
        codes = [c.get(f"/responses/{rid}").status_code for _ in range(4)]
        assert codes[:2] == [200, 200] and 429 in codes[2:]
        emu.set_traffic(None)
        emu.revoke_key()
        assert c.get(f"/responses/{rid}").status_code == 401
    stats = emu.stats()["requests"]
    assert stats["GET /responses/{response_id}/input_items"]["500"] == 1
    assert CTL.get(emu.root_url + "/_emulator/health").json()["api"] == "responses"
    assert CTL.post(emu.root_url + "/_emulator/advance?seconds=60").json()["clock"] == emu.world.now


def test_deletion(make_emulator):
    emu = make_emulator(api="responses", **SMALL_R)
    rid, cid = emu.world.response_ids(retained_only=True)[0], emu.world.conversation_ids()[0]
    before = emu.expected()["tables"]
    assert CTL.post(f"{emu.root_url}/_emulator/responses/{rid}/delete").status_code == 200
    emu.delete_conversation(cid)
    with http(emu) as c:
        assert c.get(f"/responses/{rid}").status_code == 404
        assert c.get(f"/conversations/{cid}/items").status_code == 404
    after = emu.expected()["tables"]
    assert after["responses"] == before["responses"] - 1 and after["conversations"] == before["conversations"] - 1


def test_cli_serves_the_responses_api():
    from runsteps.emulator.cli import main

    assert main(["--api", "responses", "--flavour", "azure", "--port", "0"]) == 2  # no azure flavour


def test_cli_exports_what_the_responses_api_serves(tmp_path):
    """`--export` writes every response the API still serves and every conversation, as served."""
    import json

    from runsteps.emulator.cli import main

    out = tmp_path / "export"
    assert main(["--api", "responses", "--seed", "4", "--conversations", "5", "--export", str(out)]) == 0
    world = ResponsesWorld(seed=4, conversations=5)
    include = frozenset({"file_search_call.results", "code_interpreter_call.outputs"})
    kept = world.response_ids(retained_only=True)
    assert kept != world.response_ids()  # some are past retention: not served, so not saved
    assert sorted(p.stem for p in (out / "responses").glob("*.json")) == sorted(kept)
    for rid in kept:
        assert json.loads((out / "responses" / f"{rid}.json").read_bytes()) == world.response(rid, include)
        assert json.loads((out / "responses" / rid / "input_items.json").read_bytes())["data"] == world.input_items(rid)
    for cid in world.conversation_ids():
        assert json.loads((out / "conversations" / f"{cid}.json").read_bytes()) == world.conversation(cid)
        page = json.loads((out / "conversations" / cid / "items.json").read_bytes())
        assert page["object"] == "list" and page["has_more"] is False and page["data"] == world.conversation_items(cid)
