"""Load progress: a one-line bar on a terminal, a plain log line every few seconds elsewhere."""

from __future__ import annotations

import sys
import time
from typing import Any, Dict, Optional, TextIO


class Progress:
    """Receives counters from the source (`openai_assistants.progress_hook`) and shows them.

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

    def __call__(self, counters: Dict[str, Any]) -> None:
        if self.mode == "none":
            return
        now = time.monotonic()
        total, done = counters.get("threads_total", 0), counters.get("threads_done", 0)
        final = total and done >= total
        if self.mode == "log" and now - self._last < self.every and not final:
            return
        if self.mode == "bar" and now - self._last < 0.1 and not final:
            return
        self._last = now
        elapsed = now - self.started
        text = (
            f"threads {done}/{total}  runs {counters.get('runs', 0)}  steps {counters.get('steps', 0)}  "
            f"requests {counters.get('requests', 0)} (retries {counters.get('retries', 0)})  "
            f"{counters.get('steps', 0) / elapsed if elapsed > 0 else 0:.0f} steps/s"
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
