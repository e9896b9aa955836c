"""Reading archives of API responses: a folder of JSON files, each a list page or a single object.

Files are classified by what they hold, not by their names, so any layout works: the emulator's
(`threads/`, `runs/`, `steps/`), a dump made with curl, or pages saved by a script before the sunset.
A file that is not JSON, or holds something that is not an Assistants object, is reported, not skipped
in silence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Tuple

import orjson

from sourcekit.errors import ConfigError

_KINDS = {"thread": "threads", "thread.run": "runs", "thread.run.step": "steps"}


@dataclass
class ExportContents:
    """Objects found in an export folder, plus the files that could not be read."""

    threads: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    runs: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    steps: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    problems: List[Tuple[str, str]] = field(default_factory=list)  # (file, reason)


def _kind(obj: Mapping[str, Any]) -> str | None:
    """`object` names the kind; Foundry pages lack it on the envelope but not on items. Ids as a fallback."""
    kind = _KINDS.get(str(obj.get("object")))
    if kind:
        return kind
    oid = str(obj.get("id", ""))
    for prefix, name in (("step_", "steps"), ("run_", "runs"), ("thread_", "threads")):
        if oid.startswith(prefix):
            return name
    return None


def _objects(doc: Any) -> Iterator[Any]:
    if isinstance(doc, list):
        yield from doc
    elif isinstance(doc, Mapping) and isinstance(doc.get("data"), list):
        yield from doc["data"]
    else:
        yield doc


def read_export(directory: str | Path) -> ExportContents:
    """Read every `*.json` file below `directory` (later copies of an object win)."""
    root = Path(directory)
    if not root.is_dir():
        raise ConfigError(f"--from-export {str(directory)!r} is not a directory")
    files = sorted(root.rglob("*.json"))
    if not files:
        raise ConfigError(f"--from-export {str(directory)!r} holds no *.json files")
    contents = ExportContents()
    for path in files:
        name = str(path.relative_to(root))
        try:
            doc = orjson.loads(path.read_bytes())
        except (orjson.JSONDecodeError, OSError) as exc:
            contents.problems.append((name, f"not valid JSON: {exc}"))
            continue
        for obj in _objects(doc):
            kind = _kind(obj) if isinstance(obj, Mapping) else None
            if kind is None or not isinstance(obj.get("id"), str):
                contents.problems.append((name, "holds an object that is not a thread, run or run step"))
                continue
            getattr(contents, kind)[obj["id"]] = dict(obj)
    return contents
