"""Detect: run every registered detector over positions and store the events.

Detectors are modules registered under the ``stswatch.detect`` entry-point group (the
built-ins use the same extension point a third party would). Each has a frozen ``Params``
and a pure ``detect(positions, params, ctx)``. ``run_detectors`` is the in-memory kernel;
``detect_store`` reads a window of the store, runs the kernel and replaces that window's
events, recording the run (version, parameters, inputs) in the ``runs`` table, and re-scores
every stored event and vessel (``stswatch.score``) with the run's ``[score]`` settings.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

import polars as pl
import pyarrow as pa

from stswatch import __version__, schema, score, tracks
from stswatch.config import Config
from stswatch.detect.base import DetectContext, GeoLookup, empty_events
from stswatch.errors import UsageError
from stswatch.resample import sort_reports
from stswatch.score.run import rescore
from stswatch.store import Store

# Order matters only for reading the output; every detector sees the same input.
ORDER = ["encounter", "loitering", "gap", "spoofing", "identity_change", "port_visit"]


@cache
def detector_modules() -> dict[str, ModuleType]:
    mods = {ep.name: ep.load() for ep in entry_points(group="stswatch.detect")}
    return dict(sorted(mods.items(), key=lambda kv: (ORDER + [kv[0]]).index(kv[0])))


def default_params() -> dict[str, Any]:
    """Defaults for track segmentation, every detector and the risk score, keyed by section."""
    params: dict[str, Any] = {"tracks": tracks.Params()}
    params.update({name: mod.Params() for name, mod in detector_modules().items()})
    params["score"] = score.Params()
    return params


def params_json(config: Config) -> str:
    return json.dumps(
        {name: dataclasses.asdict(p) for name, p in config.detectors.items()}, default=str
    )


def run_detectors(
    positions: pl.DataFrame,
    config: Config,
    *,
    statics: pl.DataFrame | None = None,
    geo: GeoLookup | None = None,
    only: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> pl.DataFrame:
    """Segment tracks and run the detectors on one partition held in memory."""
    mods = detector_modules()
    names = only or list(mods)
    unknown = [n for n in names if n not in mods]
    if unknown:
        raise UsageError(f"Unknown detector(s) {', '.join(unknown)}. Hint: have {', '.join(mods)}.")
    if positions.height == 0:
        return empty_events()
    positions = sort_reports(positions, ("mmsi", "ts"), ("lon", "lat"))  # no-op when sorted
    segmented = tracks.segment(positions, config.params("tracks"))
    ctx = DetectContext(geo=geo, statics=None if statics is None else statics.sort("mmsi", "ts"))
    frames = []
    for name in names:
        if progress:
            progress(name)
        frames.append(mods[name].detect(segmented, config.params(name), ctx))
    frames = [f for f in frames if f.height]
    if not frames:
        return empty_events()
    return pl.concat(frames, how="vertical").unique("event_id", keep="first", maintain_order=True)


@dataclass
class Window:
    since: datetime | None = None
    until: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None  # W, S, E, N

    def where(self, ts: str = "ts", lon: str = "lon", lat: str = "lat") -> tuple[str, list[Any]]:
        conds: list[str] = ["TRUE"]
        params: list[Any] = []
        if self.since is not None:
            conds.append(f"{ts} >= ?")
            params.append(self.since)
        if self.until is not None:
            conds.append(f"{ts} <= ?")
            params.append(self.until)
        if self.bbox is not None:
            w, s, e, n = self.bbox
            conds.append(
                f"{lat} BETWEEN ? AND ? AND "
                + (f"{lon} BETWEEN ? AND ?" if w <= e else f"({lon} >= ? OR {lon} <= ?)")
            )
            params += [s, n, w, e]
        return " AND ".join(conds), params


@dataclass
class DetectResult:
    run_id: str
    positions: int
    events: pl.DataFrame


def detect_store(
    store: Store,
    config: Config,
    window: Window,
    *,
    geo: GeoLookup | None = None,
    progress: Callable[[str], None] | None = None,
) -> DetectResult:
    """Detect over a window of the store and replace that window's events."""
    started = datetime.now(UTC)
    where, params = window.where()
    positions = pl.from_arrow(
        store.query(f"SELECT * FROM positions WHERE {where} ORDER BY mmsi, ts", params)
    )
    statics = pl.from_arrow(store.query("SELECT * FROM statics ORDER BY mmsi, ts"))
    assert isinstance(positions, pl.DataFrame) and isinstance(statics, pl.DataFrame)
    batches = positions["batch_id"].unique().sort().to_list() if positions.height else []
    events = run_detectors(positions, config, statics=statics, geo=geo, progress=progress)
    run_id = uuid.uuid4().hex[:12]
    stored = events.with_columns(pl.lit(run_id).alias("run_id"))
    ev_where, ev_params = window.where(ts="start")
    with store.transaction():
        store.con.execute(f"DELETE FROM events WHERE {ev_where}", ev_params)
        if stored.height:
            store.con.execute(
                "DELETE FROM events WHERE event_id IN (SELECT unnest(?))",
                [stored["event_id"].to_list()],
            )
            store.con.register("new_events", stored.to_arrow().cast(schema.STORED_EVENTS))
            store.con.execute("INSERT INTO events SELECT * FROM new_events")
            store.con.unregister("new_events")
        store.con.execute(
            "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id, started, datetime.now(UTC), __version__, params_json(config),
                config.source, window.since, window.until,
                None if window.bbox is None else ",".join(map(str, window.bbox)),
                positions.height, events.height, json.dumps(batches),
            ],
        )  # fmt: skip
        # Scores depend on every stored event (a party's history, repeated meetings): redo all.
        rescore(store, config.detectors.get("score") or score.Params(), run_id=run_id)
    return DetectResult(run_id, positions.height, events)


def events_table(store: Store, where: str = "TRUE", params: list[Any] | None = None) -> pa.Table:
    return store.query(f'SELECT * FROM events WHERE {where} ORDER BY start, "type", mmsi', params)
