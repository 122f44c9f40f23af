"""The part registry: each mechanism or therapy is one module and one entry in PARTS."""

from __future__ import annotations

import builtins
import pkgutil
import sys
from pathlib import Path

import pytest

from escapesim.engine import Scenario, Therapy
from escapesim.engine.frozen import FrozenMap
from escapesim.engine.presets.escape2004 import NETWORK, layout
from escapesim.engine.presets.escape2004.kinetics import sources_digest
from escapesim.engine.presets.escape2004.parts import PARTS

_PRESET = Path(__file__).resolve().parent.parent / "engine" / "presets" / "escape2004"


def test_the_network_is_assembled_from_the_parts_in_order() -> None:
    assert NETWORK.channels == tuple(c for p in PARTS for c in p.channels)
    assert NETWORK.parameters == tuple(q for p in PARTS for q in p.parameters)
    assert {m.name for m in NETWORK.mechanisms} == {p.mechanism.name for p in PARTS if p.mechanism}
    assert [t.name for t in NETWORK.therapies] == [p.therapy.name for p in PARTS if p.therapy]


def test_every_population_and_concentration_has_one_owner() -> None:
    owned = [s.name for p in PARTS for s in (*p.species, *p.levels)]
    assert sorted(owned) == sorted((*layout.SPECIES_NAMES, *layout.LEVEL_NAMES))


def test_a_parts_channels_carry_its_name() -> None:
    for part in PARTS:
        assert {c.component for c in part.channels} <= {part.name}


def test_every_signal_has_one_owner() -> None:
    indices = [s.index for p in PARTS for s in p.signals]
    assert len(indices) == len(set(indices))


def test_each_therapy_is_its_own_part() -> None:
    for part in PARTS:
        if part.therapy is not None:
            assert part.therapy.name == part.name


def test_no_part_module_shadows_a_builtin() -> None:
    for folder in ("mechanisms", "therapies"):
        for module in pkgutil.iter_modules([str(_PRESET / folder)]):
            assert not hasattr(builtins, module.name), f"{folder}/{module.name}.py"


@pytest.mark.parametrize(
    ("kind", "given", "expected"),
    [
        ("adoptive_transfer", {}, {"trafficking_days": 1.0, "homing": 0.1}),
        ("adoptive_transfer", {"homing": 0.5}, {"trafficking_days": 1.0, "homing": 0.5}),
        ("dc_vaccine", {}, {"homing": 0.05}),
        ("anti_pd1", {}, {}),
    ],
)
def test_build_fills_therapy_parameters_with_their_defaults(
    kind: str, given: dict[str, float], expected: dict[str, float]
) -> None:
    therapy = Therapy(kind=kind, at_days=(1.0,), dose=1.0, parameters=FrozenMap(given))
    built = Scenario.build(preset="escape2004", therapies=[therapy], horizon_days=2.0)
    assert dict(built.therapies[0].parameters) == expected
    assert Scenario.from_dict(built.to_dict()) == built


def test_the_compiled_rate_laws_are_keyed_by_every_parts_source() -> None:
    # kinetics.sources_digest() covers the preset's folder: a part's module must live there,
    # or an edit of it would leave numba's cached rate laws stale.
    for part in PARTS:
        module = sys.modules[part.bind.__module__]
        assert Path(str(module.__file__)).resolve().is_relative_to(_PRESET.resolve()), part.name
    assert len(sources_digest()) == 64
