"""Domain errors: every problem names the field it is about, never a transport status."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One problem with one field of a scenario, e.g. ``parameters.s: must be >= 0``."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ScenarioError(ValueError):
    """A scenario that cannot be built; carries every violation found, not just the first."""

    def __init__(self, violations: list[FieldViolation] | tuple[FieldViolation, ...]) -> None:
        self.violations: tuple[FieldViolation, ...] = tuple(violations)
        super().__init__("; ".join(str(v) for v in self.violations) or "invalid scenario")
