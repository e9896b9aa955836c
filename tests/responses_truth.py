"""What the Responses emulator's world says a loader must hold and request (OpenAI and Foundry flavours).

Everything here reads the emulator's world (its objects, id lists and `expected()`) or the API over
plain HTTP, and hand-counted rules (one GET per response, pages of 100); never the loader's code.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Dict, List, Optional, Set

import duckdb
import httpx

TERMINAL = {"completed", "failed", "cancelled", "incomplete"}
INCLUDE = frozenset({"file_search_call.results", "code_interpreter_call.outputs"})

# Keys that order each Responses table's rows for comparisons (`tests.helpers.snapshot`).
TABLE_KEYS = {
    "responses": "id",
    "response_items": "response_id, position",
    "response_file_search_results": "response_id, item_position, position",
    "response_code_interpreter_outputs": "response_id, item_position, position",
    "conversations": "id",
    "conversation_items": "conversation_id, position",
}


def responses_args(emu, db: Path, *extra: str, response_ids: Optional[List[str]] = None,
                   conversation_ids: Optional[List[str]] = None) -> List[str]:
    """`runsteps load --api responses` arguments pointing at an emulator."""
    args = ["load", "--api", "responses", "--db", str(db), "--provider", emu.flavour, "--base-url", emu.base_url,
            "--progress", "none", "--pipelines-dir", str(Path(db).with_name(Path(db).name + ".dlt"))]
    for rid in response_ids or []:
        args += ["--response-id", rid]
    for cid in conversation_ids or []:
        args += ["--conversation-id", cid]
    return args + list(extra)


def pages(n: int) -> int:
    """Requests to list `n` objects 100 at a time (an empty list still takes one)."""
    return max(1, math.ceil(n / 100))


def world_objects(emu) -> Dict[str, dict]:
    """Every retrievable response, as the emulator's world serves it (with the includes)."""
    return {rid: emu.world.response(rid, INCLUDE) for rid in emu.world.response_ids(retained_only=True)}


def chain_heads(emu) -> List[str]:
    """The last response of each chain: ids no retrievable response names as its previous one."""
    named = {r.get("previous_response_id") for r in world_objects(emu).values()}
    return [rid for rid in emu.world.response_ids() if rid not in named]


def walked(emu, heads: List[str], known: Set[str]) -> Set[str]:
    """The ids a chain walk from `heads` requests: each head, then previous ids until a known one,
    the start, or one the API no longer holds (requested, answered 404)."""
    objects = world_objects(emu)
    seen: Set[str] = set()
    for rid in heads:
        while rid and rid not in seen and (rid not in known or rid in heads):
            seen.add(rid)
            rid = objects[rid].get("previous_response_id") if rid in objects else None
    return seen


def foundry_listing(emu, path: str = "/responses") -> List[dict]:
    """A Foundry listing (`/responses` or `/conversations`), oldest first, read with a plain client."""
    out, after = [], None
    with httpx.Client(base_url=emu.api_root, headers=emu.client_headers()) as client:
        while True:
            page = client.get(path, params={"order": "asc", "limit": 100, **({"after": after} if after else {})}).json()
            out += page["data"]
            if not page["has_more"]:
                return out
            after = page["data"][-1]["id"]


def prefix_end(listed: List[dict]) -> int:
    """How many responses of an ascending listing form its longest all-terminal prefix."""
    i = 0
    while i < len(listed) and listed[i]["status"] in TERMINAL:
        i += 1
    return i


def conversation_requests(emu) -> int:
    """Requests to load every conversation whole: the object, then its items' pages."""
    return sum(1 + pages(len(emu.world.conversation_items(c))) for c in emu.world.conversation_ids())


def counts(db: Path) -> Dict[str, object]:
    """What the warehouse holds, in the shape of the world's `expected()`."""
    with duckdb.connect(str(db), read_only=True) as con:
        q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
        n = lambda t: q(f"select count(*) from assistants.{t}")[0][0]  # noqa: E731
        return {
            "tables": {"responses": n("responses"), "output_items": n("response_items"),
                       "file_search_results": n("response_file_search_results"),
                       "code_interpreter_outputs": n("response_code_interpreter_outputs")},
            "responses_by_status": dict(sorted(q("select status, count(*) from assistants.responses group by 1"))),
            "responses_by_error_code": dict(sorted(q("select error_code, count(*) from assistants.responses "
                                                     "where status = 'failed' group by 1"))),
            "responses_by_incomplete_reason": dict(sorted(q("select incomplete_reason, count(*) from assistants.responses "
                                                            "where status = 'incomplete' group by 1"))),
            "output_items_by_type": dict(sorted(q("select type, count(*) from assistants.response_items group by 1"))),
            "tokens": dict(zip(("input_tokens", "cached_tokens", "output_tokens", "reasoning_tokens", "total_tokens"), q(
                "select coalesce(sum(input_tokens),0), coalesce(sum(cached_input_tokens),0), coalesce(sum(output_tokens),0), "
                "coalesce(sum(reasoning_tokens),0), coalesce(sum(total_tokens),0) from assistants.responses")[0])),
            "open_responses": q("select count(*) from assistants.responses where status not in "
                                "('completed','failed','cancelled','incomplete')")[0][0],
        }


def assert_equals_world(db: Path, expected: dict, with_conversations: bool = True) -> None:
    """The warehouse holds what the world's ground truth `expected` says, table by table and per
    model and day (and per agent at Foundry)."""
    got = counts(db)
    for key, value in got.items():
        want = expected[key]
        if key == "tables":
            want = {k: expected["tables"][k] for k in value}
        assert value == want, key
    with duckdb.connect(str(db), read_only=True) as con:
        by_model_day = {(m, str(d)): (n, i, c, o, r, t) for m, d, n, i, c, o, r, t in con.execute(
            "select model, (created_at at time zone 'UTC')::date, count(*), coalesce(sum(input_tokens),0), "
            "coalesce(sum(cached_input_tokens),0), coalesce(sum(output_tokens),0), coalesce(sum(reasoning_tokens),0), "
            "coalesce(sum(total_tokens),0) from assistants.responses group by 1, 2").fetchall()}
        if with_conversations:
            assert con.execute("select count(*) from assistants.conversations").fetchone()[0] == expected["tables"]["conversations"]
            assert con.execute("select count(*) from assistants.conversation_items").fetchone()[0] == expected["tables"]["conversation_items"]
        if expected["flavour"] == "foundry":
            agents = dict(con.execute("select case when agent_name is null then null else agent_name || ':' || agent_version end, "
                                      "count(*) from assistants.responses group by 1").fetchall())
            assert agents == expected["responses_by_agent"]
    want = {(e["model"], e["day"]): (e["responses"], e["input_tokens"], e["cached_tokens"], e["output_tokens"],
                                     e["reasoning_tokens"], e["total_tokens"]) for e in expected["tokens_by_model_day"]}
    assert by_model_day == want


def issues(db: Path) -> List[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select object_type, object_id, http_status from assistants.load_issues order by 2").fetchall()
