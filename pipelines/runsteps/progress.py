"""Load progress: a one-line bar on a terminal, a plain log line every few seconds elsewhere."""

from __future__ import annotations

import sys
import time
from typing import Any, Optional, TextIO


class Progress:
    """Shows a load's counters (the source's `on_progress` callback); a context manager that ends the
    bar's line on exit.

    Args:
        mode: `bar` (redrawn line), `log` (a line every `every` seconds), `none`, or `auto`
            (bar on a terminal, log otherwise).
        stream: where to write; stderr by default, so stdout stays clean for pipes.
    """

    def __init__(self, mode: str = "auto", stream: Optional[TextIO] = None, every: float = 5.0) -> None:
        self.stream = stream or sys.stderr
        if mode == "auto":
            mode = "bar" if self.stream.isatty() else "log"
        self.mode = mode
        self.every = every
        self.started = time.monotonic()
        self._last = 0.0
        self._drawn = False

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __call__(self, counters: Any) -> None:
        """Show `counters` (a source's `LoadProgress`, or an archive's `ReadStats`: `total`, `done`,
        `counts()`, `rate_count`, `rate_unit`, `requests` (None: none made), `retries`, `issues`), at most
        every `every` seconds in log mode."""
        if self.mode == "none":
            return
        now = time.monotonic()
        total, done = counters.total, counters.done
        final = total and done >= total
        if self.mode == "log" and now - self._last < self.every and not final:
            return
        if self.mode == "bar" and now - self._last < 0.1 and not final:
            return
        self._last = now
        elapsed = now - self.started
        requests = counters.requests  # None: a load that makes no requests (an archive's)
        text = (
            f"{counters.counts()}  "
            + (f"requests {requests} (retries {counters.retries})  " if requests is not None else "")
            + f"{counters.rate_count / elapsed if elapsed > 0 else 0:.0f} {counters.rate_unit}/s"
            + (f"  issues {counters.issues}" if counters.issues else "")
        )
        if self.mode == "bar":
            width = 24
            filled = int(width * done / total) if total else 0
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {text}")
            self._drawn = True
        else:
            self.stream.write(f"progress: {text}\n")
        self.stream.flush()

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
