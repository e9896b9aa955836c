"""The only module that talks HTTP: provider profiles, auth, paging, retries and adaptive concurrency.

Everything is async (httpx.AsyncClient with one shared connection pool) so that many threads and
runs are fetched at once; the number of requests in flight adapts to `x-ratelimit-*` headers and 429s.
"""

from __future__ import annotations

import asyncio
import collections
import ipaddress
import logging
import random
import re
import ssl
import time
import urllib.request
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple
from urllib.parse import urlsplit

import httpx
import orjson

from . import settings
from .transport import make_transport
from .errors import (
    ApiError,
    AuthError,
    ConfigError,
    InvalidIdError,
    NotFoundError,
    PagingLoopError,
    QuotaError,
    RetriesExhaustedError,
)

log = logging.getLogger("runsteps.client")


def validate_id(value: Any, kind: str = "id") -> str:
    """Return `value` if it may go into a URL path, else raise an error that names it."""
    if isinstance(value, str) and settings.ID_PATTERN.match(value):
        return value
    shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "...'"
    raise InvalidIdError(
        f"invalid {kind} {shown}: ids must match {settings.ID_PATTERN.pattern} "
        "(letters, digits, '_' and '-', at most 128)"
    )


def _is_loopback(host: str) -> bool:
    if host in ("localhost",) or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: str, allow_insecure_http: bool = False) -> str:
    """Validate a base URL: https, or http to loopback (or anywhere with the explicit flag)."""
    if not isinstance(base_url, str) or not base_url.strip():
        raise ConfigError("no base URL: pass --base-url or pick --provider openai")
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"malformed base URL {base_url!r}: expected e.g. https://api.openai.com/v1")
    if parts.scheme == "http" and not _is_loopback(parts.hostname) and not allow_insecure_http:
        raise ConfigError(
            f"refusing plain http:// to {parts.hostname}: the key would travel unencrypted. "
            "Use https://, or pass --allow-insecure-http if you really mean it"
        )
    return base_url.strip().rstrip("/")


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")


def parse_duration(value: Optional[str]) -> Optional[float]:
    """`x-ratelimit-reset-*` durations such as `12ms`, `1s`, `6m0s` to seconds."""
    if not value:
        return None
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    parts = _DURATION.findall(value)
    if not parts:
        try:
            return float(value)
        except ValueError:
            return None
    return sum(float(n) * scale[u] for n, u in parts)


def retry_after_seconds(headers: Mapping[str, str]) -> Optional[float]:
    """What `retry-after-ms` or `retry-after` (seconds or an HTTP date) asks for, capped."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return min(float(raw_ms) / 1000.0, settings.MAX_RETRY_AFTER_S)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if raw:
        try:
            return min(float(raw), settings.MAX_RETRY_AFTER_S)
        except ValueError:
            try:
                return min(max(parsedate_to_datetime(raw).timestamp() - time.time(), 0.0), settings.MAX_RETRY_AFTER_S)
            except (TypeError, ValueError):
                return None
    return None


def backoff_seconds(attempt: int, rng: random.Random) -> float:
    """0.5 s doubling to 8 s, less up to 25% jitter (the official SDK's schedule)."""
    base = min(settings.INITIAL_BACKOFF_S * (2 ** attempt), settings.MAX_BACKOFF_S)
    return base * (1 - 0.25 * rng.random())


def _root_cause(exc: BaseException) -> BaseException:
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return exc


def _is_certificate_error(exc: BaseException) -> bool:
    """A failed certificate check will fail the same way on every retry: it needs a person."""
    current: Optional[BaseException] = exc
    while current is not None:
        if isinstance(current, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False


@dataclass
class ClientStats:
    """What the client did, for progress lines and the benchmark."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    by_status: Dict[int, int] = field(default_factory=dict)


class AdaptiveLimiter:
    """How many requests may be in flight, and when the next may start.

    The limit halves on a 429 and grows back by one per window of successes (AIMD). When the
    `x-ratelimit-remaining-requests` header says the budget is spent, requests are spaced by the time
    one request's worth of budget takes to come back, instead of being sent to collect 429s.

    Waiters queue in FIFO order and a freed slot wakes exactly one of them: with thousands of step
    pages queued, waking them all on every response (a Condition's notify_all) cost more CPU than
    the HTTP itself (measured).
    """

    def __init__(self, maximum: int) -> None:
        self.maximum = max(1, maximum)
        self.limit = float(self.maximum)
        self.in_flight = 0
        self._waiters: "collections.deque[asyncio.Future[None]]" = collections.deque()
        self._remaining: Optional[int] = None
        self._interval = 0.0  # seconds for one request's worth of budget to come back
        self._next_slot = 0.0

    async def acquire(self) -> None:
        if self._waiters or self.in_flight >= int(self.limit):
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter  # resolved by release() with the slot already counted as ours
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._free_slot()  # a slot was handed to us just as we were cancelled
                else:
                    try:
                        self._waiters.remove(waiter)
                    except ValueError:
                        pass  # _free_slot already took it off the queue (and skipped it, being done)
                raise
        else:
            self.in_flight += 1
        await self._pace()

    async def _pace(self) -> None:
        if self._remaining is not None and self._remaining <= 0:
            now = time.monotonic()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self._interval
            if slot > now:
                await asyncio.sleep(slot - now)
        if self._remaining is not None:
            self._remaining -= 1

    def release(self, headers: Optional[Mapping[str, str]], rate_limited: bool) -> None:
        if rate_limited:
            self.limit = max(1.0, self.limit / 2)
        else:
            self.limit = min(float(self.maximum), self.limit + 1.0 / max(self.limit, 1.0))
        if headers is not None:
            self._observe(headers, rate_limited)
        self._free_slot()

    def _free_slot(self) -> None:
        self.in_flight -= 1
        while self._waiters and self.in_flight < int(self.limit):
            waiter = self._waiters.popleft()
            if not waiter.done():
                self.in_flight += 1
                waiter.set_result(None)

    def _observe(self, headers: Mapping[str, str], rate_limited: bool) -> None:
        remaining = headers.get("x-ratelimit-remaining-requests")
        if remaining is None:
            return
        try:
            remaining_n = int(float(remaining))
            limit_n = int(float(headers.get("x-ratelimit-limit-requests") or 0))
        except ValueError:
            return
        reset = parse_duration(headers.get("x-ratelimit-reset-requests")) or 0.0
        # The server counted what it has answered; the requests still in flight will use up more.
        self._remaining = (0 if rate_limited else remaining_n) - (self.in_flight - 1)
        used = max(1, limit_n - remaining_n) if limit_n else 1
        self._interval = min(reset / used, 60.0)


class AssistantsClient:
    """An async client for the GET side of the Assistants API v2, in any provider flavour.

    Args:
        base_url: the API root, e.g. `https://api.openai.com/v1`.
        api_key: the key or bearer token; only ever placed in a request header.
        provider: `openai`, `azure` or `foundry`: auth header, `api-version`, include style.
        api_version: overrides the provider's default `api-version` query value.
        concurrency: the most requests in flight at once.
        timeout: seconds for connect/read/write of one request.
        max_retries: retries of one request after transient faults.
        allow_insecure_http: allow plain http:// to hosts other than loopback.
        verify: TLS certificate verification (on by default).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        provider: str = "openai",
        api_version: Optional[str] = None,
        concurrency: int = settings.DEFAULT_CONCURRENCY,
        timeout: float = settings.DEFAULT_TIMEOUT_S,
        max_retries: int = settings.MAX_RETRIES,
        allow_insecure_http: bool = False,
        verify: bool = True,
        seed: Optional[int] = None,
    ) -> None:
        if provider not in settings.PROVIDERS:
            raise ConfigError(f"unknown provider {provider!r}: choose one of {', '.join(settings.PROVIDERS)}")
        if not api_key or not isinstance(api_key, str):
            raise ConfigError(
                "no API key: set OPENAI_API_KEY (AZURE_OPENAI_API_KEY for azure) or "
                "sources.openai_assistants.api_key in .dlt/secrets.toml"
            )
        profile = settings.PROVIDERS[provider]
        self.provider = provider
        self.profile = profile
        self.base_url = check_base_url(base_url, allow_insecure_http)
        self.api_version = api_version or profile["api_version"]
        self.max_retries = max_retries
        self.concurrency = concurrency
        self.stats = ClientStats()
        self._rng = random.Random(seed)
        headers = {"Accept": "application/json", "User-Agent": "runsteps/0.1", **profile["headers"]}
        scheme = profile["auth_scheme"]
        headers[profile["auth_header"]] = f"{scheme} {api_key}" if scheme else api_key
        self._headers = headers
        self._timeout = httpx.Timeout(timeout)
        self._verify = verify
        self._pools: List[httpx.AsyncClient] = []
        self._pool_busy: List[int] = []
        self._limiter: Optional[AdaptiveLimiter] = None

    async def __aenter__(self) -> "AssistantsClient":
        # Several small connection pools instead of one big one: httpcore re-scans every connection
        # of a pool (a readability syscall for each idle one, and a count of the idle ones inside
        # that loop) whenever a request starts or ends, so one pool's CPU cost grows with the square
        # of its size. With pools of at most POOL_SIZE connections that cost stays flat (measured:
        # 50 threads at 100 ms latency and concurrency 48 took 10.0 s in one pool; see docs/benchmarks.md).
        n_pools = -(-self.concurrency // settings.POOL_SIZE)
        per_pool = -(-self.concurrency // n_pools)
        limits = httpx.Limits(max_connections=per_pool, max_keepalive_connections=per_pool)
        # httpx honours HTTP(S)_PROXY only with its own transport: behind a proxy, keep it.
        behind_proxy = any(k in urllib.request.getproxies() for k in ("http", "https", "all"))
        ssl_context = httpx.create_ssl_context(verify=self._verify)  # one for all pools: ~25 ms each
        self._pools = [
            httpx.AsyncClient(
                base_url=self.base_url, headers=self._headers, timeout=self._timeout, limits=limits, verify=ssl_context,
                transport=None if behind_proxy else make_transport(limits, ssl_context),
            )
            for _ in range(n_pools)
        ]
        self._pool_busy = [0] * n_pools
        self._limiter = AdaptiveLimiter(self.concurrency)
        return self

    async def __aexit__(self, *exc: object) -> None:
        pools, self._pools = self._pools, []
        for pool in pools:
            await pool.aclose()

    async def _send(self, path: str, query: List[Tuple[str, str]]) -> httpx.Response:
        """One GET on the least busy pool. The limiter keeps the total in flight within
        `concurrency`, so the least busy pool always has a free connection: no pool ever queues."""
        busy = self._pool_busy
        index = busy.index(min(busy))
        busy[index] += 1
        try:
            return await self._pools[index].get(path, params=query)
        finally:
            busy[index] -= 1

    def _params(self, params: Optional[Mapping[str, Any]]) -> List[Tuple[str, str]]:
        out: List[Tuple[str, str]] = []
        for key, value in (params or {}).items():
            if value is None:
                continue
            if isinstance(value, (list, tuple)):
                if self.profile["include_style"] == "comma":
                    out.append((key, ",".join(value)))
                else:
                    out.extend((key, str(v)) for v in value)
            else:
                out.append((key, str(value)))
        if self.api_version:
            out.append(("api-version", self.api_version))
        return out

    async def get(self, path: str, params: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
        """GET one JSON object, retrying transient faults; raises an `ApiError` subclass otherwise."""
        return (await self._get(path, params))[0]

    async def _get(
        self, path: str, params: Optional[Mapping[str, Any]] = None
    ) -> Tuple[Dict[str, Any], bytes, Optional[str]]:
        """One JSON object, its raw body and its `x-request-id`, after retries."""
        assert self._pools and self._limiter is not None, "use `async with AssistantsClient(...)`"
        query = self._params(params)
        attempt = 0
        while True:
            await self._limiter.acquire()
            response: Optional[httpx.Response] = None
            rate_limited = False
            try:
                self.stats.requests += 1
                response = await self._send(path, query)
                body = response.content
            except httpx.TransportError as exc:  # connect/read errors, timeouts, resets mid-body
                if _is_certificate_error(exc):
                    raise ConfigError(
                        f"TLS certificate verification failed for {self.base_url}: {_root_cause(exc)}. "
                        "Fix: trust the server's CA (SSL_CERT_FILE=/path/to/ca.pem), never disable verification"
                    ) from None
                failure: ApiError = ApiError(f"{type(exc).__name__}: {exc}", path=path)
                wait = None
            else:
                status = response.status_code
                self.stats.by_status[status] = self.stats.by_status.get(status, 0) + 1
                rate_limited = status == 429
                request_id = response.headers.get("x-request-id")
                if status < 300:
                    try:
                        data = orjson.loads(body)
                    except orjson.JSONDecodeError:
                        # A cut-short body: a transient fault of the wire, so retry it.
                        failure = ApiError("response body is not valid JSON", status=status, request_id=request_id, path=path)
                        wait = None
                    else:
                        if isinstance(data, dict):
                            return data, body, request_id
                        failure = ApiError("response is not a JSON object", status=status, request_id=request_id, path=path)
                        wait = None
                else:
                    failure = self._error_for(response, path)
                    if not self._retryable(response, failure):
                        raise failure
                    wait = retry_after_seconds(response.headers)
            finally:
                self._limiter.release(response.headers if response is not None else None, rate_limited)
            if rate_limited:
                self.stats.rate_limited += 1
            if attempt >= self.max_retries:
                raise RetriesExhaustedError(
                    f"gave up after {attempt + 1} attempts: {failure.api_message}",
                    status=failure.status, code=failure.code, request_id=failure.request_id, path=path,
                )
            self.stats.retries += 1
            delay = wait if wait is not None else backoff_seconds(attempt, self._rng)
            log.debug("retrying GET %s in %.2fs after %s", path, delay, failure)
            attempt += 1
            await asyncio.sleep(delay)

    @staticmethod
    def _error_for(response: httpx.Response, path: str) -> ApiError:
        status = response.status_code
        request_id = response.headers.get("x-request-id")
        message, code = response.reason_phrase or "error", None
        try:
            error = orjson.loads(response.content).get("error") or {}
            message = str(error.get("message") or message)[:300]
            code = error.get("code") or error.get("type")
        except (orjson.JSONDecodeError, AttributeError, TypeError):
            pass  # e.g. a proxy's HTML 502 page
        kwargs = dict(status=status, code=code, request_id=request_id, path=path)
        if status in (401, 403):
            return AuthError(message, **kwargs)
        if status == 429 and code == "insufficient_quota":
            return QuotaError(message + " Fix: check the account's billing and quota; retrying will not help.", **kwargs)
        if status == 404:
            return NotFoundError(message, **kwargs)
        return ApiError(message, **kwargs)

    @staticmethod
    def _retryable(response: httpx.Response, failure: ApiError) -> bool:
        if isinstance(failure, (AuthError, QuotaError, NotFoundError)):
            return False
        if response.headers.get("x-should-retry") == "true":
            return True
        if response.headers.get("x-should-retry") == "false":
            return False
        return response.status_code in settings.RETRY_STATUSES or response.status_code >= 500

    async def list_all(self, path: str, params: Optional[Mapping[str, Any]] = None) -> List[Dict[str, Any]]:
        """Every item of a list endpoint: `limit=100`, `after=<last id of data>` until
        `has_more` is false or `data` is empty (as the official SDK pages)."""
        items: List[Dict[str, Any]] = []
        await self._page(path, params, lambda data, body: items.extend(data))
        return items

    async def list_pages(self, path: str, params: Optional[Mapping[str, Any]] = None) -> List[bytes]:
        """`list_all`, but each page's raw JSON body (read the items with `items_of_pages`).

        A polled thread waits in memory until all its runs' steps are in; as bytes a step page takes
        about a quarter of the memory of the parsed objects (885 against 3,380 bytes per step, measured).
        """
        pages: List[bytes] = []
        await self._page(path, params, lambda data, body: pages.append(body))
        return pages

    async def _page(
        self, path: str, params: Optional[Mapping[str, Any]], keep: Callable[[List[Any], bytes], Any]
    ) -> None:
        """Page through a list endpoint, handing each page's `data` and raw body to `keep`."""
        query = {"limit": settings.PAGE_LIMIT, **(params or {})}
        seen_cursors = set()
        while True:
            page, body, request_id = await self._get(path, query)
            data = page.get("data")
            if not isinstance(data, list):
                raise ApiError("list response has no `data` array", request_id=request_id, path=path)
            keep(data, body)
            if not page.get("has_more") or not data:
                return
            cursor = data[-1].get("id") if isinstance(data[-1], dict) else None
            if not cursor or cursor in seen_cursors or cursor == query.get("after"):
                raise PagingLoopError(
                    f"paging loop: has_more stays true but the page ends at {cursor!r} again",
                    request_id=request_id, path=path,
                )
            seen_cursors.add(cursor)
            query = {**query, "after": cursor}


def items_of_pages(pages: List[bytes]) -> List[Dict[str, Any]]:
    """The items of list pages `list_pages` returned (already checked to hold a `data` array)."""
    return [item for page in pages for item in orjson.loads(page)["data"]]
