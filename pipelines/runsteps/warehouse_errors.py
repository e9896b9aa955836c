"""Warehouse-side faults, told in one line: what happened, where, and what to do.

dlt wraps a driver's error in its own (PipelineStepFailed around DestinationConnectionError,
DatabaseTransientException, LoadClientJobFailed, ...), each with a page of text. The driver's
error at the bottom of that chain says what really happened; `classify_warehouse_error` walks the
chain, finds it, and returns one of the typed errors below, or None when the error is not a
warehouse fault it knows (then it is a bug, and the traceback is the right output).

The classes say what kind of fault it is, not how `runsteps` exits: that mapping lives in
`exit_codes.py`. Messages never contain credentials: only the driver's first line, which names the
host, user or file but never a password.
"""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass
from typing import Callable, Iterator, List, Optional

from sourcekit.errors import ConfigError, RunstepsError


class WarehouseError(RunstepsError):
    """A fault on the warehouse side (the database, its server, or the disk under it)."""


class WarehouseBusyError(WarehouseError):
    """Another process holds the DuckDB file (a notebook, the duckdb CLI, another load)."""

    def __init__(self, message: str, *, path: Optional[str] = None, program: Optional[str] = None,
                 pid: Optional[int] = None) -> None:
        super().__init__(message)
        self.path, self.program, self.pid = path, program, pid


class WarehouseConfigError(WarehouseError, ConfigError):
    """Something only the user can fix in the warehouse settings; retrying as is will fail again."""


class WarehouseCredentialsError(WarehouseConfigError):
    """Missing or wrong credentials, an unknown database or role, missing privileges."""


class WarehousePathError(WarehouseConfigError):
    """A DuckDB path that cannot be used: not a DuckDB file, or a folder or file that is not writable."""


class WarehouseRefusedError(WarehouseConfigError):
    """The warehouse refused a load job's rows (a constraint, a column changed by hand, a type it
    cannot hold): the package stays pending, and every load stops here until the table is fixed."""


class WarehouseFailedError(WarehouseError):
    """The warehouse failed under us: the same command should work once it is back."""


class WarehouseUnreachableError(WarehouseFailedError):
    """The database server cannot be reached, or dropped the connection."""


class DiskFullError(WarehouseFailedError):
    """No space left (or a file-size limit) while writing the database or dlt's working files."""


# Said in the line of every fault that passes by itself: a failed load leaves its package (rows and
# cursor state together) pending in dlt's working folder, and the next run loads it first.
RERUN = "nothing half-done was committed; rerun once fixed and it completes the load"

# The first line of a DuckDB lock conflict names the holder: `... Conflicting lock is held in
# /usr/bin/python3.11 (PID 4242) by user ann. ...` (the "by user" part is absent on some builds).
_DUCKDB_LOCK = re.compile(r'Could not set lock on file "(?P<path>[^"]+)": Conflicting lock is held in '
                          r"(?P<program>.+?) \(PID (?P<pid>\d+)\)")
_DUCKDB_NOT_A_DB = re.compile(r'The file "(?P<path>[^"]+)" exists, but it is not a valid DuckDB database file')
_DUCKDB_SHORT = re.compile(r'Could not read enough bytes from file "(?P<path>[^"]+)"')
_DUCKDB_VERSION = re.compile(r"database file with version number \d+, but we can only read version")
_DUCKDB_CANNOT_OPEN = re.compile(r'Cannot open (?:database |file )"(?P<path>[^"]+)"[^:]*: (?P<why>[^\n]+)')
_DUCKDB_WRITE = re.compile(r'(?:write|extend|open|create) (?:to )?file "(?P<path>[^"]+)"')
_SAME_PROCESS = "Can't open a connection to same database file with a different configuration"

_DISK_FULL = re.compile(r"No space left on device|File too large|Disk quota exceeded|could not extend file|"
                        r"out of disk space", re.IGNORECASE)
_DISK_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
_PERMISSION = re.compile(r"Permission denied|Read-only file system|Operation not permitted", re.IGNORECASE)
_PERMISSION_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS}
_NO_FOLDER = re.compile(r"No such file or directory|Not a directory", re.IGNORECASE)

# PostgreSQL (and most servers): refusals that a person must fix...
_CREDENTIALS = re.compile(r"password authentication failed|authentication failed|no password supplied|"
                          r"password is required|no pg_hba\.conf entry|role \"[^\"]+\" does not exist|"
                          r"database \"[^\"]+\" does not exist|permission denied for|must be owner of",
                          re.IGNORECASE)
# ...and failures of the server or the network, which pass by themselves.
_UNREACHABLE = re.compile(r"Connection refused|could not translate host name|Name or service not known|"
                          r"timeout expired|timed out|Network is unreachable|No route to host|"
                          r"server closed the connection unexpectedly|terminating connection|"
                          r"the database system is (?:starting up|shutting down|in recovery mode|not accepting)|"
                          r"connection already closed|could not receive data from server|"
                          r"could not send data to server|Connection reset by peer|SSL SYSCALL error|"
                          r"server conn crashed|too many (?:connections|clients)|remaining connection slots",
                          re.IGNORECASE)
# SQLSTATE classes (psycopg's `pgcode`): 28 authorization, 3D unknown database, 42501 privileges;
# 08 connection, 53 resources (53100 disk full), 57 operator intervention (shutdown, crash).
_PG_CONFIG_CODES = ("28", "3D", "42501")
_PG_FAILED_CODES = ("08", "53", "57")

# Modules whose exceptions come from the warehouse side: drivers and dlt's destination layer.
_DRIVER_MODULES = ("_duckdb", "duckdb", "psycopg", "psycopg2", "pyodbc", "snowflake", "google.api_core",
                   "dlt.destinations", "dlt.common.destination", "dlt.load")


def chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and every exception it wraps: causes, contexts, and dlt's own `exception` attributes."""
    seen = set()
    todo: List[BaseException] = [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for linked in (current.__cause__, current.__context__, getattr(current, "exception", None),
                       getattr(current, "client_exception", None)):
            if isinstance(linked, BaseException):
                todo.append(linked)


@dataclass(frozen=True)
class _Seen:
    """One exception of the chain, with what the rules look at."""

    exc: BaseException
    text: str        # its whole message (dlt's LoadClientJobFailed keeps only the driver's text)
    warehouse: bool  # raised by a driver or dlt's destination layer, or a failed sync/load step


def _seen(exc: BaseException) -> List[_Seen]:
    out = []
    for item in chain(exc):
        module = type(item).__module__ or ""
        step = getattr(item, "step", None)
        warehouse = module.startswith(_DRIVER_MODULES) or step in ("sync", "load")
        out.append(_Seen(item, str(getattr(item, "failed_message", None) or item), warehouse))
    # A step failure marks its whole chain as the warehouse's (dlt does not always chain the driver).
    if any(s.warehouse and getattr(s.exc, "step", None) for s in out):
        out = [_Seen(s.exc, s.text, True) for s in out]
    # Deepest first: the driver's own error says it best; dlt's wrappers repeat it with boilerplate.
    return out[::-1]


def _line_with(text: str, pattern: re.Pattern) -> str:
    for line in text.splitlines():
        if pattern.search(line):
            return line.strip()
    return text.strip().splitlines()[0].strip() if text.strip() else ""


def duckdb_lock_conflict(exc: BaseException, waited: float = 0.0) -> Optional[WarehouseBusyError]:
    """The busy error for a DuckDB "Conflicting lock" error (another process holds the file), else None."""
    match = _DUCKDB_LOCK.search(str(exc))
    return busy_error(match["path"], match["program"], int(match["pid"]), waited) if match else None


def _busy(seen: List[_Seen]) -> Optional[RunstepsError]:
    for s in seen:
        conflict = duckdb_lock_conflict(s.exc)
        if conflict is not None:
            return conflict
        if _SAME_PROCESS in s.text:
            return WarehouseBusyError(
                "this process already has the DuckDB file open with other settings (read-only, most "
                "likely): close that connection before running runsteps in the same process")
    return None


def busy_error(path: str, program: Optional[str], pid: Optional[int], waited: float = 0.0) -> WarehouseBusyError:
    """The one line for a DuckDB file another process holds: who holds it and what to do."""
    holder = f"{program} (PID {pid})" if pid else "another process"
    still = f" (still, after waiting {waited:.0f}s)" if waited >= 1 else ""
    wait = "a longer --wait SECONDS" if waited >= 1 else "--wait SECONDS to wait for it"
    return WarehouseBusyError(
        f"cannot open the DuckDB file {path}: it is held by {holder}{still}, and DuckDB lets a process write "
        f"only while no other process has the file open; close it there (a notebook, the duckdb CLI, another "
        f"load), or pass {wait}",
        path=path, program=program, pid=pid)


def _errno(exc: BaseException) -> Optional[int]:
    return exc.errno if isinstance(exc, OSError) else None


def _working_folder(seen: List[_Seen]) -> Optional[str]:
    """dlt's working folder, when the failure happened in a step that only writes there."""
    for s in seen:
        pipeline = getattr(s.exc, "pipeline", None)
        if getattr(s.exc, "step", None) in ("extract", "normalize") and pipeline is not None:
            return f"dlt's working folder {getattr(pipeline, 'working_dir', '')}".rstrip()
    return None


def _disk_full(seen: List[_Seen]) -> Optional[RunstepsError]:
    full = [s for s in seen if _errno(s.exc) in _DISK_ERRNOS or _DISK_FULL.search(s.text)
            or (getattr(s.exc, "pgcode", None) or "") == "53100"]
    # The file named by any error of the chain (dlt's wrapper repeats the text, not the file name).
    named = next((s.exc.filename for s in full if getattr(s.exc, "filename", None)), None)
    if not full:
        return None
    s = full[0]
    match = _DUCKDB_WRITE.search(s.text)
    where = named or (match["path"] if match else None) or _working_folder(seen)
    found = _DISK_FULL.search(s.text)
    reason = (s.exc.strerror if isinstance(s.exc, OSError) and s.exc.strerror
              else found.group(0) if found else "disk full")
    return DiskFullError(f"the disk is full{f' writing {where}' if where else ''} ({reason}); free some space: {RERUN}")


def _duckdb_file(seen: List[_Seen]) -> Optional[RunstepsError]:
    for s in seen:
        match = _DUCKDB_NOT_A_DB.search(s.text)
        if match:
            return WarehousePathError(
                f"{match['path']} exists but is not a DuckDB database; point --db at a DuckDB file or at a "
                f"new path (runsteps creates it)")
        match = _DUCKDB_SHORT.search(s.text)
        if match:
            return WarehousePathError(
                f"{match['path']} is a damaged DuckDB file (shorter than its own header says); restore it from a "
                f"backup, or move it aside and rerun to load everything into a new one")
        if _DUCKDB_VERSION.search(s.text):
            return WarehousePathError(
                f"the DuckDB file was written by a newer DuckDB ({_line_with(s.text, _DUCKDB_VERSION)}); "
                f"upgrade duckdb or point --db at another file")
    return None


def _permission(seen: List[_Seen]) -> Optional[RunstepsError]:
    for s in seen:
        match = _DUCKDB_CANNOT_OPEN.search(s.text)
        if match and (_PERMISSION.search(match["why"]) or _NO_FOLDER.search(match["why"])):
            fix = ("make it writable, or choose another --db" if _PERMISSION.search(match["why"])
                   else "create its folder, or choose another --db")
            return WarehousePathError(f"cannot open the DuckDB file {match['path']}: {match['why'].strip()}; {fix}")
        if _errno(s.exc) in _PERMISSION_ERRNOS:
            path = getattr(s.exc, "filename", None) or "a file"
            return WarehousePathError(
                f"cannot write {path}: {getattr(s.exc, 'strerror', None) or 'permission denied'}; make its folder "
                f"writable, or choose another path")
    return None


_DRIVER_DESTINATIONS = {"psycopg": "postgres", "psycopg2": "postgres", "snowflake": "snowflake",
                        "google": "bigquery", "_duckdb": "duckdb", "duckdb": "duckdb"}


def _destination(seen: List[_Seen]) -> str:
    """The destination's name for the credentials hint: from the failed step's pipeline, else the driver."""
    for s in seen:
        destination = getattr(getattr(s.exc, "pipeline", None), "destination", None)
        if destination is not None:
            return str(destination.destination_name)
    for s in seen:
        module = (type(s.exc).__module__ or "").split(".")[0]
        if module in _DRIVER_DESTINATIONS:
            return _DRIVER_DESTINATIONS[module]
    return "<name>"


def _server(seen: List[_Seen]) -> Optional[RunstepsError]:
    for s in seen:
        if not s.warehouse:
            continue
        code = str(getattr(s.exc, "pgcode", None) or "")
        if code.startswith(_PG_CONFIG_CODES) or _CREDENTIALS.search(s.text):
            name = _destination(seen)
            return WarehouseCredentialsError(
                f"the warehouse refused runsteps ({_line_with(s.text, _CREDENTIALS)}); fix the credentials, or the "
                f"role's privileges (DESTINATION__{name.upper()}__CREDENTIALS or [destination.{name}] in "
                f".dlt/secrets.toml)")
        if code.startswith(_PG_FAILED_CODES) or _UNREACHABLE.search(s.text):
            return WarehouseUnreachableError(
                f"cannot reach the warehouse ({_line_with(s.text, _UNREACHABLE)}); check that the server is up "
                f"and the host and port in its credentials: {RERUN}")
    return None


def _missing_credentials(seen: List[_Seen]) -> Optional[RunstepsError]:
    # dlt's ConfigFieldMissingException for a destination's configuration (`PostgresClientConfiguration`).
    for s in seen:
        spec = str(getattr(s.exc, "spec_name", "") or "")
        if type(s.exc).__name__ == "ConfigFieldMissingException" and spec.endswith("ClientConfiguration"):
            name = spec[: -len("ClientConfiguration")].lower() or "destination"
            return WarehouseCredentialsError(
                f"no credentials for the {name} destination: set DESTINATION__{name.upper()}__CREDENTIALS "
                f"(e.g. postgresql://user:password@host:5432/database) or [destination.{name}] credentials "
                f"in .dlt/secrets.toml")
    return None


# dlt's errors for a load job the warehouse refused terminally.
_REFUSED_JOB = ("LoadClientJobTerminalRetry", "LoadClientJobFailed")


def job_table(exc: BaseException) -> str:
    """The table of the load job a dlt job error is about (its `job_id` is `<table>.<file id>...`), or ''."""
    return str(getattr(exc, "job_id", "") or "").split(".", 1)[0]


def _refused_job(seen: List[_Seen]) -> Optional[RunstepsError]:
    for s in seen:
        if type(s.exc).__name__ in _REFUSED_JOB:
            table = job_table(s.exc) or "a table"
            # The driver's error, not dlt's failed_message (which holds the job's whole traceback).
            driver = getattr(s.exc, "client_exception", None) or getattr(s.exc, "failed_message", None) or ""
            why = next((line for line in str(driver).strip().splitlines()
                        if line.strip() and not line.startswith(("Traceback", " "))), "no reason given")
            return WarehouseRefusedError(
                f"the warehouse refused the rows of {table} ({why.strip()}); fix that table (a constraint, a column "
                f"changed by hand) and rerun: the load stays pending until then, and the next run completes it")
    return None


# Most specific first: a lock conflict or a full disk can come with other words that match later rules,
# and a job refused for want of privileges or a connection is told as that.
_RULES: List[Callable[[List[_Seen]], Optional[RunstepsError]]] = [
    _busy, _disk_full, _duckdb_file, _permission, _missing_credentials, _server, _refused_job,
]


def classify_warehouse_error(exc: BaseException) -> Optional[RunstepsError]:
    """The one-line error for a warehouse fault somewhere in `exc`'s chain, or None.

    An error of ours (a RunstepsError) found in the chain wins: it was raised on purpose, with its
    own message, and dlt only wrapped it.
    """
    seen = _seen(exc)
    for s in seen:
        if isinstance(s.exc, RunstepsError):
            return s.exc
    for rule in _RULES:
        found = rule(seen)
        if found is not None:
            return found
    return None
