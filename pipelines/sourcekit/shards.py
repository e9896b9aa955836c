"""Stable sharding of object ids: `K/N` picks the K-th of N shards, the same on every machine and run."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Optional

from .errors import ConfigError


@dataclass(frozen=True)
class Shard:
    """Shard `k` (1-based) of `n`."""

    k: int
    n: int

    @classmethod
    def parse(cls, text: Optional[str]) -> Optional["Shard"]:
        """`"K/N"` to a `Shard`; None or empty for no sharding."""
        if not text:
            return None
        try:
            k, n = (int(x) for x in str(text).split("/"))
        except ValueError:
            raise ConfigError(f"invalid --shard {text!r}: expected K/N, e.g. 1/3") from None
        if not (n >= 1 and 1 <= k <= n):
            raise ConfigError(f"invalid --shard {text!r}: need 1 <= K <= N")
        return cls(k, n)

    @property
    def suffix(self) -> str:
        """A name part for what each shard keeps apart (its pipeline, its staging dataset)."""
        return f"shard_{self.k}_of_{self.n}"

    def holds(self, object_id: str) -> bool:
        """Whether `object_id` falls in this shard (a stable hash of the id)."""
        digest = hashlib.blake2b(object_id.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") % self.n == self.k - 1

    def __str__(self) -> str:
        return f"{self.k}/{self.n}"


def in_shard(object_id: str, shard: Optional[Shard]) -> bool:
    """Whether `object_id` is polled under `shard` (every id is, without sharding)."""
    return shard is None or shard.holds(object_id)
