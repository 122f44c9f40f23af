"""Index forms of a network's channels: what the compiled kernel walks.

Built once per network (:attr:`escapesim.engine.network.Network.stoichiometry`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from escapesim.engine.network import IntArray

if TYPE_CHECKING:
    from escapesim.engine.network import Network


@dataclass(frozen=True, slots=True)
class Stoichiometry:
    """Index forms of a network's channels, built once per simulation.

    ``ptr``, ``species``, ``amount``: the immediate changes in channel-major sparse form
    (channel ``j`` changes ``species[ptr[j]:ptr[j+1]]`` by ``amount[ptr[j]:ptr[j+1]]``),
    what the compiled kernel walks. ``deliveries[j]``: the (species, amount) pairs of
    channel ``j``'s delayed products.
    """

    change: IntArray  # channels x species
    delayed: IntArray  # channels x species
    order: npt.NDArray[np.float64]  # per species: highest order g_i
    ptr: IntArray
    species: IntArray
    amount: npt.NDArray[np.float64]
    delayed_channels: tuple[int, ...]  # channels with delayed products
    deliveries: tuple[tuple[tuple[int, float], ...], ...]

    @property
    def channels(self) -> int:
        """The number of channels. (Their delays are bound per replicate, with its
        parameters: :meth:`escapesim.engine.network.Network.delays`.)"""
        return int(self.change.shape[0])

    @classmethod
    def of(cls, network: Network) -> Stoichiometry:
        """Index the channels of ``network``."""
        index = {s.name: i for i, s in enumerate(network.species)}
        shape = (len(network.channels), len(network.species))
        change = np.zeros(shape, dtype=np.int64)
        delayed = np.zeros(shape, dtype=np.int64)
        order = np.ones(len(network.species))
        for j, channel in enumerate(network.channels):
            for name, amount in channel.change.items():
                change[j, index[name]] = amount
                order[index[name]] = max(order[index[name]], channel.order)
            for name, amount in channel.delayed.items():
                delayed[j, index[name]] = amount
        rows, species = np.nonzero(change)
        ptr = np.searchsorted(rows, np.arange(shape[0] + 1)).astype(np.int64)
        deliveries = tuple(
            tuple((int(i), float(row[i])) for i in np.flatnonzero(row)) for row in delayed
        )
        return cls(
            change=change,
            delayed=delayed,
            order=order,
            ptr=ptr,
            species=species.astype(np.int64),
            amount=change[rows, species].astype(np.float64),
            delayed_channels=tuple(j for j, d in enumerate(deliveries) if d),
            deliveries=deliveries,
        )
