"""Traffic shaping: latency, a request rate limit, and injected faults. All off by default, all seeded.

Order of effects for each API request (control-plane routes under ``/_emulator`` are never shaped):
1. latency: ``latency_ms`` plus a uniform ``[0, jitter_ms)`` (an ``asyncio.sleep``);
2. a persistent status, once active (``persistent_status``);
3. the rate limit (``rate_limit_rpm``): a token bucket of that many requests refilled over a minute;
   the ``x-ratelimit-*`` headers go on every response, and past the limit a 429 with retry headers;
4. at most one probabilistic fault, drawn from the ``fault_*`` probabilities (they add up, <= 1).

``fault_after_requests=N`` keeps persistent and probabilistic faults (and the paging loop) off for
the first N API requests after the config was set; ``fault_path`` restricts them to requests whose
route template or path contains that string; ``fault_limit`` caps how many probabilistic faults fire.
"""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import asdict, dataclass, fields
from typing import Any, Dict, List, Mapping, Optional, Tuple

# Probabilistic faults, in the order their probabilities are stacked.
FAULT_KINDS: Tuple[str, ...] = (
    "429",  # rate_limit_exceeded with retry-after-ms and retry-after
    "429_bare",  # rate_limit_exceeded without retry headers
    "insufficient_quota",  # 429 that must not be retried
    "500",
    "502",  # HTML body, as a proxy sends it
    "503",
    "504",
    "reset",  # headers and part of the body, then the connection is closed
    "stall",  # no answer for stall_seconds (longer than a client timeout)
    "truncated",  # 200 whose JSON is cut short (Content-Length matches the cut body)
)
RETRY_HEADER_CHOICES = ("both", "retry-after-ms", "retry-after", "none")


@dataclass
class TrafficConfig:
    """How the emulator shapes API traffic. Every field is off by default.

    Attributes:
        latency_ms: fixed delay added to every API response.
        jitter_ms: extra uniform random delay in [0, jitter_ms).
        rate_limit_rpm: requests per minute; 0 or None disables the limit and its headers.
        rate_limit_retry_header: which retry header a rate-limit 429 carries: ``both``,
            ``retry-after-ms``, ``retry-after`` or ``none``.
        fault_429: probability of a 429 ``rate_limit_exceeded`` with ``retry-after-ms`` and ``retry-after``.
        fault_429_bare: probability of a 429 ``rate_limit_exceeded`` without retry headers.
        fault_insufficient_quota: probability of a 429 ``insufficient_quota``.
        fault_500, fault_502, fault_503, fault_504: probabilities of those statuses (502 has an HTML body).
        fault_reset: probability of a connection closed in the middle of the body.
        fault_stall: probability of no answer for `stall_seconds`.
        fault_truncated: probability of a 200 whose JSON is cut in half.
        stall_seconds: how long a stall lasts (the request is answered normally afterwards if the
            client is still there).
        retry_after_ms: the wait that fault 429s announce.
        fault_seed: seed of the fault and jitter draws.
        fault_after_requests: faults start after this many API requests (counted from when the
            config was set); None starts them at once.
        persistent_status: once faults are active, every API request gets this status (e.g. 401,
            500, 429).
        fault_limit: at most this many probabilistic faults; None for no cap.
        fault_path: only requests whose route template or path contains this string get faults.
        paging_loop: once active, list routes ignore cursors and always answer the first page with
            ``has_more: true`` (a client that trusts has_more and ignores repeated ids never ends).
    """

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    rate_limit_rpm: Optional[int] = None
    rate_limit_retry_header: str = "both"
    fault_429: float = 0.0
    fault_429_bare: float = 0.0
    fault_insufficient_quota: float = 0.0
    fault_500: float = 0.0
    fault_502: float = 0.0
    fault_503: float = 0.0
    fault_504: float = 0.0
    fault_reset: float = 0.0
    fault_stall: float = 0.0
    fault_truncated: float = 0.0
    stall_seconds: float = 30.0
    retry_after_ms: int = 200
    fault_seed: int = 0
    fault_after_requests: Optional[int] = None
    persistent_status: Optional[int] = None
    fault_limit: Optional[int] = None
    fault_path: Optional[str] = None
    paging_loop: bool = False

    def __post_init__(self) -> None:
        probs = [self.fault_probability(k) for k in FAULT_KINDS]
        if any(p < 0 or p > 1 for p in probs) or sum(probs) > 1 + 1e-9:
            raise ValueError("fault probabilities must be in [0, 1] and add up to at most 1")
        if self.rate_limit_retry_header not in RETRY_HEADER_CHOICES:
            raise ValueError(f"rate_limit_retry_header must be one of {RETRY_HEADER_CHOICES}")
        if self.latency_ms < 0 or self.jitter_ms < 0 or self.stall_seconds < 0:
            raise ValueError("latency_ms, jitter_ms and stall_seconds must be >= 0")
        if self.persistent_status is not None and not 100 <= int(self.persistent_status) <= 599:
            raise ValueError("persistent_status must be an HTTP status")

    def fault_probability(self, kind: str) -> float:
        """The probability configured for a fault kind (see `FAULT_KINDS`)."""
        return float(getattr(self, "fault_" + kind))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "TrafficConfig":
        """Build from JSON (the control plane). Unknown keys are an error, not silently ignored."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown traffic settings: {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**dict(data))

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    @property
    def shapes_traffic(self) -> bool:
        """Whether any shaping is on (the server skips all of it otherwise)."""
        return self != TrafficConfig()


def format_duration(seconds: float) -> str:
    """A duration as the ``x-ratelimit-reset-*`` headers write it: ``12ms``, ``1s``, ``6m0s``."""
    if seconds < 1:
        return f"{max(0, int(round(seconds * 1000)))}ms"
    if seconds < 60:
        return f"{round(seconds, 3):g}s"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}m{round(rest, 3):g}s"


class RateLimiter:
    """A token bucket of `rpm` requests, refilled continuously over a minute."""

    def __init__(self, rpm: int) -> None:
        self.capacity = float(rpm)
        self.rate = rpm / 60.0
        self.tokens = float(rpm)
        self.last = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> Tuple[bool, List[Tuple[bytes, bytes]], int]:
        """Take one request.

        Returns:
            ``(allowed, x-ratelimit headers, milliseconds until a request is allowed again)``.
        """
        with self._lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
            self.last = now
            allowed = self.tokens >= 1.0
            if allowed:
                self.tokens -= 1.0
            reset = (self.capacity - self.tokens) / self.rate
            wait_ms = 0 if allowed else int(math.ceil((1.0 - self.tokens) / self.rate * 1000))
            headers = [
                (b"x-ratelimit-limit-requests", str(int(self.capacity)).encode()),
                (b"x-ratelimit-remaining-requests", str(int(self.tokens)).encode()),
                (b"x-ratelimit-reset-requests", format_duration(reset).encode()),
            ]
            return allowed, headers, wait_ms


class TrafficState:
    """The live state of one `TrafficConfig`: random streams, the bucket and the counters."""

    def __init__(self, config: Optional[TrafficConfig] = None) -> None:
        self.config = config or TrafficConfig()
        self.active = self.config.shapes_traffic
        self._rng = random.Random(self.config.fault_seed)
        self._jitter_rng = random.Random(self.config.fault_seed + 1)
        rpm = self.config.rate_limit_rpm
        self.limiter = RateLimiter(rpm) if rpm else None
        self.requests = 0
        self.faults_fired = 0
        self._lock = threading.Lock()

    def delay_s(self) -> float:
        """Latency for this request, in seconds."""
        c = self.config
        jitter = self._jitter_rng.random() * c.jitter_ms if c.jitter_ms else 0.0
        return (c.latency_ms + jitter) / 1000.0

    def count(self, template: str, path: str) -> bool:
        """Count an API request; return whether faults apply to it."""
        c = self.config
        with self._lock:
            self.requests += 1
            n = self.requests
        if c.fault_after_requests is not None and n <= c.fault_after_requests:
            return False
        if c.fault_path and c.fault_path not in template and c.fault_path not in path:
            return False
        return True

    def pick_fault(self) -> Optional[str]:
        """Draw at most one probabilistic fault."""
        c = self.config
        with self._lock:
            if c.fault_limit is not None and self.faults_fired >= c.fault_limit:
                return None
            u = self._rng.random()
            acc = 0.0
            for kind in FAULT_KINDS:
                p = c.fault_probability(kind)
                if not p:
                    continue
                acc += p
                if u < acc:
                    self.faults_fired += 1
                    return kind
        return None
