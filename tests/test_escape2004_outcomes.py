"""The three outcomes of immunoediting, each from its documented example in examples/.

Fast checks run one replicate (elimination and escape with a shortened horizon: the
outcome is decided by then); the statistical versions (slow) run several replicates of
the full files and state their tolerance.
"""

from __future__ import annotations

import pytest

from escapesim.engine import OutcomeKind, simulate
from escapesim.engine.presets.escape2004.outcome import composition_at_outcome
from tests.escape2004_support import example, runs


def test_the_examples_are_valid_escape2004_scenarios() -> None:
    for name in ("elimination", "equilibrium", "escape", "anti_pd1"):
        assert example(name).preset == "escape2004"


def test_elimination_example_eliminates() -> None:
    result = simulate(example("elimination").with_changes(horizon_days=60.0))
    assert result.outcome.kind is OutcomeKind.ELIMINATION
    assert result.counters["prime.arrived"] > 0  # cleared by primed effectors


def test_escape_example_escapes_with_its_founder_traits() -> None:
    result = simulate(example("escape").with_changes(horizon_days=100.0))
    assert result.outcome.kind is OutcomeKind.ESCAPE
    assert result.outcome.time is not None
    assert 30.0 < result.outcome.time < 100.0
    traits = composition_at_outcome(result)
    assert traits is not None
    assert traits["pdl1_high"] == pytest.approx(1.0)
    assert traits["secretor"] == pytest.approx(1.0)


@pytest.mark.slow
@pytest.mark.timeout(3600)
@pytest.mark.parametrize(
    ("name", "outcome", "least"),
    [
        ("elimination", OutcomeKind.ELIMINATION, 6),
        ("escape", OutcomeKind.ESCAPE, 6),
        ("equilibrium", OutcomeKind.EQUILIBRIUM, 4),
    ],
)
def test_examples_reach_their_outcome_in_most_replicates(
    name: str, outcome: OutcomeKind, least: int
) -> None:
    """Tolerance: at least ``least`` of 6 replicates (equilibrium is a dormancy with
    oscillating troughs of ~100 cells, so an occasional extinction or escape is allowed)."""
    results = runs(example(name), 6)
    hits = sum(r.outcome.kind is outcome for r in results)
    assert hits >= least, [r.outcome for r in results]
