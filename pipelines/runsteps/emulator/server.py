"""The raw ASGI application: routing, flavour checks, traffic shaping, request log and stats.

No framework: the hot path (a list page) is a dict lookup for the route, a page of plans whose
terminal objects are cached as JSON bytes, and the envelope joined around them.

Why ~460 lines: the request path (auth, flavour checks, faults, rate limit, routing, logging) is one
sequence measured as a whole (~250 µs of CPU per request, docs/emulator.md). The Assistants API's
routes (`AssistantsRoutes`, ~70 lines) still sit here beside it; the Responses API's are in
`responses_routes.py`, and the next API's routes should go to a module of their own the same way.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections import Counter, deque
from typing import Any, Callable, Deque, Dict, List, Optional, Protocol, Tuple
from urllib.parse import parse_qsl

import orjson

from .errors import (
    BAD_GATEWAY_HTML,
    HTML,
    JSON,
    Headers,
    Response,
    error,
    insufficient_quota,
    invalid_url,
    not_found,
    rate_limited,
    retry_headers,
    status_error,
)
from .flavours import Flavour
from .paging import BadParam, parse_list_params
from .tokens import TokenStore
from .traffic import TrafficConfig, TrafficState
from .world import NotFound, World

LOG_FIELDS = ("method", "path", "query", "status", "request_id", "route", "fault")
FILE_SEARCH_CONTENT = "step_details.tool_calls[*].file_search.results[*].content"

# (path segments pattern, template). "*" matches one id segment.
_ROUTES: List[Tuple[Tuple[str, ...], str]] = [
    (("assistants",), "/assistants"),
    (("assistants", "*"), "/assistants/{assistant_id}"),
    (("threads",), "/threads"),
    (("threads", "*"), "/threads/{thread_id}"),
    (("threads", "*", "messages"), "/threads/{thread_id}/messages"),
    (("threads", "*", "messages", "*"), "/threads/{thread_id}/messages/{message_id}"),
    (("threads", "*", "runs"), "/threads/{thread_id}/runs"),
    (("threads", "*", "runs", "*"), "/threads/{thread_id}/runs/{run_id}"),
    (("threads", "*", "runs", "*", "steps"), "/threads/{thread_id}/runs/{run_id}/steps"),
    (("threads", "*", "runs", "*", "steps", "*"), "/threads/{thread_id}/runs/{run_id}/steps/{step_id}"),
]


class AbortConnection(Exception):
    """Raised after a partial body to make uvicorn close the connection (the `reset` fault)."""


_ROUTE_TABLE: Dict[Tuple[str, ...], str] = {pattern: template for pattern, template in _ROUTES}


def match_route(rel: str) -> Optional[Tuple[str, List[str]]]:
    """Match a path relative to the flavour prefix.

    Every route alternates a fixed segment and an id, so the fixed segments (even positions) pick
    the template and the odd positions are the ids.

    Returns:
        ``(template, ids)`` or None.
    """
    parts = rel.strip("/").split("/")
    if not parts[0]:
        return None
    ids = parts[1::2]
    if not all(ids):
        return None
    key = tuple(p if i % 2 == 0 else "*" for i, p in enumerate(parts))
    template = _ROUTE_TABLE.get(key)
    return (template, ids) if template is not None else None


def parse_query(qs: str) -> List[Tuple[str, str]]:
    """Query pairs; a fast path for the common case of nothing to unquote."""
    if not qs:
        return []
    if "%" in qs or "+" in qs:
        return parse_qsl(qs, keep_blank_values=True)
    return [tuple(item.split("=", 1)) if "=" in item else (item, "") for item in qs.split("&") if item]  # type: ignore[misc]


def parse_include(pairs: List[Tuple[str, str]]) -> bool:
    """Whether file-search content is asked for. Accepts repeated ``include[]`` and the
    comma-separated form Foundry uses (``include[]=a,b``).

    Raises:
        BadParam: for a value the API does not know.
    """
    wanted = False
    for key, value in pairs:
        if key not in ("include[]", "include"):
            continue
        for item in value.split(","):
            item = item.strip()
            if not item:
                continue
            if item != FILE_SEARCH_CONTENT:
                raise BadParam(
                    f"Invalid value: '{item}'. Supported values are: '{FILE_SEARCH_CONTENT}'.", "include[]", "invalid_value"
                )
            wanted = True
    return wanted


class EmulatorApp:
    """ASGI app serving one world in one flavour.

    Args:
        world: the world to serve.
        flavour: the provider flavour.
        api_key: the key clients must present.
        traffic: traffic shaping (None: none).
        log_limit: how many requests the request log keeps.
        routes: the API's routes (default: the Assistants API's, over `world`).
    """

    def __init__(self, world: Any, flavour: Flavour, api_key: str, traffic: Optional[TrafficConfig] = None,
                 log_limit: int = 100_000, routes: Optional["ApiRoutes"] = None) -> None:
        from .control import ControlPlane

        self.world = world
        self.flavour = flavour
        self.api_key = api_key
        self.revoked = False
        self.traffic = TrafficState(traffic)
        # Tuples (see LOG_FIELDS), turned into dicts only when someone reads the log.
        self.request_log: Deque[tuple] = deque(maxlen=log_limit)
        self.stats: Dict[str, Counter] = {}
        self.total = 0
        # API requests being answered right now, and the most at once since the last reset: what a
        # client's concurrency really was, as the server saw it (only the server's event loop writes these).
        self.in_flight = 0
        self.max_in_flight = 0
        self._stats_lock = threading.Lock()
        self.control = ControlPlane(self)
        self._prefix = flavour.prefix
        # What the API serves: the Assistants routes unless another API's routes are given.
        self.routes: ApiRoutes = routes if routes is not None else AssistantsRoutes(world, flavour)
        self.tokens = TokenStore()

    # --- configuration (called from other threads; plain attribute swaps) ----------------------

    def set_traffic(self, config: Optional[TrafficConfig]) -> None:
        """Replace the traffic shaping; counters of `fault_after_requests` start again."""
        self.traffic = TrafficState(config)

    def reset_stats(self) -> None:
        """Zero the counters and clear the request log."""
        with self._stats_lock:
            self.stats = {}
            self.total = 0
            self.max_in_flight = self.in_flight
            self.request_log.clear()

    def log_entries(self, limit: Optional[int] = None) -> List[Dict[str, Any]]:
        """The request log as dicts ``{method, path, query, status, request_id, route, fault}``."""
        with self._stats_lock:
            entries = list(self.request_log)
        if limit is not None:
            entries = entries[-limit:] if limit > 0 else []
        return [dict(zip(LOG_FIELDS, e)) for e in entries]

    def stats_snapshot(self) -> Dict[str, Any]:
        """``{"total": n, "max_in_flight": n, "requests": {template: {status: n}}}`` of API requests."""
        with self._stats_lock:
            return {"total": self.total, "max_in_flight": self.max_in_flight,
                    "requests": {k: dict(v) for k, v in sorted(self.stats.items())}}

    # --- ASGI -------------------------------------------------------------------------------------

    async def __call__(self, scope: Dict[str, Any], receive: Callable, send: Callable) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return

    async def _http(self, scope: Dict[str, Any], receive: Callable, send: Callable) -> None:
        path: str = scope["path"]
        method: str = scope["method"]
        qs: str = scope["query_string"].decode("latin-1")
        request_id = "req_" + os.urandom(16).hex()
        if path.startswith("/_emulator"):
            status, headers, body = await self.control.handle(method, path, qs, receive)
            await _send(send, status, headers, body, request_id)
            return
        self.in_flight += 1
        if self.in_flight > self.max_in_flight:
            self.max_in_flight = self.in_flight
        try:
            await self._api(scope, receive, send, path, method, qs, request_id)
        finally:
            self.in_flight -= 1

    async def _api(self, scope: Dict[str, Any], receive: Callable, send: Callable, path: str, method: str,
                   qs: str, request_id: str) -> None:
        route = None
        if path.startswith(self._prefix):
            route = self.routes.match(path[len(self._prefix):])
        template = f"{method} {route[0]}" if route else f"{method} <unmatched>"

        fault: Optional[str] = None
        extra: Headers = []
        loop_pages = False
        tr = self.traffic
        if tr.active:
            cfg = tr.config
            if cfg.latency_ms or cfg.jitter_ms:
                await asyncio.sleep(tr.delay_s())
            faults_on = tr.count(template, path)
            early: Optional[Response] = None
            if faults_on and cfg.persistent_status:
                early = status_error(int(cfg.persistent_status), cfg.retry_after_ms)
            if early is None and tr.limiter is not None:
                allowed, extra, wait_ms = tr.limiter.take()
                if not allowed:
                    early = rate_limited(wait_ms, cfg.rate_limit_retry_header)
            if early is None and faults_on:
                loop_pages = cfg.paging_loop
                fault = tr.pick_fault()
                early = _early_fault(fault, cfg)
            if early is not None:
                status, headers, body = early
                await _send(send, status, headers + extra, body, request_id)
                self._record(method, path, qs, template, status, request_id, fault)
                return
            if fault == "stall":
                if await _stall(receive, cfg.stall_seconds):
                    self._record(method, path, qs, template, 0, request_id, fault)
                    return

        status, headers, body = self._handle(method, path, scope, qs, route, loop_pages)
        if extra:
            headers = headers + extra
        if fault == "truncated":
            if status == 200:
                body = _cut(body)
            else:
                fault = None  # only a success is cut short: an error answer goes out whole
        elif fault == "reset":
            self._record(method, path, qs, template, status, request_id, fault)
            await send({"type": "http.response.start", "status": status,
                        "headers": headers + [(b"content-length", str(len(body)).encode()),
                                              (b"x-request-id", request_id.encode())]})
            await send({"type": "http.response.body", "body": body[: max(1, len(body) // 3)], "more_body": True})
            raise AbortConnection()
        await _send(send, status, headers, body, request_id)
        self._record(method, path, qs, template, status, request_id, fault)

    def _record(self, method: str, path: str, qs: str, template: str, status: int, request_id: str,
                fault: Optional[str]) -> None:
        # A cut-short 200 or a reset is not a success: it is counted under the fault's name.
        key = fault if fault in ("reset", "stall", "truncated") else str(status)
        with self._stats_lock:
            self.total += 1
            counter = self.stats.get(template)
            if counter is None:
                counter = self.stats[template] = Counter()
            counter[key] += 1
            self.request_log.append((method, path, qs, status, request_id, template, fault))

    # --- API --------------------------------------------------------------------------------------

    def _handle(self, method: str, path: str, scope: Dict[str, Any], qs: str,
                route: Optional[Tuple[str, List[str]]], loop_pages: bool) -> Response:
        if not path.startswith(self._prefix):
            return invalid_url(method, path)  # not this provider's API at all
        headers = dict(scope["headers"])
        pairs = parse_query(qs)
        query = dict(pairs)
        key = self.api_key
        presented = bearer_token(headers)
        if presented is not None and self.tokens.known(presented):
            # An issued token stands in for the key until it expires (then the provider's 401).
            expired = self.tokens.check(presented, foundry=self.flavour.name == "foundry")
            if expired is not None:
                return expired
            key = presented
        denied = self.flavour.check_request(headers, query, key, self.revoked)
        if denied is not None:
            return denied
        if route is None or not self.routes.serves(route[0]):
            return invalid_url(method, path)
        if method != "GET":
            return error(405, f"The emulator serves the read API only ({method} {path} is not supported).",
                         code="method_not_supported")
        template, ids = route
        try:
            return self.routes.handle(template, ids, query, pairs, loop_pages)
        except NotFound as exc:
            return not_found(exc.message)
        except BadParam as exc:
            return error(400, exc.message, param=exc.param, code=exc.code)


def bearer_token(headers: Dict[bytes, bytes]) -> Optional[str]:
    """The token of an ``Authorization: Bearer`` header, if any."""
    auth = headers.get(b"authorization")
    if auth is None:
        return None
    value = auth.decode("latin-1")
    return value[7:].strip() if value[:7].lower() == "bearer " else None


class ApiRoutes(Protocol):
    """What `EmulatorApp` needs from an API: match a path, say whether a template is served in this
    flavour, and answer a GET (raising `NotFound` / `BadParam` for 404 / 400)."""

    def match(self, rel: str) -> Optional[Tuple[str, List[str]]]: ...

    def serves(self, template: str) -> bool: ...

    def handle(self, template: str, ids: List[str], query: Dict[str, str], pairs: List[Tuple[str, str]],
               loop: bool) -> Response: ...


class AssistantsRoutes:
    """The Assistants API v2 read routes over a `World`."""

    def __init__(self, world: World, flavour: Flavour) -> None:
        self.world = world
        self.flavour = flavour
        self._handlers: Dict[str, Callable[..., Response]] = {
            "/assistants": self._list_assistants,
            "/assistants/{assistant_id}": self._get_assistant,
            "/threads": self._list_threads,
            "/threads/{thread_id}": self._get_thread,
            "/threads/{thread_id}/messages": self._list_messages,
            "/threads/{thread_id}/messages/{message_id}": self._get_message,
            "/threads/{thread_id}/runs": self._list_runs,
            "/threads/{thread_id}/runs/{run_id}": self._get_run,
            "/threads/{thread_id}/runs/{run_id}/steps": self._list_steps,
            "/threads/{thread_id}/runs/{run_id}/steps/{step_id}": self._get_step,
        }

    @staticmethod
    def match(rel: str) -> Optional[Tuple[str, List[str]]]:
        return match_route(rel)

    def serves(self, template: str) -> bool:
        return template != "/threads" or self.flavour.lists_threads

    def handle(self, template: str, ids: List[str], query: Dict[str, str], pairs: List[Tuple[str, str]],
               loop: bool) -> Response:
        return self._handlers[template](ids, query, pairs, loop)

    def _page(self, data: List[Dict[str, Any]], has_more: bool) -> Response:
        return 200, [JSON], orjson.dumps(self.flavour.envelope(data, has_more))

    @staticmethod
    def _one(obj: Dict[str, Any]) -> Response:
        return 200, [JSON], orjson.dumps(obj)

    def _list_assistants(self, ids, query, pairs, loop) -> Response:
        return self._page(*self.world.list_assistants(parse_list_params(query), loop))

    def _get_assistant(self, ids, query, pairs, loop) -> Response:
        return self._one(self.world.assistant(ids[0]))

    def _list_threads(self, ids, query, pairs, loop) -> Response:
        return self._page(*self.world.list_threads(parse_list_params(query), loop))

    def _get_thread(self, ids, query, pairs, loop) -> Response:
        return self._one(self.world.thread(ids[0]))

    def _list_messages(self, ids, query, pairs, loop) -> Response:
        params = parse_list_params(query)
        return self._page(*self.world.list_messages(ids[0], params, run_id=query.get("run_id") or None, loop=loop))

    def _get_message(self, ids, query, pairs, loop) -> Response:
        return self._one(self.world.message(ids[0], ids[1]))

    def _list_runs(self, ids, query, pairs, loop) -> Response:
        parts, item_ids, more = self.world.runs_page_json(ids[0], parse_list_params(query), loop)
        return 200, [JSON], self.flavour.envelope_json(parts, item_ids, more)

    def _get_run(self, ids, query, pairs, loop) -> Response:
        return self._one(self.world.run(ids[0], ids[1]))

    def _list_steps(self, ids, query, pairs, loop) -> Response:
        params = parse_list_params(query)
        include = parse_include(pairs)
        parts, item_ids, more = self.world.steps_page_json(ids[0], ids[1], params, include, loop)
        return 200, [JSON], self.flavour.envelope_json(parts, item_ids, more)

    def _get_step(self, ids, query, pairs, loop) -> Response:
        return self._one(self.world.step(ids[0], ids[1], ids[2], parse_include(pairs)))


def _early_fault(fault: Optional[str], cfg: TrafficConfig) -> Optional[Response]:
    """The response of a fault that replaces the request entirely (None for the others)."""
    if fault is None or fault in ("reset", "stall", "truncated"):
        return None
    if fault == "429":
        return rate_limited(cfg.retry_after_ms, "both")
    if fault == "429_bare":
        return rate_limited(cfg.retry_after_ms, "none")
    if fault == "insufficient_quota":
        return insufficient_quota()
    if fault == "500":
        return error(500, "The server had an error while processing your request. Sorry about that!", "server_error")
    if fault == "502":
        return 502, [HTML], BAD_GATEWAY_HTML
    if fault == "503":
        return error(503, "The engine is currently overloaded, please try again later.", "server_error",
                     headers=retry_headers(cfg.retry_after_ms, "retry-after"))
    return error(504, "Gateway timeout. The upstream server did not respond in time.", "server_error",
                 code="gateway_timeout")


def _cut(body: bytes) -> bytes:
    """About half of a JSON body, cut before an ASCII byte so that what is left is valid UTF-8 and
    only the JSON is broken (a client sees a JSON decode error, not a Unicode one)."""
    cut = max(1, len(body) // 2)
    while cut > 1 and body[cut] >= 0x80:
        cut -= 1
    return body[:cut]


async def _stall(receive: Callable, seconds: float) -> bool:
    """Answer nothing for `seconds`, or until the client gives up.

    Returns:
        True when the client disconnected (nothing more to send).
    """

    async def wait_disconnect() -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return

    try:
        await asyncio.wait_for(wait_disconnect(), timeout=seconds)
        return True
    except asyncio.TimeoutError:
        return False


async def _send(send: Callable, status: int, headers: Headers, body: bytes, request_id: str) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": headers + [(b"content-length", str(len(body)).encode()),
                                      (b"x-request-id", request_id.encode())]})
    await send({"type": "http.response.body", "body": body})
