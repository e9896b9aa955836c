"""`--concurrency N` means N requests in flight, as the server sees them: never more (a provider's
limit is respected) and, when there is enough work, exactly N (the connection pools never queue).

The emulator counts the API requests it is answering at once (`max_in_flight`); with 100 ms of
latency per request every slot the client has is visibly in use.
"""

from __future__ import annotations

import pytest

from runsteps.emulator import Emulator, TrafficConfig
from tests.helpers import key_env, load_args, run_cli
from tests.integration.test_load import assert_equals_world


@pytest.mark.parametrize(
    "concurrency, threads",
    [
        pytest.param(1, 2, id="one-request-at-a-time"),
        pytest.param(7, 6, id="one-connection-pool"),
        pytest.param(20, 12, id="three-connection-pools"),  # pools of at most 8 connections: 7 + 7 + 6
    ],
)
def test_requests_in_flight_reach_the_concurrency_and_never_exceed_it(concurrency, threads, tmp_path):
    db = tmp_path / "c.duckdb"
    with Emulator(seed=11, threads=threads, runs_per_thread=6, flavour="openai",
                  traffic=TrafficConfig(latency_ms=100)) as emu:
        result = run_cli(*load_args(emu, db, "--concurrency", str(concurrency)), env=key_env(emu))
        assert result.code == 0, result.err
        assert emu.stats()["max_in_flight"] == concurrency
        expected = emu.world.expected()
    assert_equals_world(db, expected)
