"""How many requests per second the emulator serves, with no latency injected.

Starts ``python -m runsteps.emulator`` in a subprocess on a free port, collects real thread and run
ids, then sends a bounded number of requests per round over a few keep-alive connections and prints,
per scenario, the median over the rounds of:

- ``httpx req/s``: throughput seen by an async ``httpx.AsyncClient``;
- ``raw req/s``: throughput seen by a minimal asyncio HTTP/1.1 keep-alive client (almost no client
  cost, so it shows what the server sustains when the client is not the bottleneck);
- ``server µs/req``: the emulator process's CPU time per request (from /proc), and the capacity it
  implies for one core. This one does not depend on the client or on other load on the machine.

Client and server share the machine. On a slow 2-core box, httpx itself costs ~1-2 ms of CPU per
request, so the httpx column measures the client; read the raw and capacity columns for the server.

    .venv/bin/python benchmarks/emulator_speed.py
    .venv/bin/python benchmarks/emulator_speed.py --rounds 5 --requests 2000 --concurrency 8 --client raw
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import httpx

REPO = Path(__file__).resolve().parents[1]
INCLUDE = "step_details.tool_calls[*].file_search.results[*].content"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, threads: int, flavour: str) -> subprocess.Popen:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "pipelines"), env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "runsteps.emulator", "--port", str(port), "--threads", str(threads),
           "--flavour", flavour, "--log-level", "error"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    with httpx.Client(verify=False, timeout=1) as c:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"emulator exited: {proc.stderr.read().decode() if proc.stderr else ''}")
            try:
                if c.get(f"http://127.0.0.1:{port}/_emulator/health").status_code == 200:
                    return proc
            except httpx.HTTPError:
                time.sleep(0.05)
    proc.kill()
    raise SystemExit("emulator did not start")


def cpu_seconds(pid: int) -> Optional[float]:
    """User + system CPU time of a process (Linux /proc), or None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return None


def client_settings(flavour: str, port: int) -> Tuple[str, Dict[str, str], Dict[str, str]]:
    root = f"http://127.0.0.1:{port}"
    if flavour == "openai":
        return root + "/v1", {"Authorization": "Bearer sk-emulator", "OpenAI-Beta": "assistants=v2"}, {}
    if flavour == "azure":
        return root + "/openai", {"api-key": "sk-emulator"}, {"api-version": "2024-05-01-preview"}
    return root + "/api/projects/demo", {"Authorization": "Bearer sk-emulator"}, {"api-version": "v1"}


async def run_httpx(base: str, headers: Dict[str, str], urls: List[str], total: int, concurrency: int) -> float:
    """`total` GETs over `concurrency` connections with httpx; returns requests per second."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    remaining = total
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30, verify=False) as client:
        await asyncio.gather(*(client.get(urls[i % len(urls)]) for i in range(concurrency)))  # open connections

        async def worker(k: int) -> None:
            nonlocal remaining
            i = k
            while remaining > 0:
                remaining -= 1
                r = await client.get(urls[i % len(urls)])
                if r.status_code != 200:
                    raise SystemExit(f"HTTP {r.status_code}: {r.text[:200]}")
                i += concurrency

        start = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(concurrency)))
        return total / (time.perf_counter() - start)


async def run_raw(base: str, headers: Dict[str, str], urls: List[str], total: int, concurrency: int) -> float:
    """The same with a minimal HTTP/1.1 keep-alive client (reads Content-Length bodies)."""
    root, prefix = base.split("/", 3)[2], "/" + base.split("/", 3)[3]
    host, port = root.rsplit(":", 1)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    requests = [f"GET {prefix}{u} HTTP/1.1\r\nHost: {root}\r\n{head}\r\n".encode() for u in urls]
    remaining = total
    conns = [await asyncio.open_connection(host, int(port)) for _ in range(concurrency)]

    async def fetch(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> None:
        writer.write(request)
        status_and_headers = await reader.readuntil(b"\r\n\r\n")
        if not status_and_headers.startswith(b"HTTP/1.1 200"):
            raise SystemExit(status_and_headers.decode(errors="replace"))
        length = 0
        for line in status_and_headers.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await reader.readexactly(length)

    async def worker(k: int) -> None:
        nonlocal remaining
        reader, writer = conns[k]
        i = k
        while remaining > 0:
            remaining -= 1
            await fetch(reader, writer, requests[i % len(requests)])
            i += concurrency

    for k, (reader, writer) in enumerate(conns):
        await fetch(reader, writer, requests[k % len(requests)])
    start = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(concurrency)))
    rate = total / (time.perf_counter() - start)
    for _, writer in conns:
        writer.close()
    return rate


def collect(base: str, headers: Dict[str, str], params: Dict[str, str], root: str) -> List[Tuple[str, str]]:
    """(thread id, run id) pairs of the world, via the control plane and the API."""
    pairs: List[Tuple[str, str]] = []
    with httpx.Client(base_url=base, headers=headers, params=params, timeout=30, verify=False) as c:
        for tid in c.get(root + "/_emulator/threads").json()["data"]:
            after = None
            while True:
                q = {"limit": "100", "order": "asc", **({"after": after} if after else {})}
                page = c.get(f"/threads/{tid}/runs", params=q).json()
                pairs += [(tid, r["id"]) for r in page["data"]]
                if not page["has_more"] or not page["data"]:
                    break
                after = page["data"][-1]["id"]
    return pairs


def measure(runner: Callable, pid: int, base: str, headers: Dict[str, str], urls: List[str], args) -> Tuple[float, float]:
    """Median req/s over the rounds, and the server's CPU microseconds per request."""
    rates, cpu_used, served = [], 0.0, 0
    for _ in range(args.rounds):
        before = cpu_seconds(pid)
        rates.append(asyncio.run(runner(base, headers, urls, args.requests, args.concurrency)))
        after = cpu_seconds(pid)
        if before is not None and after is not None:
            cpu_used += after - before
            served += args.requests + args.concurrency
    return statistics.median(rates), (cpu_used / served * 1e6 if served else float("nan"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=50, help="world size (default: %(default)s)")
    ap.add_argument("--flavour", default="openai", choices=("openai", "azure", "foundry"))
    ap.add_argument("--rounds", type=int, default=3, help="rounds per scenario and client (default: %(default)s)")
    ap.add_argument("--requests", type=int, default=1000, help="requests per round (default: %(default)s)")
    ap.add_argument("--concurrency", type=int, default=8, help="concurrent connections (default: %(default)s)")
    ap.add_argument("--client", choices=("both", "httpx", "raw"), default="both",
                    help="which client(s) to measure with (default: %(default)s)")
    args = ap.parse_args()

    port = free_port()
    proc = start_server(port, args.threads, args.flavour)
    try:
        base, headers, params = client_settings(args.flavour, port)
        root = f"http://127.0.0.1:{port}"
        pairs = collect(base, headers, params, root)
        qs = "".join(f"&{k}={v}" for k, v in params.items())
        thread_ids = sorted({t for t, _ in pairs})
        scenarios = {
            "steps page, limit=100": [f"/threads/{t}/runs/{r}/steps?limit=100{qs}" for t, r in pairs],
            "steps page + include[]": [f"/threads/{t}/runs/{r}/steps?limit=100&include[]={INCLUDE}{qs}"
                                       for t, r in pairs],
            "runs page, limit=100": [f"/threads/{t}/runs?limit=100&order=asc{qs}" for t in thread_ids],
        }
        clients = {"httpx": run_httpx, "raw": run_raw}
        if args.client != "both":
            clients = {args.client: clients[args.client]}
        print(f"emulator ({args.flavour}, {args.threads} threads, {len(pairs)} runs), no latency; {args.rounds} rounds x "
              f"{args.requests} requests over {args.concurrency} keep-alive connections; {os.cpu_count()} CPUs\n")
        cols = "".join(f"{name + ' req/s':>13}" for name in clients)
        print(f"{'scenario':<24}{cols}{'server µs/req':>15}{'capacity/core':>15}")
        for name, urls in scenarios.items():
            # Untimed pass: every object generated and serialized once, as a long-running server has.
            asyncio.run(run_raw(base, headers, urls, len(urls), args.concurrency))
            results = {client: measure(fn, proc.pid, base, headers, urls, args) for client, fn in clients.items()}
            cpu = statistics.median(us for _, us in results.values())
            row = "".join(f"{rate:>13,.0f}" for rate, _ in results.values())
            print(f"{name:<24}{row}{cpu:>15,.0f}{1e6 / cpu:>15,.0f}", flush=True)
        with httpx.Client(verify=False) as c:
            stats = c.get(root + "/_emulator/stats").json()
        print(f"\nthe server counted {stats['total']} API requests (warm-up included), all answered 200: "
              f"{all(set(v) == {'200'} for v in stats['requests'].values())}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
