"""What the lifecycle needs of a job's snapshot and of the store that keeps it.

:class:`Record` is a run or an ensemble snapshot; :class:`Records` the store of one kind
(:class:`~escapesim.service.store.database.Store` for runs,
:class:`~escapesim.service.store.ensembles.EnsembleStore` for ensembles).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol, Self, TypeVar

from escapesim.service.store.run_record import RunState


class Record(Protocol):
    """A snapshot of a job: a run or an ensemble."""

    @property
    def state(self) -> RunState: ...

    @property
    def has_results(self) -> bool: ...

    def moved(self, state: RunState, **changes: Any) -> Self: ...


R = TypeVar("R", bound=Record)


class Records(Protocol[R]):
    """What a store offers the lifecycle, by job id."""

    #: The secret that signs page tokens (kept in the data directory).
    @property
    def page_key(self) -> bytes: ...

    def insert(self, record: R, sequence: int) -> None: ...
    def update(self, record: R, sequence: int) -> None: ...
    def get(self, job_id: str) -> R | None: ...
    def sequence(self, job_id: str) -> int: ...
    def find_request(self, request_id: str) -> R | None: ...
    def page(
        self, limit: int, before: int | None, state: RunState | None
    ) -> list[tuple[int, R]]: ...
    def unfinished(self) -> list[tuple[str, str]]: ...
    def clean_temporary(self) -> list[Any]: ...
    def transaction(self) -> AbstractContextManager[Any]: ...
