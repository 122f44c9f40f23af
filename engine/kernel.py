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
* **Never negative**: a leap that would drive a count below zero is rejected and retried
  with half the step (CGP 2005); the rejected draws are simply discarded.

Concentrations (cytokines, drug exposures) are continuous: over each step they follow
``dC/dt = P - k C`` with P and k frozen at the step's start, integrated exactly
(exponential Euler), which stays stable for fast-decaying cytokines such as IL-2.
"""

from __future__ import annotations

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
        self._kinetics = kinetics
        self._rng = rng
        self._settings = settings
        self._on_delayed = on_delayed
        self._change = stoichiometry.change.astype(np.float64)
        self._change_sq = self._change**2
        self._touches = (stoichiometry.change != 0).astype(np.float64)
        self._order = stoichiometry.order
        self._has_delayed = np.flatnonzero(np.any(stoichiometry.delayed != 0, axis=1))
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
            self._integrate_levels(t_max - t)
            return t_max
        small = (self.counts < self._exact_below).astype(np.float64)
        critical = (rates > 0.0) & ((self._touches @ small) > 0.0)
        leaping = np.where(critical, 0.0, rates)
        tau_leap = self._leap_size(leaping)
        if tau_leap < self._settings.ssa_multiple / total:
            return self._exact_burst(t, t_max, rates, total)
        return self._leap(t, t_max, rates, critical, leaping, tau_leap)

    def _leap_size(self, leaping: FloatArray) -> float:
        """CGP 2006 eq. 33: the largest leap keeping relative changes within epsilon."""
        drift = leaping @ self._change
        spread = leaping @ self._change_sq
        bound = np.maximum(self._settings.epsilon * self.counts / self._order, 1.0)
        with np.errstate(divide="ignore"):
            by_mean = np.where(drift != 0.0, bound / np.abs(drift), np.inf)
            by_spread = np.where(spread > 0.0, bound**2 / spread, np.inf)
        return float(min(by_mean.min(initial=np.inf), by_spread.min(initial=np.inf)))

    def _leap(
        self,
        t: float,
        t_max: float,
        rates: FloatArray,
        critical: npt.NDArray[np.bool_],
        leaping: FloatArray,
        tau_leap: float,
    ) -> float:
        critical_total = float(rates[critical].sum())
        next_critical = (
            self._rng.exponential(1.0 / critical_total) if critical_total > 0 else np.inf
        )
        tau_leap = min(tau_leap, self._settings.max_leap)
        while True:
            tau = min(tau_leap, next_critical, t_max - t)
            fires_critical = next_critical <= tau_leap and next_critical <= t_max - t
            means = self._leap_means(leaping, critical, tau) * tau
            firings = self._rng.poisson(means).astype(np.float64)
            if fires_critical:
                firings[self._choose(np.where(critical, rates, 0.0), critical_total)] += 1.0
            change = firings @ self._change
            if np.all(self.counts + change >= 0.0):
                break
            tau_leap = tau / 2.0  # CGP 2005: reject a leap that goes negative, halve it
        self._integrate_levels(tau)
        self.counts += change
        return self._record(firings, t + tau, t_max)

    def _leap_means(
        self, leaping: FloatArray, critical: npt.NDArray[np.bool_], tau: float
    ) -> FloatArray:
        if not self._settings.midpoint:
            return leaping
        ahead = np.maximum(self.counts + 0.5 * tau * (leaping @ self._change), 0.0)
        midpoint = self._kinetics.propensities(ahead, self.levels)
        return np.where(critical, 0.0, midpoint)

    def _exact_burst(self, t: float, t_max: float, rates: FloatArray, total: float) -> float:
        """Gillespie's direct method for up to ``ssa_burst`` events."""
        for _ in range(self._settings.ssa_burst):
            tau = self._rng.exponential(1.0 / total)
            if t + tau >= t_max:
                # Memorylessness: an event not yet fired by t_max is redrawn from there.
                self._integrate_levels(t_max - t)
                return t_max
            channel = self._choose(rates, total)
            self._integrate_levels(tau)
            self.counts += self._change[channel]
            t += tau
            self.fired[channel] += 1
            if self._has_delayed.size and channel in self._has_delayed:
                t_max = min(t_max, self._on_delayed(int(channel), 1, t))
            rates = self._kinetics.propensities(self.counts, self.levels)
            total = float(rates.sum())
            if total <= 0.0:
                break
        return t

    def _choose(self, rates: FloatArray, total: float) -> int:
        cumulative = np.cumsum(rates)
        pick = int(np.searchsorted(cumulative, self._rng.random() * total, side="right"))
        return min(pick, len(rates) - 1)

    def _record(self, firings: FloatArray, t: float, t_max: float) -> float:
        counts = firings.astype(np.int64)
        self.fired += counts
        for channel in self._has_delayed:
            if counts[channel]:
                t_max = min(t_max, self._on_delayed(int(channel), int(counts[channel]), t))
        return min(t, t_max)

    def _integrate_levels(self, dt: float) -> None:
        if self.levels.size == 0 or dt <= 0.0:
            return
        production, decay = self._kinetics.level_rates(self.counts, self.levels)
        with np.errstate(divide="ignore", invalid="ignore"):
            kept = np.exp(-decay * dt)
            relaxed = np.where(decay > 0.0, production / decay * (1.0 - kept), production * dt)
        self.levels[:] = np.maximum(self.levels * kept + relaxed, 0.0)
