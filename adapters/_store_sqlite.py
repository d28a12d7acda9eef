"""SQLite persistence of the reference server (stdlib :mod:`sqlite3`, WAL journal mode).

Two tables:

* ``records(kind TEXT, key TEXT, data TEXT, PRIMARY KEY(kind, key))`` — the core's
  :class:`~customer_protocol.server.Record` values (customers, agents, chats, threads with their
  events, tokens, codes, counters), ``data`` as JSON. After every input the server writes the
  store's drained changes in one transaction: an upsert per changed record, a delete per record
  whose ``data`` is ``None``. On start ``Store.load(persistence.load_records())`` rebuilds the
  store.
* ``files(path TEXT PRIMARY KEY, file_id TEXT, name TEXT, content_type TEXT, data BLOB)`` — the
  bytes of files uploaded with the Web API ``send_file``, keyed by the path of their URL.

Not persisted: connections, the agent simulator's pending moves, sneak peeks, fault switches.
The connection is used from the server's event loop thread only.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from customer_protocol.server import Record, StoreFile

__all__ = ["FileBlob", "MemoryFiles", "SQLitePersistence", "url_path"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    file_id TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    data BLOB NOT NULL
);
"""

FileBlob = tuple[str, bytes]
"""A stored file as served: ``(content_type, data)``."""


def url_path(url: str) -> str:
    """The path part of a file URL (``/files/<id>/<quoted name>``), the key files are kept by."""
    return urlsplit(url).path


class MemoryFiles:
    """Uploaded files kept in memory (the server without a database)."""

    def __init__(self) -> None:
        self._files: dict[str, FileBlob] = {}

    def put_file(self, file: StoreFile) -> None:
        """Keep ``file`` so that ``GET`` on its URL's path serves it."""
        self._files[url_path(file.url)] = (file.content_type, file.data)

    def get_file(self, path: str) -> FileBlob | None:
        """The file served at ``path``, or ``None``."""
        return self._files.get(path)

    def close(self) -> None:
        """Nothing to release."""


class SQLitePersistence(MemoryFiles):
    """The records and files of one reference server in an SQLite file (WAL mode)."""

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = str(path)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def load_records(self) -> list[Record]:
        """Every stored record (pass them to ``Store.load``)."""
        rows = self._db.execute("SELECT kind, key, data FROM records ORDER BY kind, key")
        return [Record(kind=kind, key=key, data=json.loads(data)) for kind, key, data in rows]

    def save(self, changes: Iterable[Record]) -> int:
        """Apply drained changes in one transaction; returns how many were written."""
        upserts: list[tuple[str, str, str]] = []
        deletes: list[tuple[str, str]] = []
        for record in changes:
            if record.data is None:
                deletes.append((record.kind, record.key))
            else:
                upserts.append((record.kind, record.key, json.dumps(record.data)))
        if not upserts and not deletes:
            return 0
        with self._transaction():
            if upserts:
                self._db.executemany(
                    "INSERT INTO records (kind, key, data) VALUES (?, ?, ?) "
                    "ON CONFLICT (kind, key) DO UPDATE SET data = excluded.data",
                    upserts,
                )
            if deletes:
                self._db.executemany("DELETE FROM records WHERE kind = ? AND key = ?", deletes)
        return len(upserts) + len(deletes)

    def put_file(self, file: StoreFile) -> None:
        """Store the bytes of an uploaded file."""
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO files (path, file_id, name, content_type, data) "
                "VALUES (?, ?, ?, ?, ?)",
                (url_path(file.url), file.file_id, file.name, file.content_type, file.data),
            )

    def get_file(self, path: str) -> FileBlob | None:
        """The stored file served at ``path``, or ``None``."""
        row = self._db.execute(
            "SELECT content_type, data FROM files WHERE path = ?", (path,)
        ).fetchone()
        if row is None:
            return None
        return str(row[0]), bytes(row[1])

    def close(self) -> None:
        """Close the database (a checkpoint folds the WAL back into the file)."""
        self._db.close()

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """``BEGIN`` ... ``COMMIT`` (``ROLLBACK`` on error) on an autocommit connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
