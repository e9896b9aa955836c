"""Synthetic history for S8: make a warehouse the loader filled hold millions of steps in seconds.

A real (small) first load gives the tables, the dlt schema and the pipeline state; this module then
copies its rows `k` times with SQL (`generate_series` in DuckDB and in PostgreSQL), giving every copy
fresh ids: `'run_' || md5(original id || '#' || copy)` and so on, the same function in every table,
so a copied step still belongs to its copied run and thread. Values other than ids are kept, so the
copies have the real rows' shapes (tool types, JSON details, text lengths). Ids keep the API's
length and are spread over its key space (24 hex digits after the prefix, in random order), so no
zone map or min/max filter can skip the history where it could not skip real history.

Only the tables change: the pipeline state still holds the cursors of the threads of the real first
load, and the copies are invisible to it (the loader never polls a synthetic thread).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

# The tables the history fills, and the id columns each holds: column -> kind of id.
ID_COLUMNS: Dict[str, Dict[str, str]] = {
    "threads": {"id": "thread"},
    "runs": {"id": "run", "thread_id": "thread"},
    "run_steps": {"id": "step", "run_id": "run", "thread_id": "thread", "message_id": "msg"},
    "run_step_tool_calls": {"step_id": "step", "run_id": "run", "thread_id": "thread", "id": "call"},
    "code_interpreter_outputs": {"step_id": "step", "run_id": "run", "thread_id": "thread", "tool_call_id": "call"},
    "file_search_results": {"step_id": "step", "run_id": "run", "thread_id": "thread", "tool_call_id": "call"},
}
PREFIX = {"thread": "thread_", "run": "run_", "step": "step_", "call": "call_", "msg": "msg_"}


def synthetic_id(column: str, kind: str, copy: str) -> str:
    """SQL for the id of `column` in copy number `copy` (a SQL expression); NULL stays NULL."""
    return (f"CASE WHEN {column} IS NULL THEN NULL ELSE "
            f"'{PREFIX[kind]}' || substr(md5({column} || '#' || CAST({copy} AS VARCHAR)), 1, 24) END")


@dataclass
class Grown:
    """What `grow` did."""

    copies: int
    steps_before: int
    steps_after: int
    rows_added: Dict[str, int]
    seconds: float


class Warehouse:
    """The few SQL operations `grow` needs, on a DuckDB file or a PostgreSQL database."""

    def __init__(self, kind: str, target: Any, dataset: str = "assistants") -> None:
        self.kind = kind
        self.dataset = dataset
        if kind == "duckdb":
            import duckdb

            # No memory cap of the loader here: generating is not what is measured.
            self.con = duckdb.connect(str(target), config={"memory_limit": "4GB", "threads": 2,
                                                           "preserve_insertion_order": False})
            self.con.execute("SET enable_progress_bar = false")
        elif kind == "postgres":
            import psycopg2

            self.con = psycopg2.connect(target)
            self.con.autocommit = True
            with self.con.cursor() as cur:
                cur.execute("SET synchronous_commit = off")
        else:
            raise ValueError(kind)

    def execute(self, sql: str) -> None:
        if self.kind == "duckdb":
            self.con.execute(sql)
        else:
            with self.con.cursor() as cur:
                cur.execute(sql)

    def scalar(self, sql: str) -> Any:
        if self.kind == "duckdb":
            return self.con.execute(sql).fetchone()[0]
        with self.con.cursor() as cur:
            cur.execute(sql)
            return cur.fetchone()[0]

    def rows(self, sql: str) -> List[tuple]:
        if self.kind == "duckdb":
            return self.con.execute(sql).fetchall()
        with self.con.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()

    def columns(self, table: str) -> List[str]:
        return [r[0] for r in self.rows(
            "select column_name from information_schema.columns "
            f"where table_schema = '{self.dataset}' and table_name = '{table}' order by ordinal_position")]

    def count(self, table: str) -> int:
        return int(self.scalar(f'select count(*) from {self.dataset}."{table}"'))

    def close(self) -> None:
        if self.kind == "duckdb":
            self.con.execute("CHECKPOINT")
        else:
            with self.con.cursor() as cur:
                for table in ID_COLUMNS:
                    cur.execute(f'ANALYZE {self.dataset}."{table}"')  # as autovacuum would have by now
        self.con.close()


def seed_table(table: str) -> str:
    return f"s8_seed_{table}"


def copy_sql(wh: Warehouse, table: str, first: int, last: int) -> str:
    """INSERT the copies `first`..`last` of the real rows of `table` (kept in a temporary table)."""
    ids = ID_COLUMNS[table]
    cols = wh.columns(table)
    select = ", ".join(synthetic_id(f'"{c}"', ids[c], "g.i") if c in ids else f'"{c}"' for c in cols)
    col_list = ", ".join(f'"{c}"' for c in cols)
    return (f'INSERT INTO {wh.dataset}."{table}" ({col_list}) SELECT {select} '
            f"FROM {seed_table(table)} AS t CROSS JOIN generate_series({first}, {last}) AS g(i)")


def grow(wh: Warehouse, target_steps: int, log: Callable[[str], None] = print, batch: int = 50) -> Grown:
    """Add copies of the rows the warehouse holds now until `run_steps` holds about `target_steps`."""
    started = time.perf_counter()
    real = wh.count("run_steps")
    if real == 0:
        raise ValueError("the warehouse holds no steps to copy: do a real first load first")
    copies = max(0, round((target_steps - real) / real))
    before = {t: wh.count(t) for t in ID_COLUMNS}
    for table in ID_COLUMNS:  # the real rows, before any copy
        wh.execute(f'CREATE TEMPORARY TABLE {seed_table(table)} AS SELECT * FROM {wh.dataset}."{table}"')
    done = 0
    while done < copies:
        last = min(copies, done + batch)
        for table in ID_COLUMNS:
            wh.execute(copy_sql(wh, table, done + 1, last))
        done = last
        log(f"      history: {done}/{copies} copies, {real * (done + 1):,} steps "
            f"({time.perf_counter() - started:.0f}s)")
    after = {t: wh.count(t) for t in ID_COLUMNS}
    return Grown(copies=copies, steps_before=before["run_steps"], steps_after=after["run_steps"],
                 rows_added={t: after[t] - before[t] for t in ID_COLUMNS}, seconds=time.perf_counter() - started)


def grow_warehouse(kind: str, target: Any, target_steps: int, dataset: str = "assistants",
                   log: Callable[[str], None] = print, batch: Optional[int] = None) -> Grown:
    wh = Warehouse(kind, target, dataset)
    try:
        return grow(wh, target_steps, log, batch or (50 if kind == "duckdb" else 10))
    finally:
        wh.close()


def sizes_label(steps: int) -> str:
    if steps >= 1_000_000:
        return f"{steps / 1_000_000:g}M"
    if steps >= 1000:
        return f"{steps / 1000:g}k"
    return str(steps)


def parse_size(text: str) -> int:
    text = text.strip().lower().replace("_", "")
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if mult > 1 else text) * mult)


def main(argv: Optional[List[str]] = None) -> int:
    """`python -m benchmarks.history duckdb|postgres FILE|DSN STEPS`: grow, print the result as JSON.

    S8 runs it as a child process, so the harness never holds DuckDB's memory (a child forked from
    a large harness would report the harness's resident set as its own peak)."""
    kind, target, steps = (argv or sys.argv[1:])[:3]
    grown = grow_warehouse(kind, target, parse_size(steps), log=lambda line: None)
    print(json.dumps(asdict(grown)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
