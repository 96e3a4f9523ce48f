"""Put it together: fleet, scenarios, voyages, reports, reception, truth.

Every random choice comes from ``numpy.random.default_rng`` streams derived from the seed
and a fixed stage number (and the vessel index where there is one), so the same seed gives
the same files byte for byte, and a vessel's voyages do not depend on how many others sail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from stswatch.simulate import identities as ids
from stswatch.simulate.identities import Identity, Vessel
from stswatch.simulate.injection import Draft, Injection, Jump, allocate
from stswatch.simulate.overlays import Overlays
from stswatch.simulate.receivers import STATION_NAMES, Coverage, Reports, positions
from stswatch.simulate.scenarios import Scenarios
from stswatch.simulate.statics import StaticVersion, identities, schedule_times, versions
from stswatch.simulate.traffic import Planner, Schedule

I64 = npt.NDArray[np.int64]
DEFAULT_START = datetime(2024, 3, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SimConfig:
    """What to simulate. Units in the names; the defaults are the CLI's."""

    seed: int
    vessels: int = 60
    days: float = 3.0
    start: datetime = DEFAULT_START
    interval_s: int = 60  # thinning: at most one position report per vessel per interval
    static_interval_s: int = 360  # type 5 / 24 every 6 min (ITU-R M.1371)
    sat_keep: float = 0.3  # share of reports the satellite hears beyond shore range
    sanctioned_from: Path | None = None

    @property
    def t0(self) -> float:
        return self.start.timestamp()

    @property
    def t1(self) -> float:
        return self.t0 + self.days * 86_400.0

    def params(self) -> dict[str, Any]:
        return {
            "vessels": self.vessels,
            "days": self.days,
            "start": self.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "report_interval_s": self.interval_s,
            "static_interval_s": self.static_interval_s,
            "satellite_keep": self.sat_keep,
            "sanctioned_from": self.sanctioned_from.name if self.sanctioned_from else None,
        }


@dataclass
class Statics:
    """Received static reports: who, when, heard by which station, and what they said."""

    vessel: I64
    ts: I64
    station: I64
    version: I64  # index into ``table``
    table: list[StaticVersion] = field(default_factory=list)


@dataclass
class World:
    config: SimConfig
    fleet: list[Vessel]
    schedules: list[Schedule]
    injection: Injection
    reports: Reports
    statics: Statics
    # per vessel: when its identity changed, and the identities in force from then on
    id_table: dict[int, tuple[I64, list[Identity]]]


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, *stream])


def _sanction(fleet: list[Vessel], inj: Injection, cfg: SimConfig) -> None:
    if cfg.sanctioned_from is None:
        return
    listed = ids.load_sanctioned(cfg.sanctioned_from)
    rng = _rng(cfg.seed, 9)
    order = rng.permutation(len(listed))
    takers = [
        i
        for kind, vessels in inj.tasks
        if kind in ("encounter", "dark_sts", "loitering", "gap")
        for i in vessels
        if fleet[i].role in ("dprk_tanker", "foc_tanker")
    ]
    for i, k in zip(takers, order, strict=False):
        name, imo = listed[int(k)]
        fleet[i] = ids.with_sanctioned(fleet[i], name, imo, cfg.sanctioned_from.name)


def build(cfg: SimConfig) -> World:
    """Simulate in memory; ``writers`` turns the result into files."""
    t0, t1 = cfg.t0, cfg.t1
    fleet = ids.make_fleet(_rng(cfg.seed, 1), cfg.vessels)
    inj = allocate(fleet, cfg.days, _rng(cfg.seed, 2))
    _sanction(fleet, inj, cfg)
    scen = Scenarios(fleet, t0, t1, inj)
    scen.pin(_rng(cfg.seed, 3))
    planner = Planner(t0, t1)
    schedules = [
        planner.plan(v, inj.fixed.get(i), _rng(cfg.seed, 4, i)) for i, v in enumerate(fleet)
    ]
    Overlays(fleet, t0, t1, inj).apply(schedules, _rng(cfg.seed, 5))

    parts = []
    for i, v in enumerate(fleet):
        arrays = schedules[i].track.arrays()
        parts.append(
            positions(
                i,
                v.mmsi,
                v.klass,
                arrays,
                t0,
                t1,
                cfg.interval_s,
                inj.off.get(i, []),
                _rng(cfg.seed, 6, i),
            )
        )
    for g, ghost in enumerate(inj.ghosts):
        v = fleet[ghost.vessel]
        parts.append(
            positions(
                len(fleet) + g,
                v.mmsi,
                v.klass,
                ghost.track,
                t0,
                t1,
                cfg.interval_s,
                [],
                _rng(cfg.seed, 7, g),
            )
        )
    sent = Reports.concat(parts)
    coverage = Coverage.random(t0, t1, _rng(cfg.seed, 8), cfg.sat_keep)
    heard, station = coverage.hear(sent.true_lon, sent.true_lat, sent.ts, _rng(cfg.seed, 10))
    sent.station = station
    reports = sent.take(heard)
    _apply_jumps(reports, inj, _rng(cfg.seed, 11))
    order = np.lexsort((reports.tx, reports.mmsi, reports.ts))
    reports = reports.take(order)

    statics, id_table = _statics(cfg, fleet, schedules, inj, coverage)
    return World(cfg, fleet, schedules, inj, reports, statics, id_table)


def _apply_jumps(reports: Reports, inj: Injection, rng: np.random.Generator) -> None:
    """Move the first n reports of a vessel after t_s to the far point (impossible speed)."""
    for jump in inj.jumps:
        idx = np.nonzero((reports.tx == jump.vessel) & (reports.ts >= jump.t_s))[0]
        idx = idx[np.argsort(reports.ts[idx], kind="stable")][: jump.n_reports]
        n = idx.size
        noise = rng.normal(0, 200.0, (2, n))
        lat = jump.point[1] + noise[1] / 110_574.0
        lon = jump.point[0] + noise[0] / (111_320.0 * np.cos(np.radians(jump.point[1])))
        reports.lon[idx] = np.round(lon * 600_000) / 600_000
        reports.lat[idx] = np.round(lat * 600_000) / 600_000
        inj.drafts.append(_jump_draft(jump, reports.ts[idx].tolist(), reports, idx))


def _jump_draft(jump: Jump, ts: list[int], reports: Reports, idx: I64) -> Draft:
    rec = {
        "type": "spoofing",
        "subtype": "impossible_speed",
        "other_mmsi": None,
        "mmsi": int(reports.mmsi[idx[0]]) if idx.size else None,
        "details": {
            "n_reports": len(ts),
            "reported_lon": jump.point[0],
            "reported_lat": jump.point[1],
        },
    }
    return Draft(rec, "jump", {"vessel": jump.vessel, "ts": ts})


def _statics(
    cfg: SimConfig,
    fleet: list[Vessel],
    schedules: list[Schedule],
    inj: Injection,
    coverage: Coverage,
) -> tuple[Statics, dict[int, tuple[I64, list[Identity]]]]:
    vessel_col, ts_col, version_col = [], [], []
    table: list[StaticVersion] = []
    id_table: dict[int, tuple[I64, list[Identity]]] = {}
    for i, v in enumerate(fleet):
        rng = _rng(cfg.seed, 12, i)
        arrays = schedules[i].track.arrays()
        lo, hi = max(cfg.t0, float(arrays.t[0])), min(cfg.t1, float(arrays.t[-1]))
        ts = schedule_times(lo, hi, cfg.static_interval_s, rng)
        for a, b in inj.off.get(i, []):
            ts = ts[(ts < a) | (ts > b)]
        changes = inj.id_changes.get(i, [])
        vers, which = versions(v, changes, schedules[i], ts)
        vessel_col.append(np.full(ts.size, i, np.int64))
        ts_col.append(ts)
        version_col.append(which + len(table))
        table.extend(vers)
        # identity in force at any time, for the CSV rows (changes at their true times)
        times = np.array(sorted(t for t, _ in changes), dtype=np.int64)
        id_table[i] = (times, identities(v, changes))
    vessel = np.concatenate(vessel_col)
    ts = np.concatenate(ts_col)
    version = np.concatenate(version_col)
    lon = np.empty(ts.size)
    lat = np.empty(ts.size)
    for i in range(len(fleet)):
        m = vessel == i
        s = schedules[i].track.arrays().sample(ts[m].astype(np.float64))
        lon[m], lat[m] = s.lon, s.lat
    heard, station = coverage.hear(lon, lat, ts, _rng(cfg.seed, 13))
    order = np.lexsort((vessel[heard], ts[heard]))
    st = Statics(
        vessel[heard][order], ts[heard][order], station[heard][order], version[heard][order], table
    )
    return st, id_table


__all__ = ["STATION_NAMES", "SimConfig", "World", "build"]
