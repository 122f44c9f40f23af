"""Named random streams: one independent generator per (seed, replicate, component).

Keying streams by component name (not by order of creation) gives common random numbers:
adding a therapy creates a new stream and leaves every other component's draws unchanged,
and replicate k can be rebuilt alone, in any process, in any order.
"""

from __future__ import annotations

import hashlib

import numpy as np


def component_key(component: str) -> int:
    """A stable 64-bit integer for a component name (independent of PYTHONHASHSEED)."""
    digest = hashlib.blake2b(component.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def stream(seed: int, replicate: int, component: str) -> np.random.Generator:
    """The random generator of ``component`` in replicate ``replicate`` of seed ``seed``."""
    sequence = np.random.SeedSequence(entropy=seed, spawn_key=(replicate, component_key(component)))
    return np.random.Generator(np.random.PCG64(sequence))
