"""The only code that talks HTTP: an async JSON client with connection pools, retries and cursor paging.

It knows no API's paths: each source's client adds its endpoints on top. Everything is async so that
many objects are fetched at once; the number of requests in flight adapts to `x-ratelimit-*` headers
and 429s (`limiter`). It takes a `ClientConfig` that was checked where it entered, as it is.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import httpx
import orjson

from .config import ClientConfig
from .errors import (
    ApiError,
    AuthError,
    ConfigError,
    NotFoundError,
    PagingLoopError,
    QuotaError,
    RetriesExhaustedError,
)
from .limiter import AdaptiveLimiter
from .retries import RETRY_STATUSES, backoff_seconds, retry_after_seconds
from .transport import make_transport

log = logging.getLogger("runsteps.client")

# Connections per httpx pool; more concurrency means more pools (see ApiClient.__aenter__).
POOL_SIZE = 8
PAGE_LIMIT = 100


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


# A token is refreshed this long before it expires (at most half its lifetime), so that no request
# is sent with a token about to lapse in flight.
TOKEN_REFRESH_MARGIN_S = 300.0


class BearerTokens:
    """Bearer tokens from a token credential (azure-identity's `get_token` protocol), cached until
    shortly before they expire, so that a load outlives any one token.

    The credential is synchronous (as azure-identity's `DefaultAzureCredential` is): it is called in a
    worker thread, one refresh at a time. The token lives only here and in request headers.
    """

    def __init__(self, credential: Any, scope: str, fix: str) -> None:
        self.credential = credential
        self.scope = scope
        self.fix = fix
        self.fetched = 0  # tokens fetched so far (tests, stats)
        self._header: Optional[str] = None
        self._refresh_at = 0.0
        self._lock: Optional[asyncio.Lock] = None

    async def header(self, stale: Optional[str] = None) -> str:
        """The `Authorization` value; a new token when the cached one is near expiry, or is `stale`
        (the one a request was just refused with)."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        if self._usable(stale):
            return self._header  # type: ignore[return-value]
        async with self._lock:
            if self._usable(stale):  # another request refreshed it while this one waited
                return self._header  # type: ignore[return-value]
            try:
                token = await asyncio.to_thread(self.credential.get_token, self.scope)
                value, expires_on = str(token.token), float(token.expires_on)
            except Exception as exc:  # azure-identity raises ClientAuthenticationError and others
                first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
                raise AuthError(f"could not get a token for {self.scope}: {type(exc).__name__}: {first_line}. {self.fix}") from None
            now = time.time()
            self.fetched += 1
            self._header = f"Bearer {value}"
            self._refresh_at = expires_on - min(TOKEN_REFRESH_MARGIN_S, max(0.0, (expires_on - now) / 2))
            return self._header

    def _usable(self, stale: Optional[str]) -> bool:
        return self._header is not None and self._header != stale and time.time() < self._refresh_at


@dataclass
class ClientStats:
    """What the client did, for progress lines and the benchmark."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    by_status: Dict[int, int] = field(default_factory=dict)


class ApiClient:
    """An async client for the GET side of a JSON API, in any provider's flavour.

    Use it as `async with ApiClient(config) as client:`.

    Args:
        config: the checked configuration (base URL, provider, key, limits).
        seed: seeds the back-off jitter (tests).
        on_page: called with the path and raw body of every successful response (e.g. to keep a raw
            copy); it is never given a header, so never the key.
    """

    def __init__(self, config: ClientConfig, seed: Optional[int] = None,
                 on_page: Optional[Callable[[str, bytes], None]] = None) -> None:
        self.config = config
        self.on_page = on_page
        self.base_url = config.base_url
        self.max_retries = config.max_retries
        self.concurrency = config.concurrency
        self.stats = ClientStats()
        self._rng = random.Random(seed)
        self._headers = config.headers()
        self._timeout = httpx.Timeout(config.timeout)
        self._verify = config.verify
        self._pools: List[httpx.AsyncClient] = []
        self._pool_busy: List[int] = []
        self._limiter: Optional[AdaptiveLimiter] = None
        self.tokens = (BearerTokens(config.credential, config.token_scope or "", config.key_fix())
                       if config.credential is not None else None)

    async def __aenter__(self) -> "ApiClient":
        # Several small connection pools instead of one big one: httpcore re-scans every connection
        # of a pool (a readability syscall for each idle one, and a count of the idle ones inside
        # that loop) whenever a request starts or ends, so one pool's CPU cost grows with the square
        # of its size. With pools of at most POOL_SIZE connections that cost stays flat (measured:
        # 50 threads at 100 ms latency and concurrency 48 took 10.0 s in one pool; see docs/benchmarks.md).
        n_pools = -(-self.concurrency // POOL_SIZE)
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

    async def _send(self, path: str, query: List[Tuple[str, str]], auth: Optional[str] = None) -> httpx.Response:
        """One GET on the least busy pool. The limiter keeps the total in flight within
        `concurrency`, so the least busy pool always has a free connection: no pool ever queues."""
        busy = self._pool_busy
        index = busy.index(min(busy))
        busy[index] += 1
        try:
            if auth is not None:
                return await self._pools[index].get(path, params=query, headers={"Authorization": auth})
            return await self._pools[index].get(path, params=query)
        finally:
            busy[index] -= 1

    def _params(self, params: Optional[Mapping[str, Any]]) -> List[Tuple[str, str]]:
        out: List[Tuple[str, str]] = []
        for key, value in (params or {}).items():
            if value is None:
                continue
            if isinstance(value, (list, tuple)):
                if self.config.profile.include_style == "comma":
                    out.append((key, ",".join(value)))
                else:
                    out.extend((key, str(v)) for v in value)
            else:
                out.append((key, str(value)))
        if self.config.api_version:
            out.append(("api-version", self.config.api_version))
        return out

    async def get(self, path: str, params: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
        """GET one JSON object, retrying transient faults; raises an `ApiError` subclass otherwise."""
        return (await self._get(path, params))[0]

    async def _get(
        self, path: str, params: Optional[Mapping[str, Any]] = None
    ) -> Tuple[Dict[str, Any], bytes, Optional[str]]:
        """One JSON object, its raw body and its `x-request-id`, after retries."""
        assert self._pools and self._limiter is not None, "use `async with` on the client"
        query = self._params(params)
        attempt = 0
        refused: Optional[str] = None  # the last token a 401 refused: never sent again
        while True:
            await self._limiter.acquire()
            response: Optional[httpx.Response] = None
            rate_limited = False
            try:
                # Asked for after the wait for a slot, so that a token never waits in the queue until it lapses.
                auth = await self.tokens.header(stale=refused) if self.tokens is not None else None
                self.stats.requests += 1
                response = await self._send(path, query, auth)
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
                            if self.on_page is not None:
                                self.on_page(path, body)
                            return data, body, request_id
                        failure = ApiError("response is not a JSON object", status=status, request_id=request_id, path=path)
                        wait = None
                else:
                    failure = self._error_for(response, path)
                    if status == 401 and auth is not None and auth != refused:
                        refused = auth  # expired in flight, or revoked: retry once with a fresh token
                        wait = 0.0
                    elif not self._retryable(response, failure):
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

    def _error_for(self, response: httpx.Response, path: str) -> ApiError:
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
            return AuthError(f"{message} {self.config.key_fix()}", **kwargs)
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
        return response.status_code in RETRY_STATUSES or response.status_code >= 500

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
        query = {"limit": PAGE_LIMIT, **(params or {})}
        seen_cursors = set()
        pages = 0
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
            pages += 1
            if pages >= self.config.max_pages:
                raise PagingLoopError(
                    f"listing never ends: has_more is still true after {pages} pages of new ids; "
                    f"if the list really is that long, raise --max-pages (now {self.config.max_pages})",
                    request_id=request_id, path=path,
                )
            query = {**query, "after": cursor}


def items_of_pages(pages: List[bytes]) -> List[Dict[str, Any]]:
    """The items of list pages `list_pages` returned (already checked to hold a `data` array)."""
    return [item for page in pages for item in orjson.loads(page)["data"]]
