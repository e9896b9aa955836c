"""The one place where errors become exit codes (the library's errors know nothing of them).

| code | meaning |
|---|---|
| 0 | success |
| 1 | an unexpected error: a bug, please report it |
| 2 | a configuration or input problem: bad key, bad id, bad flag, nothing to poll |
| 3 | the provider failed: quota, an outage past the retry budget, a broken API, a listing that never ends |
| 4 | busy: another load holds the lock |
| 5 | data tests failed |
"""

from __future__ import annotations

from typing import List, Tuple, Type

from sourcekit.errors import ApiError, AuthError, ConfigError, RunstepsError

from .errors import BusyError, DataTestsFailed

OK, BUG, CONFIG, PROVIDER, BUSY, DATA_TESTS = 0, 1, 2, 3, 4, 5


# First match wins: subclasses before their bases.
_CODES: List[Tuple[Type[BaseException], int]] = [
    (BusyError, BUSY),
    (DataTestsFailed, DATA_TESTS),
    (AuthError, CONFIG),
    (ApiError, PROVIDER),
    (ConfigError, CONFIG),
    (RunstepsError, CONFIG),
]


def exit_code_for(error: BaseException) -> int:
    """The exit code of an error the app reports in one line; BUG for anything else."""
    return next((code for kind, code in _CODES if isinstance(error, kind)), BUG)
