"""DC vaccine: antigen-loaded dendritic cells injected on the listed days.

A share ``homing`` of the injected DCs (dose: cells) joins the loaded DCs in the tissue
that migrate to the lymph node (counted as ``dc_vaccine``); from there they present and
prime like the host's own, so the vaccine's effect on effectors at the tumour waits for
the delays of :mod:`..mechanisms.presentation` and :mod:`..mechanisms.priming`. No
channel, no exposure.
"""

from __future__ import annotations

from functools import partial

from escapesim.engine.network import Administered, TherapyContext, TherapySpec
from escapesim.engine.presets.escape2004.part import Part, parameter

OPTIONS = (
    parameter("homing", "1", 0.05, "share of injected DCs that reach the lymph node",
              "De Vries et al. 2003: under 5 % of intradermal DCs reach the nodes",
              upper=1.0),
)  # fmt: skip


def give(administered: Administered, ctx: TherapyContext) -> None:
    """Add each dose's homing DCs to the loaded DCs (options filled by ``Scenario.build``)."""
    arriving = administered.dose * administered.parameters["homing"]
    for day in administered.at_days:
        ctx.at(day, partial(ctx.add_count, "DC_loaded", arriving, "dc_vaccine"))


THERAPY = TherapySpec(
    name="dc_vaccine",
    description="vaccine of antigen-loaded dendritic cells (migrate, present, prime)",
    dose_unit="cells",
    dose_upper=1e10,
    parameters=OPTIONS,
    give=give,
)

PART = Part(name="dc_vaccine", description=str(__doc__), therapy=THERAPY)
