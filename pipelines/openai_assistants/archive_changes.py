"""Which files of an archive a load opens, for either source: the archive's listing compared with the
files earlier loads read (`archive_files`, or the Responses source's `responses_archive_files`, copied
into the scratch database as `prior_files` by `archive_state.copy_prior`).

A file whose size and mtime match its row is not opened; one whose mtime alone moved is hashed, and
skipped when its bytes are the same; any other file (new, or another size) is read. A file that
cannot be read as an archive file (another suffix, a broken zip, a zip path escaping its folder) is
reported the first time it is listed, then recorded so that it is not reported again. The listing
lives in the scratch DuckDB, not in Python, so memory does not grow with the number of files.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Iterator, List, NamedTuple, Optional, Tuple

import pyarrow as pa

from .archive_files import ArchiveFile, Skipped, list_archive

_LISTING = pa.schema([("path", pa.string()), ("size", pa.int64()), ("mtime", pa.float64()), ("fmt", pa.string()),
                      ("gzipped", pa.bool_()), ("location", pa.string()), ("member", pa.string())])
PAGE_ROWS = 20_000


class Prior(NamedTuple):
    """What an earlier load recorded of a file of the same size."""

    sha256: str
    objects: int
    problems: int


def list_into(con: Any, root: Path) -> bool:
    """Fill the table `listing` of `con` with every file of the archive at `root` (a skipped file with
    `fmt` null and its reason in `member`); returns whether the archive holds any file at all."""
    empty = _LISTING.empty_table()  # noqa: F841 (read by DuckDB by name)
    con.execute("CREATE OR REPLACE TABLE listing AS SELECT * FROM empty")
    rows: List[Tuple[Any, ...]] = []
    seen_any = False
    for item in list_archive(root):
        seen_any = True
        if isinstance(item, Skipped):
            rows.append((item.path, None, None, None, None, None, item.reason))
        else:
            rows.append((item.path, item.size, item.mtime, item.fmt, item.gzipped, item.location, item.member))
        if len(rows) >= PAGE_ROWS:
            _insert(con, rows)
            rows = []
    _insert(con, rows)
    return seen_any


def _insert(con: Any, rows: List[Tuple[Any, ...]]) -> None:
    if rows:
        batch = pa.Table.from_arrays([pa.array(column, field.type) for column, field in zip(zip(*rows), _LISTING)],  # noqa: F841
                                     schema=_LISTING)
        con.execute("INSERT INTO listing SELECT * FROM batch")


def new_skipped(con: Any) -> List[Tuple[str, str]]:
    """(path, reason) of the files not read that no earlier load recorded."""
    return con.execute("""
        SELECT path, member FROM listing l WHERE fmt IS NULL
        AND NOT EXISTS (SELECT 1 FROM prior_files p WHERE p.path = l.path) ORDER BY path""").fetchall()


def readable_count(con: Any) -> int:
    """Files of the listing that can be read."""
    return int(con.execute("SELECT count(*) FROM listing WHERE fmt IS NOT NULL").fetchall()[0][0])


_CANDIDATES = """
        SELECT l.*, CASE WHEN p.size IS NOT DISTINCT FROM l.size THEN p.sha256 END AS prior_sha,
               p.objects AS prior_objects, p.problems AS prior_problems
        FROM listing l LEFT JOIN prior_files p USING (path)
        WHERE l.fmt IS NOT NULL AND (p.path IS NULL OR p.size IS DISTINCT FROM l.size OR p.mtime IS DISTINCT FROM l.mtime)"""


def candidate_count(con: Any) -> int:
    """How many files `candidates` will give (for the progress line)."""
    return int(con.execute(f"SELECT count(*) FROM ({_CANDIDATES})").fetchall()[0][0])


def candidates(con: Any) -> Iterator[Tuple[ArchiveFile, Prior]]:
    """(file, what was recorded of it when only its mtime moved, else None) of every readable file
    not known with this size and mtime, by path."""
    yield from _files(con, "candidates", _CANDIDATES)


def keep_fresh(con: Any, same: List[str]) -> int:
    """After `candidates`: the table `fresh` (`path`) of the candidates read, all but the files `same`
    whose bytes were found unchanged (few, so passed from Python); returns how many."""
    con.register("same_bytes", pa.table({"path": pa.array(same, pa.string())}))
    con.execute("CREATE OR REPLACE TABLE fresh AS SELECT path FROM candidates "
                "WHERE path NOT IN (SELECT path FROM same_bytes)")
    con.unregister("same_bytes")
    return int(con.execute("SELECT count(*) FROM fresh").fetchall()[0][0])


def add_held_before(con: Any, touched: str) -> None:
    """Add to the table `touched` (`kind`, `owner`) the units an earlier load found copies of in a file
    read again as fresh (`keep_fresh`), kept also as the table `held_before`: the changed file may no
    longer hold them, and their best copy left may be in another file (`located` finds it)."""
    con.execute(f"""
        CREATE OR REPLACE TABLE held_before AS
        SELECT DISTINCT kind, owner FROM prior_locations WHERE path IN (SELECT path FROM fresh)
        EXCEPT SELECT kind, owner FROM {touched}""")
    con.execute(f"INSERT INTO {touched} SELECT kind, owner FROM held_before")


def located(con: Any, touched: str) -> Iterator[ArchiveFile]:
    """The files still listed that earlier loads found copies of the owners in table `touched`
    (`kind`, `owner`) in, except the fresh ones (`keep_fresh`), by path."""
    for file, _ in _files(con, "again", f"""
            SELECT DISTINCT l.*, NULL AS prior_sha, NULL AS prior_objects, NULL AS prior_problems
            FROM prior_locations p JOIN {touched} t USING (kind, owner)
            JOIN listing l USING (path)
            WHERE l.fmt IS NOT NULL AND p.path NOT IN (SELECT path FROM fresh)"""):
        yield file


def _files(con: Any, table: str, sql: str) -> Iterator[Tuple[ArchiveFile, Optional[Prior]]]:
    # Kept in a table and read by pages of its row number, so that no query stays open (pinning its
    # result in the scratch database's memory) while the files it lists are read and staged.
    con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT row_number() OVER (ORDER BY path) AS page_row, * FROM ({sql})")
    total = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    for start in range(0, total, PAGE_ROWS):
        page = con.sql(f"SELECT * EXCLUDE (page_row) FROM {table} WHERE page_row > {int(start)} "
                       f"AND page_row <= {int(start + PAGE_ROWS)} ORDER BY page_row").to_arrow_table()
        c = page.to_pydict()  # columns, zipped: a dict per row cost a third of a second at 66k files
        for path, size, mtime, fmt, gz, location, member, sha, objects, problems in zip(
                c["path"], c["size"], c["mtime"], c["fmt"], c["gzipped"], c["location"], c["member"],
                c["prior_sha"], c["prior_objects"], c["prior_problems"]):
            yield ArchiveFile(path, size, mtime, fmt, gz, location, member), \
                (Prior(sha, objects or 0, problems or 0) if sha else None)


def same_bytes(file: ArchiveFile, sha256: str) -> bool:
    """Whether the file's stored bytes hash to `sha256` (False when it cannot be read)."""
    digest = hashlib.sha256()
    try:
        with file.opener() as raw:
            while chunk := raw.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return False
    return digest.hexdigest() == sha256
