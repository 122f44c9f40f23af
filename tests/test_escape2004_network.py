"""The escape2004 preset as data: parameters, channels, mechanisms, therapies, clones."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from escapesim.engine import Scenario, ScenarioError
from escapesim.engine.presets import network
from escapesim.engine.presets.escape2004 import NETWORK
from escapesim.engine.presets.escape2004.clones import CLONES, Trait, composition
from tests.escape2004_support import scenario, therapy


def test_registered_in_the_catalogue() -> None:
    assert network("escape2004") is NETWORK


def test_every_parameter_is_documented_and_its_default_is_within_bounds() -> None:
    names = [p.name for p in NETWORK.parameters]
    assert len(names) == len(set(names)), "parameter names must be unique"
    for p in NETWORK.parameters:
        assert p.unit, p.name
        assert p.description, p.name
        assert p.source, p.name
        assert p.lower <= p.default <= p.upper, p.name
        assert math.isfinite(p.default), p.name


def test_therapy_options_are_documented() -> None:
    for t in NETWORK.therapies:
        assert t.description, t.name
        assert t.dose_unit, t.name
        assert t.dose_upper > 0, t.name
        for p in t.parameters:
            assert p.unit, (t.name, p.name)
            assert p.source, (t.name, p.name)
            assert p.lower <= p.default <= p.upper, (t.name, p.name)


def test_channels_are_unique_and_change_only_known_species() -> None:
    species = {s.name for s in NETWORK.species}
    names = [c.name for c in NETWORK.channels]
    assert len(names) == len(set(names))
    for c in NETWORK.channels:
        assert set(c.change) | set(c.delayed) <= species, c.name


def test_the_thirteen_mechanisms_and_eight_therapies_are_offered() -> None:
    assert {m.name for m in NETWORK.mechanisms} == {
        "presentation", "priming", "cytotoxicity", "help", "suppression", "counterattack",
        "variants", "dysfunction", "regulation", "adaptive_resistance", "gompertz_growth",
        "epitopes", "spreading",
    }  # fmt: skip
    # Every mechanism is on by default except the growth-law option (logistic default).
    assert {m.name for m in NETWORK.mechanisms if not m.enabled} == {"gompertz_growth"}
    assert {t.name for t in NETWORK.therapies} == {
        "dc_vaccine", "peptide_vaccine", "adoptive_transfer", "il2", "anti_pd1", "anti_tgfb",
        "anti_cd25", "chemotherapy",
    }  # fmt: skip


def test_clone_names_spell_their_traits() -> None:
    assert CLONES[0].name == "T"
    assert CLONES[Trait.ANTIGEN_LOSS | Trait.PDL1_HIGH].name == "T_ap"
    assert len({c.name for c in CLONES}) == 32
    assert not CLONES[Trait.MHC_LOSS].visible
    assert CLONES[Trait.FASL].visible


def test_composition_reports_trait_fractions() -> None:
    counts = np.zeros(32)
    counts[0], counts[Trait.ANTIGEN_LOSS] = 75.0, 25.0
    assert composition(counts)["antigen_loss"] == pytest.approx(0.25)
    assert composition(counts)["fasl"] == 0.0


def test_switched_off_mechanisms_fire_nothing() -> None:
    s = scenario(mechanisms={m.name: False for m in NETWORK.mechanisms})
    rates = NETWORK.bind(s.parameters, s.mechanisms)
    counts = np.array([s.initial[x.name] for x in NETWORK.species])
    counts[: len(CLONES)] = 1e4
    counts[[len(CLONES) + i for i in range(7)]] = 1e3
    levels = np.full(len(NETWORK.levels), 1e3)
    propensities = rates.propensities(counts, levels)
    allowed = ("divide.", "die.", "naive_", "ctl_death", "ctl_sub_death", "exhausted_death",
               "nk_", "migrate",
               "dc_", "reinvigorate", "treg_depletion", "chemo_", "load_peptide")  # fmt: skip
    for channel, rate in zip(NETWORK.channels, propensities, strict=True):
        if not channel.name.startswith(allowed):
            assert rate == 0.0, channel.name
    assert np.all(np.isfinite(propensities))
    assert np.all(propensities >= 0.0)


def test_therapies_are_validated_like_everything_else() -> None:
    s = scenario(therapies=[therapy("anti_pd1", [14, 28, 42], 10.0)])
    assert s.therapies[0].kind == "anti_pd1"
    with pytest.raises(ScenarioError) as error:
        scenario(therapies=[therapy("adoptive_transfer", [-1.0], 1e7, homing=2.0)])
    fields = {v.field for v in error.value.violations}
    assert "therapies[0].at_days[0]" in fields
    assert "therapies[0].parameters.homing" in fields


def test_scenario_round_trips_through_its_file_form() -> None:
    s = scenario(
        mechanisms={"variants": False},
        therapies=[therapy("dc_vaccine", [7.0], 1e6, homing=0.1)],
    )
    assert Scenario.from_dict(s.to_dict()) == s


def test_the_documentation_lists_every_parameter_with_its_default() -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "escape2004.md").read_text()
    for p in NETWORK.parameters:
        assert f"| `{p.name}` | {p.unit} | {p.default:g} |" in doc, p.name
    for t in NETWORK.therapies:
        assert f"`{t.name}`" in doc, t.name
    for m in NETWORK.mechanisms:
        assert f"`{m.name}`" in doc, m.name


def test_the_documentation_gives_each_parameter_its_description_and_source() -> None:
    # The docs' table mirrors the code's ParameterSpec (what ListPresets and `escapesim
    # presets` show), so a changed source cannot leave the docs behind (backticks are the
    # docs' own markup).
    doc = (Path(__file__).resolve().parent.parent / "docs" / "escape2004.md").read_text()
    rows = {}
    for line in doc.splitlines():
        found = re.match(r"\| `(\w+)` \| [^|]* \| [^|]* \| [^|]* \| (.*) \| (.*) \|$", line)
        if found:
            rows[found[1]] = (found[2].replace("`", ""), found[3].replace("`", ""))
    for p in NETWORK.parameters:
        assert rows[p.name] == (p.description, p.source), p.name


def test_every_chosen_value_says_what_data_would_pin_it() -> None:
    # #12 §3: a value chosen rather than measured names the measurement that would fix it.
    bare = [p.name for p in NETWORK.parameters if p.source.strip() == "chosen"]
    assert not bare
    unpinned = [
        p.name
        for p in NETWORK.parameters
        if p.source.lower().startswith("chosen") and "would pin it" not in p.source
    ]
    assert not unpinned
