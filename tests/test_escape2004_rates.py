"""Effect directions at the level of the rate laws (fast, deterministic).

Each mechanism must move its own propensities the way the biology says, holding the
rest of the state fixed. The simulation-level versions (common random numbers, whole
trajectories) are in test_escape2004_mechanisms.py.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest

from escapesim.engine.presets.escape2004 import NETWORK, layout
from escapesim.engine.presets.escape2004.clones import VISIBLE
from tests.escape2004_support import NO_ESCAPE, scenario

_CHANNEL = {c.name: j for j, c in enumerate(NETWORK.channels)}
_SPECIES = {s.name: i for i, s in enumerate(NETWORK.species)}
_LEVEL = {s.name: i for i, s in enumerate(NETWORK.levels)}


def rates(
    *,
    clones: Mapping[str, float],
    cells: Mapping[str, float] | None = None,
    levels: Mapping[str, float] | None = None,
    mechanisms: Mapping[str, bool] | None = None,
    parameters: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Every channel's propensity for one state, by channel name."""
    s = scenario(mechanisms=mechanisms, parameters=parameters)
    counts = np.zeros(len(NETWORK.species))
    for name, value in {"CTL": 1e4, "NK": 1e4, "naive": 1e3, "DC_node": 10.0,
                        **(cells or {}), **clones}.items():  # fmt: skip
        counts[_SPECIES[name]] = value
    conc = np.zeros(len(NETWORK.levels))
    for name, value in (levels or {}).items():
        conc[_LEVEL[name]] = value
    values = NETWORK.bind(s.parameters, s.mechanisms).propensities(counts, conc)
    return {c.name: float(v) for c, v in zip(NETWORK.channels, values, strict=True)}


def total(r: Mapping[str, float], prefix: str) -> float:
    return sum(v for k, v in r.items() if k.startswith(prefix))


def test_ctls_only_kill_cells_showing_antigen_on_mhc() -> None:
    visible = {c.name.removeprefix("ctl_kill.") for c in NETWORK.channels
               if c.name.startswith("ctl_kill.")}  # fmt: skip
    assert visible == {s.name for s, v in zip(NETWORK.species, VISIBLE, strict=False) if v}
    r = rates(clones={"T_a": 1e5, "T_m": 1e5})
    assert total(r, "ctl_kill.") == 0.0


def test_kills_saturate_in_tumour_size() -> None:
    small, large = rates(clones={"T": 1e4}), rates(clones={"T": 1e8})
    assert large["ctl_kill.T"] / 1e8 < small["ctl_kill.T"] / 1e4  # per-cell kill falls
    assert large["ctl_kill.T"] <= 1.0 * 1e4 * 2.0  # at most k·E·(1 + IFN gain)


def test_nk_cells_prefer_mhc_loss() -> None:
    r = rates(clones={"T": 1e5, "T_m": 1e5})
    assert r["nk_kill.T_m"] == pytest.approx(10.0 * r["nk_kill.T"])


def test_fasl_counterattacks_engaging_ctls() -> None:
    assert rates(clones={"T": 1e5})["counterattack"] == 0.0
    assert rates(clones={"T_f": 1e5})["counterattack"] > 0.0
    assert rates(clones={"T_f": 1e5}, mechanisms={"counterattack": False})["counterattack"] == 0


def test_tgf_lowers_killing_proliferation_and_dc_maturation() -> None:
    clean = rates(clones={"T": 1e5}, levels={"IL2": 1e6})
    suppressed = rates(clones={"T": 1e5}, levels={"IL2": 1e6, "TGFb": 1e3})
    for channel in ("ctl_kill.T", "nk_kill.T", "il2_proliferation", "load"):
        assert suppressed[channel] < clean[channel], channel
    blocked = rates(clones={"T": 1e5}, levels={"IL2": 1e6, "TGFb": 1e3, "anti_TGFb": 1e3})
    assert blocked["ctl_kill.T"] > suppressed["ctl_kill.T"]
    off = rates(clones={"T": 1e5}, levels={"IL2": 1e6, "TGFb": 1e3},
                mechanisms={"suppression": False})  # fmt: skip
    assert off["ctl_kill.T"] == clean["ctl_kill.T"]


def test_tregs_lower_priming_and_expansion() -> None:
    few = rates(clones={"T": 1e5}, cells={"Treg": 10.0}, levels={"IL2": 1e6})
    many = rates(clones={"T": 1e5}, cells={"Treg": 1e4}, levels={"IL2": 1e6})
    assert many["prime"] < few["prime"]
    assert many["il2_proliferation"] < few["il2_proliferation"]


def test_exhaustion_grows_with_pdl1_and_blockade_undoes_it() -> None:
    plain = rates(clones={"T": 1e5})["exhaust"]
    pdl1 = rates(clones={"T_p": 1e5})["exhaust"]
    blocked = rates(clones={"T_p": 1e5}, levels={"anti_PD1": 1e3})["exhaust"]
    assert pdl1 > 5 * plain
    assert plain <= blocked < pdl1


def test_anergy_needs_dysfunction() -> None:
    assert rates(clones={"T": 1e5})["anergise"] > 0.0
    assert rates(clones={"T": 1e5}, mechanisms={"dysfunction": False})["anergise"] == 0.0


def test_variants_arise_only_when_switched_on() -> None:
    on = rates(clones={"T": 1e6})
    assert on["lose_antigen.T"] > 0.0
    assert on["lose_mhc.T"] > 0.0
    off = rates(clones={"T": 1e6}, mechanisms={"variants": False})
    assert total(off, "lose_") == 0.0
    assert off["divide.T"] > on["divide.T"]  # faithful divisions make up the difference


def test_presentation_loads_only_from_antigen_bearing_deaths() -> None:
    one_antigen = {"epitopes": False}
    assert rates(clones={"T_a": 1e6}, mechanisms=one_antigen)["load"] == 0.0
    assert rates(clones={"T": 1e6}, mechanisms=one_antigen)["load"] > 0.0
    # With several antigens a cell that lost the immunodominant one still bears the others:
    # DCs load them, in a pool that cannot prime the immunodominant epitope.
    several = rates(clones={"T_a": 1e6})
    assert several["load"] == 0.0
    assert several["load_sub"] > 0.0
    assert rates(clones={"T_a": 1e6}, mechanisms=one_antigen)["load_sub"] == 0.0
    mixed = rates(clones={"T": 1e6, "T_a": 1e6}, cells={"CTL": 0.0})  # deaths alike
    # load_sub counts the loaded DCs that reach the node: k_M/(k_M + d_L) = 1/1.2 of them.
    assert mixed["load_sub"] == pytest.approx(mixed["load"] / 1.2)
    assert mixed["load"] < rates(clones={"T": 1e6})["load"]  # loading saturates in both


def test_subdominant_ctls_kill_antigen_loss_cells_only_with_several_antigens() -> None:
    cells = {"CTL": 0.0, "CTL_sub": 1e4}
    several = rates(clones={"T_a": 1e5}, cells=cells)
    one = rates(clones={"T_a": 1e5}, cells=cells, mechanisms={"epitopes": False})
    assert several["ctl_sub_kill.T_a"] > 0.0
    assert one["ctl_sub_kill.T_a"] == 0.0
    # MHC-I loss hides every epitope: no channel kills T_am by CTLs.
    assert not [c for c in several if c.startswith("ctl_") and c.endswith(".T_am")]
    # Immunodominant CTLs never see an antigen-loss cell.
    dominant = rates(clones={"T_a": 1e5}, cells={"CTL": 1e4, "CTL_sub": 0.0})
    assert dominant["ctl_sub_kill.T_a"] == 0.0
    # Both lineages kill a cell that shows every antigen, at the same rate per CTL.
    both = rates(clones={"T": 1e5}, cells={"CTL": 1e4, "CTL_sub": 1e4})
    assert both["ctl_kill.T"] == pytest.approx(2 * rates(clones={"T": 1e5})["ctl_kill.T"])


def test_spreading_presents_subdominant_epitopes_as_dcs_accumulate() -> None:
    pool = {"naive_sub": 400.0}  # a mean-field level
    few, many, off, one = (
        rates(clones={"T": 1e5}, cells={"DC_node": dcs, "naive": 400.0}, levels=pool,
              mechanisms=switches)
        for dcs, switches in ((2.0, {}), (200.0, {}), (200.0, {"spreading": False}),
                              (200.0, {"epitopes": False}))
    )  # fmt: skip
    # π = D/(D + 3): per presenting DC, subdominant priming rises 2.5-fold from 2 to 200 DCs.
    per_dc = [r["prime_sub.epitope2"] / d for r, d in ((few, 2.0), (many, 200.0))]
    assert per_dc[1] / per_dc[0] == pytest.approx((200 / 203) / (2 / 5))
    assert many["prime_sub.epitope2"] == pytest.approx(3 * many["prime_sub.epitope3"])
    assert off["prime_sub.epitope2"] == off["prime_sub.epitope3"] == 0.0
    # One antigen: subdominant precursors are primed like the others (π = 1).
    subdominant = one["prime_sub.epitope2"] + one["prime_sub.epitope3"]
    assert subdominant == pytest.approx(one["prime"])


def test_no_escape_switches_silence_every_escape_channel() -> None:
    r = rates(clones={"T_ampfs": 1e5}, cells={"Treg": 1e3}, mechanisms=NO_ESCAPE)
    for prefix in ("counterattack", "exhaust", "anergise", "lose_", "treg_"):
        assert total(r, prefix) == 0.0, prefix


def test_layout_matches_the_network() -> None:
    assert tuple(s.name for s in NETWORK.species) == layout.SPECIES_NAMES
    assert tuple(s.name for s in NETWORK.levels) == layout.LEVEL_NAMES


def test_immune_death_loads_dcs_better_than_turnover() -> None:
    # Adding CTL kills (danger signals), fewer than the tumour's apoptotic turnover deaths,
    # more than 1.5-folds DC loading: a kill loads DCs better than a turnover death.
    quiet = {"CTL": 0.0, "NK": 0.0}
    turnover = rates(clones={"T": 1e4}, cells=quiet)
    immune = rates(clones={"T": 1e4}, cells={"CTL": 1e3, "NK": 0.0})
    kills = total(immune, "ctl_kill.")
    assert kills < total(turnover, "die.")  # fewer kills than turnover deaths ...
    assert immune["load"] > 1.5 * turnover["load"]  # ... add more loading than they give


def test_chemotherapy_kills_load_dcs_as_immunogenic_deaths() -> None:
    quiet = {"CTL": 0.0, "NK": 0.0}
    untreated = rates(clones={"T": 1e5}, cells=quiet)
    treated = rates(clones={"T": 1e5}, cells=quiet, levels={"chemo": 100.0})
    assert treated["load"] > 1.5 * untreated["load"]
    # A non-ICD drug (Obeid et al. 2007: mitomycin C) loads DCs as turnover does.
    silent = rates(clones={"T": 1e5}, cells=quiet, levels={"chemo": 100.0},
                   parameters={"chemo_immunogenicity": 0.1})  # fmt: skip
    assert silent["load"] < treated["load"]
