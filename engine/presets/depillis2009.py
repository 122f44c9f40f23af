"""de Pillis et al. 2009 (Comput Math Methods Med 10:165): chemo-immunotherapy.

T tumour cells (a count); N NK cells, L activated CD8+ T cells and C circulating
lymphocytes per litre of blood; M chemotherapy drug and I IL-2 (IU/L) (the 2009 model's
units, as its authors restate them in de Pillis et al. 2013, DCDS-B 18:915, §2). With
kill(M, δ) = 1 − e^{−δ·M}:

    dT/dt = a·T·(1 − b·T) − c·N·T − D·T − K_T·kill(M, δ_T)·T
    dN/dt = e·f·C − f·N − p·N·T + p_N·N·I/(g_N + I) − K_N·kill(M, δ_N)·N
    dL/dt = −θ·m·L/(θ + I) + j·T·L/(k + T) − q·L·T + (r1·N + r2·C)·T
            − u·L²·C·I/(κ + I) + p_I·L·I/(g_I + I) − K_L·kill(M, δ_L)·L + v_L(t)
    dC/dt = alpha − beta·C − K_C·kill(M, δ_C)·C
    dM/dt = −gamma·M + v_M(t)
    dI/dt = −mu_I·I + phi·C + omega·L·I/(zeta + I) + v_I(t)
    D     = d·(L/T)^lam / (s + (L/T)^lam)

Every term has one sign on the non-negative orthant, so each is one channel (±1 cell)
and the channels' mean drift is the ODE's right-hand side. M and I are concentrations:
between events they follow their ODE with the counts frozen at the step's start
(exponential Euler; I's self-amplification ω·L·I/(ζ+I) is production at the step's I).
The treatments v_M, v_I and v_L are the preset's therapies on listed days:
``chemotherapy`` and ``il2`` are boluses into M and I (both cleared linearly, so a bolus
is their short-infusion limit); ``til`` is the rate v_L itself, held in the level
``v_L`` for the infusion's ``days`` and delivered by the channel ``til_infusion`` (a
bolus would not be that limit for L: the loss u·L²·C·I/(κ + I) is quadratic in L, so
1e9 cells/L added at once are regulated away within hours, the same cells over a day are
not; docs/depillis.md). N, L and C are counted per litre: one event is one cell in a
litre of blood, which at the model's ≥ 1e4 cells/L is noise far below the ODE's scale.

| channel              | propensity                 | change |
|----------------------|----------------------------|--------|
| tumour_division      | a·T                        | T + 1  |
| competition          | a·b·T²                     | T − 1  |
| nk_kill              | c·N·T                      | T − 1  |
| ctl_kill             | D·T                        | T − 1  |
| chemo_tumour_kill    | K_T·kill(M, δ_T)·T         | T − 1  |
| nk_production        | e·f·C                      | N + 1  |
| nk_turnover          | f·N                        | N − 1  |
| nk_inactivation      | p·N·T                      | N − 1  |
| nk_il2_proliferation | p_N·N·I/(g_N + I)          | N + 1  |
| chemo_nk_kill        | K_N·kill(M, δ_N)·N         | N − 1  |
| ctl_turnover         | θ·m·L/(θ + I)              | L − 1  |
| ctl_recruitment      | j·T·L/(k + T)              | L + 1  |
| ctl_inactivation     | q·L·T                      | L − 1  |
| ctl_activation_nk    | r1·N·T                     | L + 1  |
| ctl_activation_c     | r2·C·T                     | L + 1  |
| ctl_regulation       | u·L²·C·I/(κ + I)           | L − 1  |
| ctl_il2_proliferation| p_I·L·I/(g_I + I)          | L + 1  |
| chemo_ctl_kill       | K_L·kill(M, δ_L)·L         | L − 1  |
| lymphocyte_synthesis | alpha                      | C + 1  |
| lymphocyte_turnover  | beta·C                     | C − 1  |
| chemo_lymphocyte_kill| K_C·kill(M, δ_C)·C         | C − 1  |
| til_infusion         | v_L                        | L + 1  |
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import numpy as np

from escapesim.engine.compiled import (
    LEVEL_LAW,
    RATE_LAW,
    CompiledKinetics,
    LevelLaw,
    Native,
    RateLaw,
    jit,
)
from escapesim.engine.frozen import FrozenMap
from escapesim.engine.network import (
    Administered,
    Channel,
    FloatArray,
    Network,
    ParameterSpec,
    Profile,
    Role,
    Species,
    TherapyContext,
    TherapySpec,
)
from escapesim.engine.presets.depillis import ratio_lysis

# The 2009 paper's parameter table as encoded by BioModels BIOMD0000000779 (curated:
# reproduces the paper's figure 1) and a second public encoding (p_N as there); see
# docs/depillis.md for what was and was not confirmed against the paper's own text.
TABLE = "de Pillis et al. 2009, parameter table (via BIOMD0000000779)"
TABLE_N = "de Pillis et al. 2009, parameter table (2nd public encoding; BIOMD0000000779: 0.068)"
PATIENT = "de Pillis et al. 2009, parameter table, patient 9 (2005 fit of Dudley 2002)"


def _p(name: str, unit: str, default: float, description: str, upper: float,
       source: str = TABLE) -> ParameterSpec:  # fmt: skip
    return ParameterSpec(name=name, unit=unit, default=default, upper=upper,
                         description=description, source=source)  # fmt: skip


PARAMETERS = (
    _p("a", "1/day", 4.31e-1, "tumour growth", 100.0),
    _p("b", "1/cell", 1.02e-9, "inverse carrying capacity", 1.0),
    _p("c", "L/(cell·day)", 2.9077e-13, "NK kill of tumour cells", 1.0),
    _p("K_T", "1/day", 9.0e-1, "maximal chemotherapy kill of tumour cells", 100.0),
    _p("delta_T", "1/drug unit", 1.8328, "chemotherapy efficacy on tumour cells", 100.0),
    _p("e", "1", 1.11e-1, "NK share of circulating lymphocytes at equilibrium", 1.0),
    _p("f", "1/day", 1.25e-2, "NK turnover", 100.0),
    _p("p", "1/(cell·day)", 2.794e-13, "NK inactivation by tumour cells", 1.0),
    _p("p_N", "1/day", 6.68e-2, "maximal IL-2-driven NK proliferation", 100.0, TABLE_N),
    _p("g_N", "IU/L", 2.5036e5, "half-saturation of IL-2-driven NK proliferation", 1e15),
    _p("K_N", "1/day", 6.75e-2, "maximal chemotherapy kill of NK cells", 100.0),
    _p("delta_N", "1/drug unit", 1.8328, "chemotherapy efficacy on NK cells", 100.0),
    _p("m", "1/day", 9.0e-3, "CD8 turnover without IL-2", 100.0),
    _p("theta", "IU/L", 2.5036e-3, "IL-2 level halving CD8 turnover", 1e15),
    _p("q", "1/(cell·day)", 3.422e-10, "CD8 inactivation by tumour cells", 1.0),
    _p("r1", "1/(cell·day)", 2.9077e-11, "CD8 activation by NK-lysed tumour debris", 1.0),
    _p("r2", "1/(cell·day)", 5.8467e-13, "CD8 activation by lymphocytes meeting tumour", 1.0),
    _p("u", "L²/(cell²·day)", 4.417e-14, "IL-2-dependent CD8 self-regulation", 1.0),
    _p("kappa", "IU/L", 2.5036e3, "half-saturation of CD8 self-regulation in IL-2", 1e15),
    _p("j", "1/day", 1.245e-2, "maximal tumour-driven CD8 recruitment", 100.0),
    _p("k", "cells", 2.019e7, "half-saturation (T) of CD8 recruitment", 1e15),
    _p("p_I", "1/day", 2.971, "maximal IL-2-driven CD8 proliferation", 100.0),
    _p("g_I", "IU/L", 2.5036e3, "half-saturation of IL-2-driven CD8 proliferation", 1e15),
    _p("K_L", "1/day", 4.86e-2, "maximal chemotherapy kill of CD8 cells", 100.0),
    _p("delta_L", "1/drug unit", 1.8328, "chemotherapy efficacy on CD8 cells", 100.0),
    _p("alpha", "cells/(L·day)", 1.41750e7, "lymphocyte synthesis (alpha/beta = 2.25e9/L)", 1e15),
    _p("beta", "1/day", 6.3e-3, "lymphocyte turnover", 100.0),
    _p("K_C", "1/day", 3.4e-2, "maximal chemotherapy kill of lymphocytes", 100.0),
    _p("delta_C", "1/drug unit", 1.8328, "chemotherapy efficacy on lymphocytes", 100.0),
    _p("gamma", "1/day", 5.199e-1, "chemotherapy drug clearance", 100.0),
    _p("mu_I", "1/day", 1.17427e1, "IL-2 clearance", 1000.0),
    _p("phi", "IU/(cell·day)", 2.38405e-7, "IL-2 production by lymphocytes", 1.0),
    _p("omega", "IU/(cell·day)", 7.874e-2, "IL-2-driven IL-2 production by CD8 cells", 1e6),
    _p("zeta", "IU/L", 2.5036e3, "half-saturation of CD8 IL-2 production", 1e15),
    _p("d", "1/day", 2.34, "maximal CD8 kill of the ratio law", 1000.0, PATIENT),
    _p("lam", "1", 2.09, "CD8 lysis exponent on the effector:target ratio", 10.0, PATIENT),
    _p("s", "1", 3.8e-3, "effector:target ratio^lam of half-maximal CD8 lysis", 1e6, PATIENT),
)

_NAMES = tuple(spec.name for spec in PARAMETERS)
(_A, _B, _C, _KT, _DT, _E, _F, _P, _PN, _GN, _KN, _DN, _M, _TH, _Q, _R1, _R2, _U, _KA,
 _J, _K, _PI, _GI, _KL, _DL, _AL, _BE, _KC, _DC, _GA, _MUI, _PHI, _OM, _ZE, _D, _LAM,
 _S) = range(len(_NAMES))  # fmt: skip

# Patient 10's CD8 lysis (the only values that differ between the two patients).
PROFILES = (
    Profile(name="patient9", description="patient 9's CD8 lysis (the default)",
            values=FrozenMap({"d": 2.34, "lam": 2.09, "s": 3.8e-3})),
    Profile(name="patient10", description="patient 10's CD8 lysis (weaker at low ratios)",
            values=FrozenMap({"d": 1.88, "lam": 1.81, "s": 3.5e-2})),
)  # fmt: skip


_channel = Channel.of

CHANNELS = (
    _channel("tumour_division", {"T": 1}, "tumour division a·T"),
    _channel("competition", {"T": -1}, "competitive tumour death a·b·T²", 2),
    _channel("nk_kill", {"T": -1}, "NK lysis c·N·T", 2),
    _channel("ctl_kill", {"T": -1}, "CD8 lysis D·T, D = d(L/T)^lam/(s+(L/T)^lam)", 2),
    _channel("chemo_tumour_kill", {"T": -1}, "chemotherapy kill K_T(1−e^{−δ_T·M})·T"),
    _channel("nk_production", {"N": 1}, "NK production from lymphocytes e·f·C"),
    _channel("nk_turnover", {"N": -1}, "NK turnover f·N"),
    _channel("nk_inactivation", {"N": -1}, "NK inactivation p·N·T", 2),
    _channel("nk_il2_proliferation", {"N": 1}, "IL-2-driven NK proliferation p_N·N·I/(g_N+I)"),
    _channel("chemo_nk_kill", {"N": -1}, "chemotherapy kill K_N(1−e^{−δ_N·M})·N"),
    _channel("ctl_turnover", {"L": -1}, "CD8 turnover θ·m·L/(θ+I)"),
    _channel("ctl_recruitment", {"L": 1}, "tumour-driven CD8 recruitment j·T·L/(k+T)", 2),
    _channel("ctl_inactivation", {"L": -1}, "CD8 inactivation q·L·T", 2),
    _channel("ctl_activation_nk", {"L": 1}, "CD8 activation by NK-lysed debris r1·N·T", 2),
    _channel("ctl_activation_c", {"L": 1}, "CD8 activation by lymphocytes r2·C·T", 2),
    _channel("ctl_regulation", {"L": -1}, "CD8 self-regulation u·L²·C·I/(κ+I)", 3),
    _channel("ctl_il2_proliferation", {"L": 1}, "IL-2-driven CD8 proliferation p_I·L·I/(g_I+I)"),
    _channel("chemo_ctl_kill", {"L": -1}, "chemotherapy kill K_L(1−e^{−δ_L·M})·L"),
    _channel("lymphocyte_synthesis", {"C": 1}, "lymphocyte synthesis alpha"),
    _channel("lymphocyte_turnover", {"C": -1}, "lymphocyte turnover beta·C"),
    _channel("chemo_lymphocyte_kill", {"C": -1}, "chemotherapy kill K_C(1−e^{−δ_C·M})·C"),
    _channel("til_infusion", {"L": 1}, "CD8 infusion at the rate v_L (the til therapy)"),
)


@jit
def _ctl_lysis(tumour: float, ctl: float, p: FloatArray) -> float:
    """CD8 kills per day, D·T (the 2005 ratio law), with this model's parameters."""
    return ratio_lysis(tumour, ctl, p[_D], p[_LAM], p[_S])


@jit
def _kill(drug: float, efficacy: float) -> float:
    """The drug's fractional kill 1 − e^{−δ·M} (0 without drug)."""
    fraction: float = -np.expm1(-efficacy * drug) if drug > 0.0 else 0.0
    return fraction


@jit
def _saturating(x: float, half: float) -> float:
    value: float = x / (half + x) if x > 0.0 else 0.0
    return value


def _propensities(counts: FloatArray, levels: FloatArray, p: FloatArray, out: FloatArray) -> None:
    """Propensities in the order of :data:`CHANNELS`."""
    tumour, nk, ctl, lymph = counts[0], counts[1], counts[2], counts[3]
    drug, il2, infusion = levels[0], levels[1], levels[2]
    out[0] = p[_A] * tumour
    out[1] = p[_A] * p[_B] * tumour * tumour
    out[2] = p[_C] * nk * tumour
    out[3] = _ctl_lysis(tumour, ctl, p)
    out[4] = p[_KT] * _kill(drug, p[_DT]) * tumour
    out[5] = p[_E] * p[_F] * lymph
    out[6] = p[_F] * nk
    out[7] = p[_P] * nk * tumour
    out[8] = p[_PN] * nk * _saturating(il2, p[_GN])
    out[9] = p[_KN] * _kill(drug, p[_DN]) * nk
    out[10] = p[_TH] * p[_M] * ctl / (p[_TH] + max(il2, 0.0))
    out[11] = p[_J] * ctl * _saturating(tumour, p[_K])
    out[12] = p[_Q] * ctl * tumour
    out[13] = p[_R1] * nk * tumour
    out[14] = p[_R2] * lymph * tumour
    out[15] = p[_U] * ctl * ctl * lymph * _saturating(il2, p[_KA])
    out[16] = p[_PI] * ctl * _saturating(il2, p[_GI])
    out[17] = p[_KL] * _kill(drug, p[_DL]) * ctl
    out[18] = p[_AL]
    out[19] = p[_BE] * lymph
    out[20] = p[_KC] * _kill(drug, p[_DC]) * lymph
    # The rate is set and reset by the therapy's events (add_level floors it at 0); max()
    # keeps a propensity non-negative whatever sets the level.
    out[21] = max(infusion, 0.0)


def _level_rates(
    counts: FloatArray, levels: FloatArray, p: FloatArray, production: FloatArray,
    decay: FloatArray,
) -> None:  # fmt: skip
    """The drug's clearance; IL-2's production by lymphocytes and CD8 cells, and clearance;
    the infusion rate v_L is constant between the therapy's events."""
    ctl, lymph, il2 = counts[2], counts[3], levels[1]
    production[0] = 0.0
    decay[0] = p[_GA]
    production[1] = p[_PHI] * lymph + p[_OM] * ctl * _saturating(il2, p[_ZE])
    decay[1] = p[_MUI]
    production[2] = 0.0
    decay[2] = 0.0


PROPENSITIES: Native[RateLaw] = Native(_propensities, RATE_LAW)
LEVEL_RATES: Native[LevelLaw] = Native(_level_rates, LEVEL_LAW)


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> CompiledKinetics:
    """The rate laws with the parameter values bound."""
    del switches  # the reference model has no switchable mechanisms
    parameters = np.array([values[name] for name in _NAMES], dtype=np.float64)
    return CompiledKinetics(PROPENSITIES, LEVEL_RATES, parameters, len(CHANNELS), len(LEVELS))


def _bolus(level: str, administered: Administered, ctx: TherapyContext) -> None:
    """Add the dose to concentration ``level`` on every listed day."""
    for day in administered.at_days:
        ctx.at(day, partial(ctx.add_level, level, administered.dose))


def _infuse(administered: Administered, ctx: TherapyContext) -> None:
    """Infuse the dose of activated CD8 cells (per litre) over ``days`` from every listed
    day: v_L = dose / days while it runs; ``days = 0`` adds the dose to L at once."""
    days = administered.parameters["days"]
    for day in administered.at_days:
        if days <= 0.0:
            ctx.at(day, partial(ctx.add_count, "L", administered.dose, "til"))
            continue
        rate = administered.dose / days
        ctx.at(day, partial(ctx.add_level, "v_L", rate))
        ctx.at(day + days, partial(ctx.add_level, "v_L", -rate))


# v_L is a rate in cells/(L·day) and the model's clock is in days: a dose over one day is
# v_L = dose on that day. The 2009 paper's own infusion lengths were not read (docs).
INFUSION_DAYS = ParameterSpec(
    name="days", unit="days", default=1.0, upper=1000.0,
    description="infusion length (0: the dose enters L at once)",
    source="stated reason: v_L is a daily rate (docs/depillis.md, the 2009 update)",
)  # fmt: skip

THERAPIES = (
    TherapySpec(name="chemotherapy", description="chemotherapy bolus into M (v_M)",
                dose_unit="drug units", dose_upper=1e6, parameters=(),
                give=partial(_bolus, "M")),
    TherapySpec(name="il2", description="IL-2 bolus into I (v_I)", dose_unit="IU/L",
                dose_upper=1e15, parameters=(), give=partial(_bolus, "I")),
    TherapySpec(name="til", description="tumour-infiltrating lymphocyte infusion into L (v_L)",
                dose_unit="cells/L", dose_upper=1e13, parameters=(INFUSION_DAYS,),
                give=_infuse),
)  # fmt: skip


def _species(name: str, initial: float, description: str, role: Role,
             unit: str = "cells/L") -> Species:  # fmt: skip
    return Species(name=name, unit=unit, initial=initial, description=description,
                   label=description, role=role)  # fmt: skip


# M starts drug-free. I starts at the paper's high-tumour homeostasis, 1173 IU/L (serum
# IL-2 of stage III NSCLC, Orditura et al.; restated in de Pillis et al. 2013 §3.2): the
# 2009 table's phi and omega balance dI/dt there to 0.03 %, and at BIOMD0000000779's
# initial 1073 only to 3 % (tests/test_depillis2009.py), so 1073 reads as a slip.
LEVELS = (
    Species(name="M", unit="drug units", initial=0.0, upper=1e6,
            description="chemotherapy drug", label="chemotherapy", role=Role.DRUG),
    Species(name="I", unit="IU/L", initial=1173.0, upper=1e15,
            description="IL-2 concentration", label="IL-2", role=Role.SIGNAL),
    Species(name="v_L", unit="cells/(L·day)", initial=0.0, upper=1e15,
            description="CD8 infusion rate (the til therapy)", label="CD8 infusion",
            role=Role.DRUG),
)  # fmt: skip


NETWORK = Network(
    name="depillis2009",
    title="de Pillis et al. 2009: tumour, NK, CD8, lymphocytes, chemotherapy and IL-2",
    citation=(
        "de Pillis LG, Fister KR, Gu W, Collins C, Daub M, Gross D, Moore J, Preskill B. "
        "Comput Math Methods Med 10:165-184 (2009)"
    ),
    splitting=__doc__ or "",
    species=(
        # Initial state of the paper's figure 1 as BIOMD0000000779 encodes it: L at the
        # paper's high-tumour homeostasis (5.268e5 cells/L); N = e·C and C = alpha/beta
        # are the tumour-free equilibria.
        _species("T", 1e7, "tumour cells", Role.TUMOUR, "cells"),
        _species("N", 2.5e8, "NK cells", Role.EFFECTOR),
        _species("L", 5.268e5, "activated CD8+ T cells", Role.EFFECTOR),
        _species("C", 2.25e9, "circulating lymphocytes", Role.OTHER),
    ),
    levels=LEVELS,
    parameters=PARAMETERS,
    channels=CHANNELS,
    tumour=("T",),
    bind=bind,
    therapies=THERAPIES,
    profiles=PROFILES,
)
