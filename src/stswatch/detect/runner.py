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
import os
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
from stswatch.detect import windows
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
    params["partition"] = windows.Params()
    return params


def params_json(config: Config, **used: Any) -> str:
    data = {name: dataclasses.asdict(p) for name, p in config.detectors.items()}
    data.update(used)
    return json.dumps(data, default=str)


def memory_budget() -> int:
    """Default memory for detection when no limit is given: half the machine's RAM."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2)
    except (ValueError, OSError, AttributeError):
        return 4 << 30


def run_detectors(
    positions: pl.DataFrame,
    config: Config,
    *,
    statics: pl.DataFrame | None = None,
    geo: GeoLookup | None = None,
    only: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
    split: set[int] | None = None,
) -> pl.DataFrame:
    """Segment tracks and run the detectors on one partition held in memory.

    ``split``, if given, receives the MMSIs whose reports fell into more than one segment."""
    mods = detector_modules()
    names = only or list(mods)
    unknown = [n for n in names if n not in mods]
    if unknown:
        raise UsageError(f"Unknown detector(s) {', '.join(unknown)}. Hint: have {', '.join(mods)}.")
    if positions.height == 0:
        return empty_events()
    positions = sort_reports(positions, ("mmsi", "ts"), ("lon", "lat"))  # no-op when sorted
    segmented = tracks.segment(positions, config.params("tracks"))
    if split is not None:
        mmsi, seg = pl.col("mmsi"), pl.col("seg_id")
        more = (mmsi == mmsi.shift(1)) & (seg != seg.shift(1))
        split.update(segmented.filter(more.fill_null(False))["mmsi"].unique().to_list())
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
    window_h: float = 0.0  # 0: one in-memory pass
    windows: int = 1
    positions_read: int = 0  # with the overlaps and re-reads of windowed runs


def choose_window_h(
    store: Store, config: Config, where: str, params: list[Any], memory_limit: int | None
) -> float:
    """Hours per window: the ``[partition]`` setting when a limit forces windows, else 0
    (in memory) when the positions fit the memory limit (default: half the RAM)."""
    row = store.con.execute(
        f"SELECT count(*), epoch(max(ts) - min(ts)) / 3600 FROM positions WHERE {where}", params
    ).fetchone()
    n, span_h = (int(row[0]), float(row[1] or 0.0)) if row else (0, 0.0)
    part = config.params("partition")
    fit = windows.window_hours_for(memory_limit or memory_budget(), n, span_h, part.overlap_h)
    return 0.0 if fit == 0 else min(fit, part.window_h or fit)


def detect_store(
    store: Store,
    config: Config,
    window: Window,
    *,
    geo: GeoLookup | None = None,
    progress: Callable[[str], None] | None = None,
    window_h: float | None = None,
    memory_limit: int | None = None,
    on_window: Callable[[int, int, int], None] | None = None,
) -> DetectResult:
    """Detect over a window of the store and replace that window's events.

    ``window_h`` hours per time window (0: all in memory; None: chosen from ``memory_limit``
    bytes, see ``choose_window_h``). Windowed and in-memory runs give the same events
    (``stswatch.detect.windows``)."""
    started = datetime.now(UTC)
    where, params = window.where()
    statics = pl.from_arrow(store.query("SELECT * FROM statics ORDER BY mmsi, ts"))
    assert isinstance(statics, pl.DataFrame)
    if window_h is None:
        window_h = choose_window_h(store, config, where, params, memory_limit)
    if window_h > 0:
        plan = windows.plan(store, config, where, params, window_h)

        def kernel() -> windows.Kernel:
            def run(pos: pl.DataFrame) -> tuple[pl.DataFrame, set[int]]:
                split: set[int] = set()
                events = run_detectors(pos, config, statics=statics, geo=geo, split=split)
                return events, split

            return run

        events, n_read = windows.detect_windows(
            store, config, where, params, plan, kernel, progress=on_window
        )
        n_windows = len(plan.spans)
    else:
        positions = pl.from_arrow(
            store.query(
                f"SELECT {windows.COLUMNS} FROM positions WHERE {where} ORDER BY mmsi, ts", params
            )
        )
        assert isinstance(positions, pl.DataFrame)
        events = run_detectors(positions, config, statics=statics, geo=geo, progress=progress)
        n_read = positions.height
        n_windows = 1
        del positions
    counted = store.query(
        f"SELECT count(*) AS n, list(DISTINCT batch_id ORDER BY batch_id) AS b "
        f"FROM positions WHERE {where}",
        params,
    ).to_pylist()[0]
    n_positions, batches = int(counted["n"]), list(counted["b"] or [])
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
                run_id, started, datetime.now(UTC), __version__,
                params_json(config, windows_used={"window_h": window_h, "windows": n_windows,
                                                  "positions_read": n_read}),
                config.source, window.since, window.until,
                None if window.bbox is None else ",".join(map(str, window.bbox)),
                n_positions, events.height, json.dumps(batches),
            ],
        )  # fmt: skip
        # Scores depend on every stored event (a party's history, repeated meetings): redo all.
        rescore(store, config.detectors.get("score") or score.Params(), run_id=run_id)
    return DetectResult(run_id, n_positions, events, window_h, n_windows, n_read)


def events_table(store: Store, where: str = "TRUE", params: list[Any] | None = None) -> pa.Table:
    return store.query(f'SELECT * FROM events WHERE {where} ORDER BY start, "type", mmsi', params)
