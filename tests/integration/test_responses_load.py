"""`runsteps load --api responses` against the Responses emulator over real HTTP into a real DuckDB file.

Expected values come from the emulator's world (`expected()`, its objects and id lists) and from
hand-counted rules (one GET per response, pages of 100), never from the loader.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import httpx
import pytest

from runsteps.emulator import Emulator
from tests.helpers import api_requests, key_env, load_args, run_cli, snapshot
from tests.responses_truth import (TABLE_KEYS, TERMINAL, assert_equals_world, chain_heads, conversation_requests, foundry_listing,
                                   issues, prefix_end, responses_args, walked, world_objects)
from tests.responses_truth import pages as _pages

@pytest.mark.parametrize("flavour", ["openai", "foundry"])
def test_full_load_equals_the_world_with_the_predicted_requests(flavour, db):
    with Emulator(api="responses", flavour=flavour, seed=11, conversations=10, responses_per_conversation=5) as emu:
        world = emu.world
        if flavour == "openai":
            # OpenAI lists nothing: the last response of each chain and every conversation are named;
            # each conversation costs its object and its items' pages.
            heads, conversations = chain_heads(emu), world.conversation_ids()
            fetched = walked(emu, heads, known=set())
            want_requests = len(fetched) + conversation_requests(emu)
        else:
            # Foundry lists both: each listed response is fetched, each listed conversation's items
            # are listed (the conversation listing holds the objects themselves).
            heads, conversations, listed = [], [], foundry_listing(emu)
            listed_conversations = foundry_listing(emu, "/conversations")
            assert sorted(c["id"] for c in listed_conversations) == sorted(world.conversation_ids())
            want_requests = (_pages(len(listed)) + len(listed) + _pages(len(listed_conversations))
                             + sum(_pages(len(world.conversation_items(c["id"]))) for c in listed_conversations))
        emu.reset_stats()
        result = run_cli(*responses_args(emu, db, response_ids=heads, conversation_ids=conversations), env=key_env(emu))
        assert result.code == 0, result.err
        assert api_requests(emu.stats()) == want_requests
        expected = world.expected()
        assert_equals_world(db, expected)
        gone = sorted(set(world.response_ids()) - set(world.response_ids(retained_only=True)))
        if flavour == "openai":
            assert expected["responses_past_retention"] > 0, "the world should hold responses past retention"
            # each one past retention that the walk reached is a load issue with its 404; the rest loaded
            reached = sorted(set(gone) & fetched)
            assert reached and [(o, i, s) for o, i, s in issues(db)] == [("response", r, 404) for r in reached]
            assert "load_issues" in result.err
        else:
            assert gone == [] and issues(db) == []


def touched_conversations(emu, fetched, loaded_before, items_before):
    """The conversations loaded before that a fetched response began (new) or ended in: those whose
    new items the next load lists (docs: "How the Responses load works")."""
    objects = world_objects(emu)
    out = set()
    for rid in fetched:
        obj = objects.get(rid)
        cid = ((obj or {}).get("conversation") or {}).get("id")
        if cid in items_before and (rid not in loaded_before or obj["status"] in TERMINAL):
            out.add(cid)
    return out


@pytest.mark.parametrize("flavour", ["openai", "foundry"])
def test_idle_and_incremental_loads_make_exactly_the_predicted_requests(flavour, db, tmp_path):
    with Emulator(api="responses", flavour=flavour, seed=5, conversations=12, responses_per_conversation=6) as emu:
        world, env = emu.world, key_env(emu)
        heads = chain_heads(emu) if flavour == "openai" else []
        conversations = world.conversation_ids() if flavour == "openai" else []
        listed_before = foundry_listing(emu) if flavour == "foundry" else []
        conversations_before = foundry_listing(emu, "/conversations") if flavour == "foundry" else []
        assert run_cli(*responses_args(emu, db, response_ids=heads, conversation_ids=conversations), env=env).code == 0
        before = world_objects(emu)
        items_before = {c: len(world.conversation_items(c)) for c in world.conversation_ids()}
        open_before = sorted(r for r, o in before.items() if o["status"] not in TERMINAL)
        assert open_before, "the world should have open responses to make this test meaningful"

        # Nothing changed: openai fetches only the responses still open; foundry lists responses and
        # conversations once each (one page) plus one GET per response still open. No conversation
        # is read: the responses still open added nothing to theirs.
        emu.reset_stats()
        assert run_cli(*responses_args(emu, db), env=env).code == 0
        assert api_requests(emu.stats()) == len(open_before) + (2 if flavour == "foundry" else 0)
        if flavour == "foundry":  # conversations are listed after the last one listed before
            listing = [e for e in emu.request_log if e["path"].endswith("/conversations")]
            assert len(listing) == 1 and f"after={conversations_before[-1]['id']}" in listing[0]["query"], listing
        assert_equals_world(db, world.expected())

        emu.advance(4 * 3600)  # some conversations get new responses, some responses end
        # This world's conversations all exist from the start (new ones, listed after the watermark,
        # are read whole: test_a_new_foundry_conversation_is_listed_and_read_whole).
        new_conversations = [c for c in world.conversation_ids() if c not in items_before]
        assert new_conversations == []
        whole = 0
        if flavour == "openai":
            new_heads = [h for h in chain_heads(emu) if h not in before and h not in heads]
            assert new_heads
            fetched = set(open_before) | walked(emu, new_heads, known=set(before) | set(heads))
            want = len(fetched) + len(new_conversations) + whole
        else:
            new_heads = []
            wm = prefix_end(listed_before)
            done = {r["id"] for r in listed_before[wm:] if r["status"] in TERMINAL}
            listed = foundry_listing(emu)
            ids = [r["id"] for r in listed]
            after = listed[ids.index(listed_before[wm - 1]["id"]) + 1:] if wm else listed
            assert len(after) > len(listed_before) - wm, "new responses should have appeared"
            fetched = {r["id"] for r in after if r["id"] not in done}
            conversation_ids = [c["id"] for c in foundry_listing(emu, "/conversations")]
            listed_conversations = conversation_ids[conversation_ids.index(conversations_before[-1]["id"]) + 1:]
            assert listed_conversations == []
            want = _pages(len(after)) + len(fetched) + _pages(len(listed_conversations)) + whole
        # Conversations loaded before: only those a fetched response began or ended in, from their
        # newest loaded item on (one page when nothing came).
        touched = touched_conversations(emu, fetched, set(before), items_before)
        assert touched and len(touched) < len(items_before), "some conversations should be read, not all"
        want += sum(_pages(len(world.conversation_items(c)) - items_before[c]) for c in touched)
        emu.reset_stats()
        new_named = new_conversations if flavour == "openai" else []
        assert run_cli(*responses_args(emu, db, response_ids=new_heads, conversation_ids=new_named), env=env).code == 0
        assert api_requests(emu.stats()) == want
        assert_equals_world(db, world.expected())

        # Items appended night by night equal one fresh load of the same world, row by row.
        fresh = tmp_path / "fresh.duckdb"
        fresh_heads = chain_heads(emu) if flavour == "openai" else []
        assert run_cli(*responses_args(emu, fresh, response_ids=fresh_heads, conversation_ids=conversations + new_named),
                       env=env).code == 0
        keys = {t: TABLE_KEYS[t] for t in ("conversation_items",)}
        assert snapshot(db, table_keys=keys) == snapshot(fresh, table_keys=keys)


def test_foundry_conversations_listed_again_are_read_from_their_newest_item(db):
    """One agent's conversations first (`--agent-name`, its own cursor), then the whole project: its
    conversations are listed again and read from their newest item on, the others whole."""
    with Emulator(api="responses", flavour="foundry", seed=6, conversations=10, responses_per_conversation=4) as emu:
        world, env = emu.world, key_env(emu)
        with httpx.Client(base_url=emu.api_root, headers=emu.client_headers()) as client:
            agents = {c["id"]: (world.response(r["id"]).get("agent_reference") or {}).get("name")
                      for c in foundry_listing(emu, "/conversations")
                      for r in client.get("/responses", params={"conversation_id": c["id"], "limit": 1}).json()["data"]}
        agent = next(a for a in agents.values() if a)
        mine = [c for c, a in agents.items() if a == agent]
        assert 0 < len(mine) < len(world.conversation_ids())
        assert run_cli(*responses_args(emu, db, "--agent-name", agent), env=env).code == 0
        with duckdb.connect(str(db), read_only=True) as con:
            assert sorted(c for (c,) in con.execute("select id from assistants.conversations").fetchall()) == sorted(mine)

        listed, conversations = foundry_listing(emu), world.conversation_ids()
        others = [c for c in conversations if c not in mine]
        want = (_pages(len(listed)) + len(listed) + _pages(len(conversations)) + len(mine)
                + sum(_pages(len(world.conversation_items(c))) for c in others))
        emu.reset_stats()
        assert run_cli(*responses_args(emu, db), env=env).code == 0
        assert api_requests(emu.stats()) == want
        assert_equals_world(db, world.expected())


def loaded_ids(db: Path) -> set:
    with duckdb.connect(str(db), read_only=True) as con:
        return {r for (r,) in con.execute("select id from assistants.responses").fetchall()}


def test_ids_from_a_file_then_from_sql_are_walked_back_to_what_is_loaded(db, tmp_path):
    """OpenAI lists nothing: yesterday's ids come from a file, today's from a table the app keeps in
    the warehouse; today's walks stop at yesterday's responses."""
    with Emulator(api="responses", flavour="openai", seed=12, conversations=12, responses_per_conversation=5) as emu:
        env, objects, heads = key_env(emu), world_objects(emu), chain_heads(emu)
        # Yesterday's log: the response before each chain's last one (a CSV, with a repeated row).
        earlier = [objects[h]["previous_response_id"] for h in heads if objects.get(h, {}).get("previous_response_id")]
        assert len(earlier) >= 3, "the world should have chains to walk"
        ids_file = tmp_path / "yesterday.csv"
        ids_file.write_text("logged_at,response_id\n" + "".join(f"2026-08-19,{r}\n" for r in [*earlier, earlier[0]]))
        emu.reset_stats()
        result = run_cli(*responses_args(emu, db, "--response-ids-file", str(ids_file)), env=env)
        assert result.code == 0, result.err
        first = walked(emu, earlier, known=set())
        assert api_requests(emu.stats()) == len(first)  # each id once, then back along each chain
        assert loaded_ids(db) == first & set(objects)
        assert len(first) > len(set(earlier)), "the walk should have gone back"

        with duckdb.connect(str(db)) as con:
            con.execute("create table main.app_log as select unnest(?::varchar[]) as response_id", [heads])
        still_open = {r for r in loaded_ids(db) if objects[r]["status"] not in TERMINAL}
        # Every head stands alone: its previous response was loaded yesterday (or is a chain's start).
        assert walked(emu, heads, known=first) == set(heads)
        emu.reset_stats()
        result = run_cli(*responses_args(emu, db, "--response-ids-sql", "select response_id from main.app_log"), env=env)
        assert result.code == 0, result.err
        assert api_requests(emu.stats()) == len(set(heads) | still_open)
        assert_equals_world(db, emu.world.expected(), with_conversations=False)


def test_responses_that_end_get_their_final_rows_and_no_stale_items(db):
    with Emulator(api="responses", flavour="openai", seed=3, conversations=12, responses_per_conversation=6) as emu:
        env = key_env(emu)
        assert run_cli(*responses_args(emu, db, response_ids=chain_heads(emu)), env=env).code == 0
        open_ids = [r for r, o in world_objects(emu).items() if o["status"] not in TERMINAL]
        assert open_ids
        emu.advance(7 * 24 * 3600)
        assert run_cli(*responses_args(emu, db), env=env).code == 0
        final = world_objects(emu)
        with duckdb.connect(str(db), read_only=True) as con:
            for rid in open_ids:
                status, total = con.execute("select status, total_tokens from assistants.responses where id = ?", [rid]).fetchone()
                assert (status, total) == (final[rid]["status"], (final[rid].get("usage") or {}).get("total_tokens"))
                items = [i for (i,) in con.execute("select id from assistants.response_items where response_id = ? "
                                                   "order by position", [rid]).fetchall()]
                assert items == [o.get("id") for o in final[rid]["output"]]


def test_an_assistants_load_and_a_responses_load_share_one_duckdb_file(db):
    with Emulator(seed=11, threads=6, flavour="openai") as emu:
        assert run_cli(*load_args(emu, db), env=key_env(emu)).code == 0
        runs = emu.world.expected()["tables"]["runs"]
    with Emulator(api="responses", flavour="openai", seed=11, conversations=6, responses_per_conversation=4) as emu:
        result = run_cli(*responses_args(emu, db, response_ids=chain_heads(emu)), env=key_env(emu))
        assert result.code == 0, result.err
        expected = emu.world.expected()
    with duckdb.connect(str(db), read_only=True) as con:
        tables = {t for (t,) in con.execute("select table_name from information_schema.tables where table_schema = 'assistants'").fetchall()}
        assert {"threads", "runs", "run_steps", "responses", "response_items", "conversations", "load_issues"} <= tables
        assert con.execute("select count(*) from assistants.runs").fetchone()[0] == runs
        assert con.execute("select count(*) from assistants.responses").fetchone()[0] == expected["tables"]["responses"]
        # both sources write the one load_issues table, with its columns unchanged
        cols = [c for (c,) in con.execute("select column_name from information_schema.columns where table_schema = 'assistants' "
                                          "and table_name = 'load_issues' and column_name not like '_dlt%' order by ordinal_position").fetchall()]
        assert cols == ["object_type", "object_id", "thread_id", "run_id", "http_status", "error_code", "message", "request_id", "seen_at"]


@pytest.mark.parametrize("args, message", [
    (["--response-id", "resp_ok", "--response-id", "../etc"], "invalid"),
    (["--agent-name", "bot"], "only Foundry"),
    (["--thread-id", "thread_a"], "--api assistants"),
    ([], "nothing to load"),
])
def test_bad_input_exits_2_before_any_request(args, message, db):
    with Emulator(api="responses", flavour="openai", seed=1, conversations=2) as emu:
        emu.reset_stats()
        result = run_cli(*responses_args(emu, db, *args), env=key_env(emu))
        assert result.code == 2, result.err
        assert message in result.err and "Traceback" not in result.err
        assert api_requests(emu.stats()) == 0


class EmulatorCredential:
    """A token credential in azure-identity's protocol (`get_token(*scopes)` -> token, expires_on),
    fetching short-lived tokens from the emulator's token endpoint over HTTP."""

    def __init__(self, emu, ttl: float) -> None:
        self.emu, self.ttl, self.scopes = emu, ttl, []

    def get_token(self, *scopes, **kwargs):
        from collections import namedtuple

        self.scopes.append(scopes)
        body = httpx.get(f"{self.emu.root_url}/_emulator/token", params={"ttl": self.ttl}).json()
        return namedtuple("AccessToken", "token expires_on")(body["access_token"], int(body["expires_on"]))


@pytest.mark.parametrize("api", ["responses", "assistants"])
def test_a_load_outliving_its_first_token_completes(api, db, tmp_path):
    """Tokens live 2 s and the load takes longer: the client refreshes them and no request is refused."""
    import openai_assistants
    import openai_responses
    from runsteps.commands import pipeline_for
    from runsteps.loading import run_load
    from runsteps.options import Warehouse

    emu_args = (dict(api="responses", conversations=6, responses_per_conversation=4) if api == "responses"
                else dict(threads=4))
    with Emulator(flavour="foundry", seed=4, traffic={"latency_ms": 150}, **emu_args) as emu:
        credential = EmulatorCredential(emu, ttl=2)
        make = openai_responses.openai_responses if api == "responses" else openai_assistants.openai_assistants
        source = make(provider="foundry", base_url=emu.base_url, credential=credential, concurrency=2)
        started = time.monotonic()
        run_load(pipeline_for(Warehouse(db=db, pipelines_dir=tmp_path / "p")), source)
        assert time.monotonic() - started > 2.5, "the load must outlive the first token"
        assert len(credential.scopes) >= 2 and set(credential.scopes) == {("https://ai.azure.com/.default",)}
        stats = emu.stats()["requests"]
        assert not any(401 in by_status or "401" in by_status for by_status in stats.values()), stats
        table = "responses" if api == "responses" else "runs"
        with duckdb.connect(str(db), read_only=True) as con:
            got = con.execute(f"select count(*) from assistants.{table}").fetchone()[0]
        assert got == emu.world.expected()["tables"][table]
