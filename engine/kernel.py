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
  the highest order of a rate law changing species i; and, because that bound sees only
  the drift, which vanishes near a balance, ``tau·|∂f_i/∂x_i| <= epsilon / g_i`` for the
  net drift's own relaxation rate (its Jacobian's diagonal, probed from the rate laws
  and the probes rescaled until a count has moved by ``relaxation_reuse``·epsilon:
  :mod:`escapesim.engine.leap_size`): every second-order leap's mean error is
  O((tau·|∂f/∂x|)²), ~0.03% on immigration–death at 10⁴ molecules without it. The
  critical channels' next firing time ``tau''`` is exponential in their summed
  propensity; the step is the smaller of the two and of the time to the next calendar
  event.
* **Exact fallback** (CGP 2006, section IV): when ``tau'`` is below ``ssa_multiple / a0``
  a leap would save nothing, so up to ``ssa_burst`` exact (Gillespie direct-method) events
  are taken instead. Small systems are therefore simulated exactly.
* **Weak trapezoidal leaps** (Anderson & Mattingly 2011, "A weak trapezoidal method for
  a class of stochastic differential equations", Commun Math Sci 9:301; for reaction
  networks Anderson & Koyama 2012, Multiscale Model Simul 10:1493): a leap of tau
  fires Poisson counts over theta·tau at the start's propensities a(x), then over
  (1 − theta)·tau at max(alpha1·a(y*) − alpha2·a(x), 0), y* the state after the first
  stage (theta = 1 − 1/√2). It is second order in the mean *and* the variance. Plain
  Poisson leaping is biased to first order on oscillating dynamics; Gillespie's estimated
  midpoint (2001, J Chem Phys 115:1716, section IV; ``leap="midpoint"``) fixes the mean
  but not the variance: on immigration–death with leaps of 0.1/mu it inflates the
  variance by 10% (tests/test_dsmts.py measures both).
* **Fully exact** (``exact=True``): every channel is critical, so the kernel takes only
  exact bursts (Gillespie's direct method, compiled): for users who need the exact law.
* **Delayed products** (a DC reaching the lymph node, a clonal burst reaching the
  tumour) are calendar events. Their delivery times are rounded *up* to a grid of
  ``delivery_grid`` days (default 0.05 d = 72 min), so products fired by many short leaps
  arrive together in one event instead of cutting the kinetics into ever shorter steps;
  nothing arrives before its delay has elapsed.
* **Never negative**: a leap that would drive a count below zero is rejected and retried
  with half the step (CGP 2005); the rejected draws are simply discarded.
* **Random streams** (common random numbers): a leap draws each channel's firings from
  the stream of the channel's component (a preset's part), so arms that differ in one
  therapy keep the other parts' leaps in step; exact events (when a critical channel
  fires, and which) draw from one ``exact`` stream, which the direct method needs.

Concentrations (cytokines, drug exposures) are continuous: over each step they follow
``dC/dt = P - k C`` with P and k frozen at the step's start, integrated exactly
(exponential Euler), which stays stable for fast-decaying cytokines such as IL-2.

The steps themselves run compiled (:mod:`escapesim.engine.leaping`); this class holds a replicate's
state and hands control back to the simulation whenever it must act.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from escapesim.engine.compiled import CompiledKinetics
from escapesim.engine.leap_state import NEW, streams
from escapesim.engine.leaping import ADVANCE, DELAYED, LEAP_RULES, REACHED, STEP_ENDS
from escapesim.engine.network import FloatArray, IntArray
from escapesim.engine.stoichiometry import Stoichiometry

#: Called when a channel with delayed products fires: (channel, times fired, time).
#: Returns the earliest time at which those products appear.
DelayedFiring = Callable[[int, int, float], float]


@dataclass(frozen=True, kw_only=True, slots=True)
class KernelSettings:
    """Accuracy and partition settings of the hybrid kernel (see module docstring).

    ``leap``: how a leap draws its firings: ``"trapezoidal"`` (the default),
    ``"midpoint"`` or ``"poisson"`` (plain, first order). ``exact``: every channel fires
    exactly, one event at a time (Gillespie's direct method), whatever the counts.
    ``stepwise``: :meth:`Kernel.advance` returns after every step (a leap or a burst of
    exact events), so the caller can look at the state between steps (a model's
    state-triggered events, :mod:`escapesim.engine.model_events`).
    ``relaxation_reuse``: the leap bound's Jacobian diagonal is probed again when a
    leaping species' count has moved by more than this multiple of ``epsilon`` since
    the last probe, and rescaled to the present otherwise (0: probed every step; why 1,
    :mod:`escapesim.engine.leap_size`).
    """

    epsilon: float = 0.03
    exact_below: float = 100.0
    critical_firings: int = 10
    ssa_multiple: float = 10.0
    ssa_burst: int = 100
    leap: str = "trapezoidal"
    max_leap: float = 1.0
    delivery_grid: float = 0.05
    exact: bool = False
    stepwise: bool = False
    relaxation_reuse: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.relaxation_reuse < float("inf"):
            raise ValueError(
                f"relaxation_reuse: must be finite and >= 0, got {self.relaxation_reuse!r}"
            )
        if self.leap not in LEAP_RULES:
            raise ValueError(f"leap: must be one of {', '.join(LEAP_RULES)}, got {self.leap!r}")


class Kernel:
    """Advances one replicate's state; owns no clock (SimPy does), only the kinetics."""

    def __init__(
        self,
        stoichiometry: Stoichiometry,
        kinetics: CompiledKinetics,
        counts: FloatArray,
        levels: FloatArray,
        exact: np.random.Generator,
        leap: Sequence[np.random.Generator],
        settings: KernelSettings,
        on_delayed: DelayedFiring,
    ) -> None:
        """``exact`` draws the exact events (when, and which channel); ``leap[j]`` is the
        stream channel ``j``'s tau-leap firings are drawn from (channels of one component
        share theirs)."""
        self.counts = np.ascontiguousarray(counts, dtype=np.float64)
        self.levels = np.ascontiguousarray(levels, dtype=np.float64)
        self.fired = np.zeros(stoichiometry.channels, dtype=np.int64)
        #: What ended each step, indexed like STEP_ENDS (a checkpoint keeps it).
        self._delayed_fired = np.zeros_like(self.fired)
        self.ends = np.zeros(len(STEP_ENDS), dtype=np.int64)
        self._on_delayed = on_delayed
        self._delayed_channels = stoichiometry.delayed_channels
        biggest = int(np.abs(stoichiometry.change).max(initial=1))
        exact_below = max(settings.exact_below, settings.critical_firings * biggest)
        if settings.exact:
            exact_below = np.inf  # every channel critical: only exact bursts, never a leap
        #: After :meth:`advance`: True when it ended with the watched burden checked and
        #: inside its interval (no delayed firing cut the stretch short before the check).
        self.kept_bounds = False
        self._weights = np.zeros(self.counts.size)
        self._bounds = np.array([-np.inf, np.inf])
        distinct = list({id(g): g for g in leap}.values())
        index = {id(g): k for k, g in enumerate(distinct)}
        stream_of = np.array([index[id(g)] for g in leap], dtype=np.int64)
        populations, entries = self.counts.size, stoichiometry.species.size
        # The entries species by species, so a probe of one species (leap_size) visits
        # only its own entries, not every channel's.
        by_species = np.argsort(stoichiometry.species, kind="stable").astype(np.int64)
        species_ptr = np.searchsorted(
            stoichiometry.species[by_species], np.arange(populations + 1)
        ).astype(np.int64)
        channel_of = np.repeat(np.arange(stoichiometry.channels), np.diff(stoichiometry.ptr))
        #: The leap bound's probe memory (:mod:`escapesim.engine.leap_size`), one vector
        #: the compiled loop sees in five parts (a checkpoint keeps it).
        self.probes = np.zeros(3 * populations + 2 * entries)
        cuts = np.cumsum([populations, populations, populations, entries])
        # Everything the compiled loop reads, handed over once (the arrays are shared).
        self._state = NEW.compiled(
            kinetics.rate_law.address, kinetics.level_law.address, kinetics.parameters,
            self.counts, self.levels, self.fired, self._delayed_fired,
            stoichiometry.ptr, stoichiometry.species, stoichiometry.amount,
            np.any(stoichiometry.delayed != 0, axis=1).astype(np.float64),
            settings.epsilon / stoichiometry.order,
            np.array([exact_below, settings.ssa_multiple, settings.ssa_burst,
                      LEAP_RULES[settings.leap], settings.max_leap, float(settings.stepwise),
                      settings.relaxation_reuse * settings.epsilon]),
            self.ends, self._weights, self._bounds, exact, streams(distinct), stream_of,
            by_species, species_ptr, channel_of.astype(np.int64),
            *np.split(self.probes, cuts),
        )  # fmt: skip

    @property
    def step_ends(self) -> Mapping[str, int]:
        """What ended each step so far (diagnostics for benchmarks): the leap bound, a
        critical firing, the next calendar event or delivery, a burst of exact events,
        or nothing left to happen."""
        return {name: int(n) for name, n in zip(STEP_ENDS, self.ends, strict=True)}

    def resume(
        self, counts: FloatArray, levels: FloatArray, fired: IntArray, ends: IntArray,
        probes: FloatArray,
    ) -> None:  # fmt: skip
        """Take a checkpoint's state (in place: the compiled loop shares these arrays)."""
        self.counts[:], self.levels[:], self.fired[:] = counts, levels, fired
        self.ends[:], self.probes[:] = ends, probes

    def watch(self, weights: FloatArray, low: float, high: float) -> None:
        """Stop :meth:`advance` after the step at which ``weights · counts`` leaves the open
        interval (``low``, ``high``); ``-inf, inf`` stops watching."""
        self._weights[:] = weights
        self._bounds[:] = (low, high)

    def advance(self, t: float, t_max: float) -> float:
        """Take steps from ``t`` up to ``t_max``; return the time reached.

        Stops early after a step in which a channel with delayed products fired (they are
        handed to ``on_delayed``) or in which the watched burden left its interval.
        """
        t, why = ADVANCE.entry(self._state, t, t_max)
        # REACHED: no delayed firing, and the burden was checked after every step.
        self.kept_bounds = why == REACHED
        if why == DELAYED:
            fired = self._delayed_fired.tolist()
            for channel in self._delayed_channels:
                if fired[channel]:
                    self._on_delayed(channel, fired[channel], t)
        return t
