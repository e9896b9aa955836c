"""The control plane under ``/_emulator/``: not part of the API, never authenticated or shaped.

| route | does |
|---|---|
| GET  /_emulator/health | ``{"ok", "flavour", "base_path", "clock"}`` |
| GET  /_emulator/threads | ``{"data": [thread ids]}`` |
| GET  /_emulator/stats | ``{"total": n, "max_in_flight": n, "requests": {"GET /threads/{thread_id}/runs": {"200": n}}}`` |
| POST /_emulator/stats/reset | zeroes the counters and clears the request log |
| GET  /_emulator/requests?limit=N | the last N entries of the request log |
| POST /_emulator/advance?seconds=N | moves the clock; ``{"clock": now}`` |
| GET  /_emulator/clock | ``{"clock": now}`` |
| GET  /_emulator/expected | the world's expected totals (see expected.py; a None key, e.g. no agent, is "null") |
| GET  /_emulator/world | the world's knobs |
| GET  /_emulator/faults | the current traffic config |
| POST /_emulator/faults | JSON body replaces the traffic config (``{}`` turns everything off) |
| POST /_emulator/keys/revoke | the current key answers 401 from now on |
| POST /_emulator/keys | JSON ``{"api_key": "..."}``: a new valid key (also un-revokes) |
| POST /_emulator/threads/{thread_id}/delete | the thread answers 404 from now on |
| POST /_emulator/threads/{thread_id}/runs/{run_id}/delete | the run answers 404 from now on |
| GET/POST /_emulator/token?ttl=S | a bearer token valid for S seconds (wall clock), then 401 |

Responses API only:
| GET  /_emulator/responses | ``{"data": [response ids]}`` (``?retained=1``: only those within retention) |
| GET  /_emulator/conversations | ``{"data": [conversation ids]}`` |
| POST /_emulator/responses/{id}/delete, /_emulator/conversations/{id}/delete | 404 from now on |
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Callable, Dict
from urllib.parse import parse_qsl

import orjson

from .errors import JSON, Response, error
from .traffic import TrafficConfig
from .world import NotFound

if TYPE_CHECKING:  # pragma: no cover
    from .server import EmulatorApp


def _ok(obj: Any, status: int = 200) -> Response:
    # OPT_NON_STR_KEYS: `expected()` of a Foundry Responses world counts the responses without an
    # agent under the key None, which JSON writes as "null".
    return status, [JSON], orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS)


async def _read_body(receive: Callable) -> bytes:
    body = b""
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        more = message.get("more_body", False)
    return body


class ControlPlane:
    """Handlers of the ``/_emulator`` routes for one `EmulatorApp`."""

    def __init__(self, app: "EmulatorApp") -> None:
        self.app = app

    async def handle(self, method: str, path: str, qs: str, receive: Callable) -> Response:
        """Serve one control-plane request."""
        app = self.app
        world = app.world
        query = dict(parse_qsl(qs, keep_blank_values=True))
        parts = path.strip("/").split("/")[1:]  # without "_emulator"
        route = "/".join(parts)
        try:
            if method == "GET":
                if route == "health":
                    return _ok({"ok": True, "api": getattr(world, "api", "assistants"), "flavour": app.flavour.name,
                                "base_path": app.flavour.prefix, "clock": world.now})
                if route == "threads" and hasattr(world, "thread_ids"):
                    return _ok({"data": world.thread_ids()})
                if route == "responses" and hasattr(world, "response_ids"):
                    return _ok({"data": world.response_ids(retained_only=query.get("retained") in ("1", "true"))})
                if route == "conversations" and hasattr(world, "conversation_ids"):
                    return _ok({"data": world.conversation_ids()})
                if route == "stats":
                    return _ok(app.stats_snapshot())
                if route == "requests":
                    return _ok({"data": app.log_entries(int(query.get("limit", "1000")))})
                if route == "clock":
                    return _ok({"clock": world.now})
                if route == "expected":
                    # Big worlds take seconds: keep the event loop serving meanwhile.
                    loop = asyncio.get_running_loop()
                    return _ok(await loop.run_in_executor(None, world.expected))
                if route == "world" and hasattr(world, "knobs"):
                    return _ok(world.knobs())
                if route == "world":
                    s = world.shape
                    return _ok({"seed": s.seed, "threads": s.threads, "runs_per_thread": s.runs_per_thread,
                                "steps_per_run": s.steps_per_run, "flavour": s.flavour, "activity": s.activity,
                                "clock": world.now})
                if route == "faults":
                    return _ok(app.traffic.config.to_dict())
            if route == "token" and method in ("GET", "POST"):
                return _ok(app.tokens.issue(float(query.get("ttl", "3600"))))
            if method == "POST":
                if route == "stats/reset":
                    app.reset_stats()
                    return _ok({"total": 0, "requests": {}})
                if route == "advance":
                    raw = query.get("seconds")
                    if raw is None:
                        body = await _read_body(receive)
                        raw = str(orjson.loads(body).get("seconds")) if body else None
                    if raw is None:
                        return error(400, "advance needs ?seconds=N", param="seconds")
                    world.advance(int(raw))
                    return _ok({"clock": world.now})
                if route == "faults":
                    body = await _read_body(receive)
                    data: Dict[str, Any] = orjson.loads(body) if body.strip() else {}
                    config = TrafficConfig.from_dict(data)
                    app.set_traffic(config)
                    return _ok(config.to_dict())
                if route == "keys/revoke":
                    app.revoked = True
                    return _ok({"revoked": True})
                if route == "keys":
                    body = await _read_body(receive)
                    key = orjson.loads(body).get("api_key") if body.strip() else None
                    if not key or not isinstance(key, str):
                        return error(400, "keys needs a JSON body {\"api_key\": \"...\"}", param="api_key")
                    app.api_key, app.revoked = key, False
                    return _ok({"revoked": False})
                if len(parts) == 3 and parts[0] == "responses" and parts[2] == "delete" and hasattr(world, "delete_response"):
                    world.delete_response(parts[1])
                    return _ok({"id": parts[1], "deleted": True})
                if len(parts) == 3 and parts[0] == "conversations" and parts[2] == "delete" \
                        and hasattr(world, "delete_conversation"):
                    world.delete_conversation(parts[1])
                    return _ok({"id": parts[1], "deleted": True})
                if len(parts) == 3 and parts[0] == "threads" and parts[2] == "delete" and hasattr(world, "delete_thread"):
                    world.delete_thread(parts[1])
                    return _ok({"id": parts[1], "deleted": True})
                if len(parts) == 5 and parts[0] == "threads" and parts[2] == "runs" and parts[4] == "delete" \
                        and hasattr(world, "delete_run"):
                    world.delete_run(parts[1], parts[3])
                    return _ok({"id": parts[3], "deleted": True})
            return error(404, f"No control route {method} {path}.")
        except NotFound as exc:
            return error(404, exc.message)
        except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
            return error(400, str(exc))
