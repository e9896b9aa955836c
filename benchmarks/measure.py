"""Run one command as a fresh child process and measure its wall time and peak RSS.

Peak RSS comes from the kernel: `os.wait4` returns the child's own resource usage, whose
`ru_maxrss` is the high-water mark of its resident set (it includes any grandchildren the child
waited for). Polling with psutil would miss short peaks; this does not.

That is the largest single process, though: a command that reads on several worker processes uses
the sum. `peak_tree_mb` is the peak of the sum over the child's process group of each process's
proportional set size (PSS: pages shared after a fork counted once, split between the sharers),
polled every 50 ms from `/proc/<pid>/smaps_rollup`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence


@dataclass
class Measured:
    """What one child process did."""

    cmd: List[str]
    returncode: int
    wall_s: float
    peak_rss_mb: float
    stdout: str
    stderr: str
    timed_out: bool = False
    cpu_s: float = 0.0  # user + system CPU of the child (its own children included when waited for)
    peak_tree_mb: float = 0.0  # peak of the summed PSS of every process of the child's group

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def tail(self, lines: int = 15) -> str:
        text = (self.stderr or "") + (self.stdout or "")
        return "\n".join(text.strip().splitlines()[-lines:])


def _group_pss_kb(pgid: int) -> int:
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if os.getpgid(int(entry.name)) != pgid:
                continue
            with open(f"/proc/{entry.name}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except (OSError, ValueError):
            continue  # gone meanwhile
    return total


class _GroupSampler(threading.Thread):
    """Polls the summed PSS of a process group until stopped; keeps the peak (KiB)."""

    def __init__(self, pgid: int) -> None:
        super().__init__(daemon=True)
        self.pgid, self.peak_kb, self.done = pgid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.05):
            self.peak_kb = max(self.peak_kb, _group_pss_kb(self.pgid))


def run_measured(cmd: Sequence[str], env: Optional[Dict[str, str]] = None, cwd: Optional[Path] = None,
                 timeout: float = 3600.0, log_to: Optional[Path] = None) -> Measured:
    """Run `cmd`, wait for it with `os.wait4`, and return its wall time, exit code and peak RSS.

    Output goes to files (not pipes), so that a chatty child never blocks on a full pipe and the
    harness does no work while the child runs.
    """
    log_to = Path(log_to) if log_to else None
    out_path = (log_to.with_suffix(".out") if log_to else None)
    err_path = (log_to.with_suffix(".err") if log_to else None)
    import tempfile

    out_f = open(out_path, "w+") if out_path else tempfile.TemporaryFile("w+")
    err_f = open(err_path, "w+") if err_path else tempfile.TemporaryFile("w+")
    timed_out = threading.Event()
    try:
        started = time.perf_counter()
        proc = subprocess.Popen(list(cmd), env=env, cwd=str(cwd) if cwd else None, stdout=out_f, stderr=err_f,
                                stdin=subprocess.DEVNULL, start_new_session=True)

        def on_timeout() -> None:
            timed_out.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # only the group this harness started
            except ProcessLookupError:
                pass

        sampler = _GroupSampler(proc.pid)  # start_new_session: the child leads its own group
        sampler.start()
        timer = threading.Timer(timeout, on_timeout)
        timer.daemon = True
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
            sampler.done.set()
            sampler.join()
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait for it again
        out_f.seek(0)
        err_f.seek(0)
        stdout, stderr = out_f.read(), err_f.read()
    finally:
        out_f.close()
        err_f.close()
    return Measured(cmd=list(cmd), returncode=proc.returncode, wall_s=wall,
                    peak_rss_mb=usage.ru_maxrss / 1024.0,  # Linux reports KiB
                    stdout=stdout, stderr=stderr, timed_out=timed_out.is_set(),
                    cpu_s=usage.ru_utime + usage.ru_stime, peak_tree_mb=sampler.peak_kb / 1024.0)
