"""``escapesim presets``: the preset catalogue as text for people or JSON for programs."""

from __future__ import annotations

import inspect
import textwrap
from typing import Any

from escapesim.engine import Network, Species


def describe(net: Network) -> dict[str, Any]:
    """A preset as plain data: parameters with units, defaults and bounds, and its state."""
    return {
        "name": net.name,
        "title": net.title,
        "citation": net.citation,
        "splitting": net.splitting,
        "parameters": [
            {
                "name": p.name,
                "unit": p.unit,
                "default": p.default,
                "lower": p.lower,
                "upper": p.upper,
                "description": p.description,
                "source": p.source,
            }
            for p in net.parameters
        ],
        "species": [_state(s, "population") for s in net.species],
        "concentrations": [_state(s, "concentration") for s in net.levels],
        "mechanisms": [
            {"name": m.name, "description": m.description, "enabled": m.enabled}
            for m in net.mechanisms
        ],
        "therapies": [
            {"name": t.name, "description": t.description, "dose_unit": t.dose_unit}
            for t in net.therapies
        ],
        "profiles": [
            {"name": p.name, "description": p.description, "values": dict(p.values)}
            for p in net.profiles
        ],
    }


def render(net: Network) -> str:
    """A preset as an aligned text block."""
    lines = [f"{net.name} — {net.title}", *_wrapped(net.citation, "  ")]
    rows = [
        (p.name, f"{p.default:.4g}", f"[{p.lower:g}, {p.upper:g}]", p.unit, p.description)
        for p in net.parameters
    ]
    lines += [
        "",
        "  parameters:",
        *_aligned([("name", "default", "bounds", "unit", "description"), *rows]),
    ]
    state = [(s, "population") for s in net.species] + [(s, "concentration") for s in net.levels]
    variables = [
        (s.name, f"{s.initial:.4g}", kind, s.unit, s.role.value, s.description) for s, kind in state
    ]
    lines += ["", "  initial state (--set NAME=VALUE, like a parameter):"]
    lines += _aligned([("name", "initial", "kind", "unit", "role", "description"), *variables])
    for title, items in (("mechanisms", net.mechanisms), ("therapies", net.therapies)):
        if items:
            lines += ["", f"  {title}:", *(f"    {i.name}: {i.description}" for i in items)]
    if net.profiles:
        lines += ["", "  profiles (scenario `profile: NAME`; the defaults it replaces):"]
        for profile in net.profiles:
            values = ", ".join(f"{k}={v:.4g}" for k, v in profile.values.items())
            lines += [f"    {profile.name}: {profile.description}",
                      *_wrapped(values, "      ")]  # fmt: skip
    if net.splitting.strip():
        splitting = textwrap.indent(inspect.cleandoc(net.splitting), "    ")
        lines += ["", "  how the model became stochastic channels:", splitting]
    return "\n".join(lines)


def _aligned(rows: list[tuple[str, ...]]) -> list[str]:
    """Rows as columns padded to their widest cell (numbers right-aligned in column 2)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "    "
        + "  ".join(
            cell.rjust(widths[i]) if i == 1 else cell.ljust(widths[i]) for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]


def _state(species: Species, kind: str) -> dict[str, Any]:
    return {
        "name": species.name,
        "kind": kind,
        "unit": species.unit,
        "initial": species.initial,
        "upper": species.upper,
        "description": species.description,
        "label": species.display,
        "role": species.role.value,
    }


def _wrapped(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, width=92, initial_indent=indent, subsequent_indent=indent)
