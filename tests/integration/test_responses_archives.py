"""Archives of the Responses and Conversations APIs (issues 14 and 15): `runsteps load --api responses
--from-export` and `--archive`.

Real DuckDB files, the emulator over real HTTP; expectations come from a load through the API of the
same world (whose equality with the world `test_responses_load` proves), from the emulator's export and
from what the official openai SDK saves, or are counted by hand in the fixtures, never from the reader.
"""

from __future__ import annotations

import gzip
import json
import shutil
import zipfile
from pathlib import Path
from typing import Dict, List

import duckdb
import pytest

from runsteps.emulator import Emulator, export_responses_world
from tests.helpers import key_env, run_cli, snapshot
from tests.responses_truth import TABLE_KEYS as RESPONSE_TABLE_KEYS
from tests.integration.test_archives import same_json
from tests.integration.test_responses_load import chain_heads, responses_args

INCLUDE = ["file_search_call.results", "code_interpreter_call.outputs"]


def load_export(source: Path, db: Path, *extra: str):
    return run_cli("load", "--api", "responses", "--from-export", str(source), "--db", str(db), "--progress", "none",
                   *extra)


def tables(db: Path) -> Dict[str, list]:
    return snapshot(db, table_keys=RESPONSE_TABLE_KEYS)


def query(db: Path, sql: str) -> list:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def successful_requests(stats: dict) -> int:
    """API requests the emulator answered with a 2xx (each one a page the loader received)."""
    return sum(n for route, by_status in stats["requests"].items() if "/_emulator" not in route
               for status, n in by_status.items() if int(status) < 300)


def to_jsonl_gz(json_dir: Path, out: Path, page_size: int = 7) -> None:
    """The JSON export as gzipped JSONL: responses spread over three files, one object per line; each
    conversation in a file named by it, its object then its items in pages of `page_size`, one per line;
    each response's input items in a file of their own."""
    out.mkdir(parents=True)
    writers = [gzip.open(out / f"responses-{i}.jsonl.gz", "wb") for i in range(3)]
    for i, path in enumerate(sorted((json_dir / "responses").glob("*.json"))):
        writers[i % 3].write(json.dumps(json.loads(path.read_bytes())).encode() + b"\n")
    for w in writers:
        w.close()
    for path in sorted((json_dir / "responses").glob("*/input_items.json")):
        (out / "input_items").mkdir(exist_ok=True)
        (out / "input_items" / f"{path.parent.name}.jsonl.gz").write_bytes(gzip.compress(path.read_bytes()))
    for path in sorted((json_dir / "conversations").glob("*.json")):
        items = json.loads((path.parent / path.stem / "items.json").read_bytes())["data"]
        lines = [json.loads(path.read_bytes())]
        lines += [{"data": items[i:i + page_size], "has_more": i + page_size < len(items)}
                  for i in range(0, max(len(items), 1), page_size)]
        (out / "conversations").mkdir(exist_ok=True)
        (out / "conversations" / f"{path.stem}.jsonl.gz").write_bytes(
            gzip.compress(b"".join(json.dumps(line).encode() + b"\n" for line in lines)))


def sdk_export(emu, out: Path) -> None:
    """What a user's script saves with the official openai SDK over HTTP: every response it can retrieve
    (`model_dump()`, one per line), the conversations as one JSON array, each conversation's item pages
    (oldest first, 20 a page) one per line in `conversations/<id>/items.jsonl`."""
    from openai import OpenAI

    client = OpenAI(base_url=emu.api_root, api_key=emu.api_key, max_retries=0)
    out.mkdir(parents=True)
    with open(out / "responses.jsonl", "w") as f:
        for rid in emu.world.response_ids(retained_only=True):
            f.write(json.dumps(client.responses.retrieve(rid, include=INCLUDE).model_dump(mode="json", warnings=False)) + "\n")
    conversations = []
    for cid in emu.world.conversation_ids():
        conversations.append(client.conversations.retrieve(cid).model_dump(mode="json", warnings=False))
        page = client.conversations.items.list(cid, order="asc", limit=20)
        (out / "conversations" / cid).mkdir(parents=True)
        with open(out / "conversations" / cid / "items.jsonl", "w") as f:
            while True:
                f.write(json.dumps(page.model_dump(mode="json", warnings=False)) + "\n")
                if not page.has_next_page():
                    break
                page = page.get_next_page()
    (out / "conversations.json").write_text(json.dumps(conversations))


@pytest.mark.parametrize("flavour", ["openai", "foundry"])
def test_api_json_jsonl_gz_zip_sdk_and_archive_copy_give_identical_tables(flavour, tmp_path):
    api_db, raw = tmp_path / "api.duckdb", tmp_path / "raw"
    with Emulator(api="responses", flavour=flavour, seed=21, conversations=8, responses_per_conversation=5) as emu:
        heads = chain_heads(emu) if flavour == "openai" else []
        emu.reset_stats()
        result = run_cli(*responses_args(emu, api_db, "--archive", str(raw), response_ids=heads,
                                         conversation_ids=emu.world.conversation_ids()), env=key_env(emu))
        assert result.code == 0, result.err
        pages = successful_requests(emu.stats())
        counts = export_responses_world(emu.world, tmp_path / "json")
        sdk_export(emu, tmp_path / "sdk")
        key = emu.api_key
    want = tables(api_db)
    assert all(want[t] for t in want), {t: len(rows) for t, rows in want.items()}  # a real world: every table has rows
    assert len(want["responses"]) == counts["responses"] and len(want["conversation_items"]) == counts["conversation_items"]
    # The raw copy: one gzipped JSONL file, a line per page received, no temporary left, never the key.
    files = list(raw.iterdir())
    assert [f.name.endswith(".jsonl.gz") and not f.name.startswith(".") for f in files] == [True]
    body = gzip.decompress(files[0].read_bytes())
    assert key.encode() not in body and key.encode() not in files[0].read_bytes()
    assert len(body.splitlines()) == pages

    to_jsonl_gz(tmp_path / "json", tmp_path / "jsonl")
    with zipfile.ZipFile(tmp_path / "archive.zip", "w") as z:
        for path in sorted((tmp_path / "json").rglob("*.json")):
            z.write(path, f"export/{path.relative_to(tmp_path / 'json')}")
    for name, source in (("json", tmp_path / "json"), ("jsonl", tmp_path / "jsonl"), ("zip", tmp_path / "archive.zip"),
                         ("raw", raw), ("sdk", tmp_path / "sdk")):
        db = tmp_path / f"{name}.duckdb"
        result = load_export(source, db)
        assert result.code == 0, (name, result.err)
        got = tables(db)
        for t in want:
            if name == "sdk":
                assert as_dumped(got[t]) == as_dumped(want[t]), (name, t)
            else:
                assert got[t] == want[t], (name, t)
        assert query(db, "select count(*) from assistants.load_issues") == [(0,)], name
        assert query(db, "select distinct discovered_via from assistants.responses") == [("export",)], name


def as_dumped(rows: list) -> list:
    """Rows compared as data: `model_dump()` writes every optional field, absent or not, as null, so
    a `details` that held nothing holds nulls only (`{}` once they are dropped)."""
    return [tuple(None if v == "{}" else v for v in row) for row in same_json({"t": rows})["t"]]


def _write(path: Path, docs: List[object], jsonl: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(d) + "\n" for d in docs) if jsonl else json.dumps(docs[0]))


def _response(rid: str, status: str, output: int, usage: bool = True, completed_at=None, **extra) -> dict:
    return {"id": rid, "object": "response", "created_at": 1750000000, "status": status, "model": "gpt-4.1",
            "completed_at": completed_at,
            "output": [{"id": f"msg_{rid}_{i}", "type": "message", "status": "completed", "role": "assistant",
                        "content": [{"type": "output_text", "text": f"part {i}"}]} for i in range(output)],
            "usage": {"input_tokens": 10, "output_tokens": 5 * output, "total_tokens": 10 + 5 * output} if usage else None,
            **extra}


def _item(iid: str, status: str = "completed", text: str = "x") -> dict:
    return {"id": iid, "type": "message", "status": status, "role": "user",
            "content": [{"type": "input_text", "text": text}]}


def test_the_most_complete_copy_wins_whatever_the_file_order(tmp_path):
    """The complete copies sit in the files whose names sort first: "the later file wins" would lose them."""
    archive = tmp_path / "copies"
    _write(archive / "a_done.json", [[
        _response("resp_1", "completed", 2, completed_at=1750000100),  # terminal over open
        _response("resp_2", "completed", 2, completed_at=1750000200),  # more output
        _response("resp_3", "completed", 1, completed_at=1750000300, metadata={"copy": "a"}),  # equal: path decides
        _response("resp_4", "failed", 0, completed_at=None, error={"code": "server_error", "message": "boom"}),
    ]])
    _write(archive / "z_later.jsonl", [
        _response("resp_1", "in_progress", 1, usage=False),
        _response("resp_2", "completed", 1, completed_at=1750000250),
        _response("resp_3", "completed", 1, completed_at=1750000300, metadata={"copy": "z"}),
        _response("resp_4", "queued", 0, usage=False),
    ], jsonl=True)
    # A conversation saved twice: once early (two items, the second still in progress), once complete
    # but in two page files; the order is the order of first appearance.
    _write(archive / "conv_9" / "a_early.json", [{"object": "list", "data": [_item("msg_a"), _item("msg_b", "in_progress", "draft")]}])
    _write(archive / "conv_9" / "b_page1.json", [{"object": "list", "data": [_item("msg_a"), _item("msg_b", text="final")]}])
    _write(archive / "conv_9" / "c_page2.json", [{"object": "list", "data": [_item("msg_c")]}])
    _write(archive / "conversations.json", [{"object": "list", "data": [
        {"id": "conv_9", "object": "conversation", "created_at": 1750000000, "metadata": {"topic": "t"}},
        {"id": "conv_empty", "object": "conversation", "created_at": 1750000001, "metadata": {}}]}])
    _write(archive / "conv_empty-items.json", [{"data": [], "has_more": False}])  # listed, and empty
    _write(archive / "conv_lonely_items.jsonl", [{"data": [_item("msg_z")], "has_more": False}], jsonl=True)
    db = tmp_path / "w.duckdb"
    result = load_export(archive, db)
    assert result.code == 0, result.err
    assert query(db, "select id, status, output_item_count, total_tokens, error_code, metadata->>'copy' "
                     "from assistants.responses order by id") == [
        ("resp_1", "completed", 2, 20, None, None),
        ("resp_2", "completed", 2, 20, None, None),
        ("resp_3", "completed", 1, 15, None, "z"),
        ("resp_4", "failed", 0, 10, "server_error", None),
    ]
    assert query(db, "select response_id, count(*) from assistants.response_items group by 1 order by 1") == [
        ("resp_1", 2), ("resp_2", 2), ("resp_3", 1)]
    assert query(db, "select id, item_count, metadata->>'topic' from assistants.conversations order by id") == [
        ("conv_9", 3, "t"), ("conv_empty", 0, None), ("conv_lonely", 1, None)]
    assert query(db, "select conversation_id, position, id, status, text from assistants.conversation_items "
                     "order by 1, 2") == [
        ("conv_9", 0, "msg_a", "completed", "x"), ("conv_9", 1, "msg_b", "completed", "final"),
        ("conv_9", 2, "msg_c", "completed", "x"), ("conv_lonely", 0, "msg_z", "completed", "x")]
    assert query(db, "select count(*) from assistants.load_issues") == [(0,)]


def test_broken_input_is_a_load_issue_with_file_and_line_and_the_rest_loads(tmp_path):
    archive = tmp_path / "broken"
    archive.mkdir()
    responses = [_response(f"resp_{i:03d}", "completed", 1, completed_at=1750000000 + i,
                           metadata={"pad": f"{i * 7919:x}" * 200}) for i in range(60)]
    blob = gzip.compress(b"".join(json.dumps(r).encode() + b"\n" for r in responses))
    (archive / "cut.jsonl.gz").write_bytes(blob[: len(blob) * 6 // 10])  # a download cut short
    (archive / "lines.jsonl").write_text(
        json.dumps(_response("resp_ok1", "completed", 1)) + "\n"
        + "{not json\n"
        + json.dumps({"id": "run_1", "object": "thread.run", "thread_id": "thread_b"}) + "\n"
        + json.dumps({"data": [_item("msg_lost")]}) + "\n"
        + json.dumps(_response("resp_ok2", "incomplete", 0)) + "\n")
    with zipfile.ZipFile(archive / "evil.zip", "w") as z:
        z.writestr("../../escape.json", json.dumps(_response("resp_evil", "completed", 1)))
        z.writestr("good/resp.json", json.dumps(_response("resp_zip", "completed", 1)))
    db = tmp_path / "b.duckdb"
    result = load_export(archive, db)
    assert result.code == 0, result.err
    assert "load_issues" in result.out + result.err
    issues = sorted(m for (m,) in query(db, "select message from assistants.load_issues"))
    loaded = sorted(r for (r,) in query(db, "select id from assistants.responses"))
    cut = [m for m in issues if m.startswith("export file cut.jsonl.gz line ")]
    assert len(cut) == 1 and "ends early" in cut[0]
    line = int(cut[0].split(" line ")[1].split(":")[0])
    assert 1 < line < 60  # some lines came through, the end did not
    assert loaded == sorted([f"resp_{i:03d}" for i in range(line - 1)] + ["resp_ok1", "resp_ok2", "resp_zip"])
    others = [m for m in issues if not m.startswith("export file cut")]
    assert others == [
        "export file evil.zip/../../escape.json: has a path escaping its folder; skipped",
        "export file lines.jsonl line 2: not valid JSON: " + others[1].split("not valid JSON: ")[1],
        "export file lines.jsonl line 3: an Assistants API object ('thread.run'): load it without --api responses",
        "export file lines.jsonl line 4 item 1: an item (type 'message') saved in no place that names its "
        "conversation or response: put conv_… or resp_… in its file or folder name",
    ]
    assert query(db, "select count(*) from assistants.conversation_items") == [(0,)]


def test_a_failed_api_load_leaves_no_archive_file_and_bad_combinations_exit_2(tmp_path):
    raw, db = tmp_path / "raw", tmp_path / "w.duckdb"
    with Emulator(api="responses", flavour="openai", seed=2, conversations=3) as emu:
        env = {"OPENAI_API_KEY": "sk-wrong"}
        result = run_cli(*responses_args(emu, db, "--archive", str(raw), response_ids=chain_heads(emu)[:2]), env=env)
        assert result.code == 2 and "HTTP 401" in result.err, result.err
        assert list(raw.iterdir()) == []  # neither a partial file nor its hidden temporary
        export_responses_world(emu.world, tmp_path / "json")
    for extra, message in ((["--archive", str(raw)], "--archive keeps a copy"),
                           (["--response-id", "resp_1"], "reads files only")):
        result = load_export(tmp_path / "json", db, *extra)
        assert result.code == 2 and message in result.err and "Traceback" not in result.err, result.err
    result = load_export(tmp_path / "missing", db)
    assert result.code == 2 and "is not a directory or a .zip file" in result.err, result.err


def test_an_archive_of_the_other_api_stops_with_the_fix_and_a_mixed_folder_loads_what_it_can(tmp_path):
    from runsteps.emulator import export_world

    with Emulator(api="responses", flavour="openai", seed=3, conversations=2, responses_per_conversation=2) as emu:
        responses = export_responses_world(emu.world, tmp_path / "responses")["responses"]
    with Emulator(seed=3, threads=2, flavour="openai") as emu:
        export_world(emu.world, tmp_path / "assistants")
    threads = sum(1 for _ in (tmp_path / "assistants" / "threads").rglob("*.json"))

    wrong = run_cli("load", "--from-export", str(tmp_path / "responses"), "--db", str(tmp_path / "a.duckdb"),
                    "--progress", "none")
    assert wrong.code == 2 and len(wrong.err.strip().splitlines()) == 1, wrong.err
    assert "Responses API object" in wrong.err and "load it with --api responses" in wrong.err
    wrong = run_cli("load", "--api", "responses", "--from-export", str(tmp_path / "assistants"),
                    "--db", str(tmp_path / "r.duckdb"), "--progress", "none")
    assert wrong.code == 2 and "Assistants API object" in wrong.err and "without --api responses" in wrong.err
    assert query(tmp_path / "r.duckdb", "select count(*) from information_schema.tables "
                                        "where table_name = 'responses'") == [(0,)]  # nothing committed

    # A folder holding both: each API loads its own objects, the others are load issues naming the fix.
    shutil.copytree(tmp_path / "assistants", tmp_path / "both" / "assistants")
    shutil.copytree(tmp_path / "responses", tmp_path / "both" / "responses")
    assert load_export(tmp_path / "both", tmp_path / "mixed.duckdb").code == 0
    assert query(tmp_path / "mixed.duckdb", "select count(*) from assistants.responses") == [(responses,)]
    assert query(tmp_path / "mixed.duckdb", "select count(*) from assistants.load_issues "
                 "where message like '%an Assistants API object%load it without --api responses'")[0][0] >= threads
