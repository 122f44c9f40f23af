"""The calendar runs its entries in exactly the order plain SimPy timeouts would.

It joins an entry due at the same time as the entry scheduled just before it (still
pending) into that entry's SimPy event, so a sampled day costs one SimPy event instead of
two. That is only right if the order of every action, and what ``pending`` reports at any
moment, are those of one timeout per entry: checked here against that reference on random
schedules, including actions that schedule more entries (at the same time or later) while
they run.
"""

from __future__ import annotations

from functools import partial

import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from escapesim.engine.calendar import SAMPLE, Calendar

#: An entry: its delay from when it is scheduled, and the entries its action schedules.
Plan = tuple[float, list[tuple[float, list[float]]]]

DELAYS = st.sampled_from([0.0, 0.5, 1.0, 1.0, 2.0])
PLANS = st.lists(
    st.tuples(DELAYS, st.lists(st.tuples(DELAYS, st.lists(DELAYS, max_size=2)), max_size=3)),
    min_size=1,
    max_size=12,
)


def _order_with_calendar(plans: list[Plan]) -> tuple[list[tuple[float, str]], list[list[int]]]:
    env = simpy.Environment()
    calendar = Calendar(env)
    fired: list[tuple[float, str]] = []
    snapshots: list[list[int]] = []

    def schedule(delay: float, name: str, children: list[tuple[float, list[float]]]) -> None:
        def action() -> None:
            fired.append((env.now, name))
            snapshots.append([e.index for e in calendar.pending()])
            for k, (child_delay, grandchildren) in enumerate(children):
                nested = [(d, []) for d in grandchildren]
                schedule(child_delay, f"{name}.{k}", nested)

        calendar.after(delay, SAMPLE, action, index=_index(name))

    for k, (delay, children) in enumerate(plans):
        schedule(delay, str(k), children)
    env.run()
    return fired, snapshots


def _order_with_timeouts(plans: list[Plan]) -> tuple[list[tuple[float, str]], list[list[int]]]:
    env = simpy.Environment()
    fired: list[tuple[float, str]] = []
    snapshots: list[list[int]] = []
    pending: dict[int, tuple[float, int]] = {}  # insertion key -> (due, index)
    keys = iter(range(10**6))

    def schedule(delay: float, name: str, children: list[tuple[float, list[float]]]) -> None:
        key = next(keys)
        pending[key] = (env.now + delay, _index(name))

        def action(_event: simpy.Event) -> None:
            del pending[key]
            fired.append((env.now, name))
            snapshots.append([i for _, (_, i) in sorted(pending.items(), key=_by_due)])
            for k, (child_delay, grandchildren) in enumerate(children):
                schedule(child_delay, f"{name}.{k}", [(d, []) for d in grandchildren])

        env.timeout(delay).callbacks.append(action)

    for k, (delay, children) in enumerate(plans):
        schedule(delay, str(k), children)
    env.run()
    return fired, snapshots


def _by_due(item: tuple[int, tuple[float, int]]) -> tuple[float, int]:
    return item[1][0], item[0]


def _index(name: str) -> int:
    """A distinct integer per entry name, so pending lists can be compared."""
    return int.from_bytes(name.encode(), "big") % 2**31


@settings(max_examples=300, deadline=None)
@given(PLANS)
def test_every_action_runs_in_plain_simpy_order_and_pending_matches(plans: list[Plan]) -> None:
    assert _order_with_calendar(plans) == _order_with_timeouts(plans)


def test_a_sample_and_the_kinetics_due_together_share_one_simpy_event() -> None:
    env = simpy.Environment()
    calendar = Calendar(env)
    seen: list[str] = []
    for delay, kind in [(1.0, SAMPLE), (1.0, "kinetics"), (2.0, SAMPLE)]:
        calendar.after(delay, kind, partial(seen.append, f"{kind} {delay:g}"))
    assert [(e.time, e.kind) for e in calendar.pending()] == [
        (1.0, SAMPLE), (1.0, "kinetics"), (2.0, SAMPLE),
    ]  # fmt: skip
    steps = 0
    while env.peek() < float("inf"):
        env.step()
        steps += 1
    assert steps == 2  # the two entries due at day 1 ran from one SimPy event
    assert seen == ["sample 1", "kinetics 1", "sample 2"]
    assert calendar.pending() == []
