"""Command line of the emulator: ``runsteps emulate`` and ``python -m runsteps.emulator``.

`add_arguments` fills an argparse parser (the main CLI mounts it as a sub-command); `run` serves in
the foreground, or writes an export and exits.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, List, Optional

from .emulator import APIS, Emulator, serve
from .export import export_world
from .responses_export import export_responses_world
from .responses_world import ResponsesWorld
from .traffic import TrafficConfig
from .world import FLAVOURS, World

DEFAULT_PORT = 8765

EPILOG = """\
examples:
  # an OpenAI-flavoured server on port 8765 with 50 threads
  runsteps emulate --port 8765 --threads 50
  curl -H 'Authorization: Bearer sk-emulator' -H 'OpenAI-Beta: assistants=v2' \\
       http://127.0.0.1:8765/v1/threads/$(curl -s http://127.0.0.1:8765/_emulator/threads | jq -r '.data[1]')/runs

  # Foundry flavour with 80 ms latency, a 600 RPM limit and 2% server errors
  runsteps emulate --flavour foundry --latency-ms 80 --jitter-ms 40 --rate-limit-rpm 600 --fault-500 0.02

  # a million steps written as an archive of list pages, then exit
  runsteps emulate --threads 8400 --export ./archive

  # the Responses and Conversations APIs as Foundry serves them (GET /responses lists them)
  runsteps emulate --api responses --flavour foundry --conversations 200

  # that world saved as a user's script would (responses, conversations, their items), then exit
  runsteps emulate --api responses --flavour foundry --conversations 200 --export ./responses-archive
  curl -H "Authorization: Bearer $(curl -s -X POST 'http://127.0.0.1:8765/_emulator/token?ttl=3600' | jq -r .access_token)" \
       'http://127.0.0.1:8765/api/projects/demo/openai/v1/responses?limit=5'

control plane (no auth): GET /_emulator/threads, GET /_emulator/stats, POST /_emulator/stats/reset,
POST /_emulator/advance?seconds=N, GET /_emulator/expected, POST /_emulator/faults (JSON traffic config),
POST /_emulator/keys/revoke, POST /_emulator/threads/{id}/delete. See docs/emulator.md.
"""

# (flag suffix, TrafficConfig field, help)
_FAULTS = (
    ("429", "fault_429", "429 rate_limit_exceeded with retry-after-ms and retry-after headers"),
    ("429-bare", "fault_429_bare", "429 rate_limit_exceeded without retry headers"),
    ("insufficient-quota", "fault_insufficient_quota", "429 insufficient_quota (must not be retried)"),
    ("500", "fault_500", "500 server_error"),
    ("502", "fault_502", "502 with an HTML body, as a proxy sends it"),
    ("503", "fault_503", "503 server overloaded"),
    ("504", "fault_504", "504 gateway timeout"),
    ("reset", "fault_reset", "connection closed after the headers and part of the body"),
    ("stall", "fault_stall", "no answer for --stall-seconds (longer than a client timeout)"),
    ("truncated", "fault_truncated", "200 whose JSON body is cut in half"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the emulator's flags to `parser` (and its epilog, when it has none)."""
    if parser.epilog is None:
        parser.epilog = EPILOG
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
    server = parser.add_argument_group("server")
    server.add_argument("--api", choices=APIS, default="assistants",
                        help="which API to serve: assistants (Assistants API v2) or responses (Responses and "
                             "Conversations; flavours openai and foundry) (default: %(default)s)")
    server.add_argument("--host", default="127.0.0.1", help="interface to bind (default: %(default)s)")
    server.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help="port to bind; 0 picks a free port (default: %(default)s)")
    server.add_argument("--flavour", "--flavor", choices=FLAVOURS, default="openai",
                        help="provider to imitate: openai (/v1, Bearer key, OpenAI-Beta header), azure (/openai, "
                             "api-key header, api-version query) or foundry (/api/projects/<project>, Bearer, "
                             "api-version, short list envelope, GET /threads, extra tool types) (default: %(default)s)")
    server.add_argument("--api-key", default="sk-emulator",
                        help="the key clients must present (default: %(default)s)")
    server.add_argument("--project", default="demo", help="Foundry project name in the base path (default: %(default)s)")
    server.add_argument("--log-level", default="warning", choices=("critical", "error", "warning", "info", "debug"),
                        help="uvicorn log level (default: %(default)s)")

    world = parser.add_argument_group("world (deterministic: the same flags give the same data)")
    world.add_argument("--seed", type=int, default=7, help="world seed (default: %(default)s)")
    world.add_argument("--threads", type=int, default=50, help="number of threads (default: %(default)s)")
    world.add_argument("--runs-per-thread", type=float, default=20,
                       help="mean runs per ordinary thread before the clock (default: %(default)s)")
    world.add_argument("--steps-per-run", type=float, default=6,
                       help="mean steps per run that runs to the end (default: %(default)s)")
    world.add_argument("--activity", type=float, default=0.05,
                       help="share of threads that get a new run per hour of clock (default: %(default)s)")
    world.add_argument("--conversations", type=int, default=50,
                       help="--api responses: number of sessions, conversations or response chains (default: %(default)s)")
    world.add_argument("--responses-per-conversation", type=float, default=8,
                       help="--api responses: mean past responses per session (default: %(default)s)")
    world.add_argument("--retention-days", type=float, default=None,
                       help="--api responses: responses older than this answer 404 (default: 30 at openai, none "
                            "at foundry; 0: none)")
    world.add_argument("--advance", type=int, default=0, metavar="SECONDS",
                       help="move the clock forward this many seconds before serving or exporting")
    world.add_argument("--export", metavar="DIR",
                       help="write the world as JSON files to DIR and exit: threads/, runs/, steps/ (list pages); with "
                            "--api responses: responses/, conversations/ (objects, and list pages of their items)")
    world.add_argument("--no-content", action="store_true",
                       help="with --export: leave file-search result content out, as without include[]")

    traffic = parser.add_argument_group("traffic shaping (all off by default; seeded by --fault-seed)")
    traffic.add_argument("--latency-ms", type=float, default=0.0, help="fixed delay added to every API response")
    traffic.add_argument("--jitter-ms", type=float, default=0.0, help="extra random delay, uniform in [0, J) ms")
    traffic.add_argument("--rate-limit-rpm", type=int, default=0,
                         help="requests per minute (token bucket); adds x-ratelimit-* headers and answers 429 "
                              "with retry headers past the limit; 0 disables")
    traffic.add_argument("--rate-limit-retry-header", default="both",
                         choices=("both", "retry-after-ms", "retry-after", "none"),
                         help="retry header(s) on rate-limit 429s (default: %(default)s)")
    for suffix, _, text in _FAULTS:
        traffic.add_argument(f"--fault-{suffix}", type=float, default=0.0, metavar="P",
                             help=f"probability of {text}")
    traffic.add_argument("--stall-seconds", type=float, default=30.0,
                         help="how long a stall lasts (default: %(default)s)")
    traffic.add_argument("--retry-after-ms", type=int, default=200,
                         help="wait announced by injected 429s (default: %(default)s)")
    traffic.add_argument("--fault-seed", type=int, default=0, help="seed of fault and jitter draws (default: %(default)s)")
    traffic.add_argument("--fault-after-requests", type=int, default=None, metavar="N",
                         help="let the first N API requests through untouched before faults start")
    traffic.add_argument("--persistent-status", type=int, default=None, metavar="STATUS",
                         help="once faults are active, answer every API request with this status (e.g. 401, 500)")
    traffic.add_argument("--fault-limit", type=int, default=None, metavar="N", help="inject at most N faults")
    traffic.add_argument("--fault-path", default=None, metavar="TEXT",
                         help="inject faults only into requests whose route or path contains TEXT (e.g. /steps)")
    traffic.add_argument("--paging-loop", action="store_true",
                         help="list routes ignore cursors and always answer has_more=true (a client that trusts "
                              "has_more never ends)")


def traffic_from_args(args: argparse.Namespace) -> TrafficConfig:
    """The `TrafficConfig` the flags describe."""
    values = {field: getattr(args, field) for _, field, _ in _FAULTS}
    return TrafficConfig(
        latency_ms=args.latency_ms,
        jitter_ms=args.jitter_ms,
        rate_limit_rpm=args.rate_limit_rpm or None,
        rate_limit_retry_header=args.rate_limit_retry_header,
        stall_seconds=args.stall_seconds,
        retry_after_ms=args.retry_after_ms,
        fault_seed=args.fault_seed,
        fault_after_requests=args.fault_after_requests,
        persistent_status=args.persistent_status,
        fault_limit=args.fault_limit,
        fault_path=args.fault_path,
        paging_loop=args.paging_loop,
        **values,
    )


def _banner(emu: Emulator) -> None:
    lines = [
        f"runsteps emulator ({emu.api}, {emu.flavour}) — {emu.world!r}",
        f"  base URL : {emu.base_url}",
        f"  API key  : {emu.api_key}",
    ]
    if emu.api == "responses":
        lines += [f"  API root : {emu.api_root}",
                  "  headers  : Authorization: Bearer <key or token from POST /_emulator/token?ttl=S>",
                  f"  control  : {emu.root_url}/_emulator/responses | /conversations | /expected | POST /advance?seconds=N",
                  "  Ctrl-C to stop."]
        print("\n".join(lines), flush=True)
        return
    if emu.flavour == "openai":
        lines.append("  headers  : Authorization: Bearer <key>, OpenAI-Beta: assistants=v2")
    elif emu.flavour == "azure":
        lines.append(f"  headers  : api-key: <key>; query api-version={emu.api_version}")
    else:
        lines.append(f"  headers  : Authorization: Bearer <key>; query api-version={emu.api_version}")
    lines += [
        f"  control  : {emu.root_url}/_emulator/threads | /stats | /expected | POST /advance?seconds=N",
        "  Ctrl-C to stop.",
    ]
    print("\n".join(lines), flush=True)


def run(args: argparse.Namespace) -> int:
    """Serve in the foreground (or export and exit).

    Returns:
        The process exit code.
    """
    api = getattr(args, "api", "assistants")
    try:
        traffic = traffic_from_args(args)
        world: Any
        if api == "responses":
            retention = "default" if args.retention_days is None else args.retention_days
            world = ResponsesWorld(seed=args.seed, conversations=args.conversations,
                                   responses_per_conversation=args.responses_per_conversation, flavour=args.flavour,
                                   activity=args.activity, retention_days=retention)
        else:
            world = World(seed=args.seed, threads=args.threads, runs_per_thread=args.runs_per_thread,
                          steps_per_run=args.steps_per_run, flavour=args.flavour, activity=args.activity)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.advance:
        world.advance(args.advance)
    if args.export and api == "responses":
        counts = export_responses_world(world, args.export)
        print(f"exported {counts['responses']} responses ({counts['input_items']} input items), "
              f"{counts['conversations']} conversations ({counts['conversation_items']} items) "
              f"({counts['files']} files) to {args.export}")
        return 0
    if args.export:
        counts = export_world(world, args.export, include_content=not args.no_content)
        print(f"exported {counts['threads']} threads, {counts['runs']} runs, {counts['steps']} steps "
              f"({counts['files']} files) to {args.export}")
        return 0
    try:
        serve(world, flavour=args.flavour, api_key=args.api_key, traffic=traffic, host=args.host, port=args.port,
              project=args.project, log_level=args.log_level, on_ready=_banner, api=api)
    except OSError as exc:
        print(f"error: cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of ``python -m runsteps.emulator``."""
    parser = argparse.ArgumentParser(
        prog="python -m runsteps.emulator",
        description="Serve a local Assistants API v2 (or, with --api responses, Responses and Conversations) "
                    "emulator with a deterministic world "
                    "(or export that world as JSON list pages).",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))
