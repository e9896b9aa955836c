"""The counters an archive load shows on the progress line, whichever source reads the archive."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass
class ArchiveProgress:
    """Files read of those new or changed, and the objects (`unit`) read from them; the shape
    `runsteps.progress.Progress` shows (an archive load makes no requests, so `requests` is None).

    Args:
        unit: what is counted and rated: `steps`, `responses`.
    """

    unit: str = "objects"
    files_total: int = 0
    files_read: int = 0
    objects: int = 0
    issues: int = 0
    requests: Optional[int] = None
    retries: int = 0

    @property
    def total(self) -> int:
        return self.files_total

    @property
    def done(self) -> int:
        return self.files_read

    @property
    def rate_count(self) -> int:
        return self.objects

    @property
    def rate_unit(self) -> str:
        return self.unit

    def counts(self) -> str:
        return f"files read {self.files_read}/{self.files_total}  {self.unit} {self.objects}"

    def file_read(self, objects: int, problems: int) -> None:
        """One more file read, holding `objects` of the unit counted and `problems`."""
        self.files_read += 1
        self.objects += objects
        self.issues += problems
