"""An exact Gillespie direct-method reference for the kuznetsov1994 network (benchmark only).

Written for the benchmark from Gillespie (1977, J Phys Chem 81:2340): every event is
simulated, one at a time, with the waiting time drawn from ``Exp(a0)`` and the event
picked with probability ``a_j / a0``. The rate laws are those of the seven channels of
``engine/presets/kuznetsov1994.py``, written out here independently so that the reference
shares no code with the engine it checks:

| move  | channels merged                         | propensity              |
|-------|-----------------------------------------|-------------------------|
| E + 1 | effector influx, recruitment            | s + p·E·T/(g + T)       |
| E − 1 | inactivation, effector death            | E·(m·T + d)             |
| T + 1 | tumour division                         | a·T                     |
| T − 1 | competition, CTL kill                   | T·(a·b·T + n·E)         |

Channels with the same change vector are merged: the state process is the same Markov
chain (its jump rates are the sums), so this is still exact; only per-channel event
counters are lost, and the benchmark does not need them.

Replicates run in lockstep: each iteration fires one event in *every* unfinished
replicate, so numpy's per-call overhead is paid once per iteration rather than once per
replicate. Each replicate is an exact, independent realisation of the chain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: Change of (E, T) for the moves E+1, E−1, T+1, T−1.
MOVE_E = np.array([1.0, -1.0, 0.0, 0.0])
MOVE_T = np.array([0.0, 0.0, 1.0, -1.0])


def direct_method(
    parameters: Mapping[str, float],
    initial: tuple[float, float],
    times: Sequence[float],
    replicates: int,
    seed: int,
) -> tuple[FloatArray, FloatArray, int]:
    """Simulate ``replicates`` exact trajectories of (E, T), sampled at ``times``.

    ``times`` must be increasing and non-negative. Returns ``(E, T, events)``: two arrays
    of shape ``(replicates, len(times))`` with the state at each sampling time, and the
    total number of events fired over all replicates.
    """
    s, p, g = parameters["s"], parameters["p"], parameters["g"]
    m, d, a = parameters["m"], parameters["d"], parameters["a"]
    ab, n = parameters["a"] * parameters["b"], parameters["n"]
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, 0x55A])))
    sample_at = np.append(np.asarray(times, dtype=float), np.inf)
    count = len(times)
    out_e = np.empty((replicates, count))
    out_t = np.empty((replicates, count))

    rows = np.arange(replicates)  # original index of each unfinished replicate
    eff = np.full(replicates, float(initial[0]))
    tum = np.full(replicates, float(initial[1]))
    now = np.zeros(replicates)
    nxt = np.zeros(replicates, dtype=np.int64)  # index of the next sampling time
    due_at = np.full(replicates, sample_at[0])  # the next sampling time itself
    events = 0
    while rows.size:
        k = rows.size
        e_up = s + p * eff * tum / (g + tum)
        e_down = eff * (m * tum + d)
        t_up = a * tum
        c1 = e_up + e_down
        c2 = c1 + t_up
        total = c2 + tum * (ab * tum + n * eff)
        later = now + rng.standard_exponential(k) / total
        # The state holds on [now, later): record it at every sampling time in there.
        due = later > due_at
        if due.any():
            while True:
                hit = np.flatnonzero(due)
                if not hit.size:
                    break
                out_e[rows[hit], nxt[hit]] = eff[hit]
                out_t[rows[hit], nxt[hit]] = tum[hit]
                nxt[hit] += 1
                due_at[hit] = sample_at[nxt[hit]]
                due[hit] = later[hit] > due_at[hit]
            keep = nxt < count
            if not keep.all():
                rows, eff, tum, later, nxt, due_at = (
                    x[keep] for x in (rows, eff, tum, later, nxt, due_at)
                )
                e_up, c1, c2, total = (x[keep] for x in (e_up, c1, c2, total))
                k = rows.size
                if not k:
                    break
        pick = rng.random(k) * total
        move = (pick >= e_up).view(np.int8) + (pick >= c1).view(np.int8)
        move += (pick >= c2).view(np.int8)
        eff += MOVE_E[move]
        tum += MOVE_T[move]
        now = later
        events += k
    return out_e, out_t, events
