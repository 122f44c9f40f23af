"""The one error the CLI reports as bad input (exit status 2)."""

from __future__ import annotations

from collections.abc import Iterable

from escapesim.engine import FieldViolation


class UsageError(Exception):
    """Bad input to a command: every problem found, each naming its field or flag."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("; ".join(self.problems))

    @classmethod
    def of(cls, violations: Iterable[FieldViolation]) -> UsageError:
        """An error listing engine field violations as ``field: message``."""
        return cls(str(v) for v in violations)
