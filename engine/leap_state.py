"""A replicate's kernel state as one numba structure, shared with the compiled steps.

Everything the compiled loop (:mod:`escapesim.engine.leaping`) reads crosses into
compiled code once, as a :class:`LeapState` built by :data:`NEW`: numba unpacks a bare
Generator at every call (~20 µs) and looks up a first-class function's address at every
call; a structure holding them, once. A call of the loop then costs a few µs.

Random numbers come from named streams (:mod:`escapesim.engine.rng`): ``exact`` draws
the exact events (when a critical channel fires, and which: Gillespie's direct method
needs one stream for the whole system), and each component's stream in ``streams``
draws the tau-leap firings of its channels (``stream_of[j]`` is channel j's), so a
component's leaps do not shift when another component (a therapy) is added or changes.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
import numpy.typing as npt
from numba import types
from numba.experimental import structref
from numba.typed import List

from escapesim.engine.compiled import LEVEL_LAW, RATE_LAW, VECTOR, LevelLaw, Native, RateLaw
from escapesim.engine.network import FloatArray, IntArray

BoolArray = npt.NDArray[np.bool_]
_INDEX = types.int64[::1]
_FLAGS = types.boolean[::1]
_GENERATOR = numba.typeof(np.random.Generator(np.random.PCG64(0)))
#: The numba type of a list of streams (see :func:`streams`).
STREAMS = types.ListType(_GENERATOR)

#: The caller's values, in :data:`NEW`'s argument order: (field, numba type, meaning).
_GIVEN = (
    ("rate_law", types.FunctionType(RATE_LAW), "the network's propensities"),
    ("level_law", types.FunctionType(LEVEL_LAW), "its concentrations' production and decay"),
    ("parameters", VECTOR, "the parameter vector both laws read"),
    ("counts", VECTOR, "populations (updated in place)"),
    ("levels", VECTOR, "concentrations (updated in place)"),
    ("fired", _INDEX, "cumulative firings per channel (updated)"),
    ("delayed_fired", _INDEX, "firings of delayed channels in the last step (output)"),
    ("ptr", _INDEX, "sparse stoichiometry: row pointers per channel"),
    ("species", _INDEX, "sparse stoichiometry: species changed"),
    ("amount", VECTOR, "sparse stoichiometry: by how much"),
    ("delayed", VECTOR, "1.0 for channels with delayed products"),
    ("bound_scale", VECTOR, "epsilon / g_i per species"),
    ("settings", VECTOR, "EXACT_BELOW, ..., STEPWISE (leaping), REUSE (leap_size)"),
    ("ends", _INDEX, "what ended each step (updated)"),
    ("weights", VECTOR, "weights of the watched burden"),
    ("bounds", VECTOR, "the burden's open interval (low, high)"),
    ("exact", _GENERATOR, "the stream of exact events: when, and which channel"),
    ("streams", STREAMS, "one stream per component: its channels' tau-leap firings"),
    ("stream_of", _INDEX, "per channel: the index of its component's stream"),
    ("by_species", _INDEX, "stoichiometry entries in species order (stable)"),
    ("species_ptr", _INDEX, "species i's entries: by_species[species_ptr[i]:species_ptr[i+1]]"),
    ("channel_of", _INDEX, "per stoichiometry entry: its channel"),
    # The leap bound's probe memory (leap_size; updated, and a checkpoint keeps it):
    ("probed", VECTOR, "1.0 per species whose rate differences were probed"),
    ("probe_step", VECTOR, "per species: the step of its probe"),
    ("probe_counts", VECTOR, "per species: its count when probed"),
    ("probe_rates", VECTOR, "per stoichiometry entry: its channel's propensity when probed"),
    ("differences", VECTOR, "per stoichiometry entry: its channel's change when probed"),
)
#: Scratch vectors, allocated once per replicate by :data:`NEW`.
_SCRATCH = (
    ("rates", VECTOR, "propensities now"),
    ("leaping", VECTOR, "propensities of the leaping channels"),
    ("means", VECTOR, "propensities a leap draws with (midpoint, or trapezoidal stage 2)"),
    ("firings", _INDEX, "firings of the leap being drawn"),
    ("critical", _FLAGS, "channels that fire exactly"),
    ("drift", VECTOR, "expected change per species per day"),
    ("spread", VECTOR, "variance of that change per day"),
    ("ahead", VECTOR, "the midpoint or stage-1 state, then the state after the leap"),
    ("production", VECTOR, "concentrations' production per day"),
    ("decay", VECTOR, "concentrations' decay per day"),
    ("relax", VECTOR, "per species: the net drift's ∂f_i/∂x_i (leap_size)"),
    ("stale", _FLAGS, "per species: its probe must be taken again (leap_size)"),
)


@structref.register
class LeapStateType(types.StructRef):
    """numba type of :class:`LeapState`."""

    def preprocess_fields(self, fields: Any) -> tuple[tuple[str, Any], ...]:
        """Field types without literal values (one compiled type for every replicate)."""
        return tuple((name, types.unliteral(kind)) for name, kind in fields)


class LeapState(structref.StructRefProxy):
    """A replicate's kernel state, shared with compiled code.

    The given arrays are the caller's own (no copy): changes on either side are seen by
    both, and draws through the streams advance the caller's generators.
    """

    rate_law: RateLaw
    level_law: LevelLaw
    parameters: FloatArray
    counts: FloatArray
    levels: FloatArray
    fired: IntArray
    delayed_fired: IntArray
    ptr: IntArray
    species: IntArray
    amount: FloatArray
    delayed: FloatArray
    bound_scale: FloatArray
    settings: FloatArray
    ends: IntArray
    weights: FloatArray
    bounds: FloatArray
    exact: np.random.Generator
    streams: Any
    stream_of: IntArray
    by_species: IntArray
    species_ptr: IntArray
    channel_of: IntArray
    probed: FloatArray
    probe_step: FloatArray
    probe_counts: FloatArray
    probe_rates: FloatArray
    differences: FloatArray
    rates: FloatArray
    leaping: FloatArray
    means: FloatArray
    firings: IntArray
    critical: BoolArray
    drift: FloatArray
    spread: FloatArray
    ahead: FloatArray
    production: FloatArray
    decay: FloatArray
    relax: FloatArray
    stale: BoolArray


structref.define_proxy(LeapState, LeapStateType, [name for name, _, _ in _GIVEN + _SCRATCH])
LEAP_STATE = LeapStateType([(name, kind) for name, kind, _ in _GIVEN + _SCRATCH])


def streams(generators: list[np.random.Generator]) -> Any:
    """The typed list of streams :data:`NEW` takes (the generators themselves, shared)."""
    typed = List.empty_list(_GENERATOR)
    for generator in generators:
        typed.append(generator)
    return typed


def _new(
    rate_law: RateLaw,
    level_law: LevelLaw,
    parameters: FloatArray,
    counts: FloatArray,
    levels: FloatArray,
    fired: IntArray,
    delayed_fired: IntArray,
    ptr: IntArray,
    species: IntArray,
    amount: FloatArray,
    delayed: FloatArray,
    bound_scale: FloatArray,
    settings: FloatArray,
    ends: IntArray,
    weights: FloatArray,
    bounds: FloatArray,
    exact: np.random.Generator,
    streams: Any,
    stream_of: IntArray,
    by_species: IntArray,
    species_ptr: IntArray,
    channel_of: IntArray,
    probed: FloatArray,
    probe_step: FloatArray,
    probe_counts: FloatArray,
    probe_rates: FloatArray,
    differences: FloatArray,
) -> LeapState:
    channels, populations = fired.size, counts.size
    return LeapState(
        rate_law, level_law, parameters, counts, levels, fired, delayed_fired, ptr, species,
        amount, delayed, bound_scale, settings, ends, weights, bounds, exact, streams,
        stream_of, by_species, species_ptr, channel_of, probed, probe_step, probe_counts,
        probe_rates, differences,
        np.zeros(channels), np.zeros(channels), np.zeros(channels),
        np.zeros(channels, dtype=np.int64), np.zeros(channels, dtype=np.bool_),
        np.zeros(populations), np.zeros(populations), np.zeros(populations),
        np.zeros(levels.size), np.zeros(levels.size),
        np.zeros(populations), np.zeros(populations, dtype=np.bool_),
    )  # fmt: skip


#: ``NEW.compiled(*values)`` builds a :class:`LeapState` from the :data:`_GIVEN` values.
NEW = Native(_new, LEAP_STATE(*(kind for _, kind, _ in _GIVEN)))
