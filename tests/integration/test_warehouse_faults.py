"""Warehouse faults stop `runsteps` with one line and a documented exit code, never a traceback;
nothing half-done is committed, and the next run, once the fault is gone, equals a clean load.

Every case runs the real CLI in its own process (as cron does: the user's stderr, not a capture of
this process's) against the emulator over HTTP, into a real DuckDB file or PostgreSQL server.
"""

from __future__ import annotations

import ctypes
import os
import re
import resource
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import duckdb
import pytest

from runsteps.emulator import Emulator
from tests.helpers import TABLE_KEYS, VOLATILE, CliResult, key_env, load_args, snapshot

SEED, THREADS = 23, 8


def run_process(*args: str, env: Optional[Dict[str, str]] = None,
                preexec_fn: Optional[Callable[[], None]] = None, timeout: float = 300) -> CliResult:
    """`runsteps ARGS` in a process of its own, as a user or cron runs it."""
    proc = subprocess.run([sys.executable, "-m", "runsteps.cli", *args], env={**os.environ, **(env or {})},
                          capture_output=True, text=True, preexec_fn=preexec_fn, timeout=timeout)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def assert_one_line(result: CliResult, code: int, *says: str) -> str:
    """Exit `code`, and stderr is exactly one line, no traceback, saying each of `says`."""
    assert result.code == code, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.err, result.err
    for text in says:
        assert text in lines[0], lines[0]
    return lines[0]


def tables_now(db: Path) -> Dict[str, Optional[List[Tuple]]]:
    """Like `snapshot`, for a database a failed run may have left with some tables missing (None)."""
    out: Dict[str, Optional[List[Tuple]]] = {}
    with duckdb.connect(str(db), read_only=True) as con:
        for table, keys in TABLE_KEYS.items():
            cols = [r[0] for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'assistants' "
                "and table_name = ? order by column_name", [table]).fetchall() if r[0] not in VOLATILE]
            select = ", ".join(f'"{c}"::varchar' for c in cols)
            out[table] = con.execute(f'select {select} from assistants."{table}" order by {keys}').fetchall() if cols else None
    return out


def assert_nothing_half_done(db: Path, clean: Dict[str, List[Tuple]]) -> None:
    """Each table holds nothing or all of the load, never part of it."""
    if not db.exists():
        return
    for table, rows in tables_now(db).items():
        assert not rows or rows == clean[table], f"{table} holds {len(rows)} of {len(clean[table])} rows"


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(seed=SEED, threads=THREADS, flavour="openai") as emulator:
        yield emulator


@pytest.fixture(scope="module")
def clean(emu, tmp_path_factory) -> Dict[str, List[Tuple]]:
    """The tables of a load that met no fault (the emulator's world does not change in this module)."""
    db = tmp_path_factory.mktemp("clean") / "clean.duckdb"
    assert run_process(*load_args(emu, db), env=key_env(emu)).code == 0
    result = snapshot(db)
    assert len(result["runs"]) > 50 and len(result["run_steps"]) > 200  # a load worth comparing
    return result


# --- the DuckDB path ----------------------------------------------------------------------------


def _write_text(path: Path) -> None:
    path.write_text("thread_id,team\nthread_a,support\n" * 200)


def _write_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as con:
        con.execute("create table runs (id text primary key)")
        con.execute("insert into runs values ('run_1')")


@pytest.mark.parametrize("make, says", [(_write_text, "is not a DuckDB database"),
                                        (_write_sqlite, "is a SQLite database, not DuckDB")],
                         ids=["text-file", "sqlite-file"])
def test_a_file_that_is_not_duckdb_is_refused_and_left_as_it_was(make, says, emu, clean, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    make(db)
    before = db.read_bytes()
    assert_one_line(run_process(*load_args(emu, db), env=key_env(emu)), 2, says, str(db))
    assert db.read_bytes() == before and not db.with_name(db.name + ".wal").exists()
    # The fix: move the file aside; the same command then loads everything.
    db.rename(tmp_path / "aside")
    assert run_process(*load_args(emu, db), env=key_env(emu)).code == 0
    assert snapshot(db) == clean


def test_a_damaged_duckdb_file_is_refused_in_one_line(emu, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(db)).execute("create table t as select range as x from range(100000)").close()
    with open(db, "r+b") as handle:  # cut short, as a copy interrupted half-way leaves it
        handle.truncate(8000)
    assert_one_line(run_process(*load_args(emu, db), env=key_env(emu)), 2, "is a damaged DuckDB file", str(db))
    assert db.stat().st_size == 8000  # left for the user to restore


def test_a_db_in_a_missing_folder_creates_the_folder_and_loads(emu, clean, tmp_path):
    db = tmp_path / "new" / "deeper" / "warehouse.duckdb"
    assert run_process(*load_args(emu, db), env=key_env(emu)).code == 0
    assert snapshot(db) == clean


def test_a_db_folder_that_cannot_be_created_is_refused(emu, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    db = blocker / "sub" / "warehouse.duckdb"
    assert_one_line(run_process(*load_args(emu, db), env=key_env(emu)), 2, "cannot create the folder of --db", "Not a directory")
    assert blocker.read_text() == "not a folder"


def _without_root_override() -> Callable[[], None]:
    """A preexec_fn under which folder permissions apply, even to root: root ignores them through
    CAP_DAC_OVERRIDE, dropped here from the bounding set (gone after exec)."""
    if os.geteuid() != 0:
        return lambda: None
    libc = ctypes.CDLL(None, use_errno=True)
    PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2

    def drop() -> None:
        for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
            if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                os._exit(97)  # cannot drop: the test skips
    return drop


def _read_only(folder: Path) -> None:
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)


@pytest.mark.parametrize("layout", ["new-db-and-dlt-folder", "new-db-dlt-folder-elsewhere", "existing-db"])
def test_a_read_only_folder_is_refused_and_the_next_run_completes(layout, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "warehouse.duckdb"
    with Emulator(seed=SEED, threads=THREADS, flavour="openai") as emu:
        env = key_env(emu)
        args = load_args(emu, db)
        if layout == "new-db-dlt-folder-elsewhere":
            args += ["--pipelines-dir", str(tmp_path / "dlt")]
        if layout == "existing-db":
            assert run_process(*args, env=env).code == 0
            emu.advance(6 * 3600)  # new runs, and open runs that end: the next load has work to commit
        before = tables_now(db) if db.exists() else None
        _read_only(folder)
        try:
            result = run_process(*args, env=env, preexec_fn=_without_root_override())
            if result.code == 97:
                pytest.skip("cannot drop CAP_DAC_OVERRIDE here, so a read-only folder is writable to root")
        finally:
            folder.chmod(0o755)
        line = assert_one_line(result, 2, "Permission denied", str(folder))
        assert "choose another" in line or "make" in line  # names the fix
        assert (tables_now(db) if db.exists() else None) == before
        assert run_process(*args, env=env).code == 0
        clean_db = tmp_path / "clean.duckdb"
        assert run_process(*load_args(emu, clean_db), env=env).code == 0
    assert snapshot(db) == snapshot(clean_db)


def _file_size_limit(limit: int) -> Callable[[], None]:
    """A preexec_fn for a process whose files cannot grow past `limit` bytes: writes then fail with
    EFBIG ("File too large"), as they fail with ENOSPC on a full disk (SIGXFSZ ignored, or it would
    kill the process instead)."""
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


# Where the disk fills up, by the file-size limit (measured on this world: dlt's largest file ~80 kB,
# the WAL ~2 MB, the database ~4.5 MB): each case says where in its one line, which proves it hit
# the write it is named after.
DISK_FULL = {
    "while-creating-the-database": (8_000, "warehouse.duckdb ("),
    "in-dlt-working-folder": (40_000, "dlt's working folder"),
    "in-the-wal-during-the-load": (500_000, "warehouse.duckdb.wal"),
    "at-the-final-checkpoint": (3_000_000, "warehouse.duckdb ("),
}


@pytest.mark.parametrize("where", DISK_FULL)
def test_a_full_disk_stops_with_code_6_and_the_next_run_completes(where, emu, clean, tmp_path):
    limit, says = DISK_FULL[where]
    db = tmp_path / "warehouse.duckdb"
    result = run_process(*load_args(emu, db), env=key_env(emu), preexec_fn=_file_size_limit(limit))
    assert_one_line(result, 6, "the disk is full", says, "File too large", "rerun")
    assert_nothing_half_done(db, clean)
    assert run_process(*load_args(emu, db), env=key_env(emu)).code == 0
    assert snapshot(db) == clean


# --- PostgreSQL ---------------------------------------------------------------------------------


def _pg_tables(dsn: str, dataset: str) -> Dict[str, Optional[List[Tuple]]]:
    """`snapshot` for a PostgreSQL dataset; None for a table that does not exist."""
    import psycopg2

    out: Dict[str, Optional[List[Tuple]]] = {}
    with psycopg2.connect(dsn) as con, con.cursor() as cur:
        for table, keys in TABLE_KEYS.items():
            cur.execute("select column_name from information_schema.columns where table_schema = %s "
                        "and table_name = %s order by 1", (dataset, table))
            cols = ", ".join(f'"{c}"::text' for (c,) in cur.fetchall() if c not in VOLATILE)
            if cols:
                cur.execute(f'select {cols} from "{dataset}"."{table}" order by {keys}')
            out[table] = cur.fetchall() if cols else None
    return out


@pytest.fixture
def pg(postgres_dsn) -> Iterator[Callable[[str], str]]:
    """Unique dataset names on the shared server, dropped (with their staging schemas) afterwards."""
    import psycopg2

    made: List[str] = []

    def name(label: str) -> str:
        made.append(f"warehouse_faults_{label}_{uuid.uuid4().hex[:8]}")
        return made[-1]

    yield name
    with psycopg2.connect(postgres_dsn) as con, con.cursor() as cur:
        for dataset in made:
            cur.execute("select nspname from pg_namespace where nspname like %s", (dataset + "%",))
            for (schema,) in cur.fetchall():
                cur.execute(f'drop schema "{schema}" cascade')


def _pg_load(emu: Emulator, dsn: str, dataset: str, work: Path, *extra: str) -> CliResult:
    args = load_args(emu, work / "unused.duckdb", "--destination", "postgres", "--dataset", dataset, *extra)
    return run_process(*args, env={**key_env(emu), "DESTINATION__POSTGRES__CREDENTIALS": dsn})


def _with(dsn: str, *, password: Optional[str] = None, port: Optional[int] = None) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(dsn)
    user = parts.username or ""
    netloc = f"{user}:{password if password is not None else parts.password}@{parts.hostname}:{port or parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.postgres
def test_postgres_unreachable_exits_6_and_the_next_run_completes(postgres_dsn, pg, emu, tmp_path):
    dataset, clean_dataset = pg("down"), pg("clean")
    work = tmp_path / "work"
    result = _pg_load(emu, _with(postgres_dsn, port=_free_port()), dataset, work)
    assert_one_line(result, 6, "cannot reach the warehouse", "Connection refused", "rerun")
    assert _pg_load(emu, postgres_dsn, dataset, work).code == 0
    assert _pg_load(emu, postgres_dsn, clean_dataset, tmp_path / "clean").code == 0
    assert _pg_tables(postgres_dsn, dataset) == _pg_tables(postgres_dsn, clean_dataset)


@pytest.mark.postgres
def test_postgres_wrong_password_exits_2_without_the_password(postgres_dsn, pg, emu, tmp_path):
    dataset, clean_dataset = pg("auth"), pg("clean")
    work = tmp_path / "work"
    result = _pg_load(emu, _with(postgres_dsn, password="not-the-Secret-42"), dataset, work)
    assert_one_line(result, 2, "password authentication failed", "DESTINATION__POSTGRES__CREDENTIALS")
    assert "not-the-Secret-42" not in result.err + result.out
    assert _pg_load(emu, postgres_dsn, dataset, work).code == 0
    assert _pg_load(emu, postgres_dsn, clean_dataset, tmp_path / "clean").code == 0
    assert _pg_tables(postgres_dsn, dataset) == _pg_tables(postgres_dsn, clean_dataset)


def test_postgres_without_credentials_exits_2_naming_the_setting(emu, tmp_path):
    args = load_args(emu, tmp_path / "unused.duckdb", "--destination", "postgres", "--dataset", "never_made")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESTINATION__")}
    proc = subprocess.run([sys.executable, "-m", "runsteps.cli", *args], env={**env, **key_env(emu)},
                          capture_output=True, text=True, timeout=300)
    assert_one_line(CliResult(proc.returncode, proc.stdout, proc.stderr), 2,
                    "no credentials for the postgres destination", "DESTINATION__POSTGRES__CREDENTIALS")


def _shut(*socks: socket.socket) -> None:
    for sock in socks:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class CuttingProxy:
    """A TCP proxy to the PostgreSQL server that, once the client has sent `cut_after` bytes, drops
    every connection and refuses new ones: the server going away in the middle of a load."""

    def __init__(self, upstream: Tuple[str, int], cut_after: Optional[int] = None) -> None:
        self.upstream, self.cut_after = upstream, cut_after
        self.sent = 0
        self.cut = threading.Event()
        self._lock = threading.Lock()
        self._sockets: List[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.cut.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            with self._lock:
                self._sockets += [client, server]
            self._start_pumps(client, server)

    def _start_pumps(self, client: socket.socket, server: socket.socket) -> None:
        threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
        threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, counts: bool) -> None:
        try:
            while not self.cut.is_set():
                data = source.recv(65536)
                if not data:
                    break
                if counts:
                    with self._lock:
                        self.sent += len(data)
                    if self.cut_after is not None and self.sent > self.cut_after:
                        self.close()
                        return
                target.sendall(data)
        except OSError:
            pass
        finally:
            _shut(source, target)

    def close(self) -> None:
        self.cut.set()
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                    sock.close()
                except OSError:
                    pass


@pytest.mark.postgres
def test_postgres_going_away_mid_load_exits_6_commits_nothing_half_done_and_the_next_run_completes(
        postgres_dsn, pg, emu, tmp_path):
    from urllib.parse import urlsplit

    server = urlsplit(postgres_dsn)
    dataset, clean_dataset = pg("cut"), pg("clean")
    # A clean load through an uncut proxy measures how much a whole load sends.
    measuring = CuttingProxy((server.hostname, server.port))
    assert _pg_load(emu, _with(postgres_dsn, port=measuring.port), clean_dataset, tmp_path / "clean").code == 0
    measuring.close()
    clean = _pg_tables(postgres_dsn, clean_dataset)
    # The same load, cut when half of it has been sent: the rows are on their way.
    cutting = CuttingProxy((server.hostname, server.port), cut_after=measuring.sent // 2)
    work = tmp_path / "work"
    result = _pg_load(emu, _with(postgres_dsn, port=cutting.port), dataset, work)
    cutting.close()
    assert cutting.cut.is_set()
    assert_one_line(result, 6, "cannot reach the warehouse", "rerun")
    for table, rows in _pg_tables(postgres_dsn, dataset).items():  # nothing, or all of the load
        assert not rows or rows == clean[table], f"{table} holds {len(rows)} of {len(clean[table] or [])} rows"
    assert _pg_load(emu, postgres_dsn, dataset, work).code == 0
    assert _pg_tables(postgres_dsn, dataset) == clean


class LostCommitProxy(CuttingProxy):
    """A proxy that lets the server commit the transaction that wrote `table`, and loses the answer:
    the connection breaks after the COMMIT reached the server and before the client heard back, as
    when a network or a pooler fails at that moment. With `server_goes_away`, every other connection
    is cut then too and new ones are refused (the server going away); else the others go on."""

    def __init__(self, upstream: Tuple[str, int], table: str, server_goes_away: bool) -> None:
        super().__init__(upstream)
        # The statement that writes the table's rows (not a schema update that names it).
        self.writes = re.compile(rb'(?:INSERT INTO|COPY) (?:"[^"]+"\.)?"' + re.escape(table.encode()) + rb'"', re.I)
        self.server_goes_away = server_goes_away
        self.lost = threading.Event()

    def _start_pumps(self, client: socket.socket, server: socket.socket) -> None:
        broken = threading.Event()  # this connection's answers are no longer passed on
        threading.Thread(target=self._to_server, args=(client, server, broken), daemon=True).start()
        threading.Thread(target=self._to_client, args=(server, client, broken), daemon=True).start()

    def _to_server(self, client: socket.socket, server: socket.socket, broken: threading.Event) -> None:
        in_transaction = wrote = False
        try:
            while not (self.cut.is_set() or broken.is_set()):
                data = client.recv(65536)
                if not data:
                    break
                in_transaction = (in_transaction or data.startswith(b"Q") and b"BEGIN" in data[:16]) and not (
                    data.startswith(b"Q") and b"COMMIT" in data[:16])
                wrote = wrote or bool(self.writes.search(data))
                # The commit: the COMMIT after the write, or the write itself outside a transaction.
                if wrote and not in_transaction and not self.lost.is_set():
                    self.lost.set()
                    # Set before the commit goes: its answer (and, when the server goes away, every
                    # other connection's traffic) is never passed on.
                    (self.cut if self.server_goes_away else broken).set()
                    server.sendall(data)
                    time.sleep(0.3)  # the server commits
                    if self.server_goes_away:
                        self.close()
                    break
                if self.cut.is_set():
                    break
                server.sendall(data)
        except OSError:
            pass
        finally:
            _shut(client, server)

    def _to_client(self, server: socket.socket, client: socket.socket, broken: threading.Event) -> None:
        try:
            while not self.cut.is_set():
                data = server.recv(65536)
                if not data or broken.is_set() or self.cut.is_set():
                    break
                client.sendall(data)
        except OSError:
            pass
        finally:
            _shut(client, server)


# dlt's state row (one per load, under a UNIQUE _dlt_id), the load's record, and a merged table's
# staging rows: a job whose commit answer is lost runs again, and its rows are already there.
LOST_COMMITS = ["_dlt_pipeline_state", "_dlt_loads", "run_steps"]


@pytest.mark.postgres
@pytest.mark.parametrize("server_goes_away", [False, True], ids=["server-stays-up", "server-goes-away"])
@pytest.mark.parametrize("table", LOST_COMMITS)
def test_a_commit_whose_answer_is_lost_is_loaded_once_and_never_blocks_the_next_loads(
        table, server_goes_away, postgres_dsn, pg, emu, tmp_path):
    from urllib.parse import urlsplit

    server = urlsplit(postgres_dsn)
    dataset, clean_dataset = pg("lost"), pg("clean")
    assert _pg_load(emu, postgres_dsn, clean_dataset, tmp_path / "clean").code == 0
    clean = _pg_tables(postgres_dsn, clean_dataset)
    work = tmp_path / "work"
    proxy = LostCommitProxy((server.hostname, server.port), table, server_goes_away)
    result = _pg_load(emu, _with(postgres_dsn, port=proxy.port), dataset, work)
    proxy.close()
    assert proxy.lost.is_set(), f"no transaction wrote {table}"
    if server_goes_away:  # exit 6, and the next run completes the load
        assert_one_line(result, 6, "cannot reach the warehouse", "rerun")
        result = _pg_load(emu, postgres_dsn, dataset, work)
    # With the server up, the same load retries and finishes.
    assert result.code == 0, result.err
    assert _pg_tables(postgres_dsn, dataset) == clean
    _assert_one_state_row_per_recorded_load(postgres_dsn, dataset)
    # The next load has nothing pending and nothing to fail on.
    rerun = _pg_load(emu, postgres_dsn, dataset, work)
    assert rerun.code == 0, rerun.err
    assert _pg_tables(postgres_dsn, dataset) == clean


def _assert_one_state_row_per_recorded_load(dsn: str, dataset: str) -> None:
    """dlt writes a state row with a load when the state changed: never two, never for a load that
    `_dlt_loads` does not record as done."""
    rows = _pg_state_rows(dsn, dataset)
    assert rows and len(rows) == len(set(rows)), rows
    assert set(rows) <= set(_pg_loads(dsn, dataset))


def _pg_state_rows(dsn: str, dataset: str) -> List[str]:
    """The load ids of the dataset's dlt state rows, one per row (a repeated row shows twice)."""
    import psycopg2

    with psycopg2.connect(dsn) as con, con.cursor() as cur:
        cur.execute(f'select _dlt_load_id from "{dataset}"."_dlt_pipeline_state" order by 1')
        return [row[0] for row in cur.fetchall()]


def _pg_loads(dsn: str, dataset: str) -> List[str]:
    """The load ids `_dlt_loads` records as done, once each."""
    import psycopg2

    with psycopg2.connect(dsn) as con, con.cursor() as cur:
        cur.execute(f'select distinct load_id from "{dataset}"."_dlt_loads" where status = 0 order by 1')
        return [row[0] for row in cur.fetchall()]


@pytest.mark.postgres
def test_rows_the_warehouse_refuses_stop_with_one_line_naming_the_table_until_it_is_fixed(
        postgres_dsn, pg, emu, tmp_path):
    import psycopg2

    dataset, clean_dataset = pg("refused"), pg("clean")
    assert _pg_load(emu, postgres_dsn, clean_dataset, tmp_path / "clean").code == 0
    clean = _pg_tables(postgres_dsn, clean_dataset)
    # A DBA's constraint that no run of this world meets: dlt adds the other columns, the merge is refused.
    with psycopg2.connect(postgres_dsn) as con, con.cursor() as cur:
        cur.execute(f'create schema "{dataset}"')
        cur.execute(f'create table "{dataset}"."runs" (id varchar constraint only_old_runs check (id < \'run_\'))')
    work = tmp_path / "work"
    for _ in range(2):  # the package stays pending: every load stops the same way until it is fixed
        result = _pg_load(emu, postgres_dsn, dataset, work)
        assert_one_line(result, 2, "the warehouse refused the rows of runs", "only_old_runs", "rerun")
    assert not _pg_tables(postgres_dsn, dataset)["runs"]
    with psycopg2.connect(postgres_dsn) as con, con.cursor() as cur:
        cur.execute(f'alter table "{dataset}"."runs" drop constraint only_old_runs')
    rerun = _pg_load(emu, postgres_dsn, dataset, work)
    assert rerun.code == 0, rerun.err
    assert _pg_tables(postgres_dsn, dataset) == clean


def test_an_archive_load_whose_temporary_folder_fills_up_names_it_and_the_next_run_completes(emu, tmp_path):
    from runsteps.emulator import export_world

    export_world(emu.world, tmp_path / "json")
    args = ("load", "--from-export", str(tmp_path / "json"), "--progress", "none")
    clean_db, db = tmp_path / "clean.duckdb", tmp_path / "warehouse.duckdb"
    assert run_process(*args, "--db", str(clean_db)).code == 0
    clean = snapshot(clean_db)
    # The staged rows (written while the files are read, up to ~100 kB per file in this world) reach
    # the limit before dlt writes its files of the winners or the database grows (measured); the
    # line says which write failed, so the test knows it hit the one it is named after.
    result = run_process(*args, "--db", str(db), env={"TMPDIR": str(tmp_path)}, preexec_fn=_file_size_limit(40_000))
    line = assert_one_line(result, 6, "the disk is full", "temporary folder", str(tmp_path), "TMPDIR", "rerun")
    assert "dlt's working folder" not in line
    assert_nothing_half_done(db, clean)
    assert run_process(*args, "--db", str(db)).code == 0
    assert snapshot(db) == clean
