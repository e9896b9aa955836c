"""The emulator as a separate process: start it on a free loopback port, wait until it answers,
read and reset its counters through the control plane, stop it.

The benchmark never runs the emulator in its own process, so that the server's CPU time is never
billed to a contender, and never targets anything but 127.0.0.1.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import httpx

HOST = "127.0.0.1"
API_KEY = "sk-bench-0123456789abcdef"
_URL = re.compile(r"http://127\.0\.0\.1:\d+[^\s'\"]*")


def free_port() -> int:
    """A port the kernel considers free on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class WorldSpec:
    """The knobs of a generated world (same knobs, same world, in any process)."""

    name: str
    threads: int
    runs_per_thread: float = 20
    steps_per_run: float = 6
    seed: int = 7
    flavour: str = "openai"
    activity: float = 0.05  # the emulator's default: share of threads with a new run per hour of clock

    def describe(self) -> str:
        busy = f", activity {self.activity:g}/h" if self.activity != 0.05 else ""
        return (f"{self.name} ({self.threads} threads × ~{self.runs_per_thread:g} runs × ~{self.steps_per_run:g} steps, "
                f"seed {self.seed}{busy})")

    def world_flags(self) -> List[str]:
        """The emulator's world flags for this spec."""
        flags = ["--seed", str(self.seed), "--threads", str(self.threads), "--runs-per-thread",
                 f"{self.runs_per_thread:g}", "--steps-per-run", f"{self.steps_per_run:g}", "--flavour", self.flavour]
        if self.activity != 0.05:
            flags += ["--activity", f"{self.activity:g}"]
        return flags


@dataclass(frozen=True)
class ResponsesWorldSpec:
    """The knobs of a generated Responses world (`--api responses`); Foundry by default, the only
    flavour with a `GET /responses` listing."""

    name: str
    conversations: int  # sessions: 70% conversations, 30% previous_response_id chains
    responses_per_conversation: float = 8
    seed: int = 7
    flavour: str = "foundry"
    activity: float = 0.05

    def describe(self) -> str:
        return (f"{self.name} ({self.flavour} Responses, {self.conversations} sessions × "
                f"~{self.responses_per_conversation:g} responses, seed {self.seed})")

    def world_flags(self) -> List[str]:
        flags = ["--api", "responses", "--seed", str(self.seed), "--conversations", str(self.conversations),
                 "--responses-per-conversation", f"{self.responses_per_conversation:g}", "--flavour", self.flavour]
        if self.activity != 0.05:
            flags += ["--activity", f"{self.activity:g}"]
        return flags


@dataclass(frozen=True)
class Traffic:
    """Traffic shaping of the emulator for one scenario."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    rate_limit_rpm: Optional[int] = None

    @property
    def mean_latency_ms(self) -> float:
        return self.latency_ms + self.jitter_ms / 2

    def describe(self) -> str:
        parts = []
        if self.latency_ms or self.jitter_ms:
            parts.append(f"latency {self.mean_latency_ms:g} ms ± {self.jitter_ms / 2:g} ms")
        if self.rate_limit_rpm:
            parts.append(f"{self.rate_limit_rpm} req/min")
        return ", ".join(parts) or "no latency, no limit"


def emulator_flags(spec: "WorldSpec | ResponsesWorldSpec", traffic: Traffic, port: int) -> List[str]:
    """Command-line flags of `python -m runsteps.emulator` for a world and traffic shaping.

    `--jitter-ms J` adds a uniform [0, J) ms, so "100 ms ± 20 ms" is `--latency-ms 80 --jitter-ms 40`.
    """
    flags = ["--host", HOST, "--port", str(port), *spec.world_flags(), "--api-key", API_KEY]
    if traffic.latency_ms:
        flags += ["--latency-ms", f"{traffic.latency_ms:g}"]
    if traffic.jitter_ms:
        flags += ["--jitter-ms", f"{traffic.jitter_ms:g}"]
    if traffic.rate_limit_rpm:
        flags += ["--rate-limit-rpm", str(traffic.rate_limit_rpm)]
    return flags


def api_requests(stats: Dict[str, Any]) -> int:
    """API requests in the emulator's counters (the control plane is not the API)."""
    return sum(sum(by_status.values()) for route, by_status in stats.get("requests", {}).items()
               if "/_emulator" not in route)


def api_status_count(stats: Dict[str, Any], status: str) -> int:
    return sum(int(by_status.get(status, 0)) for route, by_status in stats.get("requests", {}).items()
               if "/_emulator" not in route)


@dataclass
class EmulatorProcess:
    """`python -m runsteps.emulator` in its own process group, on a free loopback port.

    Use as a context manager; `base_url` is the API root a client is given.
    """

    spec: "WorldSpec | ResponsesWorldSpec"
    traffic: Traffic = field(default_factory=Traffic)
    log_dir: Optional[Path] = None
    python: str = sys.executable
    startup_timeout: float = 120.0
    port: int = 0
    base_url: str = ""
    proc: Optional[subprocess.Popen] = None
    _log: Any = None

    def __enter__(self) -> "EmulatorProcess":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def control_url(self) -> str:
        return f"http://{HOST}:{self.port}/_emulator"

    def start(self) -> None:
        self.port = free_port()
        cmd = [self.python, "-m", "runsteps.emulator", *emulator_flags(self.spec, self.traffic, self.port)]
        log_path = (self.log_dir / f"emulator-{self.port}.log") if self.log_dir else None
        self._log = open(log_path, "w+") if log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the emulator exited with code {self.proc.returncode}: {self._log_tail()}")
            try:
                r = httpx.get(self.control_url + "/stats", timeout=2.0)
                if r.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the emulator did not answer within {self.startup_timeout:.0f}s: {self._log_tail()}")
            time.sleep(0.1)
        self.base_url = self._printed_base_url() or f"http://{HOST}:{self.port}/v1"
        self.reset_stats()

    def _log_text(self) -> str:
        if self._log in (None, subprocess.DEVNULL):
            return ""
        self._log.flush()
        self._log.seek(0)
        return self._log.read()

    def _log_tail(self) -> str:
        return "\n".join(self._log_text().strip().splitlines()[-10:])

    def _printed_base_url(self) -> Optional[str]:
        """The base URL the emulator prints (it knows its own prefix), if it printed one yet."""
        for _ in range(20):
            for match in _URL.findall(self._log_text()):
                if f":{self.port}" in match and "/_emulator" not in match:
                    return match.rstrip("/.,;")
            time.sleep(0.05)
        return None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the group we started, nothing else
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if self._log not in (None, subprocess.DEVNULL):
            self._log.close()
            self._log = None

    # --- control plane ------------------------------------------------------------------------

    def _get(self, path: str) -> Any:
        r = httpx.get(self.control_url + path, timeout=600.0)
        r.raise_for_status()
        return r.json()

    def _post(self, path: str, params: Optional[Dict[str, Any]] = None) -> Any:
        r = httpx.post(self.control_url + path, params=params, timeout=600.0)
        r.raise_for_status()
        return r.json() if r.content else None

    def stats(self) -> Dict[str, Any]:
        return self._get("/stats")

    def reset_stats(self) -> None:
        self._post("/stats/reset")

    def advance(self, seconds: int) -> None:
        self._post("/advance", {"seconds": int(seconds)})

    def thread_ids(self) -> List[str]:
        return list(self._get("/threads")["data"])

    def response_ids(self) -> List[str]:
        """Every retrievable response id of a Responses world (ground truth of the control plane)."""
        return list(self._get("/responses?retained=1")["data"])

    def expected(self) -> Dict[str, Any]:
        return self._get("/expected")

    def cpu_seconds(self) -> Optional[float]:
        """User+system CPU the emulator used so far (to see whether it was the bottleneck)."""
        try:
            import psutil

            t = psutil.Process(self.proc.pid).cpu_times()
            return t.user + t.system
        except Exception:
            return None
