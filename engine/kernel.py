"""The hybrid stochastic kernel: exact where counts are small, leaping where they are large.

The kernel advances one replicate's counts and concentrations through time. It follows
Cao, Gillespie & Petzold:

* **Partition, per channel, every step** (CGP 2005, "Avoiding negative populations in
  explicit Poisson tau-leaping", J Chem Phys 123:054104). A channel is *critical* when it
  changes a species whose count is below ``exact_below`` (default 100). Critical channels
  fire exactly, one event at a time; the others leap. Because ``exact_below`` is at least
  ``critical_firings`` (CGP's n_c = 10) times the largest consumption, no leaping channel
  can exhaust a reactant within n_c firings.
* **Step size** (CGP 2006, "Efficient step size selection for the tau-leaping simulation
  method", J Chem Phys 124:044109, eq. 33): the leap ``tau'`` bounds the expected relative
  change of every species by ``epsilon / g_i`` (mean and standard deviation), where g_i is
  the highest order of a rate law changing species i. The critical channels' next firing
  time ``tau''`` is exponential in their summed propensity; the step is the smaller of the
  two and of the time to the next calendar event.
* **Exact fallback** (CGP 2006, section IV): when ``tau'`` is below ``ssa_multiple / a0``
  a leap would save nothing, so up to ``ssa_burst`` exact (Gillespie direct-method) events
  are taken instead. Small systems are therefore simulated exactly.
* **Estimated midpoint** (Gillespie 2001, J Chem Phys 115:1716, section IV): leaping
  channels fire with propensities evaluated at the state predicted half a step ahead,
  which removes the first-order bias of plain Poisson leaping on oscillating dynamics.
* **Delayed products** (a DC reaching the lymph node, a clonal burst reaching the
  tumour) are calendar events. Their delivery times are rounded *up* to a grid of
  ``delivery_grid`` days (default 0.05 d = 72 min), so products fired by many short leaps
  arrive together in one event instead of cutting the kinetics into ever shorter steps;
  nothing arrives before its delay has elapsed.
* **Never negative**: a leap that would drive a count below zero is rejected and retried
  with half the step (CGP 2005); the rejected draws are simply discarded.

Concentrations (cytokines, drug exposures) are continuous: over each step they follow
``dC/dt = P - k C`` with P and k frozen at the step's start, integrated exactly
(exponential Euler), which stays stable for fast-decaying cytokines such as IL-2.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.network import FloatArray, Kinetics, Stoichiometry

#: Called when a channel with delayed products fires: (channel, times fired, time).
#: Returns the earliest time at which those products appear.
DelayedFiring = Callable[[int, int, float], float]


@dataclass(frozen=True, kw_only=True, slots=True)
class KernelSettings:
    """Accuracy and partition settings of the hybrid kernel (see module docstring)."""

    epsilon: float = 0.03
    exact_below: float = 100.0
    critical_firings: int = 10
    ssa_multiple: float = 10.0
    ssa_burst: int = 100
    midpoint: bool = True
    max_leap: float = 1.0
    delivery_grid: float = 0.05


class Kernel:
    """Advances one replicate's state; owns no clock (SimPy does), only the kinetics."""

    def __init__(
        self,
        stoichiometry: Stoichiometry,
        kinetics: Kinetics,
        counts: FloatArray,
        levels: FloatArray,
        rng: np.random.Generator,
        settings: KernelSettings,
        on_delayed: DelayedFiring,
    ) -> None:
        self.counts = counts
        self.levels = levels
        self.fired = np.zeros(len(stoichiometry.delays), dtype=np.int64)
        #: What ended each step so far (diagnostics for benchmarks): the leap bound, a
        #: critical firing, the next calendar event or delivery, a burst of exact events,
        #: or nothing left to happen.
        self.step_ends = dict.fromkeys(("leap", "critical", "calendar", "exact", "idle"), 0)
        self._kinetics = kinetics
        self._rng = rng
        self._settings = settings
        self._on_delayed = on_delayed
        self._change = stoichiometry.change.astype(np.float64)
        self._change_sq = self._change**2
        self._touches = (stoichiometry.change != 0).astype(np.float64)
        self._epsilon_over_order = settings.epsilon / stoichiometry.order
        self._has_delayed = np.flatnonzero(np.any(stoichiometry.delayed != 0, axis=1))
        self._delayed_channels = frozenset(int(j) for j in self._has_delayed)
        biggest = int(np.abs(stoichiometry.change).max(initial=1))
        self._exact_below = max(settings.exact_below, settings.critical_firings * biggest)

    def step(self, t: float, t_max: float) -> float:
        """Advance from ``t`` by one leap or one burst of exact events, not past ``t_max``.

        Returns the new time. Delayed products are handed to ``on_delayed``; if one is due
        before ``t_max`` the step stops there so the calendar can deliver it on time.
        """
        rates = self._kinetics.propensities(self.counts, self.levels)
        total = float(rates.sum())
        if total <= 0.0:
            self.step_ends["idle"] += 1
            self._integrate_levels(t_max - t)
            return t_max
        critical = self._critical(rates)
        leaping = rates if critical is None else np.where(critical, 0.0, rates)
        tau_leap = self._leap_size(leaping)
        if tau_leap == np.inf or tau_leap < self._settings.ssa_multiple / total:
            # Nothing worth leaping: every channel is critical, or a leap would be shorter
            # than a few exact events anyway.
            self.step_ends["exact"] += 1
            return self._exact_burst(t, t_max, rates, total)
        return self._leap(t, t_max, rates, critical, leaping, tau_leap)

    def _critical(self, rates: FloatArray) -> npt.NDArray[np.bool_] | None:
        """Channels that must fire exactly: those changing a species below ``exact_below``."""
        if self.counts.min(initial=np.inf) >= self._exact_below:
            return None  # the common case at scale: every channel leaps
        small = self.counts < self._exact_below
        critical: npt.NDArray[np.bool_] = (rates > 0.0) & ((self._touches @ small) > 0.0)
        return critical

    def _leap_size(self, leaping: FloatArray) -> float:
        """CGP 2006 eq. 33: the largest leap keeping relative changes within epsilon.

        ``min_i min(b_i/|mu_i|, b_i^2/sigma_i^2)`` is computed as
        ``1 / max_i(max(|mu_i|, sigma_i^2/b_i) / b_i)``, which needs no division by zero
        because every bound ``b_i = max(epsilon x_i / g_i, 1)`` is at least one.
        """
        bound = np.maximum(self._epsilon_over_order * self.counts, 1.0)
        drift = np.abs(leaping @ self._change)
        spread = leaping @ self._change_sq
        fastest = float((np.maximum(drift, spread / bound) / bound).max(initial=0.0))
        return 1.0 / fastest if fastest > 0.0 else np.inf

    def _leap(
        self,
        t: float,
        t_max: float,
        rates: FloatArray,
        critical: npt.NDArray[np.bool_] | None,
        leaping: FloatArray,
        tau_leap: float,
    ) -> float:
        critical_total = 0.0 if critical is None else float(rates[critical].sum())
        next_critical = (
            self._rng.exponential(1.0 / critical_total) if critical_total > 0 else np.inf
        )
        tau_leap = min(tau_leap, self._settings.max_leap)
        # Level rates at the step's start, taken now while the rate laws still hold this
        # state: after the midpoint evaluation they would have to rebuild it.
        flows = self._level_flows()
        while True:
            tau = min(tau_leap, next_critical, t_max - t)
            fires_critical = next_critical <= tau_leap and next_critical <= t_max - t
            firings = self._rng.poisson(self._leap_means(leaping, critical, tau) * tau)
            if fires_critical and critical is not None:
                firings[self._choose(np.where(critical, rates, 0.0), critical_total)] += 1
            change = firings @ self._change
            if (self.counts + change).min(initial=0.0) >= 0.0:
                break
            tau_leap = tau / 2.0  # CGP 2005: reject a leap that goes negative, halve it
        self._integrate_levels(tau, flows)
        self.counts += change
        end = self._record(firings, t + tau, t_max)
        reason = "critical" if fires_critical else "leap" if end == t + tau < t_max else "calendar"
        self.step_ends[reason] += 1
        return end

    def _leap_means(
        self, leaping: FloatArray, critical: npt.NDArray[np.bool_] | None, tau: float
    ) -> FloatArray:
        if not self._settings.midpoint:
            return leaping
        ahead = np.maximum(self.counts + (0.5 * tau) * (leaping @ self._change), 0.0)
        midpoint = self._kinetics.propensities(ahead, self.levels)
        return midpoint if critical is None else np.where(critical, 0.0, midpoint)

    def _exact_burst(self, t: float, t_max: float, rates: FloatArray, total: float) -> float:
        """Gillespie's direct method for up to ``ssa_burst`` events.

        Uniforms are drawn in one block per burst and the channel is picked on Python
        floats: for the handful of channels of a small system this is several times
        faster than numpy calls per event.
        """
        cumulative = list(itertools.accumulate(rates.tolist()))
        for wait, pick in self._rng.random((self._settings.ssa_burst, 2)).tolist():
            tau = -math.log1p(-wait) / total  # exponential waiting time, mean 1/total
            if t + tau >= t_max:
                # Memorylessness: an event not yet fired by t_max is redrawn from there.
                self._integrate_levels(t_max - t)
                return t_max
            channel = min(bisect.bisect_right(cumulative, pick * total), len(cumulative) - 1)
            self._integrate_levels(tau)
            self.counts += self._change[channel]
            t += tau
            self.fired[channel] += 1
            if channel in self._delayed_channels:
                t_max = min(t_max, self._on_delayed(channel, 1, t))
            cumulative = list(
                itertools.accumulate(self._kinetics.propensities(self.counts, self.levels).tolist())
            )
            total = cumulative[-1]
            if total <= 0.0:
                break
        return t

    def _choose(self, rates: FloatArray, total: float) -> int:
        cumulative = np.cumsum(rates)
        pick = int(np.searchsorted(cumulative, self._rng.random() * total, side="right"))
        return min(pick, len(rates) - 1)

    def _record(self, firings: npt.NDArray[np.int64], t: float, t_max: float) -> float:
        self.fired += firings
        for channel in self._has_delayed:
            if firings[channel]:
                t_max = min(t_max, self._on_delayed(int(channel), int(firings[channel]), t))
        return min(t, t_max)

    def _level_flows(self) -> tuple[FloatArray, FloatArray] | None:
        """Production and decay of every concentration now (None if there are none)."""
        if self.levels.size == 0:
            return None
        return self._kinetics.level_rates(self.counts, self.levels)

    def _integrate_levels(
        self, dt: float, flows: tuple[FloatArray, FloatArray] | None = None
    ) -> None:
        if self.levels.size == 0 or dt <= 0.0:
            return
        production, decay = flows or self._kinetics.level_rates(self.counts, self.levels)
        # Exact for dC/dt = P - kC with P, k frozen: C e^{-k dt} + P (1 - e^{-k dt}) / k,
        # whose k -> 0 limit is C + P dt; expm1 keeps small k dt accurate.
        decaying = decay > 0.0
        gain = np.where(decaying, -np.expm1(-decay * dt) / np.where(decaying, decay, 1.0), dt)
        self.levels[:] = np.maximum(self.levels * np.exp(-decay * dt) + production * gain, 0.0)
