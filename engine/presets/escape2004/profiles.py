"""Species profiles: named parameter sets for growth, immune kinetics and drug PK.

The defaults mix species: mouse tumour growth (Kuznetsov et al. 1994's BCL1 in mice) and
immune kinetics with the human PK of the clinical antibodies (nivolumab, fresolimumab,
daclizumab), so one 10 mg/kg anti-PD-1 dose stays > 50 % blocking for ~166 days against a
tumour that doubles in ~4 days. A scenario's ``profile`` replaces the defaults by one
species' values (scenario values still win). No profile keeps the defaults exactly (every
scenario and example from before profiles reproduces). ``mouse`` is the defaults with
mouse PK; ``human`` is human tumour cell kinetics and capacity, human NK and Treg
turnover, human CD8 T-cell expansion, human IL-2 clearance and the human PK the
defaults already have. Sources per
value: docs/escape2004.md, "Profiles". Parameters not listed are shared: no species
difference was sourced for them (the human effector CTL, CD4 helper, naive and DC values
that were looked for are listed there, with why they are not here).
"""

from __future__ import annotations

from escapesim.engine.frozen import FrozenMap
from escapesim.engine.network import Profile

#: Human tumour cells: potential doubling time 4.5 days (median Tpot, Begg et al. 1999),
#: volume doubling ~60 days (Steel 1977): division ln2/4.5 = 0.154/day, net ln2/60 =
#: 0.0116/day, so a cell-loss rate of 0.142/day (cell-loss factor 0.92, Steel's ~0.9 for
#: carcinomas); logistic capacity (r − d)/(r·b) = 1e12 cells (a lethal burden, ~1 kg).
_HUMAN_DIVISION, _HUMAN_NET = 0.154, 0.0116
_HUMAN_CAPACITY = 1e12

#: Human blood Tregs (CD4+CD45RO+CD25hi FoxP3+) double every 8 days by deuterium-glucose
#: labelling (Vukmanovic-Stejic et al. 2006, J Clin Invest 116:2423); their number is
#: steady, so they are lost as fast as they divide: ln 2 / 8 = 0.0866/day.
_HUMAN_TREG_LOSS = 0.0866

#: Human IL-2 clearance: after an i.v. bolus serum IL-2 falls with half-lives 12.9 min,
#: then 85 min out to 4 h (Konrad et al. 1990, Cancer Res 50:2009); the slow phase, the
#: one that holds most of the exposure: ln 2 / (85/1440 days) = 11.7/day.
_HUMAN_IL2_CLEARANCE = 11.7

#: Human CD8 T-cell expansion: the effector response to the yellow fever and smallpox
#: vaccines peaks ~2 weeks after vaccination (Miller et al. 2008, Immunity 28:710; Co et
#: al. 2009, Immunology 128:e718), against ~8 days after acute LCMV in mice
#: (Murali-Krishna et al. 1998): 14 days less the same 1.5-day migration and ~0.5 day to
#: priming the mouse value (6) assumes.
_HUMAN_EXPANSION_DELAY = 12.0

#: Generic mouse IgG serum half-life in mice, days (the antibodies' own mouse PK unknown).
_MOUSE_IGG_HALF_LIFE = 7.0

MOUSE = Profile(
    name="mouse",
    description="mouse tumour growth and immune kinetics (the defaults) with mouse drug PK",
    values=FrozenMap({
        "anti_pd1_half_life": _MOUSE_IGG_HALF_LIFE,
        "anti_tgfb_half_life": _MOUSE_IGG_HALF_LIFE,
        "anti_cd25_half_life": _MOUSE_IGG_HALF_LIFE,
        "ril2_half_life": 0.06,  # i.p. bolus: serum IL-2 ≥ 10 U/ml for 3-5 h
    }),
)  # fmt: skip

HUMAN = Profile(
    name="human",
    description=(
        "human tumour cell kinetics and capacity, human NK and Treg turnover, human CD8 "
        "T-cell expansion, human IL-2 clearance, human drug PK"
    ),
    values=FrozenMap({
        "division_rate": _HUMAN_DIVISION,
        "death_rate": round(_HUMAN_DIVISION - _HUMAN_NET, 4),
        "inverse_capacity": float(f"{_HUMAN_NET / (_HUMAN_DIVISION * _HUMAN_CAPACITY):.3g}"),
        "nk_death": 0.069,  # labelled blood NK cells disappear at 6.9 %/day
        "treg_death": _HUMAN_TREG_LOSS,
        "il2_decay": _HUMAN_IL2_CLEARANCE,
        "expansion_delay": _HUMAN_EXPANSION_DELAY,
        "anti_pd1_half_life": 25.0,
        "anti_tgfb_half_life": 21.7,
        "anti_cd25_half_life": 20.0,
        "ril2_half_life": 0.25,  # s.c.: serum levels ~constant for ~8 h
        "chemo_half_life": 0.3,
    }),
)  # fmt: skip

PROFILES = (MOUSE, HUMAN)
