"""The one error of SBML import and export."""

from __future__ import annotations


class SbmlError(ValueError):
    """An SBML model that cannot be read, is invalid, or uses what escapesim refuses.

    ``problems`` lists each one; every message names the element (by id) or the line of
    the file it is about.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))
