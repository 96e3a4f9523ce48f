"""Screening the store: read vessel identities and list entries, replace the matches table.

``rescreen`` is the step (call it inside a transaction); ``screen_store`` wraps it in one.
Each screening also re-scores the stored events and vessels (``stswatch.score``), so a new
list version moves the scores in the same transaction.
``vessels_sanctioned`` answers "which vessels are on a list" with one row per MMSI.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pyarrow as pa

from stswatch import identity, schema
from stswatch.score.run import rescore
from stswatch.screen.match import METHODS, Params, Screening, screen
from stswatch.store import Store

_STATICS_SQL = "SELECT mmsi, ts, imo, name, callsign, ship_type FROM statics"
_POSITION_ONLY_SQL = """
    SELECT DISTINCT mmsi FROM positions
    WHERE mmsi NOT IN (SELECT DISTINCT mmsi FROM statics)
"""
_ENTRIES_SQL = """
    SELECT e.*, l.version AS list_version, l.sha256 AS list_sha256
    FROM list_entries e JOIN lists l ON e.list_name = l.name
"""


def has_table(store: Store, table: str) -> bool:
    """Whether the database has ``table`` (a database made before screening existed, opened
    read-only, does not)."""
    row = store.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
    ).fetchone()
    return bool(row and row[0])


def vessel_identities(store: Store) -> pl.DataFrame:
    """Identity runs of every MMSI with static reports (``identity.history``), plus one row
    per MMSI that only has positions (so it can still match by MMSI)."""
    statics = pl.from_arrow(store.query(_STATICS_SQL))
    assert isinstance(statics, pl.DataFrame)
    hist = identity.history(statics)
    only = pl.from_arrow(store.query(_POSITION_ONLY_SQL))
    assert isinstance(only, pl.DataFrame)
    extra = identity.flags(only["mmsi"]).select(
        "mmsi",
        pl.lit(0, dtype=hist.schema["run"]).alias("run"),
        "flag_iso3",
    )
    return pl.concat([hist, extra], how="diagonal_relaxed")


def list_entries(store: Store) -> pl.DataFrame:
    """Entries of every loaded list with their list's version and file hash."""
    df = pl.from_arrow(store.query(_ENTRIES_SQL))
    assert isinstance(df, pl.DataFrame)
    return df


def rescreen(store: Store, params: Params | None = None, now: datetime | None = None) -> Screening:
    """Screen every vessel in the store against every loaded list, replace ``matches`` and
    re-score (with the ``[score]`` settings of the latest detection run). Runs in the
    caller's transaction."""
    result = screen(vessel_identities(store), list_entries(store), params, now)
    store.con.execute("DELETE FROM matches")
    if result.matches.height:
        store.con.register("new_matches", result.matches.to_arrow().cast(schema.MATCHES))
        try:
            store.con.execute("INSERT INTO matches SELECT * FROM new_matches")
        finally:
            store.con.unregister("new_matches")
    rescore(store)
    return result


def screen_store(
    store: Store, params: Params | None = None, now: datetime | None = None
) -> Screening:
    """``rescreen`` in its own transaction."""
    with store.transaction():
        return rescreen(store, params, now)


def vessels_sanctioned(store: Store, min_confidence: float = 0.5) -> pa.Table:
    """One row per MMSI with a stored match of at least ``min_confidence``: its best match
    (highest confidence, then the stronger method), how many matches it has and on which
    lists. Columns: mmsi, vessel_name, vessel_imo, list_name, entry_id, entry_name, program,
    method, confidence, needs_review, matches, lists."""
    if has_table(store, "matches"):
        rows = store.query("SELECT * FROM matches WHERE confidence >= ?", [min_confidence])
    else:
        rows = schema.MATCHES.empty_table()
    df = pl.from_arrow(rows)
    assert isinstance(df, pl.DataFrame)
    order = pl.col("method").replace_strict({m: i for i, m in enumerate(METHODS)}, default=99)
    best = (
        df.sort(
            [pl.col("confidence"), order, "list_name", "entry_id"],
            descending=[True, False, False, False],
        )
        .group_by("mmsi", maintain_order=True)
        .agg(
            pl.all().first(),
            pl.len().cast(pl.Int64).alias("matches"),
            pl.col("list_name").unique().sort().str.join(", ").alias("lists"),
        )
        .select(
            "mmsi",
            "vessel_name",
            "vessel_imo",
            "list_name",
            "entry_id",
            "entry_name",
            "program",
            "method",
            "confidence",
            "needs_review",
            "matches",
            "lists",
        )  # fmt: skip
        .sort(["confidence", "mmsi"], descending=[True, False])
    )
    return best.to_arrow()
