"""Running the emulator: in a background thread (`Emulator`, for tests and the demo) or in the
foreground (`serve`, for the CLI). Both use uvicorn with httptools and uvloop.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Union

import uvicorn

from .flavours import AZURE_API_VERSION, FOUNDRY_API_VERSIONS, Flavour, make_flavour
from .responses_routes import ResponsesRoutes, responses_flavour
from .responses_world import ResponsesWorld
from .server import AbortConnection, EmulatorApp
from .traffic import TrafficConfig
from .world import World

TrafficLike = Union[TrafficConfig, Dict[str, Any], None]
APIS = ("assistants", "responses")


class _DropAbortedConnections(logging.Filter):
    """The `reset` fault aborts connections on purpose: that is not an application error."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, AbortConnection)


_filter_installed = False


def _install_log_filter() -> None:
    global _filter_installed
    if not _filter_installed:
        logging.getLogger("uvicorn.error").addFilter(_DropAbortedConnections())
        _filter_installed = True


def _traffic(value: TrafficLike) -> Optional[TrafficConfig]:
    if value is None or isinstance(value, TrafficConfig):
        return value
    return TrafficConfig.from_dict(value)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def _uvicorn_config(app: EmulatorApp, log_level: str, in_thread: bool) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        loop="uvloop",
        http="httptools",
        ws="none",
        lifespan="off",
        log_level=log_level,
        access_log=False,
        server_header=False,
        # In a library, leave the host application's logging alone.
        log_config=None if in_thread else uvicorn.config.LOGGING_CONFIG,
        timeout_graceful_shutdown=1,
        backlog=1024,
    )


def _build(world: Optional[World], seed: int, threads: int, runs_per_thread: float, steps_per_run: float,
           flavour: Optional[str]) -> World:
    if world is None:
        return World(seed=seed, threads=threads, runs_per_thread=runs_per_thread, steps_per_run=steps_per_run,
                     flavour=flavour or "openai")
    if flavour is not None and flavour != world.flavour and {flavour, world.flavour} != {"openai", "azure"}:
        # openai and azure worlds hold the same data; a foundry world does not.
        raise ValueError(f"world was generated for flavour {world.flavour!r}, cannot serve it as {flavour!r}")
    return world


def _build_responses(world: Optional[ResponsesWorld], seed: int, conversations: int,
                     responses_per_conversation: float, flavour: Optional[str], retention_days: Any) -> ResponsesWorld:
    if world is None:
        return ResponsesWorld(seed=seed, conversations=conversations,
                              responses_per_conversation=responses_per_conversation, flavour=flavour or "openai",
                              retention_days=retention_days)
    if flavour is not None and flavour != world.flavour:
        raise ValueError(f"world was generated for flavour {world.flavour!r}, cannot serve it as {flavour!r}")
    return world


class Emulator:
    """The Assistants API v2 emulator on a local port, served from a background thread.

    Use it as a context manager::

        with Emulator(seed=7, threads=50, flavour="openai") as emu:
            client = openai.OpenAI(base_url=emu.base_url, api_key=emu.api_key)

        with Emulator(api="responses", flavour="foundry", conversations=50) as emu:
            client = openai.OpenAI(base_url=emu.api_root, api_key=emu.issue_token(3600)["access_token"])

    Args:
        world: a world to serve (`World` or `ResponsesWorld`); built from the knobs below when None.
        api: ``assistants`` (default) or ``responses`` (Responses and Conversations APIs); taken
            from `world` when one is given.
        seed, threads, runs_per_thread, steps_per_run: Assistants world knobs (ignored when `world` is given).
        conversations, responses_per_conversation, retention_days: Responses world knobs (ignored
            when `world` is given); retention "default" is 30 days at openai, none at foundry.
        flavour: ``openai``, ``azure`` or ``foundry`` (responses: ``openai`` or ``foundry``); defaults to the world's.
        api_key: the key clients must present.
        traffic: latency, rate limit and faults (a `TrafficConfig` or its dict).
        host: interface to bind.
        port: port to bind; 0 picks a free one.
        project: Foundry project name in the base path.
        log_limit: how many requests `request_log` keeps.
    """

    def __init__(
        self,
        world: Optional[World] = None,
        *,
        seed: int = 7,
        threads: int = 50,
        runs_per_thread: float = 20,
        steps_per_run: float = 6,
        flavour: Optional[str] = None,
        api_key: str = "sk-emulator",
        traffic: TrafficLike = None,
        host: str = "127.0.0.1",
        port: int = 0,
        project: str = "demo",
        log_limit: int = 100_000,
        api: Optional[str] = None,
        conversations: int = 50,
        responses_per_conversation: float = 8,
        retention_days: Any = "default",
    ) -> None:
        if api is None:
            api = "responses" if isinstance(world, ResponsesWorld) else "assistants"
        if api not in APIS:
            raise ValueError(f"api must be one of {', '.join(APIS)}, not {api!r}")
        self.api = api
        self.world: Any
        if api == "responses":
            if world is not None and not isinstance(world, ResponsesWorld):
                raise ValueError("api='responses' needs a ResponsesWorld")
            self.world = _build_responses(world, seed, conversations, responses_per_conversation, flavour,
                                          retention_days)
            self._flavour: Flavour = responses_flavour(self.world.flavour, project)
            routes: Any = ResponsesRoutes(self.world, self._flavour)
        else:
            if isinstance(world, ResponsesWorld):
                raise ValueError("a ResponsesWorld is served with api='responses'")
            self.world = _build(world, seed, threads, runs_per_thread, steps_per_run, flavour)
            self._flavour = make_flavour(flavour or self.world.flavour, project)
            routes = None
        self.project = project
        self.host = host
        self._requested_port = port
        self.port = port
        self.app = EmulatorApp(self.world, self._flavour, api_key, _traffic(traffic), log_limit, routes=routes)
        self._server: Optional[uvicorn.Server] = None
        self._thread: Optional[threading.Thread] = None
        self._sock: Optional[socket.socket] = None

    # --- lifecycle --------------------------------------------------------------------------------

    def start(self) -> "Emulator":
        """Bind the port and serve in a background thread; returns once it accepts connections."""
        if self._thread is not None:
            return self
        _install_log_filter()
        self._sock = _bind(self.host, self._requested_port)
        self.port = self._sock.getsockname()[1]
        self._server = uvicorn.Server(_uvicorn_config(self.app, "warning", in_thread=True))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]},
                                        name=f"runsteps-emulator:{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the emulator did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=5)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(timeout=5)
        if self._sock is not None:
            self._sock.close()
        self._server = self._thread = self._sock = None

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # --- addresses and credentials -----------------------------------------------------------------

    @property
    def flavour(self) -> str:
        return self._flavour.name

    @property
    def root_url(self) -> str:
        """``http://host:port``; the control plane lives under ``/_emulator/``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The API base URL for this flavour (``.../v1``, ``.../openai``, ``.../api/projects/demo``).

        For the Responses API at Foundry this is the project endpoint as users give it
        (``.../api/projects/demo``, without ``/openai/v1``); `api_root` is where the routes live.
        """
        if self.api == "responses" and self.flavour == "foundry":
            return self.root_url + f"/api/projects/{self.project}"
        return self.root_url + self._flavour.prefix

    @property
    def api_root(self) -> str:
        """Where the API routes live: `base_url`, plus ``/openai/v1`` for the Responses API at Foundry.
        Give it to the official SDK as its ``base_url``."""
        return self.root_url + self._flavour.prefix

    @property
    def api_key(self) -> str:
        return self.app.api_key

    @property
    def api_version(self) -> Optional[str]:
        """The ``api-version`` query value clients should send (None for openai and the Responses API)."""
        if self.api == "responses":
            return None
        return {"azure": AZURE_API_VERSION, "foundry": FOUNDRY_API_VERSIONS[0]}.get(self.flavour)

    def client_headers(self) -> Dict[str, str]:
        """Headers a client of this flavour sends (authentication and, for openai, the beta header)."""
        if self.flavour == "azure":
            return {"api-key": self.api_key}
        headers = {"Authorization": f"Bearer {self.api_key}"}
        if self.flavour == "openai" and self.api == "assistants":
            headers["OpenAI-Beta"] = "assistants=v2"
        return headers

    def client_params(self) -> Dict[str, str]:
        """Query parameters a client of this flavour sends on every request."""
        return {"api-version": self.api_version} if self.api_version else {}

    # --- observation and control -------------------------------------------------------------------

    def stats(self) -> Dict[str, Any]:
        """``{"total": n, "requests": {"GET /threads/{thread_id}/runs": {"200": n}}}`` (API requests only)."""
        return self.app.stats_snapshot()

    def reset_stats(self) -> None:
        """Zero the counters and clear the request log."""
        self.app.reset_stats()

    @property
    def request_log(self) -> List[Dict[str, Any]]:
        """The last requests: ``{method, path, query, status, request_id, route, fault}``."""
        return self.app.log_entries()

    def advance(self, seconds: int) -> None:
        """Move the world's clock forward."""
        self.world.advance(seconds)

    def expected(self) -> Dict[str, Any]:
        """The world's expected totals at the current clock."""
        return self.world.expected()

    @property
    def traffic(self) -> TrafficConfig:
        return self.app.traffic.config

    def set_traffic(self, traffic: TrafficLike = None, **changes: Any) -> None:
        """Replace the traffic config (keyword arguments build one: ``set_traffic(fault_500=0.1)``)."""
        if changes:
            base = _traffic(traffic) or TrafficConfig()
            traffic = TrafficConfig.from_dict({**base.to_dict(), **changes})
        self.app.set_traffic(_traffic(traffic))

    def issue_token(self, ttl: float = 3600) -> Dict[str, Any]:
        """A bearer token valid for `ttl` seconds of wall-clock time, then answered with the
        provider's 401 (``{access_token, token_type, expires_in, expires_on}``)."""
        return self.app.tokens.issue(ttl)

    def revoke_key(self) -> None:
        """The current key answers 401 from now on."""
        self.app.revoked = True

    def set_api_key(self, api_key: str) -> None:
        """Accept a new key (and only it) from now on."""
        self.app.api_key, self.app.revoked = api_key, False

    def delete_thread(self, thread_id: str) -> None:
        """The thread answers 404 from now on."""
        self.world.delete_thread(thread_id)

    def delete_response(self, response_id: str) -> None:
        """The response answers 404 from now on (Responses API)."""
        self.world.delete_response(response_id)

    def delete_conversation(self, conversation_id: str) -> None:
        """The conversation answers 404 from now on (Responses API)."""
        self.world.delete_conversation(conversation_id)

    def delete_run(self, thread_id: str, run_id: str) -> None:
        """The run answers 404 from now on."""
        self.world.delete_run(thread_id, run_id)

    def __repr__(self) -> str:
        return f"Emulator({self.base_url!r}, api={self.api!r}, flavour={self.flavour!r}, world={self.world!r})"


def serve(
    world: Optional[World] = None,
    *,
    seed: int = 7,
    threads: int = 50,
    runs_per_thread: float = 20,
    steps_per_run: float = 6,
    flavour: Optional[str] = None,
    api_key: str = "sk-emulator",
    traffic: TrafficLike = None,
    host: str = "127.0.0.1",
    port: int = 8765,
    project: str = "demo",
    log_level: str = "warning",
    on_ready: Optional[Callable[[Emulator], None]] = None,
    api: Optional[str] = None,
    conversations: int = 50,
    responses_per_conversation: float = 8,
    retention_days: Any = "default",
) -> None:
    """Serve in the foreground until interrupted (Ctrl-C / SIGTERM).

    Args:
        world, seed, threads, runs_per_thread, steps_per_run, flavour, api_key, traffic, host, port,
            project, api, conversations, responses_per_conversation, retention_days: as for `Emulator`.
        log_level: uvicorn's log level.
        on_ready: called with a (not started) `Emulator` describing the bound server, e.g. to print
            its URLs, once the port is bound.
    """
    emu = Emulator(world, seed=seed, threads=threads, runs_per_thread=runs_per_thread, steps_per_run=steps_per_run,
                   flavour=flavour, api_key=api_key, traffic=traffic, host=host, port=port, project=project, api=api,
                   conversations=conversations, responses_per_conversation=responses_per_conversation,
                   retention_days=retention_days)
    sock = _bind(host, port)
    emu.port = sock.getsockname()[1]
    server = uvicorn.Server(_uvicorn_config(emu.app, log_level, in_thread=False))
    _install_log_filter()  # after uvicorn configured logging
    if on_ready is not None:
        on_ready(emu)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
