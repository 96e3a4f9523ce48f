"""The page's basemap: the shipped Natural Earth land, simplified, as one GeoJSON file.

``land_geojson`` turns the land rings of ``stswatch/data/geo/land_rings.npz`` (outer
boundaries and holes mixed, even-odd rule; see ``geo.rings``) into polygons with their holes,
simplifies them by ``tolerance_deg``, drops islands smaller than ``min_area_deg2`` and rounds
coordinates to ``decimals``. The results ship as ``static/land.geojson`` (coastlines to about
2 km, 1.8 MB, 0.5 MB gzipped as served) and ``static/land-coarse.geojson`` (about 6 km, for
small scales, 0.6 MB), public domain like their source; rebuild them with
``python -m stswatch.serve.basemap``. The detectors use the full-resolution land, not these.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from stswatch.geo.lookup import data_dir
from stswatch.geo.rings import Rings

STATIC = Path(__file__).resolve().parent / "static"
TOLERANCE_DEG = 0.02  # about 2.2 km of latitude
MIN_AREA_DEG2 = 0.001  # islands under about 12 km^2 are left out
DECIMALS = 3  # about 110 m


def _polygons(rings: Rings) -> list[shapely.Polygon]:
    """Outer rings with their holes: a ring is a hole when an odd number of rings contain it."""
    polys = [
        shapely.Polygon(
            np.column_stack(
                [rings.lon_deg[a:b], rings.lat_deg[a:b]],
            )
        )
        for a, b in zip(rings.offsets[:-1], rings.offsets[1:], strict=True)
        if b - a >= 4
    ]
    polys = [p if p.is_valid else shapely.make_valid(p).buffer(0) for p in polys]
    polys = [p for p in polys if isinstance(p, shapely.Polygon) and not p.is_empty]
    tree = shapely.STRtree(polys)
    probe = [p.representative_point() for p in polys]
    pairs = tree.query(probe, predicate="within")  # [probe index, containing ring index]
    inner, outer = pairs[0], pairs[1]
    keep = inner != outer
    inner, outer = inner[keep], outer[keep]
    depth = np.bincount(inner, minlength=len(polys))
    holes: dict[int, list[int]] = {}
    for i, j in zip(inner.tolist(), outer.tolist(), strict=True):
        # a hole belongs to the containing ring one level up
        if depth[i] % 2 == 1 and depth[j] == depth[i] - 1:
            holes.setdefault(j, []).append(i)
    out = []
    for k, p in enumerate(polys):
        if depth[k] % 2 == 1:
            continue
        hole_rings = [polys[h].exterior.coords for h in holes.get(k, [])]
        out.append(shapely.Polygon(p.exterior.coords, hole_rings))
    return out


def land_geojson(
    tolerance_deg: float = TOLERANCE_DEG,
    min_area_deg2: float = MIN_AREA_DEG2,
    decimals: int = DECIMALS,
) -> dict[str, Any]:
    """The simplified land as a FeatureCollection of one MultiPolygon per landmass."""
    rings = Rings.load(data_dir() / "land_rings.npz")
    features = []
    for poly in _polygons(rings):
        if poly.area < min_area_deg2:
            continue
        simple = shapely.set_precision(
            shapely.simplify(poly, tolerance_deg, preserve_topology=True), 10.0**-decimals
        )
        if simple.is_empty or simple.area < min_area_deg2:
            continue
        features.append(
            {"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(simple)}
        )
    return {
        "type": "FeatureCollection",
        "properties": {
            "source": "Natural Earth 10 m land and minor islands (public domain)",
            "tolerance_deg": tolerance_deg,
        },
        "features": features,
    }


# (file, tolerance_deg, min_area_deg2, decimals): the page draws the coarse file below zoom 5
# and loads the fine one only when the user zooms in (a third of the bytes to start with).
FILES = (
    ("land.geojson", TOLERANCE_DEG, MIN_AREA_DEG2, DECIMALS),
    ("land-coarse.geojson", 0.06, 0.01, 2),
)


def write(directory: Path = STATIC) -> dict[str, int]:
    """Write the basemap files; returns their sizes in bytes."""
    sizes = {}
    for name, tolerance, min_area, decimals in FILES:
        text = json.dumps(land_geojson(tolerance, min_area, decimals), separators=(",", ":"))
        (directory / name).write_text(text)
        sizes[name] = len(text)
    return sizes


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else STATIC
    for name, size in write(target).items():
        print(f"wrote {target / name} ({size:,} bytes)")
