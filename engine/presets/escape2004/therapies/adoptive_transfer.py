"""Adoptive T-cell transfer: tumour-specific effector CTLs infused on the listed days.

The infused cells reach the tumour ``trafficking_days`` after each infusion (a timed
event); a share ``homing`` of them arrives, the rest is lost on the way. They then behave
like any effector (counted as ``adoptive_transfer``). No channel, no exposure.
"""

from __future__ import annotations

from functools import partial

from escapesim.engine.network import (
    Administered,
    Channel,
    ParameterSpec,
    TherapyContext,
    TherapySpec,
)
from escapesim.engine.presets.escape2004.parts import parameter

PARAMETERS: tuple[ParameterSpec, ...] = ()
CHANNELS: tuple[Channel, ...] = ()

OPTIONS = (
    parameter("trafficking_days", "days", 1.0, "time from infusion to arrival at the tumour",
              "chosen: transferred T cells reach tumours within ~1 day", upper=30.0),
    parameter("homing", "1", 0.1, "share of infused cells that reach the tumour",
              "chosen: a few to ~10 % of transferred T cells home to tumours", upper=1.0),
)  # fmt: skip


def _option(administered: Administered, name: str) -> float:
    given = administered.parameters.get(name)
    if given is not None:
        return float(given)
    return next(p.default for p in OPTIONS if p.name == name)


def give(administered: Administered, ctx: TherapyContext) -> None:
    """Schedule each infusion's arrival at the tumour."""
    delay = _option(administered, "trafficking_days")
    arriving = administered.dose * _option(administered, "homing")
    for day in administered.at_days:
        ctx.at(day + delay, partial(ctx.add_count, "CTL", arriving, "adoptive_transfer"))


THERAPY = TherapySpec(
    name="adoptive_transfer",
    description="adoptive transfer of tumour-specific effector CTLs",
    dose_unit="cells",
    dose_upper=1e12,
    parameters=OPTIONS,
    give=give,
)
