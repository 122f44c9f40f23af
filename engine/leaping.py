"""The kernel's compiled inner loop: hybrid tau-leaping steps until Python must act.

The algorithm is described in :mod:`engine.kernel`; this module is its compiled form.
:func:`advance` takes steps until one of three things happens, and says which:

* ``REACHED``: the stretch ends at ``t_max`` (the next calendar event);
* ``DELAYED``: a channel with delayed products fired (the simulation schedules them as
  calendar events, and one may fall inside the stretch);
* ``BURDEN``: the weighted burden (the tumour) left its open interval ``(low, high)``,
  so the simulation can record the outcome at the exact step.

Stoichiometry is sparse (channel ``j`` changes ``species[ptr[j]:ptr[j+1]]`` by
``amount[ptr[j]:ptr[j+1]]``): escape2004's 195 channels change one or two species each.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
import numpy.typing as npt
from numba import types
from numba.experimental import structref

from engine.compiled import LEVEL_LAW, RATE_LAW, VECTOR, LevelLaw, Native, RateLaw, jit
from engine.network import FloatArray

REACHED, DELAYED, BURDEN = 0, 1, 2

#: Indices of ``ends``: what ended each step (see ``Kernel.step_ends``).
LEAP, CRITICAL, CALENDAR, EXACT, IDLE = 0, 1, 2, 3, 4
STEP_ENDS = ("leap", "critical", "calendar", "exact", "idle")

#: Indices of the ``settings`` vector.
EXACT_BELOW, SSA_MULTIPLE, SSA_BURST, MIDPOINT, MAX_LEAP = 0, 1, 2, 3, 4

_INDEX = types.int64[::1]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: What a replicate's kernel keeps in compiled form: (field, numba type, meaning).
_FIELDS = (
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
    ("settings", VECTOR, "EXACT_BELOW, SSA_MULTIPLE, SSA_BURST, MIDPOINT, MAX_LEAP"),
    ("ends", _INDEX, "what ended each step (updated)"),
    ("weights", VECTOR, "weights of the watched burden"),
    ("bounds", VECTOR, "the burden's open interval (low, high)"),
    ("rng", numba.typeof(np.random.Generator(np.random.PCG64(0))), "the kinetics stream"),
)
FIELDS = tuple(name for name, _, _ in _FIELDS)


@structref.register
class LeapStateType(types.StructRef):
    """numba type of :class:`LeapState`."""

    def preprocess_fields(self, fields: Any) -> tuple[tuple[str, Any], ...]:
        """Field types without literal values (one compiled type for every replicate)."""
        return tuple((name, types.unliteral(kind)) for name, kind in fields)


class LeapState(structref.StructRefProxy):
    """A replicate's kernel state, shared with compiled code (fields: :data:`FIELDS`).

    The arrays are the caller's own (no copy): changes on either side are seen by both,
    and draws through ``rng`` advance the caller's generator.
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
    rng: np.random.Generator


structref.define_proxy(LeapState, LeapStateType, list(FIELDS))
_LEAP_STATE = LeapStateType([(name, kind) for name, kind, _ in _FIELDS])


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
    rng: np.random.Generator,
) -> Any:
    return LeapState(
        rate_law, level_law, parameters, counts, levels, fired, delayed_fired, ptr, species,
        amount, delayed, bound_scale, settings, ends, weights, bounds, rng,
    )  # fmt: skip


#: ``NEW.compiled(*values)`` builds a :class:`LeapState` from values in :data:`FIELDS` order.
NEW = Native(_new, _LEAP_STATE(*(kind for _, kind, _ in _FIELDS)))


def _advance(state: LeapState, t: float, t_max: float) -> tuple[float, int]:
    rate_law, level_law, parameters = state.rate_law, state.level_law, state.parameters
    counts, levels, fired, delayed_fired = (
        state.counts, state.levels, state.fired, state.delayed_fired
    )  # fmt: skip
    ptr, species, amount, delayed = state.ptr, state.species, state.amount, state.delayed
    bound_scale, settings, ends = state.bound_scale, state.settings, state.ends
    weights, bounds, rng = state.weights, state.bounds, state.rng
    delayed_fired[:] = 0
    channels = fired.size
    rates = np.empty(channels)
    leaping = np.empty(channels)
    means = np.empty(channels)
    firings = np.zeros(channels, dtype=np.int64)
    critical = np.zeros(channels, dtype=np.bool_)
    drift = np.empty(counts.size)
    spread = np.empty(counts.size)
    ahead = np.empty(counts.size)
    production = np.empty(levels.size)
    decay = np.empty(levels.size)
    while True:
        rate_law(counts, levels, parameters, rates)
        total = rates.sum()
        if total <= 0.0:
            ends[IDLE] += 1
            _flow(level_law, counts, levels, parameters, production, decay, t_max - t)
            return t_max, REACHED
        has_critical = _critical(counts, rates, ptr, species, settings[EXACT_BELOW], critical)
        for j in range(channels):
            leaping[j] = 0.0 if critical[j] else rates[j]
        tau_leap = _leap_size(counts, leaping, ptr, species, amount, bound_scale, drift, spread)
        if tau_leap == np.inf or tau_leap < settings[SSA_MULTIPLE] / total:
            # Nothing worth leaping: every channel is critical, or a leap would be shorter
            # than a few exact events anyway.
            ends[EXACT] += 1
            t, why = _exact_burst(
                rate_law, level_law, parameters, counts, levels, fired, delayed_fired, ptr,
                species, amount, delayed, settings, weights, bounds, rng, rates, total,
                production, decay, t, t_max,
            )  # fmt: skip
            if why != REACHED or t >= t_max:
                return t, why
            continue
        t, fired_delayed = _leap(
            rate_law, level_law, parameters, counts, levels, fired, delayed_fired, ptr,
            species, amount, delayed, settings, ends, rng, rates, leaping, means, firings,
            critical, has_critical, drift, ahead, production, decay, tau_leap, t, t_max,
        )  # fmt: skip
        if fired_delayed:
            return t, DELAYED
        if _left(counts, weights, bounds):
            return t, BURDEN
        if t >= t_max:
            return t, REACHED


ADVANCE = Native(
    _advance, types.Tuple((types.float64, types.int64))(_LEAP_STATE, types.float64, types.float64)
)


@jit
def _critical(
    counts: FloatArray,
    rates: FloatArray,
    ptr: IntArray,
    species: IntArray,
    exact_below: float,
    critical: BoolArray,
) -> bool:
    """Mark the channels that must fire exactly: those changing a species below
    ``exact_below``. False when no species is that small (every channel leaps)."""
    if counts.min() >= exact_below:
        critical[:] = False
        return False
    for j in range(rates.size):
        small = False
        if rates[j] > 0.0:
            for k in range(ptr[j], ptr[j + 1]):
                if counts[species[k]] < exact_below:
                    small = True
                    break
        critical[j] = small
    return True


@jit
def _leap_size(
    counts: FloatArray,
    leaping: FloatArray,
    ptr: IntArray,
    species: IntArray,
    amount: FloatArray,
    bound_scale: FloatArray,
    drift: FloatArray,
    spread: FloatArray,
) -> float:
    """CGP 2006 eq. 33: the largest leap keeping relative changes within epsilon.

    Leaves the signed drift per species in ``drift`` (the midpoint estimate uses it).
    ``min_i min(b_i/|mu_i|, b_i^2/sigma_i^2)`` is ``1 / max_i(max(|mu_i|, sigma_i^2/b_i)
    / b_i)``, which needs no division by zero because every ``b_i`` is at least one.
    """
    drift[:] = 0.0
    spread[:] = 0.0
    for j in range(leaping.size):
        rate = leaping[j]
        if rate == 0.0:
            continue
        for k in range(ptr[j], ptr[j + 1]):
            drift[species[k]] += rate * amount[k]
            spread[species[k]] += rate * amount[k] * amount[k]
    fastest = 0.0
    for i in range(counts.size):
        bound = max(bound_scale[i] * counts[i], 1.0)
        fastest = max(fastest, max(abs(drift[i]), spread[i] / bound) / bound)
    return 1.0 / fastest if fastest > 0.0 else np.inf


@jit
def _leap(
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
    settings: FloatArray,
    ends: IntArray,
    rng: np.random.Generator,
    rates: FloatArray,
    leaping: FloatArray,
    means: FloatArray,
    firings: IntArray,
    critical: BoolArray,
    has_critical: bool,
    drift: FloatArray,
    ahead: FloatArray,
    production: FloatArray,
    decay: FloatArray,
    tau_leap: float,
    t: float,
    t_max: float,
) -> tuple[float, bool]:
    """One Poisson leap (with at most one critical firing); returns the new time and
    whether a channel with delayed products fired."""
    critical_total = 0.0
    if has_critical:
        for j in range(rates.size):
            if critical[j]:
                critical_total += rates[j]
    next_critical = rng.exponential(1.0 / critical_total) if critical_total > 0 else np.inf
    tau_leap = min(tau_leap, settings[MAX_LEAP])
    # Level rates at the step's start, while the state is the step's start.
    level_law(counts, levels, parameters, production, decay)
    midpoint = settings[MIDPOINT] > 0.0
    while True:
        tau = min(tau_leap, next_critical, t_max - t)
        fires_critical = next_critical <= tau_leap and next_critical <= t_max - t
        if midpoint:
            _midpoint(rate_law, parameters, counts, levels, drift, critical, tau, ahead, means)
        else:
            means[:] = leaping
        for j in range(means.size):
            mean = means[j] * tau
            firings[j] = rng.poisson(mean) if mean > 0.0 else 0
        if fires_critical:
            firings[_choose(rates, critical, critical_total, rng.random())] += 1
        if _stays_whole(counts, firings, ptr, species, amount, ahead):
            break
        tau_leap = tau / 2.0  # CGP 2005: reject a leap that goes negative, halve it
    _integrate(levels, production, decay, tau)
    counts[:] = ahead
    fired_delayed = False
    for j in range(firings.size):
        fired[j] += firings[j]
        if delayed[j] > 0.0 and firings[j] > 0:
            delayed_fired[j] = firings[j]
            fired_delayed = True
    reaches = tau >= t_max - t
    ends[CRITICAL if fires_critical else CALENDAR if reaches else LEAP] += 1
    return (t_max if reaches else t + tau), fired_delayed


@jit
def _midpoint(
    rate_law: RateLaw,
    parameters: FloatArray,
    counts: FloatArray,
    levels: FloatArray,
    drift: FloatArray,
    critical: BoolArray,
    tau: float,
    ahead: FloatArray,
    means: FloatArray,
) -> None:
    """Gillespie 2001: leaping propensities at the state predicted half a step ahead."""
    for i in range(counts.size):
        ahead[i] = max(counts[i] + 0.5 * tau * drift[i], 0.0)
    rate_law(ahead, levels, parameters, means)
    for j in range(means.size):
        if critical[j]:
            means[j] = 0.0


@jit
def _stays_whole(
    counts: FloatArray,
    firings: IntArray,
    ptr: IntArray,
    species: IntArray,
    amount: FloatArray,
    after: FloatArray,
) -> bool:
    """Write the counts after ``firings`` into ``after``; False if one would be negative."""
    after[:] = counts
    for j in range(firings.size):
        n = firings[j]
        if n == 0:
            continue
        for k in range(ptr[j], ptr[j + 1]):
            after[species[k]] += n * amount[k]
    return bool(after.min() >= 0.0)


@jit
def _choose(rates: FloatArray, critical: BoolArray, total: float, uniform: float) -> int:
    """The critical channel that fires: chosen in proportion to its propensity."""
    target, cumulative, last = uniform * total, 0.0, 0
    for j in range(rates.size):
        if critical[j]:
            cumulative += rates[j]
            last = j
            if cumulative > target:
                return j
    return last


@jit
def _exact_burst(
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
    settings: FloatArray,
    weights: FloatArray,
    bounds: FloatArray,
    rng: np.random.Generator,
    rates: FloatArray,
    total: float,
    production: FloatArray,
    decay: FloatArray,
    t: float,
    t_max: float,
) -> tuple[float, int]:
    """Gillespie's direct method for up to ``ssa_burst`` events; stops early at a
    delayed firing or when the burden leaves its bounds."""
    for _ in range(int(settings[SSA_BURST])):
        wait, pick = rng.random(), rng.random()
        tau = -math.log1p(-wait) / total  # exponential waiting time, mean 1/total
        if t + tau >= t_max:
            # Memorylessness: an event not yet fired by t_max is redrawn from there.
            _flow(level_law, counts, levels, parameters, production, decay, t_max - t)
            return t_max, REACHED
        channel = _pick(rates, pick * total)
        _flow(level_law, counts, levels, parameters, production, decay, tau)
        for k in range(ptr[channel], ptr[channel + 1]):
            counts[species[k]] += amount[k]
        t += tau
        fired[channel] += 1
        if delayed[channel] > 0.0:
            delayed_fired[channel] += 1
            return t, DELAYED
        if _left(counts, weights, bounds):
            return t, BURDEN
        rate_law(counts, levels, parameters, rates)
        total = rates.sum()
        if total <= 0.0:
            break
    return t, REACHED


@jit
def _pick(rates: FloatArray, target: float) -> int:
    """The first channel whose cumulative propensity exceeds ``target``."""
    cumulative = 0.0
    for j in range(rates.size):
        cumulative += rates[j]
        if cumulative > target:
            return j
    return int(rates.size - 1)


@jit
def _flow(
    level_law: LevelLaw,
    counts: FloatArray,
    levels: FloatArray,
    parameters: FloatArray,
    production: FloatArray,
    decay: FloatArray,
    dt: float,
) -> None:
    """Integrate the concentrations over ``dt`` with rates taken now."""
    if levels.size == 0 or dt <= 0.0:
        return
    level_law(counts, levels, parameters, production, decay)
    _integrate(levels, production, decay, dt)


@jit
def _integrate(levels: FloatArray, production: FloatArray, decay: FloatArray, dt: float) -> None:
    """Exact for dC/dt = P - kC with P, k frozen: C e^{-k dt} + P (1 - e^{-k dt}) / k,
    whose k -> 0 limit is C + P dt; expm1 keeps small k dt accurate."""
    if dt <= 0.0:
        return
    for i in range(levels.size):
        k = decay[i]
        gain = -math.expm1(-k * dt) / k if k > 0.0 else dt
        levels[i] = max(levels[i] * math.exp(-k * dt) + production[i] * gain, 0.0)


@jit
def _left(counts: FloatArray, weights: FloatArray, bounds: FloatArray) -> bool:
    """True when the weighted burden is outside the open interval ``bounds``."""
    burden = 0.0
    for i in range(counts.size):
        burden += weights[i] * counts[i]
    return bool(burden <= bounds[0] or burden >= bounds[1])
