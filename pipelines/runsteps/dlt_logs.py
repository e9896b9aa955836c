"""Keeps dlt's loader from printing a traceback per failed job on the user's terminal.

When the warehouse fails during a load (a full disk, a server going away), dlt's loader logs every
failed or retried job with its whole traceback, then warns that the package was not fully loaded,
all on stderr and before `runsteps` prints its own line. That line already says what happened and
that the next run finishes the package, so without --verbose those records are dropped. dlt's other
warnings (schema, normalize) still show.
"""

from __future__ import annotations

import logging


class DropLoaderFailures(logging.Filter):
    """Drops the warnings and errors of dlt's load step (`dlt/load/load.py`), and any dlt record
    carrying a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING and record.module == "load":
            return False
        return not (record.exc_info or "Traceback (most recent call last)" in str(record.msg))


def quiet_dlt_loader() -> None:
    """Installs the filter on dlt's logger (once; dlt keeps the logger object when it re-initializes
    its logging for each pipeline, so the filter stays)."""
    logger = logging.getLogger("dlt")
    if not any(isinstance(f, DropLoaderFailures) for f in logger.filters):
        logger.addFilter(DropLoaderFailures())
