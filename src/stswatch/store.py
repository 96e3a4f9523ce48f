"""The embedded store: one DuckDB file holding every table in ``schema``.

An input file is stored chunk by chunk, one transaction each (memory stays flat however
large the file), and recorded in ``ingests`` last. Rows of a batch without that record (an
ingest that failed, or was killed half-way) are deleted before the next ingest
(``discard_unfinished``), so a re-run stores each row exactly once. Reports are de-duplicated on
their content at one-second resolution: the same report heard by several receivers, or
the same file ingested twice, is stored once.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

from stswatch import schema
from stswatch.errors import InputError, UsageError

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
# Staged rows are merged into the table in time slices of about this many rows: duplicates
# share a second, so slicing by time is exact, and it bounds the memory of each merge.
MERGE_ROWS = 4_000_000
# A chunk whose time and MMSI range holds more stored rows than this (factor x its own rows
# + constant) is staged rather than anti-joined on its own (see ``Store._add``).
STAGE_OVERLAP_FACTOR = 8
STAGE_OVERLAP_ROWS = 1_000_000
_MEMORY_LIMIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.I)


def _same(key: list[str]) -> str:
    return " AND ".join(
        f"coalesce(c.{k}, {NULL_KEY}) = coalesce(t.{k}, {NULL_KEY})"
        if k not in ("name", "callsign", "destination", "eta")
        else f"coalesce(c.{k}, '') = coalesce(t.{k}, '')"
        for k in key
        if k != "mmsi"
    )


def _dedup_insert_sql(table: str, key: list[str], where: str) -> str:
    """Insert rows of the registered view ``incoming`` (already unique within itself, with
    ``_sec`` and ``_row`` columns) that the table does not hold yet; ``where`` bounds the
    stored rows to compare with (constants, so the scan skips row groups by their min/max).

    The stored rows are only probed against a hash table of the incoming ones (the small
    side), never hashed themselves: a wide range costs a scan, not a build."""
    keys = ", ".join(key)
    return f"""
        INSERT INTO {table}
        SELECT * EXCLUDE (_sec, _row) FROM incoming
        WHERE _row NOT IN (
            SELECT c._row FROM incoming c JOIN (
                SELECT {keys}, date_trunc('second', ts) AS _sec FROM {table} WHERE {where}
            ) t ON c.mmsi = t.mmsi AND c._sec = t._sec AND {_same(key)}
        )
    """


def parse_memory_limit(value: str) -> str:
    """Check a memory limit such as ``8GB`` or ``512MiB``; returns it in DuckDB's spelling."""
    m = _MEMORY_LIMIT.match(value or "")
    if not m or float(m.group(1)) <= 0:
        raise UsageError(
            f"--memory-limit {value!r} is not an amount of memory. Hint: give a number and a "
            "unit, e.g. 8GB, 1.5GB or 512MB (units: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)."
        )
    units = {u.lower(): u for u in ("B", "KB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "TiB")}
    return f"{m.group(1)}{units[m.group(2).lower()]}"


def _merge_sql(table: str, key: list[str], sch: pa.Schema) -> str:
    """Move the staged rows with ``ts`` in [?, ?) (epoch seconds) into ``table``: one row per
    report (the first staged, by ``_seq``) that the table does not hold yet."""
    rest = [n for n in sch.names if n not in key and n != "ts"]
    packed = ", ".join(f"'{n}': {n}" for n in ["ts", *rest])
    keys = ", ".join(key)
    out = ", ".join(f"c.{n}" if n in key else f"c._r.{n} AS {n}" for n in sch.names)
    return f"""
        INSERT INTO {table}
        SELECT {out} FROM (
            SELECT {keys}, _sec, arg_min({{{packed}}}, _seq) AS _r
            FROM (SELECT *, date_trunc('second', ts) AS _sec FROM _stage_{table}
                  WHERE ts >= to_timestamp($lo) AND ts < to_timestamp($hi))
            GROUP BY {keys}, _sec
        ) c ANTI JOIN (
            SELECT {keys}, date_trunc('second', ts) AS _sec FROM {table}
            WHERE ts >= to_timestamp($lo) AND ts < to_timestamp($hi)
        ) t ON c.mmsi = t.mmsi AND c._sec = t._sec AND {_same(key)}
    """


def _slices(hours: list[tuple[int, int]], rows: int) -> list[tuple[int, int]]:
    """Group (hour index, row count) into [start, end) epoch-second ranges of about ``rows``."""
    out: list[tuple[int, int]] = []
    start, n = None, 0
    for h, c in hours:
        if start is not None and n + c > rows:
            out.append((start, h * 3600))
            start, n = None, 0
        if start is None:
            start = h * 3600
        n += c
    if start is not None:
        out.append((start, (hours[-1][0] + 1) * 3600))
    return out


class Store:
    """A DuckDB database with the stswatch tables."""

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        read_only: bool = False,
        memory_limit: str | None = None,
        temp_directory: str | Path | None = None,
    ) -> None:
        """Open (or create) the database at ``path``.

        ``memory_limit`` (e.g. ``"8GB"``) caps DuckDB's memory; what does not fit spills to
        ``temp_directory`` (default: ``<database>.tmp`` next to the database file).
        """
        limit = parse_memory_limit(memory_limit) if memory_limit is not None else None
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
        if limit is not None:
            self.con.execute(f"SET memory_limit = '{limit}'")
        if limit is not None or temp_directory is not None:
            tmp = str(temp_directory or f"{self.path}.tmp")
            self.con.execute("SET temp_directory = ?", [tmp])
        self._staged: dict[str, int] = {}  # table -> rows staged (next _seq)

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
            self._staged.clear()  # the staging tables were rolled back with the rest
            raise
        self.con.execute("COMMIT")

    def add_positions(self, rows: pa.Table, *, defer: bool = False) -> int:
        """Store position reports not stored yet; returns how many were added.

        With ``defer``, rows that would need a wide look-up in the table may be staged
        instead; ``merge_staged`` then stores them (and counts them)."""
        return self._add("positions", POSITION_KEY, rows, schema.POSITIONS, defer)

    def add_statics(self, rows: pa.Table, *, defer: bool = False) -> int:
        """Store static reports not stored yet; returns how many were added."""
        return self._add("statics", STATIC_KEY, rows, schema.STATICS, defer)

    def _add(self, table: str, key: list[str], rows: pa.Table, sch: pa.Schema, defer: bool) -> int:
        """One chunk: unique within itself (Polars), then an anti-join against the stored
        rows in the chunk's time and MMSI range. The range is given as constants, so DuckDB
        skips the row groups outside it: for inputs in time or in vessel order that is
        nearly the whole table. For inputs in neither (each chunk spans everything) the
        anti-join would rescan the table for every chunk; with ``defer`` such chunks, and
        all after them, are staged and de-duplicated at once by ``merge_staged``."""
        if rows.num_rows == 0:
            return 0
        if table in self._staged:
            self._stage(table, rows, sch)
            return 0
        unique = (
            pl.DataFrame(rows.cast(sch))
            .with_columns(pl.col("ts").dt.truncate("1s").alias("_sec"))
            .unique([*key, "_sec"], keep="first", maintain_order=True)
            .with_row_index("_row")
        )
        span = unique.select(
            pl.col("ts").min().alias("tlo"),
            pl.col("ts").max().alias("thi"),
            pl.col("mmsi").min().alias("mlo"),
            pl.col("mmsi").max().alias("mhi"),
        ).row(0, named=True)
        span["tlo"] -= timedelta(seconds=1)
        span["thi"] += timedelta(seconds=1)
        where = "ts BETWEEN $tlo AND $thi AND mmsi BETWEEN $mlo AND $mhi"
        if defer:
            row = self.con.execute(f"SELECT count(*) FROM {table} WHERE {where}", span).fetchone()
            if row and int(row[0]) > STAGE_OVERLAP_FACTOR * unique.height + STAGE_OVERLAP_ROWS:
                self._stage(table, unique.drop("_sec", "_row").to_arrow(), sch)
                return 0
        self.con.register("incoming", unique.to_arrow())
        try:
            row = self.con.execute(_dedup_insert_sql(table, key, where), span).fetchone()
        finally:
            self.con.unregister("incoming")
        return int(row[0]) if row else 0

    def _stage(self, table: str, rows: pa.Table, sch: pa.Schema) -> None:
        if rows.num_rows == 0:
            return
        if table not in self._staged:
            self.con.execute(
                f"CREATE OR REPLACE TABLE _stage_{table} AS "
                f"SELECT *, 0::BIGINT AS _seq FROM {table} LIMIT 0"
            )
            self._staged[table] = 0
        first = self._staged[table]
        seq = pa.array(np.arange(first, first + rows.num_rows, dtype=np.int64))
        self.con.register("incoming", rows.cast(sch).append_column("_seq", seq))
        try:
            self.con.execute(f"INSERT INTO _stage_{table} SELECT * FROM incoming")
        finally:
            self.con.unregister("incoming")
        self._staged[table] = first + rows.num_rows

    def merge_staged(self) -> dict[str, int]:
        """Move the staged rows into their tables, each report once; returns rows added.

        Two rows are the same report when their key columns (``POSITION_KEY``,
        ``STATIC_KEY``) agree and their times fall in the same second; of several, the
        first staged is kept. Rows are merged in time slices of about ``MERGE_ROWS`` rows,
        so memory stays bounded however large the input.
        """
        added = {"positions": 0, "statics": 0}
        for table, key, sch in (
            ("positions", POSITION_KEY, schema.POSITIONS),
            ("statics", STATIC_KEY, schema.STATICS),
        ):
            if table not in self._staged:
                continue
            hours = self.con.execute(
                f"SELECT CAST(epoch(date_trunc('hour', ts)) AS BIGINT) // 3600 AS h, count(*) "
                f"FROM _stage_{table} "
                "GROUP BY h ORDER BY h"
            ).fetchall()
            sql = _merge_sql(table, key, sch)
            for lo, hi in _slices([(int(h), int(n)) for h, n in hours], MERGE_ROWS):
                row = self.con.execute(sql, {"lo": lo, "hi": hi}).fetchone()
                added[table] += int(row[0]) if row else 0
            self.con.execute(f"DROP TABLE _stage_{table}")
            del self._staged[table]
        return added

    def discard_unfinished(self, batch_id: str | None = None) -> int:
        """Delete the rows of ingests that never finished (a crash, a kill, an error): those
        of ``batch_id``, or of every batch without an ``ingests`` record. Returns the number
        of position rows removed. Ingest commits chunk by chunk (bounded memory) and records
        the file last, so this makes a re-run store each row exactly once."""
        if batch_id is not None:
            cond, params = "batch_id = ?", [batch_id]
        else:
            cond, params = "batch_id NOT IN (SELECT batch_id FROM ingests)", []
        with self.transaction():
            row = self.con.execute(f"DELETE FROM positions WHERE {cond}", params).fetchone()
            for table in ("statics", "rejects"):
                self.con.execute(f"DELETE FROM {table} WHERE {cond}", params)
            for table in ("positions", "statics"):
                self.con.execute(f"DROP TABLE IF EXISTS _stage_{table}")
        self._staged.clear()
        return int(row[0]) if row else 0

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
