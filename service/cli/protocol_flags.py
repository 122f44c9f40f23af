"""``--therapy`` and ``--mechanism``: dosing protocols and mechanism switches as flags.

``--therapy KIND:at=DAY,DAY,...[:dose=X][:NAME=X ...]`` adds one therapy to the
scenario (after any in the scenario file), for example
``--therapy anti_pd1:at=14,28,42:dose=10``; keys other than ``at`` and ``dose`` are the
therapy's own parameters (``:half_life=5``). ``--mechanism NAME=on|off`` switches a
mechanism. Both produce the scenario file's schema, so the engine validates the values
exactly as it validates a file; this module only checks the shape of the text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from escapesim.service.cli.errors import UsageError

_SWITCH = {"on": True, "true": True, "yes": True, "off": False, "false": False, "no": False}


@dataclass(frozen=True, slots=True)
class TherapyFlag:
    """One ``--therapy`` flag as a scenario file's therapy mapping."""

    therapy: dict[str, Any]
    given: str  # the flag as typed, for messages


def parse_therapy(text: str) -> TherapyFlag:
    """Parse ``KIND:at=...[:dose=...][:NAME=VALUE ...]``; raises :class:`UsageError`."""
    given = f"--therapy {text}"
    kind, *options = (part.strip() for part in text.split(":"))
    if not kind:
        raise UsageError([f"{given}: expected KIND:at=DAY,DAY,...[:dose=X]"])
    therapy: dict[str, Any] = {"kind": kind, "parameters": {}}
    problems: list[str] = []
    seen: set[str] = set()
    for option in options:
        key, equals, raw = (s.strip() for s in option.partition("="))
        if not equals or not key:
            problems.append(f"{given}: {option!r} is not KEY=VALUE")
            continue
        if key in seen:
            problems.append(f"{given}: {key!r} given twice")
            continue
        seen.add(key)
        if key == "at":
            therapy["at_days"] = [_number(p, given, key, problems) for p in raw.split(",")]
        elif key == "dose":
            therapy["dose"] = _number(raw, given, key, problems)
        else:
            therapy["parameters"][key] = _number(raw, given, key, problems)
    if "at" not in seen:
        problems.append(f"{given}: at=DAY,DAY,... is required (the dose days)")
    if problems:
        raise UsageError(problems)
    return TherapyFlag(therapy=therapy, given=given)


def parse_switch(text: str) -> tuple[str, bool, str]:
    """Parse ``NAME=on|off`` into (mechanism, enabled, flag as typed)."""
    given = f"--mechanism {text}"
    name, equals, raw = (s.strip() for s in text.partition("="))
    state = _SWITCH.get(raw.lower())
    if not equals or not name or state is None:
        raise UsageError([f"{given}: expected NAME=on or NAME=off"])
    return name, state, given


def _number(raw: str, given: str, key: str, problems: list[str]) -> float:
    try:
        value = float(raw)
    except ValueError:
        problems.append(f"{given}: {key}: {raw!r} is not a number")
        return math.nan
    if not math.isfinite(value):
        problems.append(f"{given}: {key}: must be a finite number")
        return math.nan
    return value
