"""One table decides the exit codes: every error kind maps to its documented code."""

from __future__ import annotations

import duckdb
import pytest

import sourcekit.errors as api_errors
from runsteps.errors import BusyError, DataTestsFailed
from runsteps.exit_codes import exit_code_for
from runsteps.report.warehouse import ModelsMissingError
from runsteps.warehouse_errors import (
    DiskFullError,
    WarehouseBusyError,
    WarehouseCredentialsError,
    WarehousePathError,
    WarehouseUnreachableError,
    classify_warehouse_error,
)

DOCUMENTED = [  # the README's table
    (api_errors.ConfigError("x"), 2), (api_errors.InvalidIdError("x"), 2), (api_errors.AuthError("x", status=401), 2),
    (ModelsMissingError("x"), 2), (WarehouseCredentialsError("x"), 2), (WarehousePathError("x"), 2),
    (api_errors.ApiError("x", status=500), 3), (api_errors.QuotaError("x", status=429), 3),
    (api_errors.RetriesExhaustedError("x"), 3), (api_errors.PagingLoopError("x"), 3),
    (BusyError("x"), 4), (WarehouseBusyError("x"), 4),
    (DataTestsFailed("x"), 5),
    (WarehouseUnreachableError("x"), 6), (DiskFullError("x"), 6),
    (ValueError("a bug"), 1), (KeyError("a bug"), 1),
]


@pytest.mark.parametrize("error, code", DOCUMENTED, ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v))
def test_each_error_exits_with_its_documented_code(error, code):
    assert exit_code_for(error) == code


def _subclasses(klass):
    for sub in klass.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_no_error_class_decides_its_own_exit_code():
    # The table above is the one place; an `exit_code` attribute on a class would be a second one.
    assert not [k for k in _subclasses(api_errors.RunstepsError) if "exit_code" in vars(k)]


def test_a_real_duckdb_lock_conflict_names_the_holder(tmp_path):
    import subprocess
    import sys

    db = tmp_path / "held.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}); "
                               "print('held', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(duckdb.IOException) as raised:
            duckdb.connect(str(db))
    finally:
        holder.kill()
        holder.wait()
    error = classify_warehouse_error(raised.value)
    assert isinstance(error, WarehouseBusyError) and error.pid == holder.pid and error.path == str(db)


def test_an_error_that_is_no_warehouse_fault_is_left_alone():
    assert classify_warehouse_error(ZeroDivisionError("division by zero")) is None
    ours = api_errors.ConfigError("no API key")
    try:
        try:
            raise ours
        except Exception as exc:
            raise RuntimeError("wrapped, as dlt does") from exc
    except RuntimeError as wrapper:
        assert classify_warehouse_error(wrapper) is ours
