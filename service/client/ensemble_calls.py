"""The ensemble calls of :class:`~escapesim.service.client.Client` (a mixin): create, read,
page, cancel and watch ensembles, and read their results."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pandas as pd
import pyarrow as pa

from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.client.following import pages, wait_final
from escapesim.service.client.replies import EnsembleInfo, EnsembleUpdate
from escapesim.service.client.requests import EnsembleLike, ensemble_message, page_fields
from escapesim.service.store.run_record import RunState

#: Ensemble result tables by the names :meth:`Client.ensemble_result_tables` accepts.
ENSEMBLE_TABLES = {
    "trajectories": pb.ENSEMBLE_RESULT_TABLE_TRAJECTORIES,
    "replicates": pb.ENSEMBLE_RESULT_TABLE_REPLICATES,
    "outcomes": pb.ENSEMBLE_RESULT_TABLE_OUTCOMES,
    "bands": pb.ENSEMBLE_RESULT_TABLE_BANDS,
    "attribution": pb.ENSEMBLE_RESULT_TABLE_ATTRIBUTION,
}


class EnsembleCalls:
    """Ensembles on the server; the plumbing (``_call``, ``_stream``, ``_tables``) is the
    Client's."""

    _call: Callable[[str, Any], Any]
    _stream: Callable[[str, Any, float | None], Iterator[Any]]
    _tables: Callable[..., dict[str, pa.Table]]

    def create_ensemble(
        self, ensemble: EnsembleLike, *, request_id: str | None = None
    ) -> EnsembleInfo:
        """Queue an ensemble (an :class:`~escapesim.engine.ensemble.Ensemble`, the ensemble file's
        mapping or an ``EnsembleSpec``); a retry with the same ``request_id`` returns the
        same ensemble. A bad ensemble raises :class:`ServiceError` INVALID_ARGUMENT with
        paths like ``ensemble.grid[0].values[2]`` (a mapping is first checked here and
        raises :class:`engine.ScenarioError` with the file's paths)."""
        request = pb.CreateEnsembleRequest(
            ensemble=ensemble_message(ensemble), request_id=request_id or ""
        )
        return EnsembleInfo.of(self._call("CreateEnsemble", request).ensemble)

    def get_ensemble(self, ensemble_id: str) -> EnsembleInfo:
        """The ensemble now, with every cell's progress."""
        request = pb.GetEnsembleRequest(ensemble_id=ensemble_id)
        return EnsembleInfo.of(self._call("GetEnsemble", request).ensemble)

    def list_ensembles(
        self, *, page_size: int = 0, page_token: str = "", state: RunState | None = None
    ) -> tuple[list[EnsembleInfo], str]:
        """One page of ensembles, newest first, and the next page's token ("" on the last)."""
        request = pb.ListEnsemblesRequest(**page_fields(page_size, page_token, state))
        reply = self._call("ListEnsembles", request)
        return [EnsembleInfo.of(e) for e in reply.ensembles], reply.next_page_token

    def iter_ensembles(
        self, *, state: RunState | None = None, page_size: int = 0
    ) -> Iterator[EnsembleInfo]:
        """Every ensemble, newest first, page after page."""
        return pages(self.list_ensembles, state, page_size)

    def cancel_ensemble(self, ensemble_id: str) -> EnsembleInfo:
        """Cancel an ensemble; finished cells are kept and the results marked partial."""
        request = pb.CancelEnsembleRequest(ensemble_id=ensemble_id)
        return EnsembleInfo.of(self._call("CancelEnsemble", request).ensemble)

    def watch_ensemble(
        self, ensemble_id: str, *, after: int = 0, timeout: float | None = None
    ) -> Iterator[EnsembleUpdate]:
        """State changes and per-cell progress until the ensemble ends; resume with
        ``after=sequence``. Stopping the iteration never affects the ensemble."""
        request = pb.WatchEnsembleRequest(ensemble_id=ensemble_id, after_sequence=after)
        for reply in self._stream("WatchEnsemble", request, timeout):
            yield EnsembleUpdate(reply.sequence, EnsembleInfo.of(reply.ensemble))

    def wait_ensemble(
        self,
        ensemble_id: str,
        *,
        timeout: float | None = None,
        on_update: Callable[[EnsembleInfo], None] | None = None,
    ) -> EnsembleInfo:
        """Watch (resuming as needed) until the ensemble reaches a final state; as
        :meth:`wait` for a run."""

        def follow(after: int, remaining: float | None) -> Iterator[tuple[int, EnsembleInfo]]:
            for update in self.watch_ensemble(ensemble_id, after=after, timeout=remaining):
                yield update.sequence, update.ensemble

        return wait_final(
            lambda: self.get_ensemble(ensemble_id), follow, f"ensemble {ensemble_id}", timeout,
            on_update,
        )  # fmt: skip

    def ensemble_result_tables(
        self, ensemble_id: str, tables: Sequence[str] = tuple(ENSEMBLE_TABLES)
    ) -> dict[str, pa.Table]:
        """A finished ensemble's tables (``trajectories``, ``replicates``, ``outcomes``,
        ``bands``, ``attribution``) as Arrow tables, by name."""
        return self._tables(
            "StreamEnsembleResults",
            lambda kinds: pb.StreamEnsembleResultsRequest(ensemble_id=ensemble_id, tables=kinds),
            ENSEMBLE_TABLES,
            tables,
        )

    def ensemble_summary(self, ensemble_id: str) -> dict[str, Any]:
        """A finished ensemble's summary document (as ``summary.json`` of the CLI)."""
        request = pb.StreamEnsembleResultsRequest(
            ensemble_id=ensemble_id, tables=[pb.ENSEMBLE_RESULT_TABLE_SUMMARY]
        )
        data = b"".join(
            c.summary_json for c in self._stream("StreamEnsembleResults", request, None)
        )
        document: dict[str, Any] = json.loads(data)
        return document

    def ensemble_results(
        self, ensemble_id: str, tables: Sequence[str] = tuple(ENSEMBLE_TABLES)
    ) -> dict[str, pd.DataFrame]:
        """A finished ensemble's tables as DataFrames, by name."""
        found = self.ensemble_result_tables(ensemble_id, tables)
        return {name: table.to_pandas() for name, table in found.items()}
