"""Score: how strongly each event and each vessel points at sanctions evasion, and why.

Each factor (``factors``, with the party-history ones in ``history``: a listed party, a DPRK
port call, going dark around an encounter, spoofing, flag hopping, identity changes, an area
of interest, repeated meetings, a call sign of another flag, night (``sun``), a tanker) gives
a *reason* (``reasons``) worth up to its weight in points (``Params``). Reasons combine into a
0-100 score (``combine``: a noisy OR, monotone), and each names the deceptive shipping
practice of the May 2020 US maritime sanctions advisory it evidences. ``score_events`` is the
pure kernel; ``run.rescore`` scores the store after every detect, screening and area change.
docs/scoring.md has the formula, the factors and the default weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from stswatch import schema
from stswatch.areas import Area, builtin_areas
from stswatch.score.combine import event_scores, vessel_scores
from stswatch.score.factors import all_reasons
from stswatch.score.params import PRACTICES, Params
from stswatch.score.reasons import FACTORS


@dataclass(frozen=True)
class Scores:
    events: pl.DataFrame  # event_id, score, reasons (JSON)
    vessels: pl.DataFrame  # mmsi, score, reasons (JSON), events, top_event_id
    reasons: pl.DataFrame  # one row per reason (factors.REASON_SCHEMA)


def score_events(
    events: pl.DataFrame,
    matches: pl.DataFrame | None = None,
    statics: pl.DataFrame | None = None,
    areas: Sequence[Area] | None = None,
    params: Params | None = None,
) -> Scores:
    """Score events (``schema.EVENTS`` columns) given the list matches (``schema.MATCHES``),
    static reports (``mmsi``, ``ship_type``, optionally ``ts``) and areas of interest
    (default: the built-in ones when ``params.builtin_areas``)."""
    params = params or Params()
    if matches is None:
        matches = pl.DataFrame(schema.MATCHES.empty_table())
    if areas is None:
        areas = builtin_areas() if params.builtin_areas else ()
    found = all_reasons(events, matches, statics, areas, params)
    ev = event_scores(events, found)
    return Scores(ev, vessel_scores(events, found, ev, matches, params), found)


__all__ = ["FACTORS", "PRACTICES", "Params", "Scores", "score_events"]
