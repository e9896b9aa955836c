"""The guarantees hold for every API the loader reads: one case per API and flavour, so a guarantee
test is written once and parametrized (`@pytest.mark.parametrize("case", CASES, ids=str)`).

A case knows how to start its emulator, which `runsteps load` arguments name everything (the ids an
OpenAI user has to give, none where the provider lists), which tables hold the data, and how to
compare a warehouse with the emulator's ground truth (the world's `expected()`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List

from runsteps.emulator import Emulator
from tests import responses_truth
from tests.helpers import TABLE_KEYS, load_args


@dataclass(frozen=True)
class ApiCase:
    api: str  # assistants | responses
    flavour: str  # openai | azure | foundry

    def __str__(self) -> str:
        return f"{self.api}-{self.flavour}"

    @property
    def responses(self) -> bool:
        return self.api == "responses"

    @property
    def key_variable(self) -> str:
        """The environment variable the provider's key (or token) is read from."""
        return {"openai": "OPENAI_API_KEY", "azure": "AZURE_OPENAI_API_KEY", "foundry": "AZURE_AI_AGENTS_TOKEN"}[self.flavour]

    @property
    def dlt_key_variable(self) -> str:
        """The same key given the dlt way, to this API's source."""
        return f"SOURCES__OPENAI_{self.api.upper()}__API_KEY"

    @property
    def table_keys(self) -> Dict[str, str]:
        """The data tables and the keys that order their rows."""
        return responses_truth.TABLE_KEYS if self.responses else TABLE_KEYS

    def emulator(self, seed: int, size: int, **kwargs: Any) -> Emulator:
        """An emulator of `size` threads (Assistants) or conversations of about 4 responses (Responses)."""
        if self.responses:
            return Emulator(api="responses", flavour=self.flavour, seed=seed, conversations=size,
                            responses_per_conversation=4, **kwargs)
        return Emulator(seed=seed, threads=size, flavour=self.flavour, **kwargs)

    def load_args(self, emu: Emulator, db: Path, *extra: str, name_all: bool = True) -> List[str]:
        """`runsteps load` of everything the world holds (`name_all`), or of what the warehouse
        knows already (the nightly path: nothing named)."""
        if not self.responses:
            return load_args(emu, db, *extra, **({} if name_all else {"thread_ids": []}))
        if not name_all:
            return responses_truth.responses_args(emu, db, *extra)
        if self.flavour == "foundry":  # Foundry lists the project's responses and conversations
            return responses_truth.responses_args(emu, db, *extra)
        return responses_truth.responses_args(emu, db, *extra, response_ids=responses_truth.chain_heads(emu),
                                              conversation_ids=emu.world.conversation_ids())

    def partial_load_args(self, emu: Emulator, db: Path) -> List[str]:
        """A load of about half the world, for a warehouse that already holds something."""
        if not self.responses:
            return load_args(emu, db, thread_ids=emu.world.thread_ids()[: len(emu.world.thread_ids()) // 2])
        heads = responses_truth.chain_heads(emu)
        conversations = emu.world.conversation_ids()
        return responses_truth.responses_args(emu, db, "--no-list-responses", response_ids=heads[: len(heads) // 2],
                                              conversation_ids=conversations[: len(conversations) // 2])

    def a_loaded_id(self, emu: Emulator) -> str:
        """An id the full load stores (to show that a scan of the warehouse sees the data)."""
        return emu.world.response_ids(retained_only=True)[-1] if self.responses else emu.world.thread_ids()[-1]

    def assert_equals_world(self, db: Path, emu: Emulator) -> None:
        """The warehouse holds what the emulator's ground truth says it must."""
        if self.responses:
            responses_truth.assert_equals_world(db, emu.world.expected())
        else:
            from tests.integration.test_load import assert_equals_world

            assert_equals_world(db, emu.world.expected())


ASSISTANTS = ApiCase("assistants", "openai")
RESPONSES = [ApiCase("responses", "openai"), ApiCase("responses", "foundry")]
CASES = [ASSISTANTS, *RESPONSES]
