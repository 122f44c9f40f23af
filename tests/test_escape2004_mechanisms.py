"""Effect directions of every mechanism in whole simulations, with common random numbers.

Each test runs a control and a treatment arm from the same seed and replicate indices
(their kinetics draw from the same named streams), changing one thing, and requires the
mechanism's effect in every replicate pair. Horizons stay short (7-20 days): effectors
start at the tumour, so no priming arrives before day 7.5 and the comparisons isolate
the mechanism.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from escapesim.engine import Result
from escapesim.engine.presets.escape2004 import NETWORK
from escapesim.engine.presets.escape2004.clones import Trait
from tests.escape2004_support import NO_ESCAPE, carrying, runs, scenario, total, tumour

REPLICATES = 3
NETWORK_DEFAULTS = {p.name: p.default for p in NETWORK.parameters}


def arms(
    control: Mapping[str, float],
    treated: Mapping[str, float],
    *,
    mechanisms: Mapping[str, bool],
    horizon: float = 7.0,
    parameters: Mapping[str, float] | None = None,
) -> list[tuple[Result, Result]]:
    """Replicate pairs of two initial states under the same mechanisms and seed."""
    make = [
        scenario(initial={"T": 0.0, **state}, mechanisms=mechanisms, parameters=parameters,
                 horizon_days=horizon, interval_days=0.5)
        for state in (control, treated)
    ]  # fmt: skip
    return list(zip(runs(make[0], REPLICATES), runs(make[1], REPLICATES), strict=True))


def test_fasl_lowers_effector_numbers() -> None:
    pairs = arms({"T": 1e5, "CTL": 1e4}, {"T_f": 1e5, "CTL": 1e4},
                 mechanisms={**NO_ESCAPE, "counterattack": True})  # fmt: skip
    for plain, fasl in pairs:
        assert fasl.counters["counterattack"] > 0
        assert plain.counters["counterattack"] == 0
        assert fasl.trajectory["CTL"].mean() < 0.95 * plain.trajectory["CTL"].mean()


def test_secretion_lowers_kill_counts() -> None:
    pairs = arms({"T": 1e5, "CTL": 1e4}, {"T_s": 1e5, "CTL": 1e4},
                 mechanisms={**NO_ESCAPE, "suppression": True})  # fmt: skip
    for plain, secretor in pairs:
        assert secretor.trajectory["TGFb"][-1] > 0.0
        assert total(secretor, "ctl_kill.") < 0.8 * total(plain, "ctl_kill.")
        assert total(secretor, "nk_kill.") < 0.8 * total(plain, "nk_kill.")


def test_mhc_loss_raises_nk_kills() -> None:
    pairs = arms({"T": 1e5, "CTL": 1e4}, {"T_m": 1e5, "CTL": 1e4}, mechanisms=NO_ESCAPE)
    for plain, lost in pairs:
        assert total(lost, "nk_kill.") > 3.0 * total(plain, "nk_kill.")
        assert total(lost, "ctl_kill.") == 0  # invisible to CTLs


def test_mhc_loss_fraction_rises_under_ctl_pressure() -> None:
    no_ctl = {"T": 1e5, "CTL": 0.0, "naive": 0.0, "naive_sub": 0.0}
    pressure = {"T": 1e5, "CTL": 3e4, "naive": 0.0, "naive_sub": 0.0}
    pairs = arms(no_ctl, pressure, mechanisms={**NO_ESCAPE, "variants": True}, horizon=20.0,
                 parameters={"ctl_death": 0.0, "mhc_loss_rate": 1e-3})  # fmt: skip
    for free, pressed in pairs:
        share = [carrying(r, Trait.MHC_LOSS)[-1] / tumour(r)[-1] for r in (free, pressed)]
        assert share[1] > 2.0 * share[0]


def test_tregs_lower_priming() -> None:
    # A fixed set of presenting DCs (no loading, no DC death), so the arms differ only by
    # the Tregs' brake, not by how many DCs the tumour happened to load.
    state = {"T": 1e4, "Treg": 2_000.0, "DC_node": 10.0}
    held = {"dc_node_death": 0.0}
    no_presentation = {**NO_ESCAPE, "presentation": False}
    off = scenario(initial=state, mechanisms=no_presentation, parameters=held, horizon_days=5.0)
    on = scenario(initial=state, mechanisms={**no_presentation, "regulation": True},
                  parameters=held, horizon_days=5.0)  # fmt: skip
    for free, suppressed in zip(runs(off, REPLICATES), runs(on, REPLICATES), strict=True):
        assert suppressed.counters["prime"] < 0.8 * free.counters["prime"]


def test_exhaustion_grows_with_pdl1() -> None:
    pairs = arms({"T": 1e5, "CTL": 1e4}, {"T_p": 1e5, "CTL": 1e4},
                 mechanisms={**NO_ESCAPE, "dysfunction": True})  # fmt: skip
    for plain, pdl1 in pairs:
        assert pdl1.counters["exhaust"] > 5 * plain.counters["exhaust"]
        assert np.mean(pdl1.trajectory["CTL"]) < np.mean(plain.trajectory["CTL"])


def test_presentation_and_priming_are_needed_for_a_response() -> None:
    base = {"T": 1e4}
    intact = runs(scenario(initial=base, mechanisms=NO_ESCAPE, horizon_days=15.0), REPLICATES)
    for switched in ("presentation", "priming"):
        cut = scenario(initial=base, mechanisms={**NO_ESCAPE, switched: False}, horizon_days=15.0)
        for on, off in zip(intact, runs(cut, REPLICATES), strict=True):
            assert on.counters["prime"] > 0
            assert off.counters["prime"] == 0
            assert off.trajectory["CTL"].max() == 0.0 < on.trajectory["CTL"].max()


def test_suppression_is_a_local_concentration_of_the_secretors() -> None:
    """TGF-β / IL-10 acts where it is made: its concentration follows the secretors'
    share of the tumour volume, not their number. A 1 % secretor subclone of a 1e8-cell
    tumour barely brakes killing (it dropped the brake to 0.08 within a day when the
    concentration counted secretor cells); the same 1e6 secretors alone do."""
    half = NETWORK_DEFAULTS["tgf_half_effect"]
    diluted = scenario(initial={"T": 1e8 - 1e6, "T_s": 1e6}, horizon_days=2.0,
                       interval_days=0.25)  # fmt: skip
    alone = scenario(initial={"T": 0.0, "T_s": 1e6}, horizon_days=2.0, interval_days=0.25)
    for subclone, secretors in zip(runs(diluted, 2), runs(alone, 2), strict=True):
        assert subclone.trajectory["TGFb"].max() < 0.25 * half  # brake above 0.8
        assert secretors.trajectory["TGFb"][-1] > 4.0 * half  # brake below 0.2
