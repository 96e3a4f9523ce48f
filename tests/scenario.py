"""Building blocks for hand-made detector scenarios, shared by the detector tests.

Geography is measured, never a constant: ports are the real World Port Index list and
land is Natural Earth 110m, both from ../shared, with haversine distances.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import shapely
from shapely.affinity import translate
from shapely.geometry import shape

from stswatch.units import haversine_m

T0 = datetime(2024, 3, 1, tzinfo=UTC)
Floats = npt.NDArray[np.float64]


class NaturalEarthLand:
    """``on_land`` and ``distance_to_shore_m`` from Natural Earth 110m land (shapely)."""

    def __init__(self, shared: Path) -> None:
        feats = json.loads((shared / "natural-earth" / "ne_110m_land.json").read_text())["features"]
        land = shapely.union_all([shape(f["geometry"]) for f in feats])
        # copies shifted by 360 degrees so that distances are right across the antimeridian
        self.land = shapely.union_all([land, translate(land, 360.0), translate(land, -360.0)])
        self.coast = self.land.boundary

    def on_land(self, lon: Floats, lat: Floats) -> npt.NDArray[np.bool_]:
        return shapely.contains_xy(self.land, lon, lat)

    def distance_to_shore_m(self, lon: Floats, lat: Floats) -> Floats:
        line = shapely.shortest_line(self.coast, shapely.points(lon, lat))  # coast -> point
        coast = shapely.get_coordinates(line)[0::2]
        return np.where(
            self.on_land(lon, lat), 0.0, haversine_m(lon, lat, coast[:, 0], coast[:, 1])
        )


class WpiPorts:
    """``distance_to_port_m`` and ``nearest_port`` over the World Port Index by haversine."""

    def __init__(self, shared: Path) -> None:
        self.ports = pl.read_csv(shared / "gfw-anchorages" / "WPI_ports.csv")
        self.port_lon = self.ports["longitude"].to_numpy()
        self.port_lat = self.ports["latitude"].to_numpy()

    def _dist(self, lon: Floats, lat: Floats) -> Floats:
        return haversine_m(
            lon[:, None], lat[:, None], self.port_lon[None, :], self.port_lat[None, :]
        )

    def distance_to_port_m(self, lon: Floats, lat: Floats) -> Floats:
        return self._dist(lon, lat).min(axis=1) if len(lon) else np.zeros(0)

    def nearest_port(self, lon: Floats, lat: Floats) -> pl.DataFrame:
        d = self._dist(lon, lat)
        k = d.argmin(axis=1)
        p = self.ports[k]
        return pl.DataFrame(
            {
                "dist_m": d[np.arange(len(k)), k],
                "port_id": (p["iso3"] + ":" + p["label"]).to_list(),
                "name": p["label"].to_list(),
                "country": p["iso3"].to_list(),
                "kind": ["port"] * len(k),
                "is_dprk": (p["iso3"] == "PRK").to_list(),
            }
        )


class WorldGeo(NaturalEarthLand, WpiPorts):
    """A whole GeoLookup: WPI ports and Natural Earth 110m land."""

    def __init__(self, shared: Path) -> None:
        NaturalEarthLand.__init__(self, shared)
        WpiPorts.__init__(self, shared)


def hm(hhmm: str) -> datetime:
    """'HH:MM' on 2024-03-01, '+1 HH:MM' on the day after."""
    day = 1 if hhmm.startswith("+1 ") else 0
    h, m = hhmm.removeprefix("+1 ").split(":")
    return T0 + timedelta(days=day, hours=int(h), minutes=int(m))


def leg(
    mmsi: int,
    start: str,
    end: str,
    frm: tuple[float, float],
    to: tuple[float, float],
    sog: float | None,
    every_min: float = 10.0,
    offset_min: float = 0.0,
) -> pl.DataFrame:
    """Reports at even intervals of at most ``every_min`` minutes from ``start`` (plus
    ``offset_min``) to ``end`` inclusive, moving in a straight line from ``frm`` to ``to``
    (lon, lat, the short way round the antimeridian), each reporting speed ``sog``."""
    t0, t1 = hm(start) + timedelta(minutes=offset_min), hm(end)
    span_min = (t1 - t0).total_seconds() / 60.0
    n = int(np.ceil(span_min / every_min - 1e-9)) + 1
    f = np.linspace(0.0, 1.0, n) if n > 1 else np.zeros(1)
    dlon = ((to[0] - frm[0] + 180.0) % 360.0) - 180.0
    return pl.DataFrame(
        {
            "mmsi": [mmsi] * n,
            "ts": [t0 + timedelta(minutes=span_min * x) for x in f],
            "lon": ((frm[0] + f * dlon + 180.0) % 360.0) - 180.0,
            "lat": frm[1] + f * (to[1] - frm[1]),
            "sog": [sog] * n,
        },
        schema_overrides={"ts": pl.Datetime("us", "UTC"), "sog": pl.Float32},
    )


def positions(*frames: pl.DataFrame) -> pl.DataFrame:
    """Frames of reports, together and sorted by (mmsi, ts)."""
    return pl.concat(frames).sort("mmsi", "ts")


def evidence(ev: pl.DataFrame, k: int = 0) -> dict[str, Any]:
    return json.loads(ev["evidence"][k])
