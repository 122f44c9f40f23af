"""The data directory is private whatever the umask: folders 0700, every file 0600."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from escapesim.service.store.database import Store
from escapesim.service.store.ensembles import EnsembleStore
from escapesim.service.store.files import write_bytes_durably


@pytest.fixture
def loose_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _modes(root: Path) -> dict[str, int]:
    return {
        str(p.relative_to(root)): p.stat().st_mode & 0o777 for p in [root, *root.rglob("*")]
    }


@pytest.mark.usefixtures("loose_umask")
def test_every_folder_is_0700_and_every_file_0600(tmp_path: Path) -> None:
    data = tmp_path / "var" / "data"
    store = Store(data)
    try:
        EnsembleStore(store)
        table = pa.table({"x": [1, 2, 3]})
        store.write_results("run1", table, table)
        write_bytes_durably(b"{}", data / "note.json")
        modes = _modes(data)
    finally:
        store.close()
    assert "runs.sqlite3" in modes
    assert "results/run1/trajectories.parquet" in modes
    for name, mode in modes.items():
        expected = 0o700 if (data / name).is_dir() else 0o600
        assert mode == expected, f"{name}: {mode:o}"


@pytest.mark.usefixtures("loose_umask")
def test_an_existing_open_data_directory_is_made_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "runs.sqlite3").touch(mode=0o644)
    Store(data).close()
    assert data.stat().st_mode & 0o777 == 0o700
    assert (data / "runs.sqlite3").stat().st_mode & 0o777 == 0o600
