"""Fixtures of the emulator tests: in-process emulators on free ports, and the API schema."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
try:  # the package is normally installed (pip install -e .); a bare checkout works too
    import runsteps.emulator  # noqa: F401
except ImportError:  # pragma: no cover
    sys.path.insert(0, str(REPO / "pipelines"))

from runsteps.emulator import Emulator, World  # noqa: E402

SPEC_PATH = REPO / "specs" / "openai-assistants-subset.openapi.yaml"  # in the repository: never missing
INCLUDE = "step_details.tool_calls[*].file_search.results[*].content"

# A small world that still has every special thread (indices 0-5) and a few pages everywhere.
SMALL = dict(seed=7, threads=8, runs_per_thread=5, steps_per_run=4)


# Plain-HTTP clients skip loading the CA bundle (~0.1 s per client on a busy machine).
CTL = httpx.Client(verify=False, timeout=10)  # unauthenticated: control plane and negative tests


def client_for(emu: Emulator, **kwargs: Any) -> httpx.Client:
    """An httpx client that authenticates as the emulator's flavour expects."""
    return httpx.Client(base_url=emu.base_url, headers=emu.client_headers(), params=emu.client_params(),
                        timeout=kwargs.pop("timeout", 10), verify=False, **kwargs)


def walk(client: httpx.Client, path: str, **params: Any) -> List[Dict[str, Any]]:
    """Every item of a list route, paging as the official SDK does (after=<last id>)."""
    items: List[Dict[str, Any]] = []
    after = None
    while True:
        q = dict(params, **({"after": after} if after else {}))
        page = client.get(path, params=q)
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["data"]
        if not body["has_more"] or not body["data"]:
            return items
        after = body["data"][-1]["id"]


@pytest.fixture(scope="session")
def emu() -> Iterator[Emulator]:
    """A read-only openai emulator shared by the tests that do not change it."""
    with Emulator(World(**SMALL)) as e:
        yield e


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., Emulator]]:
    """Start emulators that a test may change (clock, faults, keys); all stopped afterwards."""
    started: List[Emulator] = []

    def make(*args: Any, **kwargs: Any) -> Emulator:
        if not args and "world" not in kwargs:
            kwargs = {**{k: v for k, v in SMALL.items()}, **kwargs}
        e = Emulator(*args, **kwargs).start()
        started.append(e)
        return e

    yield make
    for e in started:
        e.stop()


@pytest.fixture(scope="session")
def spec() -> Dict[str, Any]:
    import yaml

    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
