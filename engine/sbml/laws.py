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
    "depillis2009": PresetLaws(
        channels={
            "tumour_division": "a * T",
            "competition": "a * b * T^2",
            "nk_kill": "c * N * T",
            # D·T without dividing by T (the preset's form; 0 when L = 0).
            "ctl_kill": "piecewise(d * T * L^lam / (s * T^lam + L^lam), T > 0 && L > 0, 0)",
            "chemo_tumour_kill": "K_T * (1 - exp(-delta_T * M)) * T",
            "nk_production": "e * f * C",
            "nk_turnover": "f * N",
            "nk_inactivation": "p * N * T",
            "nk_il2_proliferation": "p_N * N * I / (g_N + I)",
            "chemo_nk_kill": "K_N * (1 - exp(-delta_N * M)) * N",
            "ctl_turnover": "theta * m * L / (theta + I)",
            "ctl_recruitment": "j * T * L / (k + T)",
            "ctl_inactivation": "q * L * T",
            "ctl_activation_nk": "r1 * N * T",
            "ctl_activation_c": "r2 * C * T",
            "ctl_regulation": "u * L^2 * C * I / (kappa + I)",
            "ctl_il2_proliferation": "p_I * L * I / (g_I + I)",
            "chemo_ctl_kill": "K_L * (1 - exp(-delta_L * M)) * L",
            "lymphocyte_synthesis": "alpha",
            "lymphocyte_turnover": "beta * C",
            "chemo_lymphocyte_kill": "K_C * (1 - exp(-delta_C * M)) * C",
            "til_infusion": "v_L",
        },
        levels={
            "M": "-gamma * M",
            "I": "phi * C + omega * L * I / (zeta + I) - mu_I * I",
            "v_L": "0",  # set by the til therapy's timed events, not exported
        },
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
