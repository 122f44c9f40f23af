"""SBML text to a :class:`Network` the kernel runs exactly as it runs a preset."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from escapesim.engine.compiled import LEVEL_LAW, NO_LEVELS, RATE_LAW, CompiledKinetics, Native
from escapesim.engine.frozen import FrozenMap
from escapesim.engine.network import Channel, ModelEvent, Network, ParameterSpec, Species
from escapesim.engine.sbml import codegen, translation
from escapesim.engine.sbml.errors import SbmlError
from escapesim.engine.sbml.reading import read
from escapesim.engine.sbml.symbols import PARAMETER_BOUND, Symbols, layout

#: Names a species may have to count as the tumour burden (escape and elimination).
TUMOUR_PREFIXES = ("tumour", "tumor")


def load(path: str | Path) -> Network:
    """The network of the SBML file at ``path``; raises :class:`SbmlError`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SbmlError([f"{path}: cannot read the file ({error})"]) from error
    return load_text(text)


@functools.lru_cache(maxsize=32)
def load_text(text: str) -> Network:
    """The network of an SBML document (cached: scenarios ask for it often)."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    _, model = read(text)
    try:
        symbols = layout(model)
        channels = translation.channels(model, symbols)
        levels = translation.levels(model, symbols)
        events = translation.events(model, symbols)
    except RecursionError as error:
        raise SbmlError(["the model's math is nested too deeply to translate"]) from error
    name = model.getId() or "sbml_model"
    source = codegen.module_source(name, digest, channels, levels, events)
    module = codegen.load_module(digest, source)
    return Network(
        name=name,
        title=model.getName() or name,
        citation=f"SBML model {name} (sha256 {digest[:16]})",
        splitting="Imported from SBML; every reaction is one channel (docs/sbml.md).",
        species=tuple(_species(symbols, sid) for sid in symbols.counts),
        levels=tuple(_species(symbols, vid) for vid in symbols.levels),
        parameters=tuple(_parameter(symbols, name) for name in symbols.parameters),
        channels=tuple(
            Channel(
                name=c.name, change=FrozenMap(c.change), description=c.description, order=c.order
            )
            for c in channels
        ),
        tumour=tuple(sid for sid in symbols.counts if _is_tumour(sid, symbols)),
        bind=_binder(module, symbols, len(channels), len(levels)),
        events=tuple(_event(module, n, e) for n, e in enumerate(events)),
    )


def _species(symbols: Symbols, sid: str) -> Species:
    return Species(
        name=sid, unit=symbols.units[sid], initial=symbols.initial[sid],
        description=symbols.descriptions[sid],
    )  # fmt: skip


def _parameter(symbols: Symbols, name: str) -> ParameterSpec:
    return ParameterSpec(
        name=name, unit=symbols.units[name], default=symbols.values[name],
        description=symbols.descriptions[name], lower=-PARAMETER_BOUND, upper=PARAMETER_BOUND,
        source="the SBML model",
    )  # fmt: skip


def _is_tumour(sid: str, symbols: Symbols) -> bool:
    names = (sid.lower(), symbols.descriptions[sid].lower())
    return sid == "T" or any(n.startswith(TUMOUR_PREFIXES) for n in names)


def _binder(module: ModuleType, symbols: Symbols, channels: int, levels: int) -> Any:
    rate_law = Native(module.propensities, RATE_LAW)
    level_law = Native(module.level_rates, LEVEL_LAW) if levels else NO_LEVELS
    order = tuple(symbols.parameters)

    def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> CompiledKinetics:
        del switches  # an SBML model has no switchable mechanisms
        parameters = np.array([values[name] for name in order], dtype=np.float64)
        return CompiledKinetics(rate_law, level_law, parameters, channels, levels)

    return bind


def _event(module: ModuleType, n: int, event: translation.EventSource) -> ModelEvent:
    return ModelEvent(
        name=event.name,
        fire=getattr(module, f"fire_{n}"),
        at=getattr(module, f"at_{n}", None),
        trigger=getattr(module, f"trigger_{n}", None),
        initial_value=event.initial_value,
    )
