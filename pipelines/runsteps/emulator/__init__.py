"""A local Assistants API v2 server with a deterministic, clocked world.

Public interface::

    from runsteps.emulator import World, Emulator, TrafficConfig, export_world

    world = World(seed=7, threads=50, runs_per_thread=20, steps_per_run=6, flavour="openai")
    with Emulator(world) as emu:
        ...  # emu.base_url, emu.api_key, emu.stats(), emu.advance(3600), world.expected()

The Responses and Conversations APIs (the Assistants API's successors)::

    from runsteps.emulator import Emulator, ResponsesWorld

    with Emulator(api="responses", flavour="foundry", conversations=50) as emu:
        ...  # emu.base_url (project endpoint), emu.api_root, emu.world.response_ids(), emu.expected()

See docs/emulator.md for the knobs, flavours, control plane and the shape of the world.
"""

from .emulator import Emulator, serve
from .export import export_world
from .generate import ANCHOR as DEFAULT_CLOCK
from .generate import SPECIAL_KINDS
from .responses_export import export_responses_world
from .responses_world import ResponsesWorld
from .traffic import FAULT_KINDS, TrafficConfig
from .world import NotFound, World

__all__ = [
    "DEFAULT_CLOCK",
    "Emulator",
    "FAULT_KINDS",
    "NotFound",
    "ResponsesWorld",
    "SPECIAL_KINDS",
    "TrafficConfig",
    "World",
    "export_responses_world",
    "export_world",
    "serve",
]
