"""The embedded store: one DuckDB file holding every table in ``schema``.

Each input file is ingested in one transaction, so an ingest killed half-way leaves
nothing behind and a re-run stores each row exactly once. Reports are de-duplicated on
their content at one-second resolution: the same report heard by several receivers, or
the same file ingested twice, is stored once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa

from stswatch import schema
from stswatch.errors import InputError

DEFAULT_DB = "stswatch.duckdb"

# Content that makes two position reports the same report (ts compared to the second).
POSITION_KEY = ["mmsi", "msg_type", "lon", "lat", "sog", "cog", "heading", "nav_status"]
STATIC_KEY = [
    "mmsi", "msg_type", "imo", "name", "callsign", "ship_type", "to_bow", "to_stern",
    "to_port", "to_starboard", "length_m", "width_m", "draught_m", "destination", "eta",
]  # fmt: skip


def default_db_path() -> str:
    return os.environ.get("STSWATCH_DB") or DEFAULT_DB


NULL_KEY = -999  # stands for NULL in key comparisons, so the anti-join is a plain hash join


def _dedup_insert_sql(table: str, key: list[str]) -> str:
    """Insert rows of the registered view ``incoming`` (already unique within itself, with a
    ``_sec`` column) that the table does not hold yet."""
    same = " AND ".join(
        f"coalesce(c.{k}, {NULL_KEY}) = coalesce(t.{k}, {NULL_KEY})"
        if k not in ("name", "callsign", "destination", "eta")
        else f"coalesce(c.{k}, '') = coalesce(t.{k}, '')"
        for k in key
        if k != "mmsi"
    )
    return f"""
        INSERT INTO {table}
        SELECT c.* EXCLUDE (_sec) FROM incoming c ANTI JOIN (
            SELECT *, date_trunc('second', ts) AS _sec FROM {table}
            WHERE ts BETWEEN (SELECT min(ts) FROM incoming) - INTERVAL 1 SECOND
                         AND (SELECT max(ts) FROM incoming) + INTERVAL 1 SECOND
        ) t ON c.mmsi = t.mmsi AND c._sec = t._sec AND {same}
    """


class Store:
    """A DuckDB database with the stswatch tables."""

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False) -> None:
        self.path = str(path or default_db_path())
        if read_only and not Path(self.path).exists():
            raise InputError(
                f"No stswatch database at {self.path}. Hint: run 'stswatch ingest FILE' first, "
                "or point --db (or STSWATCH_DB) at an existing database."
            )
        try:
            self.con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.Error as exc:
            raise InputError(f"Cannot open the database {self.path}: {exc}") from exc
        if not read_only:
            for table in schema.TABLES:
                self.con.execute(schema.ddl(table))
        self.con.execute("SET TimeZone = 'UTC'")

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- ingest -----------------------------------------------------------------------

    def ingested(self, batch_id: str) -> dict[str, Any] | None:
        """The ingest record of a batch, if it was committed before."""
        row = self.con.execute(
            "SELECT file, finished, status FROM ingests WHERE batch_id = ?", [batch_id]
        ).fetchone()
        return None if row is None else {"file": row[0], "finished": row[1], "status": row[2]}

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def add_positions(self, rows: pa.Table) -> int:
        return self._add("positions", POSITION_KEY, rows, schema.POSITIONS)

    def add_statics(self, rows: pa.Table) -> int:
        return self._add("statics", STATIC_KEY, rows, schema.STATICS)

    def _add(self, table: str, key: list[str], rows: pa.Table, sch: pa.Schema) -> int:
        if rows.num_rows == 0:
            return 0
        before = self._count(table)
        unique = (
            pl.DataFrame(rows.cast(sch))
            .with_columns(pl.col("ts").dt.truncate("1s").alias("_sec"))
            .unique([*key, "_sec"], keep="first", maintain_order=True)
        )
        self.con.register("incoming", unique.to_arrow())
        try:
            self.con.execute(_dedup_insert_sql(table, key))
        finally:
            self.con.unregister("incoming")
        return self._count(table) - before

    def add_rejects(self, rows: pa.Table) -> None:
        if rows.num_rows:
            self.con.register("incoming_rejects", rows.cast(schema.REJECTS))
            self.con.execute("INSERT INTO rejects SELECT * FROM incoming_rejects")
            self.con.unregister("incoming_rejects")

    def add_ingest(self, record: dict[str, Any]) -> None:
        cols = schema.INGESTS.names
        self.con.execute(
            f"INSERT INTO ingests ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [record[c] for c in cols],
        )

    def _count(self, table: str) -> int:
        row = self.con.execute(f"SELECT count(*) FROM {table}").fetchone()
        return int(row[0]) if row else 0

    # --- queries ----------------------------------------------------------------------

    def query(self, sql: str, params: list[Any] | None = None) -> pa.Table:
        return self.con.execute(sql, params or []).to_arrow_table()

    def summary(self) -> dict[str, Any]:
        """Counts, time span, bounding box, vessels and rejects, overall and per source."""
        overall = self.con.execute(
            """SELECT count(*), count(DISTINCT mmsi), min(ts), max(ts),
                      min(lon), min(lat), max(lon), max(lat) FROM positions"""
        ).fetchone()
        assert overall is not None
        per_source = self.query(
            """SELECT source, count(*) AS positions, count(DISTINCT mmsi) AS vessels,
                      min(ts) AS first, max(ts) AS last,
                      min(lon) AS west, min(lat) AS south, max(lon) AS east, max(lat) AS north
               FROM positions GROUP BY source ORDER BY source"""
        ).to_pylist()
        statics = self.con.execute("SELECT count(*), count(DISTINCT mmsi) FROM statics").fetchone()
        assert statics is not None
        rejects = self.query(
            "SELECT reason, count(*) AS n FROM rejects GROUP BY reason ORDER BY n DESC, reason"
        ).to_pylist()
        ingests = self.query(
            """SELECT source, count(*) AS files, sum(lines_read) AS lines,
                      sum(positions_read) AS positions_read, sum(positions_added) AS positions_added,
                      sum(statics_added) AS statics_added, sum(rejects) AS rejects,
                      count(*) FILTER (WHERE status <> 'complete') AS partial_files
               FROM ingests GROUP BY source ORDER BY source"""
        ).to_pylist()
        return {
            "positions": overall[0],
            "vessels": overall[1],
            "first": overall[2],
            "last": overall[3],
            "bbox": None if overall[0] == 0 else [overall[4], overall[5], overall[6], overall[7]],
            "statics": statics[0],
            "vessels_with_statics": statics[1],
            "rejects": {r["reason"]: r["n"] for r in rejects},
            "sources": per_source,
            "ingests": ingests,
        }

    def vessels(self, search: str | None = None, limit: int | None = None) -> pa.Table:
        """One row per MMSI: latest identity, report counts and time span."""
        where, params = "", []
        if search:
            where = """WHERE name ILIKE ? OR callsign ILIKE ? OR CAST(v.mmsi AS VARCHAR) LIKE ?
                          OR CAST(imo AS VARCHAR) = ?"""
            params = [
                f"%{search}%",
                f"%{search}%",
                f"{search}%",
                search.removeprefix("IMO").strip(),
            ]
        sql = f"""
            WITH pos AS (
                SELECT mmsi, count(*) AS positions, min(ts) AS first, max(ts) AS last
                FROM positions GROUP BY mmsi
            ), ident AS (
                SELECT mmsi,
                       arg_max(name, ts) FILTER (WHERE name IS NOT NULL) AS name,
                       arg_max(imo, ts) FILTER (WHERE imo IS NOT NULL) AS imo,
                       arg_max(callsign, ts) FILTER (WHERE callsign IS NOT NULL) AS callsign,
                       arg_max(ship_type, ts) FILTER (WHERE ship_type IS NOT NULL) AS ship_type,
                       arg_max(length_m, ts) FILTER (WHERE length_m IS NOT NULL) AS length_m,
                       count(*) AS static_reports
                FROM statics GROUP BY mmsi
            ), v AS (
                SELECT coalesce(pos.mmsi, ident.mmsi) AS mmsi, name, imo, callsign, ship_type,
                       length_m, coalesce(positions, 0) AS positions,
                       coalesce(static_reports, 0) AS static_reports, first, last
                FROM pos FULL OUTER JOIN ident ON pos.mmsi = ident.mmsi
            )
            SELECT * FROM v {where} ORDER BY positions DESC, mmsi
            {"LIMIT " + str(int(limit)) if limit else ""}
        """
        return self.query(sql, params)

    def track(
        self, mmsi: int, since: datetime | None = None, until: datetime | None = None
    ) -> pa.Table:
        """Positions of one MMSI in time order."""
        sql = "SELECT * EXCLUDE (batch_id) FROM positions WHERE mmsi = ?"
        params: list[Any] = [mmsi]
        if since is not None:
            sql += " AND ts >= ?"
            params.append(since)
        if until is not None:
            sql += " AND ts <= ?"
            params.append(until)
        return self.query(sql + " ORDER BY ts", params)
