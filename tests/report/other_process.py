"""Another process on the same DuckDB file, as the nightly load or a second reader would be.

DuckDB's file lock is per process (inside one process, connections share one database instance),
so whether a reader blocks a writer can only be seen from a separate process. `Writer` keeps one
child running and, on each `write()`, has it open the file read-write, write, and close it again,
answering "ok" or DuckDB's error. `holding()` keeps the file open in a child for a block.
"""

from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

_CHILD = r"""
import sys
import duckdb

db, mode = sys.argv[1], sys.argv[2]
if mode == "write":
    # One line in, one answer out: open read-write, write, close.
    for attempt, _ in enumerate(sys.stdin, start=1):
        try:
            con = duckdb.connect(db)
            con.execute("create or replace table main.written_by_another_process as select ? as attempt", [attempt])
            con.close()
            print("ok", flush=True)
        except duckdb.Error as error:
            print("error: " + " ".join(str(error).split()), flush=True)
else:
    # Hold the file open (read-only or read-write) until stdin closes.
    con = duckdb.connect(db, read_only=mode == "hold-read-only")
    con.execute("select 1").fetchall()
    print("open", flush=True)
    sys.stdin.read()
    con.close()
"""


class Writer:
    """A child process that writes the DuckDB file when asked."""

    def __init__(self, db: Path) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", _CHILD, str(db), "write"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        self.answers: list[str] = []

    def write(self) -> str:
        """Has the child open the file read-write, write a table and close it; "ok" or the error."""
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline().strip() or f"no answer (exit code {self.process.poll()})"
        self.answers.append(answer)
        return answer

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=30)

    def __enter__(self) -> "Writer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def holding(db: Path, read_only: bool) -> Iterator[None]:
    """Another process has the file open (read-only or read-write) for the block."""
    mode = "hold-read-only" if read_only else "hold-read-write"
    process = subprocess.Popen([sys.executable, "-c", _CHILD, str(db), mode], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout and process.stdout.readline().strip() == "open", "the other process could not open it"
        yield
    finally:
        if process.stdin:
            process.stdin.close()
        process.wait(timeout=30)
