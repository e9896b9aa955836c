"""Writing a world to disk as API responses: the archive format `runsteps load --from-export` reads.

Layout under `out_dir`:

    threads/<thread_id>.json            the thread object
    runs/<thread_id>.json               one list page with all visible runs, ascending, has_more false
    steps/<thread_id>/<run_id>.json     one list page with all visible steps, ascending, has_more false

Pages use the flavour's envelope (Foundry: ``{data, last_id, has_more}``). Threads without runs get
an empty runs page, runs without steps an empty steps page: "nothing there" is recorded, not implied.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Union

import orjson

from .flavours import make_flavour
from .world import World


def _write(path: Path, obj: object) -> None:
    # Write then rename, so an interrupted export never leaves a half-written JSON file.
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(orjson.dumps(obj) + b"\n")
    os.replace(tmp, path)


def export_world(world: World, out_dir: Union[str, os.PathLike], include_content: bool = True) -> Dict[str, int]:
    """Write everything visible at the world's clock to `out_dir`.

    Args:
        world: the world.
        out_dir: target directory (created if needed; existing files are overwritten).
        include_content: whether file-search results carry their `content` (as with `include[]`).

    Returns:
        Counts of what was written: ``{"threads", "runs", "steps", "files"}``.
    """
    out = Path(out_dir)
    flavour = make_flavour(world.flavour)
    (out / "threads").mkdir(parents=True, exist_ok=True)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    (out / "steps").mkdir(parents=True, exist_ok=True)
    counts = {"threads": 0, "runs": 0, "steps": 0, "files": 0}
    for thread_id in world.thread_ids():
        _write(out / "threads" / f"{thread_id}.json", world.thread(thread_id))
        runs = world.runs(thread_id)
        _write(out / "runs" / f"{thread_id}.json", flavour.envelope(runs, False))
        counts["threads"] += 1
        counts["runs"] += len(runs)
        counts["files"] += 2
        if runs:
            (out / "steps" / thread_id).mkdir(exist_ok=True)
        for run in runs:
            steps = world.steps(thread_id, run["id"], include_content=include_content)
            _write(out / "steps" / thread_id / f"{run['id']}.json", flavour.envelope(steps, False))
            counts["steps"] += len(steps)
            counts["files"] += 1
    return counts
