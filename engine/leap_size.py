"""The leap size of the compiled kernel (:mod:`escapesim.engine.leaping`): CGP's bound and
the net drift's relaxation bound, with the relaxation's probes reused across steps.

:func:`leap_size` is called from ``leaping._advance`` only, which closes over a digest of
this file (:data:`SOURCE_DIGEST`): numba keys a compiled function's disk cache on its own
file, so an edit here would otherwise leave ``_advance`` running stale code.

Why probes are reused. The relaxation bound (``tau·|∂f_i/∂x_i| <= epsilon/g_i``, see
:func:`leap_size`) needs the net Jacobian's diagonal, and the rate laws are opaque
compiled functions: each species' forward difference is a whole rate-law evaluation.
escape2004 probes ~9 species per step, and the bound binds in about half its steps
(replicate 0 of bench_escape2004's main case: 9,019 of 18,147), so it cannot be skipped.
Grouping structurally independent species (Curtis–Powell–Reid) does not help there:
every clone's channels read the total tumour burden, and a greedy colouring of its 39
species needs 34 groups. Reusing raw differences while every propensity stays within
epsilon does not either: CTL kills and priming read small populations (CTLs, DCs) whose
every event moves them by a percent, so 6,497 of 18,238 steps probed again.

So a probe keeps, per stoichiometry entry (channel j changing species i), the channel's
rate difference, and a later step scales it by ``(a_j/a_j°)·(x_i°/x_i)`` (° at the probe):
``∂a_j/∂x_i = e·a_j/x_i`` with the elasticity e held. That is exact for every law that is
a power of x_i times anything else (mass action, and saturation in *other* species or in
concentrations: a CTL kill k·β(F)·E·T/(h + T) keeps its T-elasticity as E, F and β
move), so what must trigger a new probe is only x_i itself moving (saturation or
crowding in x_i changes e): every probed species' count within ``settings[REUSE]``
(relative) of its count at the probe, all its leaping channels probed with a positive
propensity, and every species with spread > 0 probed. The default tolerance is epsilon
(``KernelSettings.relaxation_reuse`` = 1): the leap condition lets a species move by
epsilon/g_i within one leap, over which the bound already holds the leap's starting
Jacobian, so a reused diagonal is no staler than the one every leap ends with. Measured
on bench_escape2004's main case (replicate 0), against a fresh probe at every step: at
tolerance epsilon 4,380 of 18,110 steps probe and no leap differs by more than 0.03%
(0.08% at 3·epsilon, 0.5% at 30·epsilon); kuznetsov1994's laws are powers of each count,
and its leaps are the same as fresh ones up to rounding. Tolerance 0 probes every step.

A fresh probe's scale factors are exactly 1, and the diagonal is summed over the channels
leaping now, in the same order and with the same operations as probing at every step, so
a step that probes gives bitwise what it gave before reuse; a change of the partition
(which channels leap) needs no new probe. The probes persist across calls of
``_advance`` (a call lasts ~2 steps in escape2004: delayed firings and deliveries return
to Python), so what the simulation changes in between (a delivery, a dose, a model event)
is judged by the same test; and a checkpoint keeps them (``Kernel.probes``), so that its
continuation steps bitwise as the uninterrupted run does.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from escapesim.engine.compiled import jit as _jit
from escapesim.engine.leap_state import LeapState

#: Index of the reuse tolerance in the ``settings`` vector (after ``leaping``'s).
REUSE = 6

#: sha256 of this file: part of ``leaping._advance``'s disk-cache key (module docstring).
SOURCE_DIGEST = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


@_jit
def leap_size(s: LeapState) -> float:
    """CGP 2006 eq. 33: the largest leap keeping relative changes within epsilon.

    Leaves the signed drift per species in ``drift`` (the midpoint estimate uses it).
    ``min_i min(b_i/|mu_i|, b_i^2/sigma_i^2)`` is ``1 / max_i(max(|mu_i|, sigma_i^2/b_i)
    / b_i)``, which needs no division by zero because every ``b_i`` is at least one.

    And the net Jacobian's diagonal: ``tau·|∂f_i/∂x_i| <= epsilon/g_i`` too. Why: near a
    balance the drift vanishes, so CGP's bound lets a leap grow until mu·tau is large, and
    every second-order leap has a mean error O((mu·tau)²) (immigration–death at 10⁴
    molecules: −0.03%, Z = −4.4 at n = 10⁴). The drift's relaxation rate is what sets that
    error: −mu there, but only ≈ −a·b·T for kuznetsov1994's tumour, whose gross turnover
    (killing balanced by growth) is fast while its net response is slow, so the bound
    binds where leaps lose accuracy and not merely where events are many.
    """
    s.drift[:] = 0.0
    s.spread[:] = 0.0
    for j in range(s.leaping.size):
        rate = s.leaping[j]
        if rate == 0.0:
            continue
        for k in range(s.ptr[j], s.ptr[j + 1]):
            s.drift[s.species[k]] += rate * s.amount[k]
            s.spread[s.species[k]] += rate * s.amount[k] * s.amount[k]
    fastest = 0.0
    for i in range(s.counts.size):
        bound = max(s.bound_scale[i] * s.counts[i], 1.0)
        fastest = max(fastest, max(abs(s.drift[i]), s.spread[i] / bound) / bound)
    _relaxations(s)
    for i in range(s.counts.size):
        if s.spread[i] > 0.0:
            fastest = max(fastest, abs(s.relax[i]) / s.bound_scale[i])
    return 1.0 / fastest if fastest > 0.0 else np.inf


@_jit
def _relaxations(s: LeapState) -> None:
    """``relax[i]``: ∂f_i/∂x_i, the net drift's sensitivity to species i's own count
    (leaping channels only), for every species with spread > 0, from forward
    differences of the rate laws (exact for laws linear in x_i), probed anew unless the
    last probes still hold, else scaled to the present (module docstring)."""
    if not _probes_hold(s):
        _probe(s)
    s.relax[:] = 0.0
    for j in range(s.leaping.size):
        if s.leaping[j] == 0.0:
            continue
        held = s.rates[j] / s.probe_rates[j]  # > 0: _probes_hold checked it
        for k in range(s.ptr[j], s.ptr[j + 1]):
            i = s.species[k]
            moved = s.probe_counts[i] / s.counts[i] if s.counts[i] > 0.0 else 1.0
            s.relax[i] += s.amount[k] * (s.differences[k] * held * moved)
    for i in range(s.counts.size):
        if s.probed[i] > 0.0:
            s.relax[i] = s.relax[i] / s.probe_step[i]


@_jit
def _probes_hold(s: LeapState) -> bool:
    """True when every species with spread > 0 was probed and its count is within the
    reuse tolerance of its count at the probe, and every leaping channel had a positive
    propensity at the probe (its difference can be scaled)."""
    tolerance = s.settings[REUSE]
    if tolerance <= 0.0:
        return False
    for j in range(s.leaping.size):
        if s.leaping[j] > 0.0 and s.probe_rates[j] <= 0.0:
            return False
    for i in range(s.counts.size):
        if s.spread[i] > 0.0:
            if s.probed[i] == 0.0:
                return False
            if abs(s.counts[i] - s.probe_counts[i]) > tolerance * s.probe_counts[i]:
                return False
    return True


@_jit
def _probe(s: LeapState) -> None:
    """Forward differences for every species with spread > 0: one rate-law evaluation
    each, a step of ``max(1, 1e-3·x_i)``; ``differences[k]`` is entry k's channel's
    propensity change when entry k's species is the one probed."""
    for i in range(s.counts.size):
        s.probed[i] = 1.0 if s.spread[i] > 0.0 else 0.0
        if s.spread[i] == 0.0:
            continue
        step = max(1.0, 1e-3 * s.counts[i])
        s.probe_step[i] = step
        s.ahead[:] = s.counts
        s.ahead[i] += step
        s.rate_law(s.ahead, s.levels, s.parameters, s.means)
        for j in range(s.rates.size):
            for k in range(s.ptr[j], s.ptr[j + 1]):
                if s.species[k] == i:
                    s.differences[k] = s.means[j] - s.rates[j]
    s.probe_counts[:] = s.counts
    s.probe_rates[:] = s.rates
