"""Incremental loads of Responses archives (issue 14): loading the same folder again reads only the
files that are new or changed, plus the older files holding copies of what they touch, and the tables
equal a fresh load of the whole folder.

Real files, a real DuckDB file, the loader's own pipeline. What a load should open is worked out from
the files written (the emulator's export layout, documented in `runsteps.emulator.responses_export`,
or the fixtures written here), and the tables are compared row by row with a fresh load of the same
folder, never with numbers from the reader.
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path
from typing import Dict, List

import duckdb
import pytest

from runsteps.emulator import Emulator, export_responses_world
from tests.helpers import VOLATILE, snapshot
from tests.responses_truth import TABLE_KEYS

# Every table the Responses archive load writes, in key order.
ALL_KEYS = {**TABLE_KEYS, "responses_archive_locations": "kind, owner, path"}


def load(source: Path, db: Path, dataset: str = ""):
    """A load like the CLI's (same pipeline and source); returns what the reader did (`ReadStats`).
    With `dataset`, into that dataset of PostgreSQL (`DESTINATION__POSTGRES__CREDENTIALS`)."""
    from openai_responses import export_source
    from openai_responses.export import ReadStats
    from runsteps.commands import pipeline_for
    from runsteps.loading import run_load
    from runsteps.options import Warehouse

    stats = ReadStats()
    warehouse = Warehouse(db=db, destination="postgres", dataset=dataset) if dataset else Warehouse(db=db)
    run_load(pipeline_for(warehouse), export_source(str(source), stats=stats))
    return stats


def tables(db: Path) -> Dict[str, list]:
    """Every table's rows (the files read without `loaded_at`, which differs between loads), and the
    load issues' messages (appended: their count matters)."""
    snap = snapshot(db, table_keys=ALL_KEYS)
    snap["responses_archive_files"] = query(db, "select path, size, mtime, sha256, objects, problems "
                                                "from assistants.responses_archive_files order by path")
    snap["load_issues"] = query(db, "select message from assistants.load_issues order by message")
    return snap


def query(db: Path, sql: str) -> list:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def fresh_tables(source: Path, tmp_path: Path, name: str) -> Dict[str, list]:
    db = tmp_path / f"fresh-{name}.duckdb"
    load(source, db)
    return tables(db)


def files(root: Path) -> List[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def copy(src: Path, dest: Path, names: List[str]) -> None:
    for name in names:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / name, dest / name)


def write(path: Path, docs: List[object], jsonl: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(d) + "\n" for d in docs) if jsonl else json.dumps(docs[0]))


def response(rid: str, status: str, output: int, completed_at=None, **extra) -> dict:
    return {"id": rid, "object": "response", "created_at": 1750000000, "status": status, "model": "gpt-4.1",
            "completed_at": completed_at,
            "output": [{"id": f"msg_{rid}_{i}", "type": "message", "status": "completed", "role": "assistant",
                        "content": [{"type": "output_text", "text": f"part {i}"}]} for i in range(output)],
            "usage": {"input_tokens": 10, "output_tokens": 5 * output, "total_tokens": 10 + 5 * output}
            if status == "completed" else None, **extra}


def item(iid: str, status: str = "completed", text: str = "x") -> dict:
    return {"id": iid, "type": "message", "status": status, "role": "user",
            "content": [{"type": "input_text", "text": text}]}


def page(*items: dict) -> dict:
    return {"object": "list", "data": list(items), "has_more": False}


def test_files_added_later_are_read_with_the_older_files_they_touch_and_equal_a_fresh_load(tmp_path):
    full = tmp_path / "full"
    with Emulator(api="responses", flavour="openai", seed=21, conversations=8, responses_per_conversation=5) as emu:
        export_responses_world(emu.world, full)
    responses = sorted(p.stem for p in (full / "responses").glob("*.json"))
    conversations = sorted(p.stem for p in (full / "conversations").glob("*.json"))
    assert len(responses) > 20 and len(conversations) >= 4
    # The layout (`responses_export`): a response's file and its input items' page; a conversation's
    # object and its items' page. First: half the responses, every conversation object, half of the
    # conversations' items. Later: the rest.
    def response_files(rids):
        return [f"responses/{r}.json" for r in rids] + [f"responses/{r}/input_items.json" for r in rids]

    half_c = conversations[: len(conversations) // 2]
    later_c = conversations[len(conversations) // 2:]
    first = response_files(responses[::2]) + [f"conversations/{c}.json" for c in conversations] + \
        [f"conversations/{c}/items.json" for c in half_c]
    later = response_files(responses[1::2]) + [f"conversations/{c}/items.json" for c in later_c]
    assert sorted(first + later) == files(full)
    archive, db = tmp_path / "archive", tmp_path / "inc.duckdb"
    copy(full, archive, first)
    assert sorted(load(archive, db).opened) == sorted(first)

    copy(full, archive, later)
    # Besides whole new files, a file holding another copy of an older response (the same bytes as
    # its file's) and an item of an older conversation that its page does not hold; the file's name
    # sorts before `conversations/`, so that item comes first in that conversation from now on.
    old_response, old_conversation = responses[0], half_c[0]
    extra_response = json.loads((full / "responses" / f"{old_response}.json").read_bytes())
    write(archive / "extra" / "copies.jsonl", [extra_response], jsonl=True)
    write(archive / f"{old_conversation}-extra.jsonl", [page(item("msg_extra", text="added later"))], jsonl=True)
    new = later + ["extra/copies.jsonl", f"{old_conversation}-extra.jsonl"]
    # The older files holding copies of what the new files touch: each conversation whose items came
    # now has its object in an older file; the copied response's file; the extended conversation's files.
    touched_older = [f"conversations/{c}.json" for c in later_c] + [
        f"responses/{old_response}.json", f"conversations/{old_conversation}.json",
        f"conversations/{old_conversation}/items.json"]
    stats = load(archive, db)
    assert sorted(stats.opened) == sorted(new + touched_older)
    assert stats.skipped_unchanged == len(first)  # not new nor changed (some read again for the new ones)

    want = fresh_tables(archive, tmp_path, "all")
    got = tables(db)
    for table in want:
        assert got[table] == want[table], table
    assert query(db, "select position, text from assistants.conversation_items where conversation_id = "
                     f"'{old_conversation}' and id = 'msg_extra'") == [(0, "added later")]
    assert len(want["responses"]) == len(responses) and want["load_issues"] == []


def test_an_unchanged_archive_reloads_opening_nothing_and_changes_nothing(tmp_path):
    archive = tmp_path / "archive"
    with Emulator(api="responses", flavour="foundry", seed=5, conversations=4, responses_per_conversation=4) as emu:
        export_responses_world(emu.world, archive)
    with zipfile.ZipFile(tmp_path / "archive" / "more.zip", "w") as z:  # a zip's members are files too
        z.writestr("conv_zipped/items.json", json.dumps(page(item("msg_z1"), item("msg_z2"))))
    db = tmp_path / "w.duckdb"
    first = load(archive, db)
    assert sorted(first.opened) == sorted([f for f in files(archive) if f != "more.zip"] + ["more.zip/conv_zipped/items.json"])
    before = tables(db)
    loaded_at = query(db, "select path, loaded_at from assistants.responses_archive_files order by path")
    again = load(archive, db)
    assert again.opened == [] and again.skipped_unchanged == len(first.opened)
    assert tables(db) == before
    assert query(db, "select path, loaded_at from assistants.responses_archive_files order by path") == loaded_at
    assert query(db, "select count(*) from assistants.conversation_items where conversation_id = 'conv_zipped'") == [(2,)]


def test_a_worse_copy_added_later_does_not_win_and_a_better_one_does(tmp_path):
    archive, db = tmp_path / "archive", tmp_path / "w.duckdb"
    write(archive / "a.json", [page(response("resp_1", "completed", 2, completed_at=1750000100),
                                    response("resp_2", "completed", 1, completed_at=1750000200),
                                    response("resp_3", "completed", 1, completed_at=1750000300))])
    write(archive / "conv_9" / "b_items.json", [page(item("msg_a", text="final"), item("msg_b"))])
    load(archive, db)
    # Later: resp_1 saved while still in progress (worse), resp_2 with more output (better); in
    # conv_9, msg_a saved while in progress (worse) and a new item msg_c.
    write(archive / "z.jsonl", [response("resp_1", "in_progress", 1),
                                response("resp_2", "completed", 3, completed_at=1750000200)], jsonl=True)
    write(archive / "conv_9" / "c_items.json", [page(item("msg_a", "in_progress", "draft"), item("msg_c"))])
    stats = load(archive, db)
    assert sorted(stats.opened) == ["a.json", "conv_9/b_items.json", "conv_9/c_items.json", "z.jsonl"]
    assert query(db, "select id, status, output_item_count from assistants.responses order by id") == [
        ("resp_1", "completed", 2), ("resp_2", "completed", 3), ("resp_3", "completed", 1)]
    assert query(db, "select response_id, count(*) from assistants.response_items group by 1 order by 1") == [
        ("resp_1", 2), ("resp_2", 3), ("resp_3", 1)]
    assert query(db, "select position, id, status, text from assistants.conversation_items order by position") == [
        (0, "msg_a", "completed", "final"), (1, "msg_b", "completed", "x"), (2, "msg_c", "completed", "x")]
    assert query(db, "select item_count, last_item_id from assistants.conversations where id = 'conv_9'") == [(3, "msg_c")]
    assert tables(db) == fresh_tables(archive, tmp_path, "copies")


def test_a_changed_file_is_read_again_and_one_touched_with_the_same_bytes_is_not(tmp_path):
    archive, db = tmp_path / "archive", tmp_path / "w.duckdb"
    with Emulator(api="responses", flavour="openai", seed=7, conversations=3, responses_per_conversation=3) as emu:
        export_responses_world(emu.world, archive)
    load(archive, db)
    edited, touched = sorted((archive / "responses").glob("*.json"))[:2]
    doc = json.loads(edited.read_bytes())
    doc["metadata"] = {"edited": "yes"}
    edited.write_text(json.dumps(doc))
    os.utime(touched, (touched.stat().st_atime, touched.stat().st_mtime + 60))  # a new mtime, the same bytes
    stats = load(archive, db)
    assert stats.opened == [str(edited.relative_to(archive))]
    assert query(db, f"select metadata->>'edited' from assistants.responses where id = '{doc['id']}'") == [("yes",)]
    assert load(archive, db).opened == []  # both recorded with their new size and mtime
    assert tables(db) == fresh_tables(archive, tmp_path, "edited")


def test_a_file_rewritten_without_the_best_copy_gives_what_a_fresh_load_gives(tmp_path):
    """The older files holding copies of what a changed file held before are read again: a response
    whose best copy is gone comes from the copies left, as in a fresh load."""
    archive, db = tmp_path / "archive", tmp_path / "w.duckdb"
    write(archive / "a.json", [page(response("resp_1", "completed", 2, completed_at=1750000100))])
    write(archive / "b.jsonl", [response("resp_1", "in_progress", 1), response("resp_2", "completed", 1)], jsonl=True)
    write(archive / "c.json", [response("resp_3", "completed", 1)])
    load(archive, db)
    assert query(db, "select status from assistants.responses where id = 'resp_1'") == [("completed",)]
    write(archive / "a.json", [page(response("resp_4", "completed", 1, completed_at=1750000400, metadata={"new": "1"}))])
    stats = load(archive, db)
    assert sorted(stats.opened) == ["a.json", "b.jsonl"]
    assert query(db, "select id, status, output_item_count from assistants.responses order by id") == [
        ("resp_1", "in_progress", 1), ("resp_2", "completed", 1), ("resp_3", "completed", 1), ("resp_4", "completed", 1)]
    assert tables(db) == fresh_tables(archive, tmp_path, "rewritten")


def test_load_issues_are_reported_once_not_on_every_reload(tmp_path):
    archive, db = tmp_path / "broken", tmp_path / "b.duckdb"
    archive.mkdir()
    (archive / "lines.jsonl").write_text(json.dumps(response("resp_ok", "completed", 1)) + "\n{not json\n"
                                         + json.dumps({"id": "run_1", "object": "thread.run"}) + "\n")
    (archive / "notes.txt").write_text("not an archive file")
    with zipfile.ZipFile(archive / "evil.zip", "w") as z:
        z.writestr("../escape.json", json.dumps(response("resp_evil", "completed", 1)))
    load(archive, db)
    first = query(db, "select message from assistants.load_issues order by message")
    assert [m.split(":")[0] for (m,) in first] == [
        "export file evil.zip/../escape.json", "export file lines.jsonl line 2", "export file lines.jsonl line 3",
        "export file notes.txt"]
    assert load(archive, db).opened == []
    assert query(db, "select message from assistants.load_issues order by message") == first
    # A new broken file: its issue alone is added.
    (archive / "cut.json").write_text('{"id": "resp_cut", "object": "resp')
    assert load(archive, db).opened == ["cut.json"]
    now = query(db, "select message from assistants.load_issues order by message")
    assert len(now) == len(first) + 1 and [m for (m,) in now if m.startswith("export file cut.json")]
    assert query(db, "select id from assistants.responses") == [("resp_ok",)]


@pytest.mark.postgres
def test_on_postgresql_a_reload_reads_the_new_files_and_what_they_touch_and_equals_a_fresh_load(
        tmp_path, postgres_dsn, monkeypatch):
    import uuid

    import psycopg2

    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", postgres_dsn)
    suffix = uuid.uuid4().hex[:8]
    incremental, fresh = f"resp_inc_{suffix}", f"resp_fresh_{suffix}"

    def rows(dataset: str) -> Dict[str, list]:
        out = {}
        with psycopg2.connect(postgres_dsn) as con, con.cursor() as cur:
            for table, keys in {**ALL_KEYS, "responses_archive_files": "path", "load_issues": "message"}.items():
                cur.execute("select column_name from information_schema.columns where table_schema = %s "
                            "and table_name = %s order by column_name", (dataset, table))
                cols = [c for (c,) in cur.fetchall() if c not in VOLATILE | {"loaded_at", "seen_at"}]
                cur.execute(f'select {", ".join(f"{chr(34)}{c}{chr(34)}::text" for c in cols)} '
                            f'from {dataset}."{table}" order by {keys}')
                out[table] = cur.fetchall()
        return out

    archive = tmp_path / "archive"
    write(archive / "a.json", [page(response("resp_1", "completed", 2, completed_at=1750000100),
                                    response("resp_2", "completed", 1, completed_at=1750000200))])
    write(archive / "conv_9" / "b_items.json", [page(item("msg_a", text="final"), item("msg_b"))])
    write(archive / "c.json", [response("resp_3", "completed", 1)])
    try:
        assert sorted(load(archive, tmp_path / "inc.duckdb", incremental).opened) == [
            "a.json", "c.json", "conv_9/b_items.json"]
        write(archive / "z.jsonl", [response("resp_1", "in_progress", 1),
                                    response("resp_2", "completed", 3, completed_at=1750000200)], jsonl=True)
        write(archive / "conv_9" / "c_items.json", [page(item("msg_a", "in_progress", "draft"), item("msg_c"))])
        assert sorted(load(archive, tmp_path / "inc.duckdb", incremental).opened) == [
            "a.json", "conv_9/b_items.json", "conv_9/c_items.json", "z.jsonl"]
        assert load(archive, tmp_path / "inc.duckdb", incremental).opened == []
        load(archive, tmp_path / "fresh.duckdb", fresh)
        got, want = rows(incremental), rows(fresh)
        for table in want:
            assert got[table] == want[table], table
        with psycopg2.connect(postgres_dsn) as con, con.cursor() as cur:
            cur.execute(f"select id, status, output_item_count from {incremental}.responses order by id")
            assert cur.fetchall() == [("resp_1", "completed", 2), ("resp_2", "completed", 3), ("resp_3", "completed", 1)]
    finally:
        with psycopg2.connect(postgres_dsn) as con, con.cursor() as cur:
            for dataset in (incremental, fresh):
                cur.execute(f"drop schema if exists {dataset} cascade; drop schema if exists {dataset}_staging cascade")


def test_an_archive_load_reports_its_progress_file_by_file_and_a_reload_has_nothing_to_read(tmp_path):
    from openai_responses import export_source
    from runsteps.commands import pipeline_for
    from runsteps.loading import run_load
    from runsteps.options import Warehouse

    archive = tmp_path / "archive"
    with Emulator(api="responses", flavour="foundry", seed=5, conversations=3, responses_per_conversation=3) as emu:
        written = export_responses_world(emu.world, archive)
    assert written["responses"] >= 9 and written["files"] == len(files(archive))

    seen: list = []
    pipeline = pipeline_for(Warehouse(db=tmp_path / "w.duckdb"))
    run_load(pipeline, export_source(str(archive), on_progress=lambda p: seen.append((p.done, p.total, p.objects))))
    assert [done for done, _, _ in seen] == list(range(1, written["files"] + 1))  # after each file
    assert seen[-1] == (written["files"], written["files"], written["responses"])

    seen.clear()
    run_load(pipeline, export_source(str(archive), on_progress=lambda p: seen.append((p.done, p.total, p.objects))))
    assert seen == []  # nothing new to read: no file, no progress
