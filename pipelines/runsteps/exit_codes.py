"""What `runsteps` exits with, for each kind of error: the one place that decides it.

Errors say what went wrong; this table says what that means to cron or an orchestrator:

  0  success
  1  an unexpected error (a bug: please report it), with its traceback
  2  a configuration or input problem the user must fix (bad key, id, flag, path or credentials,
     nothing to poll, a warehouse table that refuses the rows)
  3  the provider failed (quota, an outage past the retry budget, a broken API, a listing that never ends)
  4  busy: another load holds the pipeline lock, or another process holds the DuckDB file
  5  data tests failed
  6  the warehouse failed (server unreachable, disk full); rerunning once it is back completes the load
"""

from __future__ import annotations

from typing import Dict, Type

from sourcekit.errors import ApiError, AuthError, ConfigError, QuotaError, RunstepsError

from .errors import BusyError, DataTestsFailed
from .warehouse_errors import WarehouseBusyError, WarehouseConfigError, WarehouseError, WarehouseFailedError

EXIT_OK = 0
EXIT_BUG = 1
EXIT_CONFIG = 2
EXIT_PROVIDER = 3
EXIT_BUSY = 4
EXIT_DATA_TESTS = 5
EXIT_WAREHOUSE = 6
EXIT_INTERRUPTED = 130

# The most specific class in an error's MRO decides, so a subclass may differ from its base
# (AuthError is an ApiError, but only the user can fix a key).
EXIT_CODES: Dict[Type[BaseException], int] = {
    RunstepsError: EXIT_CONFIG,  # an error raised on purpose with no more specific kind names the fix
    ConfigError: EXIT_CONFIG,
    AuthError: EXIT_CONFIG,
    ApiError: EXIT_PROVIDER,
    QuotaError: EXIT_PROVIDER,
    BusyError: EXIT_BUSY,
    DataTestsFailed: EXIT_DATA_TESTS,
    WarehouseError: EXIT_WAREHOUSE,
    WarehouseFailedError: EXIT_WAREHOUSE,
    WarehouseConfigError: EXIT_CONFIG,
    WarehouseBusyError: EXIT_BUSY,
}


def exit_code_for(error: BaseException) -> int:
    """The exit code for `error`: that of the nearest class in its MRO listed above, else 1 (a bug)."""
    for klass in type(error).__mro__:
        if klass in EXIT_CODES:
            return EXIT_CODES[klass]
    return EXIT_BUG
