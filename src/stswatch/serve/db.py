"""The service's access to the store: a cursor per request for reads, one writer at a time.

The server opens the DuckDB file once, read-write (so no other process can write to it while
it runs: stop the server to ingest or detect). Each request reads through its own cursor (a
DuckDB connection to the same database, safe to use from the request's thread), so reads run
in parallel and see committed data only. Changes go through ``write``: a process-wide lock
and one transaction, so two changes never interleave and a check-then-update (the triage
version check) is atomic.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from stswatch.store import Store

Con = duckdb.DuckDBPyConnection


class Database:
    """One open store shared by every request of the app."""

    def __init__(self, path: str | Path) -> None:
        self.store = Store(path)  # creates missing tables, including users, audit, triage
        self.path = self.store.path
        self._write_lock = threading.Lock()
        self._tables: set[str] | None = None  # table names, until the next write
        self._columns: dict[str, list[str]] = {}

    def close(self) -> None:
        self.store.close()

    def _cursor(self) -> Con:
        cur = self.store.con.cursor()
        cur.execute("SET TimeZone = 'UTC'")  # a session setting: each cursor needs it
        return cur

    @contextmanager
    def read(self) -> Iterator[Con]:
        cur = self._cursor()
        try:
            yield cur
        finally:
            cur.close()

    @contextmanager
    def write(self) -> Iterator[Con]:
        """A cursor inside a transaction, holding the write lock; commits on success."""
        with self._write_lock:
            cur = self._cursor()
            try:
                cur.execute("BEGIN TRANSACTION")
                try:
                    yield cur
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                cur.execute("COMMIT")
            finally:
                cur.close()
                self._tables = None
                self._columns = {}

    def has_table(self, con: Con, table: str) -> bool:
        """Whether ``table`` exists (``scores`` and ``areas`` come from later pipeline steps)."""
        if self._tables is None:
            rows = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
            self._tables = {r[0] for r in rows}
        return table in self._tables

    def columns(self, con: Con, table: str) -> list[str]:
        if table not in self._columns:
            rows = con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position",
                [table],
            ).fetchall()
            self._columns[table] = [r[0] for r in rows]
        return self._columns[table]


class _StoreInTransaction(Store):
    """A ``Store`` over a cursor already inside ``Database.write``'s transaction: library
    functions that open their own transaction (``add_list``) join that one instead, so their
    change and its audit row commit together."""

    def __init__(self, con: Con, path: str) -> None:  # no super(): the database is open
        self.path = path
        self.con = con

    @contextmanager
    def transaction(self) -> Iterator[None]:
        yield


def store_on(con: Con, path: str) -> Store:
    """A ``Store`` that works through ``con`` inside the current write transaction."""
    return _StoreInTransaction(con, path)


def query(con: Con, sql: str, params: list[Any] | None = None) -> pa.Table:
    return con.execute(sql, params or []).to_arrow_table()


def rows(con: Con, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """Query results as dicts of Python values."""
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
