"""The merges dlt runs for us cost what the new rows cost, not (rows in table) × (new rows) (issue 13).

Each test loads the emulator's world with the real loader, grows the warehouse's history with plain
SQL copies of its rows, moves the world's clock (new runs arrive, open runs finish) and loads again.
The DELETE statements of that second load are read from the SQL jobs dlt kept in its load package,
i.e. exactly what it ran, and explained on the same database: the staging tables still hold the
loaded rows. A nested-loop join there compares every row of the table with every loaded row.

Expected rows come from the emulator's world, never from the loader.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import duckdb
import pytest

from openai_assistants import CONTRACT, settings
from runsteps.merge_indexes import index_name
from runsteps.emulator import Emulator
from tests.helpers import TABLE_KEYS, key_env, load_args, run_cli, snapshot

TERMINAL = {"completed", "failed", "cancelled", "expired", "incomplete"}
CHILD_TABLES = ("run_steps", "run_step_tool_calls", "code_interpreter_outputs", "file_search_results")
MERGE_TABLES = ("threads", "runs", *CHILD_TABLES)
# The ids each table holds: a copy of a row gets all of them suffixed alike, so copied steps still
# belong to copied runs.
ID_COLUMNS = {
    "threads": ("id",),
    "runs": ("id", "thread_id"),
    "run_steps": ("id", "run_id", "thread_id"),
    "run_step_tool_calls": ("step_id", "run_id", "thread_id", "id"),
    "code_interpreter_outputs": ("step_id", "run_id", "thread_id", "tool_call_id"),
    "file_search_results": ("step_id", "run_id", "thread_id", "tool_call_id"),
}
HISTORY_COPIES = 30
ADVANCE_S = 24 * 3600
# DuckDB's physical join operators that compare every pair of rows.
DUCKDB_PAIRWISE = {"NESTED_LOOP_JOIN", "BLOCKWISE_NL_JOIN", "PIECEWISE_MERGE_JOIN", "CROSS_PRODUCT"}
# A PostgreSQL nested loop is only harmless when one side is tiny (an index lookup per outer row).
PG_LARGE = 1000

# The hints of every release before issue 13, verbatim: primary key and merge key on the child tables.
OLD_KEYS = {
    "run_steps": ("id", "run_id"),
    "run_step_tool_calls": (["step_id", "position"], "run_id"),
    "code_interpreter_outputs": (["step_id", "tool_call_position", "position"], "run_id"),
    "file_search_results": (["step_id", "tool_call_position", "position"], "run_id"),
}


# --- the warehouse -----------------------------------------------------------------------------


class Warehouse:
    """A DuckDB file or a PostgreSQL dataset the loader writes to, and plain SQL on it."""

    def __init__(self, kind: str, tmp_path: Path, dsn: str = "") -> None:
        self.kind, self.dsn = kind, dsn
        self.db = tmp_path / "warehouse.duckdb"  # the DuckDB file; for Postgres only names dlt's folder
        self.dataset = "assistants" if kind == "duckdb" else f"merge_plans_{uuid.uuid4().hex[:10]}"
        self.pipelines_dir = self.db.with_name(self.db.name + ".dlt")

    def load(self, emu: Emulator, **kwargs: Any) -> None:
        extra: List[str] = []
        env = key_env(emu)
        if self.kind == "postgres":
            extra = ["--destination", "postgres", "--dataset", self.dataset]
            env = {**env, "DESTINATION__POSTGRES__CREDENTIALS": self.dsn}
        result = run_cli(*load_args(emu, self.db, *extra, **kwargs), env=env)
        assert result.code == 0, result.err

    def query(self, sql: str, params: Tuple = ()) -> List[Tuple]:
        if self.kind == "duckdb":
            with duckdb.connect(str(self.db)) as con:
                return con.execute(sql, list(params)).fetchall()
        import psycopg2

        with psycopg2.connect(self.dsn) as con, con.cursor() as cur:
            cur.execute(sql, params or None)
            return cur.fetchall() if cur.description else []

    def columns(self, table: str) -> List[str]:
        placeholder = "?" if self.kind == "duckdb" else "%s"
        return [r[0] for r in self.query(
            "select column_name from information_schema.columns "
            f"where table_schema = {placeholder} and table_name = {placeholder} order by ordinal_position",
            (self.dataset, table))]

    def add_history(self, copies: int = HISTORY_COPIES) -> Dict[str, int]:
        """`copies` copies of every row with suffixed ids: old runs the next load never touches."""
        for table in MERGE_TABLES:
            cols = self.columns(table)
            select = ", ".join(f"\"{c}\" || '-h' || CAST(g.i AS VARCHAR)" if c in ID_COLUMNS[table] else f'"{c}"'
                               for c in cols)
            self.query(f'insert into {self.dataset}."{table}" ({", ".join(chr(34) + c + chr(34) for c in cols)}) '
                       f'select {select} from {self.dataset}."{table}" cross join generate_series(1, {copies}) as g(i)')
        return self.history_counts()

    def history_counts(self) -> Dict[str, int]:
        return {t: self.query(f"select count(*) from {self.dataset}.\"{t}\" where \"{ID_COLUMNS[t][0]}\" like '%-h%'")[0][0]
                for t in MERGE_TABLES}

    def merge_deletes(self) -> Dict[str, List[str]]:
        """The DELETE statements of the newest load package's SQL jobs, by table (one statement per line)."""
        packages = sorted((self.pipelines_dir / "runsteps" / "load" / "loaded").iterdir())
        assert packages, "dlt kept no loaded package"
        out: Dict[str, List[str]] = {}
        for job in sorted((packages[-1] / "completed_jobs").glob("*.sql")):
            table = job.name.split(".")[0]
            out.setdefault(table, []).extend(
                line.strip().rstrip(";") for line in job.read_text().splitlines() if line.lstrip().upper().startswith("DELETE"))
        return out

    def stored_table_schema(self, table: str) -> Dict[str, Any]:
        """The table's hints in the newest schema dlt stored in the destination."""
        (schema,) = self.query(f"select schema from {self.dataset}._dlt_version order by inserted_at desc limit 1")[0]
        return json.loads(schema)["tables"][table]

    def drop(self) -> None:
        if self.kind == "postgres":
            self.query(f"drop schema if exists {self.dataset} cascade; "
                       f"drop schema if exists {self.dataset}_staging cascade")


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request, tmp_path) -> Iterator[Warehouse]:
    dsn = request.getfixturevalue("postgres_dsn") if request.param == "postgres" else ""
    wh = Warehouse(request.param, tmp_path, dsn)
    yield wh
    wh.drop()


# --- plans -------------------------------------------------------------------------------------


def _duckdb_operators(plan: Any) -> Iterator[Dict[str, Any]]:
    for node in plan if isinstance(plan, list) else [plan]:
        yield node
        yield from _duckdb_operators(node.get("children", []))


def duckdb_plan(wh: Warehouse, sql: str) -> List[Dict[str, Any]]:
    (_, plan), = wh.query("EXPLAIN (FORMAT JSON) " + sql)
    return list(_duckdb_operators(json.loads(plan)))


def _pg_nodes(node: Dict[str, Any]) -> Iterator[Dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _pg_nodes(child)


def postgres_plan(wh: Warehouse, sql: str) -> List[Dict[str, Any]]:
    (plan,), = wh.query("EXPLAIN (FORMAT JSON) " + sql)
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return list(_pg_nodes(plan[0]["Plan"]))


def pairwise_joins(wh: Warehouse, sql: str) -> List[str]:
    """The joins of `sql`'s plan that compare every row of one side with every row of the other."""
    if wh.kind == "duckdb":
        return [n["name"] for n in duckdb_plan(wh, sql) if n["name"] in DUCKDB_PAIRWISE]
    target = sql.split()[2].replace('"', "").split(".")[-1]  # DELETE FROM schema.table ...
    bad = []
    for node in postgres_plan(wh, sql):
        if node["Node Type"] == "Nested Loop":
            outer, inner = node["Plans"][0], node["Plans"][1]
            looked_up = any(n["Node Type"] in ("Index Scan", "Index Only Scan", "Bitmap Heap Scan") for n in _pg_nodes(inner))
            outer_reads_table = any(n.get("Relation Name") == target and n.get("Schema") == wh.dataset
                                    for n in _pg_nodes(outer))
            # pairwise: a large outer against a scanned inner, or an outer that is the table itself;
            # an index lookup per loaded row is the cheap kind of nested loop
            if (not looked_up and max(outer["Plan Rows"], inner["Plan Rows"]) > PG_LARGE) or (
                    outer_reads_table and outer["Plan Rows"] > PG_LARGE):
                bad.append(f"Nested Loop (outer {outer['Node Type']} ~{outer['Plan Rows']} rows, "
                           f"inner {inner['Node Type']} ~{inner['Plan Rows']} rows)")
    return bad


def hash_joins(wh: Warehouse, sql: str) -> List[str]:
    """The hash joins of `sql`'s plan, with their join conditions."""
    if wh.kind == "duckdb":
        return [str(n.get("extra_info", {}).get("Conditions")) for n in duckdb_plan(wh, sql) if n["name"] == "HASH_JOIN"]
    return [str(n.get("Hash Cond")) for n in postgres_plan(wh, sql) if n["Node Type"] == "Hash Join"]


def index_lookups(wh: Warehouse, sql: str) -> List[str]:
    """The indexes `sql`'s plan looks rows up in (PostgreSQL; DuckDB's merges use none)."""
    if wh.kind == "duckdb":
        return []
    return [n["Index Name"] for n in postgres_plan(wh, sql) if "Index Name" in n]


def test_the_plan_check_tells_a_scan_per_row_from_a_lookup_per_row(warehouse):
    """The checker itself, on plans whose shape is known: a join on an OR is pairwise, a join on one
    key is hashed (and, in PostgreSQL, an index lookup per row is not pairwise)."""
    wh = warehouse
    d = wh.dataset
    if wh.kind == "postgres":
        wh.query(f"create schema {d}")
    else:
        wh.query(f"create schema if not exists {d}")
    wh.query(f"create table {d}.big as select 'r' || cast(i % 5000 as varchar) as run_id, i as pos "
             f"from generate_series(1, 50000) as g(i)")
    wh.query(f"create table {d}.small as select 'r' || cast(i as varchar) as run_id, i as pos "
             f"from generate_series(1, 3000) as g(i)")
    if wh.kind == "postgres":
        wh.query(f"analyze {d}.big; analyze {d}.small")
    pairwise = (f"DELETE FROM {d}.big AS b WHERE EXISTS (SELECT 1 FROM {d}.small AS s "
                f"WHERE b.run_id = s.run_id OR b.pos = s.pos)")
    hashed = f"DELETE FROM {d}.big WHERE run_id IN (SELECT run_id FROM {d}.small)"
    assert pairwise_joins(wh, pairwise) != []
    assert pairwise_joins(wh, hashed) == [] and any("run_id" in c for c in hash_joins(wh, hashed))
    if wh.kind == "postgres":
        wh.query(f"create index big_run_id on {d}.big (run_id); analyze {d}.big")
        lookup = f"DELETE FROM {d}.big WHERE run_id IN (SELECT run_id FROM {d}.small WHERE pos < 10)"
        nodes = [n["Node Type"] for n in postgres_plan(wh, lookup)]
        assert "Nested Loop" in nodes and "Bitmap Index Scan" in nodes, nodes  # one lookup per loaded run
        assert pairwise_joins(wh, lookup) == [], nodes


def _world_after_history_and_advance(wh: Warehouse, emu: Emulator) -> Dict[str, int]:
    wh.load(emu)
    history = wh.add_history()
    emu.advance(ADVANCE_S)
    wh.load(emu, thread_ids=[])  # the nightly load: known threads only
    return history


def _assert_plans_follow_the_new_rows(wh: Warehouse, deletes: Dict[str, List[str]]) -> None:
    assert set(MERGE_TABLES) <= set(deletes), f"no DELETE from dlt for {set(MERGE_TABLES) - set(deletes)}"
    for table in MERGE_TABLES:
        for sql in deletes[table]:
            assert pairwise_joins(wh, sql) == [], f"{table}: {sql}"
            joins = hash_joins(wh, sql)
            key = "run_id" if table in CHILD_TABLES else "id"
            looked_up = index_lookups(wh, sql)
            # a hash join on the key, or (PostgreSQL) a lookup per loaded row in the loader's index on it
            assert any(key in cond for cond in joins) or index_name(table, [key]) in looked_up, (
                f"{table}: no hash join on {key} in {joins} and no lookup in its index ({looked_up}): {sql}")


def test_merge_deletes_join_on_a_hash_of_the_new_rows(warehouse):
    wh = warehouse
    with Emulator(seed=23, threads=30, flavour="openai") as emu:
        history = _world_after_history_and_advance(wh, emu)
    for table in CHILD_TABLES:  # the tables are much larger than what the load brings
        loaded = wh.query(f'select count(*) from {wh.dataset}_staging."{table}"')[0][0]
        assert 0 < 10 * loaded < history[table], table
    deletes = wh.merge_deletes()
    _assert_plans_follow_the_new_rows(wh, deletes)
    if wh.kind == "postgres":  # with statistics, as autovacuum would have gathered them by now
        for table in MERGE_TABLES:
            wh.query(f'analyze {wh.dataset}."{table}"; analyze {wh.dataset}_staging."{table}"')
        _assert_plans_follow_the_new_rows(wh, deletes)


def pg_indexes(wh: Warehouse) -> Dict[str, List[str]]:
    """{table: [index definitions]} of the dataset (PostgreSQL)."""
    out: Dict[str, List[str]] = {}
    for table, definition in wh.query("select tablename, indexdef from pg_indexes where schemaname = %s", (wh.dataset,)):
        out.setdefault(table, []).append(definition)
    return out


@pytest.mark.postgres
def test_postgres_merges_look_the_loaded_runs_up_in_an_index(postgres_dsn, tmp_path):
    """PostgreSQL's hash semi-join still reads the whole table once per load (S8: 4.1x at 10M steps);
    the loader indexes every merged table on the key its rows are replaced by, so that, with
    statistics, the child tables' DELETEs look each loaded run up instead. A database whose indexes
    are missing (loaded before this change) gets them on its next load."""
    wh = Warehouse("postgres", tmp_path, postgres_dsn)
    try:
        with Emulator(seed=23, threads=30, flavour="openai") as emu:
            wh.load(emu)
            keys = CONTRACT.delete_keys()
            indexed = pg_indexes(wh)
            for table in MERGE_TABLES:
                columns = ", ".join(keys[table])
                assert any(f"USING btree ({columns})" in d and index_name(table, keys[table]) in d
                           for d in indexed.get(table, [])), (table, indexed.get(table))
            assert keys["run_steps"] == ["run_id"] and keys["runs"] == ["id"]  # as the DELETEs need
            for table in MERGE_TABLES:  # as a database loaded before this change
                wh.query(f'drop index {wh.dataset}."{index_name(table, keys[table])}"')
            wh.add_history(copies=60)
            emu.advance(ADVANCE_S)
            wh.load(emu, thread_ids=[])
            assert set(MERGE_TABLES) <= set(pg_indexes(wh))
            for table in MERGE_TABLES:
                wh.query(f'analyze {wh.dataset}."{table}"; analyze {wh.dataset}_staging."{table}"')
            deletes = wh.merge_deletes()
            for table in CHILD_TABLES:
                for sql in deletes[table]:
                    assert index_name(table, ["run_id"]) in index_lookups(wh, sql), (table, postgres_plan(wh, sql))
                    assert pairwise_joins(wh, sql) == []
    finally:
        wh.drop()


# --- behaviour ---------------------------------------------------------------------------------


def _kinds_of_rows(steps: List[Dict[str, Any]]) -> set:
    """The child tables a run's steps make rows in, read from the API objects themselves."""
    kinds = {"run_steps"} if steps else set()
    for step in steps:
        for call in (step.get("step_details") or {}).get("tool_calls") or []:
            kinds.add("run_step_tool_calls")
            if (call.get("code_interpreter") or {}).get("outputs"):
                kinds.add("code_interpreter_outputs")
            if (call.get("file_search") or {}).get("results"):
                kinds.add("file_search_results")
    return kinds


def _stale_rows(wh: Warehouse, table: str, run_id: str, thread_id: str) -> None:
    """A row the run does not have: a vanished step, or a child at a position that vanished."""
    ph = "?" if wh.kind == "duckdb" else "%s"
    d, step = wh.dataset, f"stepstale{run_id}"
    if table == "run_steps":
        sql = f"insert into {d}.run_steps (id, run_id, thread_id, status) values ({ph}, {ph}, {ph}, 'in_progress')"
    elif table == "run_step_tool_calls":
        sql = f"insert into {d}.run_step_tool_calls (step_id, position, run_id, thread_id) values ({ph}, 99, {ph}, {ph})"
    else:
        sql = (f"insert into {d}.{table} (step_id, tool_call_position, position, run_id, thread_id) "
               f"values ({ph}, 99, 99, {ph}, {ph})")
    wh.query(sql, (step, run_id, thread_id))


def _stale_left(wh: Warehouse, table: str) -> int:
    key = TABLE_KEYS[table].split(", ")[0]
    return wh.query(f"select count(*) from {wh.dataset}.{table} where \"{key}\" like 'stepstale%'")[0][0]


def _duplicate_keys(wh: Warehouse) -> Dict[str, int]:
    return {t: wh.query(f"select count(*) from (select {TABLE_KEYS[t]} from {wh.dataset}.\"{t}\" "
                        f"group by {TABLE_KEYS[t]} having count(*) > 1) as dupes")[0][0] for t in MERGE_TABLES}


def test_a_fetched_run_replaces_all_its_rows_and_nothing_else(warehouse):
    """A run the load fetches (new, or open last time) loses every row its fetch does not have, in
    each table where the fetch brings rows of it; the history of other runs stays, once."""
    wh = warehouse
    with Emulator(seed=29, threads=40, flavour="openai") as emu:
        world = emu.world
        wh.load(emu)
        before = {tid: {r["id"]: r["status"] for r in world.runs(tid)} for tid in world.thread_ids()}
        history = wh.add_history()
        emu.advance(ADVANCE_S)
        fetched = [(r["id"], tid) for tid in world.thread_ids() for r in world.runs(tid)
                   if before[tid].get(r["id"]) not in TERMINAL]
        planted = {t: 0 for t in CHILD_TABLES}
        for run_id, tid in fetched:
            for table in _kinds_of_rows(world.steps(tid, run_id)):
                _stale_rows(wh, table, run_id, tid)
                planted[table] += 1
        assert all(n > 0 for n in planted.values()), planted  # every table is tried
        wh.load(emu, thread_ids=[])
        expected = world.expected()["tables"]
    assert {t: _stale_left(wh, t) for t in CHILD_TABLES} == {t: 0 for t in CHILD_TABLES}
    # the copies (old runs nobody fetched again) are all still there, once
    assert wh.history_counts() == history
    assert _real_counts(wh) == {t: expected[t] for t in MERGE_TABLES}
    assert _duplicate_keys(wh) == {t: 0 for t in MERGE_TABLES}


def _real_counts(wh: Warehouse) -> Dict[str, int]:
    """Rows of the API's objects (not the copies of the history)."""
    return {t: wh.query(f"select count(*) from {wh.dataset}.\"{t}\" where \"{ID_COLUMNS[t][0]}\" not like '%-h%'")[0][0]
            for t in MERGE_TABLES}


# --- a database loaded with the old hints ------------------------------------------------------


def _use_old_hints(monkeypatch) -> None:
    for table, (primary_key, merge_key) in OLD_KEYS.items():
        spec = settings.TABLES[table]
        columns = {name: {k: v for k, v in col.items() if k != "merge_key"} for name, col in spec["columns"].items()}
        monkeypatch.setitem(settings.TABLES, table, {**spec, "write_disposition": "merge", "primary_key": primary_key,
                                                     "merge_key": merge_key, "columns": columns})


def test_a_database_loaded_with_the_old_hints_merges_with_the_new_ones(warehouse, monkeypatch, tmp_path):
    wh = warehouse
    with Emulator(seed=37, threads=30, flavour="openai") as emu:
        with monkeypatch.context() as old:
            _use_old_hints(old)
            wh.load(emu)
            old_deletes = wh.merge_deletes()
        wh.add_history()
        for table in CHILD_TABLES:  # the database really has the old hints, and the old pairwise merge
            assert wh.stored_table_schema(table)["columns"]["run_id"].get("merge_key") is True, table
            assert pairwise_joins(wh, old_deletes[table][0]) != [], table
        emu.advance(ADVANCE_S)
        wh.load(emu, thread_ids=[])  # the current hints
        deletes = wh.merge_deletes()
        _assert_plans_follow_the_new_rows(wh, deletes)
        for table in CHILD_TABLES:
            primary_key = OLD_KEYS[table][0]
            primary_key = [primary_key] if isinstance(primary_key, str) else primary_key
            stored = wh.stored_table_schema(table)
            assert not any(col.get("merge_key") for col in stored["columns"].values()), table
            assert [c for c, col in stored["columns"].items() if col.get("primary_key")] == primary_key, table
            for sql in deletes[table]:  # the loaded rows' keys play no part in choosing what goes
                assert not any(f'"{c}"' in sql or f" {c} " in sql for c in primary_key if c != "run_id"), sql
        expected = emu.world.expected()["tables"]
        if wh.kind == "duckdb":  # a fresh load of the final world with the current hints
            fresh = tmp_path / "fresh.duckdb"
            assert run_cli(*load_args(emu, fresh), env=key_env(emu)).code == 0
    assert _real_counts(wh) == {t: expected[t] for t in MERGE_TABLES}
    assert _duplicate_keys(wh) == {t: 0 for t in MERGE_TABLES}
    if wh.kind == "duckdb":
        with duckdb.connect(str(wh.db)) as con:
            for table in MERGE_TABLES:
                con.execute(f"delete from assistants.\"{table}\" where \"{ID_COLUMNS[table][0]}\" like '%-h%'")
        assert snapshot(wh.db) == snapshot(fresh)
