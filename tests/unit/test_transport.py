"""The cheaper transport keeps httpx's behaviour: a connection the server closed is never reused,
connections are spread over small pools, and a proxy from the environment is still honoured."""

from __future__ import annotations

import asyncio
import socket

import httpcore
import httpx
import pytest

from openai_assistants.client import AssistantsClient
from openai_assistants.settings import API_PROFILES
from sourcekit.config import resolve_client_config
from sourcekit.http import POOL_SIZE
from sourcekit.transport import _Backend, _is_readable, make_transport


def _config(base_url: str, concurrency: int):
    return resolve_client_config(provider="openai", profiles=API_PROFILES, key_setting="s", base_url=base_url,
                                 api_key="sk-x", concurrency=concurrency)


@pytest.fixture
def pair():
    a, b = socket.socketpair()
    yield a, b
    a.close()
    b.close()


def test_an_open_quiet_socket_is_not_readable(pair):
    assert _is_readable(pair[0]) is False


def test_a_socket_with_data_waiting_is_readable(pair):
    pair[1].sendall(b"x")
    assert _is_readable(pair[0]) is True


def test_a_socket_the_peer_closed_is_readable_so_it_is_not_reused(pair):
    pair[1].close()
    assert _is_readable(pair[0]) is True


def test_a_missing_or_closed_socket_counts_as_readable(pair):
    assert _is_readable(None) is True
    pair[0].close()
    assert _is_readable(pair[0]) is True


def test_the_transport_pool_uses_the_socket_remembering_backend():
    context = httpx.create_ssl_context(verify=True)
    transport = make_transport(httpx.Limits(max_connections=5, max_keepalive_connections=5), context)
    pool = transport._pool
    assert isinstance(pool, httpcore.AsyncConnectionPool)
    assert isinstance(pool._network_backend, _Backend)
    assert pool._ssl_context is context
    assert (pool._max_connections, pool._max_keepalive_connections) == (5, 5)


def test_all_pools_share_one_tls_context():
    async def contexts():
        async with AssistantsClient(_config("https://api.example/v1", 32)) as client:
            return {id(p._transport._pool._ssl_context) for p in client._pools}

    assert len(asyncio.run(contexts())) == 1


@pytest.mark.parametrize(
    "concurrency, pools, per_pool",
    [
        pytest.param(1, 1, 1, id="1-one-pool"),
        pytest.param(POOL_SIZE, 1, POOL_SIZE, id="pool-size-one-pool"),
        pytest.param(20, 3, 7, id="20-three-pools-of-7"),
        pytest.param(32, 4, 8, id="32-four-pools-of-8"),
    ],
)
def test_concurrency_is_spread_over_pools_of_at_most_pool_size(concurrency, pools, per_pool):
    async def sizes():
        async with AssistantsClient(_config("http://127.0.0.1:9/v1", concurrency)) as client:
            return [(p._transport._pool._max_connections, type(p._transport._pool._network_backend))
                    for p in client._pools]

    assert asyncio.run(sizes()) == [(per_pool, _Backend)] * pools


def test_behind_a_proxy_the_client_keeps_httpx_transport_so_the_proxy_is_used(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")

    async def mounts():
        async with AssistantsClient(_config("https://api.example/v1", 4)) as client:
            return [list(p._mounts.values()) for p in client._pools]

    (only,) = asyncio.run(mounts())
    assert len(only) == 1 and isinstance(only[0], httpx.AsyncHTTPTransport)
    assert isinstance(only[0]._pool, httpcore.AsyncHTTPProxy)
