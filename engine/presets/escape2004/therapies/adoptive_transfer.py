"""Adoptive T-cell transfer: tumour-specific effector CTLs infused on the listed days.

The infused cells reach the tumour ``trafficking_days`` after each infusion (a timed
event); each infused cell arrives with probability ``homing`` (a binomial draw of the
dose, :func:`.dosing.deliver`), the rest is lost on the way. They then behave
like any effector (counted as ``adoptive_transfer``). No channel, no exposure.
"""

from __future__ import annotations

from functools import partial

from escapesim.engine.network import Administered, TherapyContext, TherapySpec
from escapesim.engine.presets.escape2004.part import Part, parameter
from escapesim.engine.presets.escape2004.therapies.dosing import deliver

OPTIONS = (
    parameter("trafficking_days", "days", 1.0, "time from infusion to arrival at the tumour",
              "chosen: transferred T cells reach tumours within ~1 day", upper=30.0),
    parameter("homing", "1", 0.1, "probability that an infused cell reaches the tumour",
              "chosen: a few to ~10 % of transferred T cells home to tumours", upper=1.0),
)  # fmt: skip


def give(administered: Administered, ctx: TherapyContext) -> None:
    """Schedule each infusion's arrival at the tumour (options filled by ``Scenario.build``)."""
    delay, homing = (administered.parameters[k] for k in ("trafficking_days", "homing"))
    arrive = partial(deliver, ctx, "adoptive_transfer", "CTL", administered.dose, homing)
    for day in administered.at_days:
        ctx.at(day + delay, arrive)


THERAPY = TherapySpec(
    name="adoptive_transfer",
    description="adoptive transfer of tumour-specific effector CTLs",
    dose_unit="cells",
    dose_upper=1e12,
    parameters=OPTIONS,
    give=give,
)

PART = Part(name="adoptive_transfer", description=str(__doc__), therapy=THERAPY)
