"""Every switch's footprint on every counter: a switched-off mechanism has no effect anywhere.

One rich scenario (every trait present, effectors of every kind, every therapy given)
runs with every mechanism on and once with each mechanism off, all with the same seed
and replicate (common random numbers). With a mechanism off, the counters of its own
channels and of the channels that need it (:data:`FOOTPRINT`) stay 0 and the
concentrations it makes stay 0; every other counter that fires with all mechanisms on
still fires (a switch removes its own mechanism, not others').
"""

from __future__ import annotations

import numpy as np
import pytest

from escapesim.engine import Result, simulate
from escapesim.engine.presets.escape2004 import NETWORK
from tests.escape2004_support import scenario, therapy

#: Per mechanism: the counter prefixes (its channels and those that need it) and the
#: concentrations that stay 0 when it is off.
FOOTPRINT: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "variants": (("lose_antigen.", "lose_mhc."), ()),
    # Exhaustion, counterattack, reinvigoration, IL-2 production and NK recruitment all
    # follow encounters.
    "cytotoxicity": (
        (
            "ctl_kill.", "nk_kill.", "ctl_inactivation", "nk_inactivation", "exhaust",
            "counterattack", "reinvigorate", "nk_recruit", "ctl_sub_kill.",
            "ctl_sub_inactivation", "exhaust_sub", "counterattack_sub",
        ),
        # No kills, no IFN-γ to induce PD-L1; CD4 helpers still make IL-2 (not encounters).
        ("IFNg", "PDL1_induced"),
    ),
    "dysfunction": (("exhaust", "anergise", "reinvigorate", "exhaust_sub"), ()),
    "counterattack": (("counterattack", "counterattack_sub"), ()),
    "presentation": (("load", "load_sub"), ()),
    "priming": (
        (
            "prime", "prime.arrived", "anergise", "prime_sub.epitope2", "prime_sub.epitope3",
            "prime_sub.epitope2.arrived", "prime_sub.epitope3.arrived",
        ),
        ("CD4_help",),
    ),
    "help": (
        ("il2_proliferation", "nk_il2_expand", "il2_proliferation_sub"),
        ("IL2", "CD4_help"),
    ),
    "regulation": (
        ("treg_influx", "treg_recruit", "treg_expand", "treg_death", "treg_depletion"),
        (),
    ),
    # Treg-made TGF-β included: with none, none recruits Tregs.
    "suppression": ((), ("TGFb",)),
    "adaptive_resistance": ((), ("PDL1_induced",)),
    "gompertz_growth": ((), ()),  # a growth law: it changes rates, not which channels fire
    # One antigen: subdominant CTLs see no antigen-loss cell, which releases no antigen.
    "epitopes": (("ctl_sub_kill.", "load_sub"), ()),
    # No spreading: no subdominant precursor is primed.
    "spreading": (
        (
            "prime_sub.epitope2", "prime_sub.epitope3", "prime_sub.epitope2.arrived",
            "prime_sub.epitope3.arrived",
        ),
        (),
    ),
}

INITIAL = {
    "T": 1e5, "T_pfs": 1e5, "T_m": 1e4, "T_a": 1e5, "CTL": 1e4, "CTL_sub": 1e3,
    "exhausted": 1e3,
}  # fmt: skip
THERAPIES = [
    therapy("anti_pd1", [0.0], 10.0),
    therapy("anti_cd25", [1.0], 10.0),
    therapy("il2", [1.0, 2.0], 1e7),
    therapy("chemotherapy", [3.0], 10.0),
    therapy("peptide_vaccine", [0.0], 50.0),
    therapy("dc_vaccine", [0.0], 1e4),
    therapy("adoptive_transfer", [0.0], 1e5),
]


def run(switches: dict[str, bool]) -> Result:
    """Replicate 0 of the rich scenario with ``switches``."""
    s = scenario(initial=INITIAL, mechanisms=switches, therapies=THERAPIES, horizon_days=8.0)
    return simulate(s)


@pytest.fixture(scope="module")
def everything_on() -> Result:
    return run({m.name: True for m in NETWORK.mechanisms})


def test_the_footprint_names_every_mechanism() -> None:
    assert set(FOOTPRINT) == {m.name for m in NETWORK.mechanisms}


def in_footprint(counter: str, prefixes: tuple[str, ...]) -> bool:
    return any(counter == p or (p.endswith(".") and counter.startswith(p)) for p in prefixes)


def steady(counter: str, result: Result) -> bool:
    """Whether ``counter`` fires often in ``result`` and is no channel of a variant clone
    (those exist only by mutation, which the variants switch and chance decide)."""
    _, _, clone = counter.partition(".")
    return result.counters[counter] >= 10 and (clone in INITIAL or clone in ("", "arrived"))


@pytest.mark.parametrize("mechanism", sorted(FOOTPRINT))
def test_a_switched_off_mechanism_has_no_effect_anywhere(
    mechanism: str, everything_on: Result
) -> None:
    prefixes, levels = FOOTPRINT[mechanism]
    off = run({**{m.name: True for m in NETWORK.mechanisms}, mechanism: False})
    # The footprint is real: each of its channels fires with every mechanism on ...
    on = everything_on.counters
    fired = {p for p in prefixes if any(v > 0 for c, v in on.items() if in_footprint(c, (p,)))}
    assert fired == set(prefixes), set(prefixes) - fired
    for counter, value in off.counters.items():  # ... and none when off
        if in_footprint(counter, prefixes):
            assert value == 0, counter
        elif steady(counter, everything_on):
            assert value > 0, f"switching {mechanism} off stopped {counter}"
    for level in levels:
        assert everything_on.trajectory[level].max() > 0.0, level
        assert np.all(off.trajectory[level] == 0.0), level
