"""The store's SQLite file: opened private, WAL, ``synchronous=FULL``, one writer process.

:func:`connect` opens (creating 0600) a database and applies a schema; :func:`acquire_lock`
takes the data directory's exclusive lock, so that only one process writes it.
"""

from __future__ import annotations

import fcntl
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from escapesim.service.store.files import private_file


class StoreError(Exception):
    """The store cannot be opened or used safely."""


class StoreLocked(StoreError):  # noqa: N818 - the agreed interface names
    """Another process has the data directory open (the store allows one writer)."""


class StoreCorrupt(StoreError):  # noqa: N818 - the agreed interface names
    """SQLite's integrity check failed; the message lists what it found."""


def connect(
    path: Path, schema: str, version: int, migrations: Mapping[int, str] | None = None
) -> sqlite3.Connection:
    """A connection to ``path`` with ``schema`` applied at ``PRAGMA user_version`` ``version``.

    An existing store of an older version is first brought up to date by ``migrations``
    (version → the statement that makes it, from the previous one), each in turn. The
    file is created 0600 before SQLite opens it (SQLite gives its ``-wal`` and ``-shm``
    files the database's mode). Raises :class:`StoreError` for a newer schema.
    """
    private_file(path)
    # check_same_thread=False: the Store's own locks serialise every use of a connection.
    db = sqlite3.connect(path, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    found = db.execute("PRAGMA user_version").fetchone()[0]
    if found > version:
        db.close()
        raise StoreError(f"store schema {found} is newer than this build's {version}")
    if found > 0:  # 0: a new file, which the schema creates whole
        for step in range(found + 1, version + 1):
            db.executescript((migrations or {})[step])
    db.executescript(schema)
    db.execute(f"PRAGMA user_version={version}")
    return db


def reader(path: Path) -> sqlite3.Connection:
    """A second connection for reads: under WAL it never waits for a commit in progress."""
    db = sqlite3.connect(path, check_same_thread=False)
    db.execute("PRAGMA query_only=ON")
    return db


def acquire_lock(path: Path) -> Any:
    """The open, exclusively locked ``path`` (0600); raises :class:`StoreLocked` if taken."""
    handle = private_file(path).open("a")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise StoreLocked(f"{path.parent} is in use by another process") from None
    return handle
