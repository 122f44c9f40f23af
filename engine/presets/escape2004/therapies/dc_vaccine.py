"""DC vaccine: antigen-loaded dendritic cells injected on the listed days.

Each injected DC (dose: cells) reaches the lymph node with probability ``homing`` (a
binomial draw of the dose, :func:`.dosing.deliver`). Those arrive, mature and presenting,
among the node's DCs (``DC_node``, counted as ``dc_vaccine``) one tissue-to-node travel
(:data:`..mechanisms.presentation.MIGRATION_DELAY`, its mean) after the injection:
``homing`` already is the share that survives the trip, so they do not pass through the
tissue pool (where another share would die and wait another migration). From there they
present and prime like the host's own, so the vaccine's effect on effectors at the
tumour waits for the migration and the expansion delay of :mod:`..mechanisms.priming`.
No channel, no exposure.
"""

from __future__ import annotations

from functools import partial

from escapesim.engine.network import Administered, TherapyContext, TherapySpec
from escapesim.engine.presets.escape2004.mechanisms.presentation import MIGRATION_DELAY
from escapesim.engine.presets.escape2004.part import Part, parameter
from escapesim.engine.presets.escape2004.therapies.dosing import deliver

OPTIONS = (
    parameter("homing", "1", 0.05, "probability that an injected DC reaches the lymph node",
              "De Vries et al. 2003: under 5 % of intradermal DCs reach the nodes",
              upper=1.0),
)  # fmt: skip


def give(administered: Administered, ctx: TherapyContext) -> None:
    """Schedule each dose's homing DCs into the lymph node (options filled by
    ``Scenario.build``)."""
    homing = administered.parameters["homing"]
    arrive = partial(deliver, ctx, "dc_vaccine", "DC_node", administered.dose, homing)
    for day in administered.at_days:
        ctx.at(day + MIGRATION_DELAY.mean, arrive)


THERAPY = TherapySpec(
    name="dc_vaccine",
    description="vaccine of antigen-loaded dendritic cells (migrate, present, prime)",
    dose_unit="cells",
    dose_upper=1e10,
    parameters=OPTIONS,
    give=give,
)

PART = Part(name="dc_vaccine", description=str(__doc__), therapy=THERAPY)
