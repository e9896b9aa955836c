"""Deterministic randomness and object ids.

Every random choice in the world comes from a `random.Random` seeded by a stable hash of the world
seed and a path of keys (thread index, run key, step index, ...). That is what makes each thread
reproducible on its own, in any order, in any process: nothing depends on what was generated before.
"""

from __future__ import annotations

import base64
import hashlib
import math
import random
import string
from typing import Union

ALNUM = string.ascii_letters + string.digits

Key = Union[int, str]
_B64_TO_ALNUM = bytes.maketrans(b"+/", b"xQ")


def mix(*parts: Key) -> int:
    """Hash a path of keys to a 64-bit integer, stable across processes and Python versions.

    Args:
        *parts: ints and strings, e.g. ``(seed, "run", thread_index, "p", 3)``.

    Returns:
        A non-negative 64-bit integer.
    """
    # repr() of ints and strs is stable; Python's hash() is salted per process, so it is not used.
    digest = hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def rng_for(*parts: Key) -> random.Random:
    """A private random stream for one object of the world.

    Args:
        *parts: the key path, see `mix`.

    Returns:
        A `random.Random` seeded from the key path.
    """
    return random.Random(mix(*parts))


def new_id(rng: random.Random, prefix: str, length: int = 24) -> str:
    """An id shaped like the real API's: a prefix and random alphanumerics.

    Args:
        rng: the stream to draw from.
        prefix: e.g. ``"run_"`` or ``"file-"``.
        length: number of alphanumeric characters after the prefix.

    Returns:
        The id, e.g. ``run_Xq3...`` (24 characters after the prefix by default).
    """
    if length == 24:
        # Fast path for the common length: 18 random bytes are exactly 24 base64 characters; the
        # two non-alphanumeric ones are mapped onto letters (ids only need to look random).
        raw = base64.b64encode(rng.getrandbits(144).to_bytes(18, "big"))
        return prefix + raw.translate(_B64_TO_ALNUM).decode("ascii")
    return prefix + "".join(rng.choices(ALNUM, k=length))


def poisson(rng: random.Random, mean: float) -> int:
    """Draw from a Poisson distribution (Knuth's method; fine for the small means used here).

    Args:
        rng: the stream to draw from.
        mean: the expected value, >= 0.

    Returns:
        A non-negative integer.
    """
    if mean <= 0:
        return 0
    if mean > 30:
        # Normal approximation keeps large means cheap.
        return max(0, round(rng.gauss(mean, mean**0.5)))
    limit = math.exp(-mean)
    k, p = 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k
