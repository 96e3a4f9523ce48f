"""What every detector shares: the events frame, its ids, and the geography it may ask about.

A detector is a module in ``stswatch.detect`` with a frozen ``Params`` dataclass (units in
the names, each default with its source) and a pure function
``detect(positions, params, ctx) -> pl.DataFrame`` returning rows in ``schema.EVENTS``.
``positions`` is a Polars DataFrame in the positions schema, sorted by (mmsi, ts), with a
``seg_id`` column from ``stswatch.tracks`` when segmentation has run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt
import polars as pl

from stswatch import schema

EVENT_COLUMNS = schema.EVENTS.names


class GeoLookup(Protocol):
    """Distances from many points at once (vectorized over NumPy arrays), in metres."""

    def distance_to_port_m(
        self, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        """Distance to the nearest port or anchorage."""
        ...

    def distance_to_shore_m(
        self, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        """Distance to the nearest coastline (0 on land)."""
        ...

    def on_land(
        self, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.bool_]:
        """True where the point is on land."""
        ...


@dataclass
class DetectContext:
    """Everything a detector may need beyond positions."""

    geo: GeoLookup | None = None
    statics: pl.DataFrame | None = None  # statics schema, sorted by (mmsi, ts)
    extra: dict[str, object] = field(default_factory=dict)


def event_ids(df: pl.DataFrame) -> pl.Series:
    """Stable ids from type, subtype, mmsi, other_mmsi and start (same inputs, same id)."""
    key = pl.concat_str(
        [
            pl.col("type"),
            pl.col("subtype").fill_null(""),
            pl.col("mmsi").cast(pl.Utf8),
            pl.col("other_mmsi").cast(pl.Utf8).fill_null(""),
            pl.col("start").dt.epoch("s").cast(pl.Utf8),
        ],
        separator="|",
    )
    # Events that share all of these still get distinct ids: the n-th repeat adds "|n".
    nth = pl.int_range(pl.len()).over(key)
    key = (
        pl.when(nth == 0)
        .then(key)
        .otherwise(pl.concat_str([key, nth.cast(pl.Utf8)], separator="|"))
    )
    keys = df.select(key.alias("k"))["k"]
    return keys.map_elements(
        lambda k: hashlib.blake2b(k.encode(), digest_size=8).hexdigest(), return_dtype=pl.Utf8
    )


def finish_events(df: pl.DataFrame) -> pl.DataFrame:
    """Add event_id and duration_h, order and type the columns as ``schema.EVENTS``."""
    if df.height == 0:
        return empty_events()
    df = df.with_columns(
        ((pl.col("end") - pl.col("start")).dt.total_seconds() / 3600.0).alias("duration_h"),
    )
    if "other_mmsi" not in df.columns:
        df = df.with_columns(pl.lit(None, pl.Int64).alias("other_mmsi"))
    df = df.with_columns(event_ids(df).alias("event_id"))
    out = df.select(EVENT_COLUMNS)
    return pl.DataFrame(out.to_arrow().cast(schema.EVENTS))


def empty_events() -> pl.DataFrame:
    return pl.DataFrame(schema.EVENTS.empty_table())
