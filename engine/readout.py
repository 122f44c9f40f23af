"""What a running simulation shows: its sampled frames and its event counters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from escapesim.engine.frozen import FrozenMap
from escapesim.engine.network import Network
from escapesim.engine.record import Frame


def frame(replicate: int, t: float, names: Sequence[str], row: npt.NDArray[np.float64]) -> Frame:
    """The frame of one sample: every population's and concentration's value at ``t``."""
    values = {name: float(row[k]) for k, name in enumerate(names)}
    return Frame(replicate=replicate, t=t, values=FrozenMap(values))


def counters(
    network: Network,
    fired: npt.NDArray[np.int64],
    arrived: npt.NDArray[np.int64],
    extra: Mapping[str, int],
) -> FrozenMap[int]:
    """Firings per channel, arrivals per delayed channel (``<channel>.arrived``), and the
    counters therapies keep (``extra``)."""
    found = {c.name: int(n) for c, n in zip(network.channels, fired, strict=True)}
    for channel, count in zip(network.channels, arrived, strict=True):
        if channel.delay is not None:
            found[f"{channel.name}.arrived"] = int(count)
    return FrozenMap({**found, **extra})
