"""An episode's observations and actions as fixed-length vectors (the Gymnasium spaces' data).

A :class:`Layout` is built from a scenario's network:

* the **observation** is ``log10(1 + x)`` of each measured quantity — the tumour burden,
  the blood count of every effector population, the exposure of every drug (network
  order) — then the day as a fraction of the horizon. Log-scaled because the quantities
  span 0 to ~1e12 and an agent's network learns from orders of magnitude; ``1 + x`` so
  that 0 (undetected, not given) maps to 0. Every entry lies in ``[0, OBSERVED_DECADES]``
  (the day in ``[0, 1]``).
* the **action** is one 0/1 entry per dosable therapy (the preset's therapies that have
  a dose, in network order): 1 gives that therapy's dose on the decision day.

Doses come from ``doses`` (therapy → dose in its unit) or, for escape2004, from
:data:`DEFAULT_DOSES`; a preset therapy without a dose is not part of the action.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from escapesim.engine.episode import Observation, Prescription
from escapesim.engine.errors import FieldViolation, ScenarioError
from escapesim.engine.network import Network, Role
from escapesim.engine.scenario import Scenario
from escapesim.engine.scenario_checks import bounded

#: The observation's upper bound, in decades: no count exceeds MAX_COUNT (1e15), no
#: exposure the sum of a horizon's doses (each ≤ its dose_upper, ≤ 1e15, at most one per
#: sampling day, < 1e5 of them), and a log-normal measurement of CV ≤ 10 has σ ≈ 2.15
#: nats, so 1e30 leaves more than 15 decades (~16σ) above any true count.
OBSERVED_DECADES = 30.0

#: The dose of each escape2004 therapy one action gives (units as the preset's), with why.
DEFAULT_DOSES: Mapping[str, float] = {
    # examples/anti_pd1.yaml's dose; 10 mg/kg is the usual preclinical anti-PD-1 dose.
    "anti_pd1": 10.0,
    # the same antibody dose; fresolimumab's phase I went up to 15 mg/kg (Morris et al. 2014).
    "anti_tgfb": 10.0,
    # the same antibody dose (PC61 in mice: ~250 µg per 25 g mouse, 10 mg/kg).
    "anti_cd25": 10.0,
    # the preset's calibration point: chemo_kill_rate is chosen so 100 mg/kg kills ~80 %.
    "chemotherapy": 100.0,
    # 1e7 units: the dose the preset's IL-2 switch and invariant tests give (a course of
    # high-dose aldesleukin is ~6e5 IU/kg per injection, ~4e7 IU for 70 kg).
    "il2": 1e7,
    # 100 µg: the dose of the preset's vaccine tests, 10× peptide_ec50 (peptide vaccines
    # are given at 100 µg to 1 mg).
    "peptide_vaccine": 100.0,
    # 1e6 DCs: the dose of the checkpoint and fork tests (clinical DC vaccines give 1e6-1e7).
    "dc_vaccine": 1e6,
    # 1e7 CTLs: the dose of the checkpoint tests (murine transfers give 1e6-1e7 cells).
    "adoptive_transfer": 1e7,
}

FloatVector = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Layout:
    """What each entry of an observation vector and of an action vector means."""

    horizon: float
    effectors: tuple[str, ...]
    drugs: tuple[str, ...]
    therapies: tuple[str, ...]
    doses: tuple[float, ...]

    @classmethod
    def of(cls, scenario: Scenario, doses: Mapping[str, float] | None = None) -> Layout:
        """The layout of ``scenario``'s network; raises :class:`ScenarioError` naming
        ``doses.<kind>`` for an unknown therapy or a dose out of its bounds, and
        ``doses`` if no therapy has a dose."""
        net = scenario.network()
        chosen = dict(DEFAULT_DOSES if doses is None and net.name == "escape2004" else {})
        chosen.update(doses or {})
        violations = _check_doses(net, chosen)
        if not violations and not chosen:
            violations = [FieldViolation("doses", f"no therapy of {net.name} has a dose to give")]
        if violations:
            raise ScenarioError(violations)
        kinds = tuple(t.name for t in net.therapies if t.name in chosen)
        return cls(
            horizon=scenario.horizon_days,
            effectors=tuple(s.name for s in net.species if s.role is Role.EFFECTOR),
            drugs=tuple(s.name for s in net.levels if s.role is Role.DRUG),
            therapies=kinds,
            doses=tuple(float(chosen[kind]) for kind in kinds),
        )

    @property
    def observation_names(self) -> tuple[str, ...]:
        """The name of each observation entry (``burden``, effectors, drugs, ``day``)."""
        return ("burden", *self.effectors, *self.drugs, "day")

    def encode(self, observation: Observation) -> FloatVector:
        """The observation as a vector (module docstring)."""
        values = [
            observation.burden,
            *(observation.effectors[name] for name in self.effectors),
            *(observation.exposures[name] for name in self.drugs),
        ]
        scaled = [math.log10(1.0 + max(value, 0.0)) for value in values]
        return np.array([*scaled, observation.day / self.horizon], dtype=np.float32)

    def decode(self, action: object) -> tuple[Prescription, ...]:
        """The doses an action vector gives; raises :class:`ScenarioError` naming
        ``action`` (wrong shape) or ``action[i]`` (not 0 or 1)."""
        vector = np.asarray(action)
        if vector.shape != (len(self.therapies),):
            message = f"must have shape ({len(self.therapies)},) (one entry per therapy "
            message += f"{', '.join(self.therapies)}), got {vector.shape}"
            raise ScenarioError([FieldViolation("action", message)])
        bad = [
            FieldViolation(f"action[{i}]", f"must be 0 or 1 ({kind}), got {value!r}")
            for i, (kind, value) in enumerate(zip(self.therapies, vector.tolist(), strict=True))
            if value not in (0, 1)
        ]
        if bad:
            raise ScenarioError(bad)
        return tuple(
            Prescription(kind=kind, dose=dose)
            for kind, dose, given in zip(self.therapies, self.doses, vector.tolist(), strict=True)
            if given == 1
        )


def _check_doses(net: Network, doses: Mapping[str, float]) -> list[FieldViolation]:
    violations: list[FieldViolation] = []
    for kind, dose in doses.items():
        spec = net.therapy(kind)
        if spec is None:
            known = ", ".join(t.name for t in net.therapies) or "none"
            violations.append(FieldViolation(f"doses.{kind}", f"unknown therapy (known: {known})"))
        else:
            violations += bounded(f"doses.{kind}", dose, 0.0, spec.dose_upper)
    return violations


def given(layout: Layout, doses: Sequence[Prescription]) -> dict[str, float]:
    """Therapy → dose of ``doses`` (0 for a therapy not given), in layout order."""
    found = dict.fromkeys(layout.therapies, 0.0)
    for dose in doses:
        found[dose.kind] += dose.dose
    return found
