"""Writing a Responses world to disk the way a user's script saves it: what `runsteps load --api
responses --from-export` reads.

Layout under `out_dir`:

    responses/<response_id>.json                 the response as `responses.retrieve(id, include=[...])`
                                                 returns it (file-search results, code-interpreter outputs)
    responses/<response_id>/input_items.json     one list page of its input items, oldest first
    conversations/<conversation_id>.json         the conversation object
    conversations/<conversation_id>/items.json   one list page of its items, oldest first, has_more false

Pages use the flavour's envelope (Foundry: no `object`). Only what the API still serves at the
world's clock is written (a response past OpenAI's retention answers 404, so no script saved it now).
A conversation without items gets an empty page: "nothing there" is recorded, not implied.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Union

import orjson

from .responses_routes import page_body
from .responses_vocab import INCLUDE_CODE_OUTPUTS, INCLUDE_FILE_SEARCH
from .responses_world import ResponsesWorld

INCLUDE = frozenset({INCLUDE_FILE_SEARCH, INCLUDE_CODE_OUTPUTS})


def _write(path: Path, obj: object) -> None:
    # Write then rename, so an interrupted export never leaves a half-written JSON file.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(orjson.dumps(obj) + b"\n")
    os.replace(tmp, path)


def export_responses_world(world: ResponsesWorld, out_dir: Union[str, os.PathLike]) -> Dict[str, int]:
    """Write every retrievable response and every conversation at the world's clock to `out_dir`.

    Args:
        world: the world.
        out_dir: target directory (created if needed; existing files are overwritten).

    Returns:
        Counts of what was written: ``{"responses", "input_items", "conversations", "conversation_items", "files"}``.
    """
    out = Path(out_dir)
    foundry = world.flavour == "foundry"
    counts = {"responses": 0, "input_items": 0, "conversations": 0, "conversation_items": 0, "files": 0}
    for response_id in world.response_ids(retained_only=True):
        _write(out / "responses" / f"{response_id}.json", world.response(response_id, INCLUDE))
        inputs = world.input_items(response_id)
        _write(out / "responses" / response_id / "input_items.json", page_body(inputs, False, foundry))
        counts["responses"] += 1
        counts["input_items"] += len(inputs)
        counts["files"] += 2
    for conversation_id in world.conversation_ids():
        _write(out / "conversations" / f"{conversation_id}.json", world.conversation(conversation_id))
        items = world.conversation_items(conversation_id)
        _write(out / "conversations" / conversation_id / "items.json", page_body(items, False, foundry))
        counts["conversations"] += 1
        counts["conversation_items"] += len(items)
        counts["files"] += 2
    return counts
