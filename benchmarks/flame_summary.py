"""Summarise a `py-spy record -f raw --threads` profile: samples per thread, and the functions with
the most inclusive and self time in each (or across all) threads.

    .venv/bin/py-spy record -r 50 --threads -f raw -o prof.txt -- .venv/bin/runsteps load ...
    .venv/bin/python benchmarks/flame_summary.py prof.txt [--top 25] [--match runsteps,openai_assistants]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, List, Optional

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def short(frame: str) -> str:
    """`func (path/to/site-packages/pkg/mod.py:12)` → `pkg/mod.py:func`."""
    m = _FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    path = m.group("file")
    for marker in ("site-packages/", "pipelines/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{path}:{m.group('func')}"


def summarise(path: Path, top: int = 25, match: Optional[List[str]] = None) -> str:
    per_thread: Counter = Counter()
    inclusive: Dict[str, Counter] = defaultdict(Counter)
    self_time: Dict[str, Counter] = defaultdict(Counter)
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        thread = frames[0] if frames and frames[0].startswith(("thread", "process")) else "all"
        frames = [f for f in frames if not f.startswith(("thread", "process"))]
        total += n
        per_thread[thread] += n
        shorts = [short(f) for f in frames]
        for name in set(shorts):
            inclusive[thread][name] += n
            inclusive["ALL"][name] += n
        if shorts:
            self_time[thread][shorts[-1]] += n
            self_time["ALL"][shorts[-1]] += n
    out = [f"{total} samples"]
    for thread, n in per_thread.most_common():
        out.append(f"  {thread}: {n} ({100 * n / max(total, 1):.0f}%)")
    for thread in ["ALL"] + [t for t, _ in per_thread.most_common(4)]:
        n_thread = per_thread[thread] if thread != "ALL" else total
        out.append(f"\n== {thread}: inclusive (share of its samples) ==")
        rows = inclusive[thread].most_common()
        if match:
            rows = [r for r in rows if any(m in r[0] for m in match)]
        for name, n in rows[:top]:
            out.append(f"  {100 * n / max(n_thread, 1):5.1f}%  {name}")
        out.append(f"== {thread}: self ==")
        for name, n in self_time[thread].most_common(top):
            out.append(f"  {100 * n / max(n_thread, 1):5.1f}%  {name}")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", help="comma-separated substrings: only show inclusive rows containing one")
    args = parser.parse_args()
    print(summarise(args.profile, args.top, args.match.split(",") if args.match else None))


if __name__ == "__main__":
    main()
