"""The preset's rate laws, assembled from the ordered list of parts (:data:`.parts.PARTS`).

Channel order and parameter-vector order are part order; each part fills its own slice of
the propensities and reads its own block of the parameter vector. An evaluation first
fills the signals (:mod:`.state`: the clone sums, then every part's signals in index
order), then every part's propensities, then — once the propensities of every channel
that kills an antigen-bearing tumour cell are known — the ``RELEASE`` and ``RELEASE_SUB``
signals (those propensities weighted by their part's ``release_weight``: immunogenic cell
death; deaths of cells with the immunodominant antigen, and of antigen-loss cells) and
the parts that read them (antigen presentation). The weights sit after the parts' blocks in
the parameter vector.

numba needs static calls: the parts' compiled functions sit in tuples of
``(function, spans...)`` and ``numba.literal_unroll`` unrolls the loops over them into
one direct call per part, exactly the code a hand-written sequence of calls would be,
and the two rate laws stay one compiled entry point each (cached on disk). Those tuples
are compile-time constants, and numba keys its disk cache on the compiled function's own
file, not on what it calls or on the globals it froze: after an edit of a part (or of the
list) it would load stale code. So the rate laws are closures over a digest of every
source file of the preset, which numba's cache key includes: any edit recompiles them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from numba import literal_unroll

from escapesim.engine.compiled import (
    LEVEL_LAW,
    RATE_LAW,
    CompiledKinetics,
    LevelLaw,
    Native,
    RateLaw,
    jit,
)
from escapesim.engine.network import Channel, FloatArray
from escapesim.engine.presets.escape2004 import layout
from escapesim.engine.presets.escape2004.clones import CLONES, Trait
from escapesim.engine.presets.escape2004.mechanisms import epitopes
from escapesim.engine.presets.escape2004.part import Part, is_on
from escapesim.engine.presets.escape2004.parts import PARTS
from escapesim.engine.presets.escape2004.state import RELEASE, RELEASE_SUB, SIGNALS, clone_sums

CHANNELS: tuple[Channel, ...] = tuple(c for p in PARTS for c in p.channels)

_ANTIGEN_BEARING = {c.name for c in CLONES if not c.has(Trait.ANTIGEN_LOSS)}
_LOST_ANTIGEN = {c.name for c in CLONES if c.has(Trait.ANTIGEN_LOSS)}


def _release_channels(
    channels: Sequence[Channel], clones: set[str]
) -> npt.NDArray[np.int64]:
    """The channels whose firing kills a cell of one of ``clones``."""
    return np.array(
        [j for j, c in enumerate(channels)
         if any(n in clones and v < 0 for n, v in c.change.items())],
        dtype=np.int64,
    )  # fmt: skip


#: Channels killing a cell with the immunodominant antigen (``RELEASE``), then channels
#: killing an antigen-loss cell (``RELEASE_SUB``: with several antigens it bears the others).
_RELEASING = np.concatenate([_release_channels(CHANNELS, _ANTIGEN_BEARING),
                             _release_channels(CHANNELS, _LOST_ANTIGEN)])  # fmt: skip
_BEARING = len(_release_channels(CHANNELS, _ANTIGEN_BEARING))
#: Per releasing channel, the parameter weighting its deaths ("" for weight 1).
_RELEASE_WEIGHTS = tuple(p.release_weight for p in PARTS for _ in p.channels)
_WEIGHT_NAMES = tuple(_RELEASE_WEIGHTS[j] for j in _RELEASING)


def switches_of(switches: Mapping[str, bool]) -> dict[str, bool]:
    """Every mechanism's switch: the given ones, the rest at their defaults."""
    return {p.mechanism.name: is_on(switches, p.mechanism) for p in PARTS if p.mechanism}


def _blocks(values: Mapping[str, float], switches: Mapping[str, bool]) -> list[FloatArray]:
    """Every part's parameter block, in part order."""
    every = switches_of(switches)
    return [np.asarray(p.bind(values, every), dtype=np.float64) for p in PARTS]


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> CompiledKinetics:
    """The escape2004 rate laws with parameter values and mechanism switches bound."""
    blocks = _blocks(values, switches)
    assert [b.size for b in blocks] == _BLOCK_SIZES, "a part's block size depends on values"
    parameters = np.concatenate([*blocks, release_weights(values, switches)])
    return CompiledKinetics(PROPENSITIES, LEVEL_RATES, parameters, len(CHANNELS), _LEVELS)


def release_weights(values: Mapping[str, float], switches: Mapping[str, bool]) -> FloatArray:
    """Per channel that kills a tumour cell, how much its deaths load DCs relative to an
    immune kill (the parameter its part names, or 1); 0 for cells without antigen (an
    antigen-loss cell bears the subdominant antigens only with several antigens)."""
    weights = np.array([float(values[n]) if n else 1.0 for n in _WEIGHT_NAMES])
    if not epitopes.several(switches_of(switches)):
        weights[_BEARING:] = 0.0
    return weights


def _starts(sizes: Sequence[int]) -> list[int]:
    """Where consecutive spans of the given sizes start (and, last, where they end)."""
    return [int(n) for n in np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])]


_DEFAULTS = {q.name: q.default for p in PARTS for q in p.parameters}
_BLOCK_SIZES = [b.size for b in _blocks(_DEFAULTS, {})]
_LEVELS = len(layout.LEVEL_NAMES)
_P = _starts(_BLOCK_SIZES)
_C = _starts([len(p.channels) for p in PARTS])
_WEIGHTS_AT = _P[-1]  # the release weights follow the parts' blocks


def _fills(parts: Sequence[tuple[int, Part]]) -> tuple[tuple[Any, int, int, int, int], ...]:
    """``(fill, block start, block stop, first channel, last channel + 1)`` per part."""
    return tuple((p.fill, _P[k], _P[k + 1], _C[k], _C[k + 1]) for k, p in parts)


_ORDERED = list(enumerate(PARTS))
#: ``(compute, signal index, block start, block stop)``, in signal-index order.
_SIGNAL_CALLS = tuple(
    sorted(
        ((s.compute, s.index, _P[k], _P[k + 1]) for k, p in _ORDERED for s in p.signals),
        key=lambda call: call[1],
    )
)
_FILLS = _fills([(k, p) for k, p in _ORDERED if p.fill is not None and not p.after_release])
_LATE_FILLS = _fills([(k, p) for k, p in _ORDERED if p.fill is not None and p.after_release])
_LEVEL_CALLS = tuple(
    (p.level_rates, _P[k], _P[k + 1]) for k, p in _ORDERED if p.level_rates is not None
)
assert len({call[1] for call in _SIGNAL_CALLS}) == len(_SIGNAL_CALLS), "one owner per signal"


def sources_digest() -> str:
    """A digest of every source file of the preset: what its compiled code is made of."""
    files = sorted(Path(__file__).resolve().parent.rglob("*.py"))
    return hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()


def _observer(digest: str) -> Callable[[FloatArray, FloatArray, FloatArray], FloatArray]:
    def observe(counts: FloatArray, levels: FloatArray, p: FloatArray) -> FloatArray:
        """The shared signals of this state (see :mod:`.state`)."""
        digest  # noqa: B018  (part of numba's cache key: see the module docstring)
        s = np.zeros(SIGNALS)
        clone_sums(counts, s)
        for call in literal_unroll(_SIGNAL_CALLS):
            s[call[1]] = call[0](counts, levels, s, p[call[2] : call[3]])
        return s

    return observe


_observe = jit(_observer(sources_digest()))


def _laws(digest: str) -> tuple[RateLaw, LevelLaw]:
    """The two rate laws; ``digest`` (:func:`sources_digest`) keys numba's disk cache."""

    def propensities(
        counts: FloatArray, levels: FloatArray, p: FloatArray, out: FloatArray
    ) -> None:
        digest  # noqa: B018
        s = _observe(counts, levels, p)
        for call in literal_unroll(_FILLS):
            call[0](counts, levels, s, p[call[1] : call[2]], out[call[3] : call[4]])
        release = 0.0
        for k in range(_BEARING):
            release += p[_WEIGHTS_AT + k] * out[_RELEASING[k]]
        s[RELEASE] = release
        release = 0.0
        for k in range(_BEARING, _RELEASING.size):
            release += p[_WEIGHTS_AT + k] * out[_RELEASING[k]]
        s[RELEASE_SUB] = release
        for call in literal_unroll(_LATE_FILLS):
            call[0](counts, levels, s, p[call[1] : call[2]], out[call[3] : call[4]])

    def level_rates(
        counts: FloatArray, levels: FloatArray, p: FloatArray, production: FloatArray,
        decay: FloatArray,
    ) -> None:  # fmt: skip
        digest  # noqa: B018
        s = _observe(counts, levels, p)
        production[:] = 0.0
        decay[:] = 0.0
        for call in literal_unroll(_LEVEL_CALLS):
            call[0](counts, levels, s, p[call[1] : call[2]], production, decay)

    return propensities, level_rates


_propensities, _level_rates = _laws(sources_digest())
PROPENSITIES: Native[RateLaw] = Native(_propensities, RATE_LAW)
LEVEL_RATES: Native[LevelLaw] = Native(_level_rates, LEVEL_LAW)
