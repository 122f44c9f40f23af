"""The kernel's compiled inner loop: hybrid tau-leaping steps until Python must act.

The algorithm is described in :mod:`escapesim.engine.kernel`; this module is its compiled form.
:data:`ADVANCE` takes steps until one of three things happens, and says which:

* ``REACHED``: the stretch ends at ``t_max`` (the next calendar event);
* ``DELAYED``: a channel with delayed products fired (the simulation schedules them as
  calendar events, and one may fall inside the stretch);
* ``BURDEN``: the weighted burden (the tumour) left its open interval ``(low, high)``,
  so the simulation can record the outcome at the exact step.

A replicate's kernel state is one numba structure
(:class:`escapesim.engine.leap_state.LeapState`) built once, so a call costs a few µs; its
random streams are described there. Stoichiometry is sparse (channel ``j`` changes
``species[ptr[j]:ptr[j+1]]`` by ``amount[ptr[j]:ptr[j+1]]``): escape2004's 195 channels
change one or two species each.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numba import types

from escapesim.engine.compiled import Native
from escapesim.engine.compiled import jit as _jit
from escapesim.engine.leap_size import SOURCE_DIGEST, leap_size
from escapesim.engine.leap_state import LEAP_STATE, LeapState
from escapesim.engine.network import FloatArray

REACHED, DELAYED, BURDEN = 0, 1, 2

#: Indices of ``ends``: what ended each step (see ``Kernel.step_ends``).
LEAP, CRITICAL, CALENDAR, EXACT, IDLE = 0, 1, 2, 3, 4
STEP_ENDS = ("leap", "critical", "calendar", "exact", "idle")

#: Indices of the ``settings`` vector.
EXACT_BELOW, SSA_MULTIPLE, SSA_BURST, LEAP_RULE, MAX_LEAP, STEPWISE = 0, 1, 2, 3, 4, 5
#: (index 6, ``leap_size.REUSE``: how far propensities may move before the leap bound's
#: Jacobian diagonal is probed again.)

#: Values of ``settings[LEAP_RULE]``: how a leap draws its firings (``KernelSettings.leap``).
POISSON, MIDPOINT, TRAPEZOIDAL = 0.0, 1.0, 2.0
LEAP_RULES = {"poisson": POISSON, "midpoint": MIDPOINT, "trapezoidal": TRAPEZOIDAL}

#: Anderson & Mattingly's (2011) weak trapezoidal rule: a first stage over THETA·tau, then
#: a second whose propensities extrapolate, ``TRAP_AHEAD·a(y*) − TRAP_BEHIND·a(x)``.
THETA = 1.0 - 1.0 / math.sqrt(2.0)
TRAP_AHEAD = 1.0 / (2.0 * THETA * (1.0 - THETA))
TRAP_BEHIND = ((1.0 - THETA) ** 2 + THETA**2) / (2.0 * THETA * (1.0 - THETA))

#: The most firings of one channel a leap may draw: Poisson draws are int64 (and counts
#: are exact integers in float64 only up to 2**53), so beyond this the kernel stops with
#: :data:`LEAP_TOO_LARGE` rather than return wrapped-around draws.
MAX_FIRINGS = 1e18

#: Concentrations below the smallest normal float (``sys.float_info.min``) are set to
#: zero (see ``_integrate``).
SMALLEST_LEVEL = 2.2250738585072014e-308

LEAP_TOO_LARGE = (
    "a leap would fire more than 1e18 events of one channel: a population has grown past "
    "what the kernel can count (bound its growth with a carrying capacity, an escape "
    "threshold and a shorter horizon)"
)


def _advancer(digest: str) -> Callable[[LeapState, float, float], tuple[float, int]]:
    """The compiled loop's entry point; ``digest`` (of :mod:`.leap_size`, which it
    calls) keys numba's disk cache (see that module)."""

    def _advance(s: LeapState, t: float, t_max: float) -> tuple[float, int]:
        """Steps from ``t`` towards ``t_max``; returns the time reached and why it stopped."""
        digest  # noqa: B018  (part of numba's cache key)
        s.delayed_fired[:] = 0
        while True:
            s.rate_law(s.counts, s.levels, s.parameters, s.rates)
            total = s.rates.sum()
            if total <= 0.0:
                s.ends[IDLE] += 1
                _flow(s, t_max - t)
                return t_max, REACHED
            has_critical = _partition(s)
            tau_leap = leap_size(s)
            if tau_leap == np.inf or tau_leap < s.settings[SSA_MULTIPLE] / total:
                # Nothing worth leaping: every channel is critical, or a leap would be
                # shorter than a few exact events anyway.
                s.ends[EXACT] += 1
                t, why = _exact_burst(s, total, t, t_max)
                if why != REACHED or t >= t_max or s.settings[STEPWISE]:
                    return t, why
                continue
            t, fired_delayed = _leap(s, has_critical, tau_leap, t, t_max)
            if fired_delayed:
                return t, DELAYED
            if _left(s):
                return t, BURDEN
            if t >= t_max or s.settings[STEPWISE]:
                return t, REACHED

    return _advance


ADVANCE = Native(
    _advancer(SOURCE_DIGEST),
    types.Tuple((types.float64, types.int64))(LEAP_STATE, types.float64, types.float64),
)


@_jit
def _partition(s: LeapState) -> bool:
    """Mark the channels that must fire exactly (those changing a species below
    ``exact_below``) in ``critical`` and copy the rest to ``leaping``. False when no
    species is that small (every channel leaps)."""
    exact_below = s.settings[EXACT_BELOW]
    if s.counts.min() >= exact_below:
        s.critical[:] = False
        s.leaping[:] = s.rates
        return False
    for j in range(s.rates.size):
        small = False
        if s.rates[j] > 0.0:
            for k in range(s.ptr[j], s.ptr[j + 1]):
                if s.counts[s.species[k]] < exact_below:
                    small = True
                    break
        s.critical[j] = small
        s.leaping[j] = 0.0 if small else s.rates[j]
    return True


@_jit
def _leap(
    s: LeapState, has_critical: bool, tau_leap: float, t: float, t_max: float
) -> tuple[float, bool]:
    """One Poisson leap (with at most one critical firing); returns the new time and
    whether a channel with delayed products fired."""
    critical_total = 0.0
    if has_critical:
        for j in range(s.rates.size):
            if s.critical[j]:
                critical_total += s.rates[j]
    next_critical = s.exact.exponential(1.0 / critical_total) if critical_total > 0 else np.inf
    tau_leap = min(tau_leap, s.settings[MAX_LEAP])
    # Level rates at the step's start, while the state is the step's start.
    s.level_law(s.counts, s.levels, s.parameters, s.production, s.decay)
    while True:
        tau = min(tau_leap, next_critical, t_max - t)
        fires_critical = next_critical <= tau_leap and next_critical <= t_max - t
        if s.settings[LEAP_RULE] == TRAPEZOIDAL:
            _trapezoidal_firings(s, tau)
        else:
            _leap_means(s, tau)
            for j in range(s.means.size):
                s.firings[j] = _draw(s, j, s.means[j] * tau) if s.means[j] > 0.0 else 0
        if fires_critical:
            s.firings[_choose(s, critical_total, s.exact.random())] += 1
        if _stays_whole(s):
            break
        tau_leap = tau / 2.0  # CGP 2005: reject a leap that goes negative, halve it
    _integrate(s, tau)
    s.counts[:] = s.ahead
    fired_delayed = False
    for j in range(s.firings.size):
        s.fired[j] += s.firings[j]
        if s.delayed[j] > 0.0 and s.firings[j] > 0:
            s.delayed_fired[j] = s.firings[j]
            fired_delayed = True
    reaches = tau >= t_max - t
    s.ends[CRITICAL if fires_critical else CALENDAR if reaches else LEAP] += 1
    return (t_max if reaches else t + tau), fired_delayed


@_jit
def _leap_means(s: LeapState, tau: float) -> None:
    """The propensities a leap of ``tau`` draws with: with the midpoint correction
    (Gillespie 2001), those of the state predicted half a step ahead."""
    if s.settings[LEAP_RULE] == POISSON:
        s.means[:] = s.leaping
        return
    for i in range(s.counts.size):
        s.ahead[i] = max(s.counts[i] + 0.5 * tau * s.drift[i], 0.0)
    s.rate_law(s.ahead, s.levels, s.parameters, s.means)
    for j in range(s.means.size):
        if s.critical[j]:
            s.means[j] = 0.0


@_jit
def _trapezoidal_firings(s: LeapState, tau: float) -> None:
    """The firings of a leap by Anderson & Mattingly's weak trapezoidal rule (Commun Math
    Sci 9:301, 2011; for reaction networks Anderson & Koyama, Multiscale Model Simul
    10:1493, 2012), second order in the mean *and* the covariance: Poisson firings over
    THETA·tau at the start's propensities a(x), then over (1 − THETA)·tau at
    ``max(TRAP_AHEAD·a(y*) − TRAP_BEHIND·a(x), 0)``, y* the state after the first stage.

    Why not the estimated midpoint: it gets the mean to second order but not the
    variance; on immigration–death it inflates the stationary variance by ~mu·tau (10% at
    leaps of 0.1/mu, twice plain leaping's error; tests/test_dsmts.py).
    """
    for j in range(s.leaping.size):
        # Most channels have no propensity; testing here spares a call (the structure's
        # reference count) per channel: ~30% of the draws' cost in escape2004.
        s.firings[j] = _draw(s, j, s.leaping[j] * THETA * tau) if s.leaping[j] > 0.0 else 0
    _stays_whole(s)
    for i in range(s.ahead.size):
        # Only the leap's final state must be whole (else it halves); a stage-1 count
        # below zero is taken as zero so that no propensity goes negative.
        s.ahead[i] = max(s.ahead[i], 0.0)
    s.rate_law(s.ahead, s.levels, s.parameters, s.means)
    rest = (1.0 - THETA) * tau
    for j in range(s.means.size):
        if s.leaping[j] > 0.0:
            ahead = TRAP_AHEAD * s.means[j] - TRAP_BEHIND * s.leaping[j]
            s.firings[j] += _draw(s, j, max(ahead, 0.0) * rest)


@_jit
def _draw(s: LeapState, j: int, mean: float) -> int:
    """A Poisson number of firings of channel ``j`` with this mean, from its component's
    stream (common random numbers), refusing counts int64 cannot hold."""
    if mean > MAX_FIRINGS:
        raise OverflowError(LEAP_TOO_LARGE)
    return s.streams[s.stream_of[j]].poisson(mean) if mean > 0.0 else 0


@_jit
def _stays_whole(s: LeapState) -> bool:
    """Write the counts after ``firings`` into ``ahead``; False if one would be negative."""
    s.ahead[:] = s.counts
    for j in range(s.firings.size):
        n = s.firings[j]
        if n == 0:
            continue
        for k in range(s.ptr[j], s.ptr[j + 1]):
            s.ahead[s.species[k]] += n * s.amount[k]
    return bool(s.ahead.min() >= 0.0)


@_jit
def _choose(s: LeapState, total: float, uniform: float) -> int:
    """The critical channel that fires: chosen in proportion to its propensity."""
    target, cumulative, last = uniform * total, 0.0, 0
    for j in range(s.rates.size):
        if s.critical[j]:
            cumulative += s.rates[j]
            last = j
            if cumulative > target:
                return j
    return last


@_jit
def _exact_burst(s: LeapState, total: float, t: float, t_max: float) -> tuple[float, int]:
    """Gillespie's direct method for up to ``ssa_burst`` events; stops early at a
    delayed firing or when the burden leaves its bounds."""
    for _ in range(int(s.settings[SSA_BURST])):
        wait, pick = s.exact.random(), s.exact.random()
        tau = -math.log1p(-wait) / total  # exponential waiting time, mean 1/total
        if t + tau >= t_max:
            # Memorylessness: an event not yet fired by t_max is redrawn from there.
            _flow(s, t_max - t)
            return t_max, REACHED
        channel = _pick(s.rates, pick * total)
        _flow(s, tau)
        for k in range(s.ptr[channel], s.ptr[channel + 1]):
            s.counts[s.species[k]] += s.amount[k]
        t += tau
        s.fired[channel] += 1
        if s.delayed[channel] > 0.0:
            s.delayed_fired[channel] += 1
            return t, DELAYED
        if _left(s):
            return t, BURDEN
        s.rate_law(s.counts, s.levels, s.parameters, s.rates)
        total = s.rates.sum()
        if total <= 0.0:
            break
    return t, REACHED


@_jit
def _pick(rates: FloatArray, target: float) -> int:
    """The first channel whose cumulative propensity exceeds ``target``."""
    cumulative = 0.0
    for j in range(rates.size):
        cumulative += rates[j]
        if cumulative > target:
            return j
    return int(rates.size - 1)


@_jit
def _flow(s: LeapState, dt: float) -> None:
    """Integrate the concentrations over ``dt`` with rates taken now."""
    if s.levels.size == 0 or dt <= 0.0:
        return
    s.level_law(s.counts, s.levels, s.parameters, s.production, s.decay)
    _integrate(s, dt)


@_jit
def _integrate(s: LeapState, dt: float) -> None:
    """Exact for dC/dt = P - kC with P, k frozen: C e^{-k dt} + P (1 - e^{-k dt}) / k,
    whose k -> 0 limit is C + P dt; expm1 keeps small k dt accurate."""
    if dt <= 0.0:
        return
    for i in range(s.levels.size):
        k = s.decay[i]
        gain = -math.expm1(-k * dt) / k if k > 0.0 else dt
        level = s.levels[i] * math.exp(-k * dt) + s.production[i] * gain
        # A level decaying with nothing producing it (IL-2 after the tumour is gone) would
        # pass below the smallest normal float into subnormals (`7.8e-315`: imprecise, and
        # slow arithmetic on x86); there it is zero in any unit.
        s.levels[i] = level if level >= SMALLEST_LEVEL else 0.0


@_jit
def _left(s: LeapState) -> bool:
    """True when the weighted burden is outside the open interval ``bounds``."""
    burden = 0.0
    for i in range(s.counts.size):
        burden += s.weights[i] * s.counts[i]
    return bool(burden <= s.bounds[0] or burden >= s.bounds[1])
