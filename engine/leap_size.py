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
rate difference and propensity, and a later step scales the difference by
``(a_j/a_j°)·(x_i°/x_i)`` (° at the probe): ``∂a_j/∂x_i = e·a_j/x_i`` with the
elasticity e held. That is exact for every law that is a power of x_i times anything
else (mass action, and saturation in other species or in concentrations: a CTL kill
k·β(F)·E·T/(h + T) keeps its T-elasticity as E, F and β move), so what must trigger new
probes is counts moving: when any probed species' count has moved beyond
``settings[REUSE]`` (relative) since its probe, every species with spread > 0 is probed
again (all of them: a count may shape another species' elasticities, as de Pillis's
ratio-dependent kill (L/T)^l/(s + (L/T)^l)·T does T's); a species newly leaping, or
with a leaping channel that had no propensity at its probe, is probed alone. The
default tolerance is epsilon (``KernelSettings.relaxation_reuse`` = 1): the leap
condition lets a species move by epsilon/g_i within one leap, over which the bound
already holds the leap's starting Jacobian, so a reused diagonal is no staler than the
one every leap ends with. Measured on replicate 0 of each preset against a fresh probe
at every step (the leap bound's relative difference): escape2004 (bench_escape2004's
main case) 39,029 probes in 18,165 steps instead of 158,324, none off by more than
0.03%; kuznetsov1994 (laws that are powers of each count) none off at all; Kirschner–
Panetta 1998 at most 2.9% and de Pillis 2005 at most 1.6% (saturation in x_i itself
moves e within the tolerance). Re-probing only the species that moved took 6,101
probes on escape2004 but left de Pillis's leaps off by up to 5.5%. Tolerance 0 probes
every step.

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
            change = rate * s.amount[k]  # (rate·a)·a, the product as written before
            s.drift[s.species[k]] += change
            s.spread[s.species[k]] += change * s.amount[k]
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
    differences of the rate laws (exact for laws linear in x_i): probed anew for the
    species whose probes do not hold, the others' rescaled to the present (module
    docstring)."""
    _mark_stale(s)
    for i in range(s.counts.size):
        if s.stale[i]:
            _probe(s, i)
    # x_i°/x_i once per species, not per entry; ``ahead`` is free scratch until the
    # leap itself (every leap rule writes it before reading it).
    for i in range(s.counts.size):
        s.ahead[i] = s.probe_counts[i] / s.counts[i] if s.counts[i] > 0.0 else 1.0
    s.relax[:] = 0.0
    for j in range(s.leaping.size):
        if s.leaping[j] == 0.0:
            continue
        for k in range(s.ptr[j], s.ptr[j + 1]):
            i = s.species[k]
            held = s.rates[j] / s.probe_rates[k]  # > 0: _mark_stale saw to it
            s.relax[i] += s.amount[k] * (s.differences[k] * held * s.ahead[i])
    for i in range(s.counts.size):
        if s.probed[i] > 0.0:
            s.relax[i] = s.relax[i] / s.probe_step[i]


@_jit
def _mark_stale(s: LeapState) -> None:
    """``stale[i]``: species i has spread > 0 and must be probed now. All of them when
    one's count has moved beyond the reuse tolerance since its probe (another species'
    count may shape its laws' elasticities: a ratio-dependent kill); else those never
    probed, and those with a leaping channel that had no propensity at their probe (the
    difference cannot be rescaled)."""
    tolerance = s.settings[REUSE]
    moved = tolerance <= 0.0
    for i in range(s.counts.size):
        s.stale[i] = s.spread[i] > 0.0 and s.probed[i] == 0.0
        if not moved and s.spread[i] > 0.0 and s.probed[i] > 0.0:
            moved = abs(s.counts[i] - s.probe_counts[i]) > tolerance * s.probe_counts[i]
    if moved:
        for i in range(s.counts.size):
            s.stale[i] = s.spread[i] > 0.0
        return
    for j in range(s.leaping.size):
        if s.leaping[j] > 0.0:
            for k in range(s.ptr[j], s.ptr[j + 1]):
                if s.probe_rates[k] <= 0.0:
                    s.stale[s.species[k]] = True


@_jit
def _probe(s: LeapState, i: int) -> None:
    """Forward differences for species i: one rate-law evaluation, a step of
    ``max(1, 1e-3·x_i)``; for every entry k of species i, ``differences[k]`` is its
    channel's propensity change and ``probe_rates[k]`` its propensity before."""
    s.probed[i] = 1.0
    step = max(1.0, 1e-3 * s.counts[i])
    s.probe_step[i] = step
    s.probe_counts[i] = s.counts[i]
    s.ahead[:] = s.counts
    s.ahead[i] += step
    s.rate_law(s.ahead, s.levels, s.parameters, s.means)
    for q in range(s.species_ptr[i], s.species_ptr[i + 1]):
        k = s.by_species[q]
        j = s.channel_of[k]
        s.differences[k] = s.means[j] - s.rates[j]
        s.probe_rates[k] = s.rates[j]
