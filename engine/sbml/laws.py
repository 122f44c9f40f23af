"""Every exportable preset's rate laws as SBML L3 formulas (the preset modules' tables).

The presets compute their propensities in compiled Python; SBML needs them as math. The
formulas here are those of each preset's docstring table (and docs/reference_models.md);
``tests/test_sbml_export.py`` checks them against the compiled laws at random states, so
the two cannot drift apart. A level's formula is its rate of change (an SBML rate rule).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PresetLaws:
    """The formulas of one preset: a propensity per channel, a rate per level."""

    channels: dict[str, str]
    levels: dict[str, str]


LAWS: dict[str, PresetLaws] = {
    "kuznetsov1994": PresetLaws(
        channels={
            "effector_influx": "s",
            "recruitment": "p * E * T / (g + T)",
            "inactivation": "m * E * T",
            "effector_death": "d * E",
            "tumour_division": "a * T",
            "competition": "a * b * T^2",
            "ctl_kill": "n * E * T",
        },
        levels={},
    ),
    "kirschner_panetta1998": PresetLaws(
        channels={
            "antigen_stimulation": "c * T",
            "effector_death": "mu2 * E",
            "il2_proliferation": "p1 * E * I / (g1 + I)",
            "adoptive_influx": "s1",
            "tumour_division": "r2 * T",
            "competition": "r2 * b * T^2",
            "ctl_kill": "a * E * T / (g2 + T)",
        },
        levels={"I": "p2 * E * T / (g3 + T) + s2 - mu3 * I"},
    ),
    "birth_death": PresetLaws(
        channels={"tumour_division": "birth * T", "tumour_death": "death * T"},
        levels={},
    ),
}

#: Presets that cannot be written as SBML core, and why.
REFUSED: dict[str, str] = {
    "escape2004": (
        "its delayed products (gamma-distributed maturation delays) and switchable parts "
        "have no SBML core form that keeps the stochastic law; a linear-chain "
        "approximation would change the model, so it is not exported (docs/sbml.md)"
    ),
}
