"""Scoring the store: read events, matches, tanker reports and areas; replace the scores.

``rescore`` is the step (call it inside a transaction, after whatever changed the inputs);
``score_store`` wraps it in one. Without explicit ``Params``, the ``[score]`` settings of the
latest detection run are used (so a re-screening scores with the weights the analyst chose),
else the defaults. ``scored_events`` lists events with their scores for ``stswatch events``.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import polars as pl
import pyarrow as pa

from stswatch import schema
from stswatch.areas import areas_in_force, has_table
from stswatch.score import Scores, score_events
from stswatch.score.params import Params
from stswatch.store import Store

# Evidence is read only where a factor needs it (it is the bulk of the events table).
_EVIDENCE_TYPES = ("encounter", "identity_change", "port_visit")
_EVENTS_SQL = f"""
    SELECT event_id, "type", subtype, mmsi, other_mmsi, start, "end", lon, lat,
           CASE WHEN "type" IN {_EVIDENCE_TYPES} THEN evidence ELSE '{{}}' END AS evidence
    FROM events
"""
_TANKERS_SQL = "SELECT mmsi, ts, ship_type FROM statics WHERE ship_type BETWEEN 80 AND 89"
SORTS = ("start", "score")


def _frame(tbl: pa.Table) -> pl.DataFrame:
    df = pl.from_arrow(tbl)
    assert isinstance(df, pl.DataFrame)
    return df


def stored_params(store: Store) -> tuple[Params, str | None]:
    """The ``[score]`` settings of the latest detection run and its id; defaults and None
    when there is no run (or it predates scoring). Settings this version lacks are ignored."""
    row = store.con.execute(
        "SELECT run_id, params FROM runs ORDER BY finished DESC, run_id LIMIT 1"
    ).fetchone()
    if row is None:
        return Params(), None
    section = json.loads(row[1]).get("score")
    if not isinstance(section, dict):
        return Params(), None
    names = {f.name for f in dataclasses.fields(Params)}
    return Params(**{k: v for k, v in section.items() if k in names}), row[0]


def rescore(
    store: Store,
    params: Params | None = None,
    *,
    run_id: str | None = None,
    now: datetime | None = None,
) -> Scores:
    """Score every stored event and vessel; replace ``scores`` and ``vessel_scores``.
    Runs in the caller's transaction."""
    if params is None:
        params, run_id = stored_params(store)
    now = now or datetime.now(UTC)
    events = _frame(store.query(_EVENTS_SQL))
    matches = _frame(store.query("SELECT * FROM matches"))
    tankers = _frame(store.query(_TANKERS_SQL))
    areas = areas_in_force(store, builtin=params.builtin_areas)
    result = score_events(events, matches, tankers, areas, params)
    stamp = [pl.lit(run_id, pl.Utf8).alias("run_id"), pl.lit(now).alias("computed_at")]
    for table, frame, sch in (
        ("scores", result.events, schema.SCORES),
        ("vessel_scores", result.vessels, schema.VESSEL_SCORES),
    ):
        store.con.execute(f"DELETE FROM {table}")  # constant table names
        if frame.height:
            rows = frame.with_columns(*stamp).select(sch.names).to_arrow().cast(sch)
            store.con.register("new_scores", rows)
            try:
                store.con.execute(f"INSERT INTO {table} SELECT * FROM new_scores")
            finally:
                store.con.unregister("new_scores")
    return result


def score_store(store: Store, params: Params | None = None) -> Scores:
    """``rescore`` in its own transaction."""
    with store.transaction():
        return rescore(store, params)


def scored_events(
    store: Store,
    where: str = "TRUE",
    params: list[Any] | None = None,
    *,
    sort: str = "start",
    min_score: float | None = None,
) -> pa.Table:
    """Stored events with ``score`` and ``reasons`` (null when never scored), filtered by
    ``where`` (over event columns, with ``params``) and ``min_score``; oldest first, or
    riskiest first with ``sort="score"``."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {SORTS}")
    joined = (
        "SELECT e.*, s.score, s.reasons FROM events e LEFT JOIN scores s USING (event_id)"
        if has_table(store, "scores")
        else "SELECT e.*, NULL::DOUBLE AS score, NULL::VARCHAR AS reasons FROM events e"
    )
    conds = [f"({where})"]
    args = list(params or [])
    if min_score is not None:
        conds.append("coalesce(score, 0) >= ?")
        args.append(min_score)
    order = (
        'start, "type", mmsi' if sort == "start" else 'score DESC NULLS LAST, start, "type", mmsi'
    )
    return store.query(
        f"SELECT * FROM ({joined}) WHERE {' AND '.join(conds)} ORDER BY {order}", args
    )  # constant SQL pieces; values are parameters


def vessel_scores_table(store: Store, min_score: float = 0.0) -> pa.Table:
    """Stored vessel scores, riskiest first."""
    if not has_table(store, "vessel_scores"):
        return schema.VESSEL_SCORES.empty_table()
    return store.query(
        "SELECT * FROM vessel_scores WHERE score >= ? ORDER BY score DESC, mmsi", [min_score]
    )
