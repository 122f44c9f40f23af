"""Delayed products in flight: drawn delays, the delivery grid, and the pending deliveries.

When a channel with delayed products fires (a DC leaves for the lymph node, a primed
T cell starts its clonal burst), its products are due some days later. Each batch of
leaped firings draws at most :data:`DELAY_BINS` distinct delays (a binned sample of the
delay distribution, from the channel's stream ``delay:<channel>``) and shares the batch
out evenly among them. Due times are rounded up to the delivery grid, so products from
many short leaps share one calendar event. ``pending`` maps (channel, due) to products;
a checkpoint keeps it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

import numpy as np

from escapesim.engine.calendar import DELIVERY, Calendar, Entry
from escapesim.engine.network import Delay, Network

#: At most this many distinct delays are drawn for one batch of leaped firings; the
#: batch is shared out evenly among them (a binned sample of the delay distribution).
DELAY_BINS = 16


class Deliveries:
    """Schedules a replicate's delayed products on its calendar; ``arrive(channel, due)``
    runs when a delivery is due. ``delays`` are the channels' delays with this
    replicate's parameters bound (:meth:`Network.delays`)."""

    def __init__(
        self,
        network: Network,
        delays: tuple[Delay | None, ...],
        grid: float,
        calendar: Calendar,
        random: Callable[[str], np.random.Generator],
        arrive: Callable[[int, float], None],
    ) -> None:
        self.pending: dict[tuple[int, float], int] = {}  # (channel, due) -> products
        self._network = network
        self._delays = delays
        self._grid = grid
        self._calendar = calendar
        self._random = random
        self._arrive = arrive

    def fired(self, channel: int, fired: int, t: float, now: float) -> float:
        """Schedule the products of ``fired`` firings of ``channel`` at ``t`` (SimPy's
        clock reads ``now``); returns the earliest due time."""
        delay = self._delays[channel]
        assert delay is not None, "only channels with a delay have delayed products"
        if delay.shape is None:  # a fixed delay: every product arrives in one delivery
            return self._pend(channel, t + delay.mean, fired, now)
        bins = min(fired, DELAY_BINS)
        share, extra = divmod(fired, bins)
        stream = self._random(f"delay:{self._network.channels[channel].name}")
        waits = delay.sample(stream, bins).tolist()
        return min(
            self._pend(channel, t + wait, share + (k < extra), now) for k, wait in enumerate(waits)
        )

    def take(self, channel: int, due: float) -> int:
        """The products of the delivery due now (it leaves the pending ones)."""
        return self.pending.pop((channel, due))

    def action(self, entry: Entry) -> Callable[[], None]:
        """What a saved delivery entry does when it fires again (restoring)."""
        return partial(self._arrive, entry.index, entry.due)

    def _pend(self, channel: int, time: float, products: int, now: float) -> float:
        """Add ``products`` of ``channel`` to the delivery due at ``time`` (on the grid)."""
        due = self._on_grid(time)
        key = (channel, due)
        if key not in self.pending:
            self.pending[key] = 0
            arrive = partial(self._arrive, channel, due)
            self._calendar.after(due - now, DELIVERY, arrive, channel, due)
        self.pending[key] += products
        return due

    def _on_grid(self, time: float) -> float:
        """Round a delivery time up to the delivery grid: products from many leaps share
        one calendar event (one step boundary), and nothing ever arrives early."""
        grid = self._grid
        return max(math.ceil(time / grid) * grid, time) if grid > 0 else time
