"""Areas of interest: polygons where an encounter or a loitering vessel counts as riskier.

An area is a named Polygon or MultiPolygon in WGS84 longitude/latitude with a ``weight``
(0-1, how much being inside counts; default 1), a ``source`` (who says this is a hotspot)
and a ``description``. Two kinds are in force:

* the **built-in** starter set of known DPRK ship-to-ship transfer hotspots, shipped in
  ``stswatch/data/areas/sts_hotspots.geojson`` (sources in ``data/areas/SOURCES.md``;
  approximate polygons drawn around the locations the reports describe);
* **user** areas read from GeoJSON files (``stswatch areas add FILE``) and kept in the
  ``areas`` table. A user area named like a built-in one replaces it.

``read_areas`` validates a file (shapely) and says exactly what is wrong with it;
``contains`` answers "which areas hold these points" for many points at once
(``shapely.contains_xy`` on prepared geometries). ``save_areas`` and ``delete_area`` run in
the caller's transaction: re-score in the same one (``stswatch.score.rescore``), as the CLI does.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from stswatch import schema
from stswatch.errors import InputError, UsageError
from stswatch.store import Store

POLYGONAL = ("Polygon", "MultiPolygon")
BUILTIN_FILE = "sts_hotspots.geojson"
SHOW_COLUMNS = ["name", "origin", "kind", "polygons", "vertices", "bbox", "weight", "source"]
_HINT = "Hint: an area is a GeoJSON Polygon or MultiPolygon in longitude/latitude degrees."


@dataclass(frozen=True)
class Area:
    name: str
    geometry: BaseGeometry  # Polygon or MultiPolygon, lon/lat degrees (WGS84)
    weight: float = 1.0
    source: str | None = None
    description: str | None = None
    origin: str = "user"  # "user" or "builtin"
    source_file: str | None = None


def _fail(where: str, what: str, hint: str = _HINT) -> InputError:
    return InputError(f"{where}: {what}. {hint}")


def _geometry(geom: Any, where: str) -> BaseGeometry:
    if not isinstance(geom, dict) or "type" not in geom:
        raise _fail(where, "has no geometry object")
    kind = geom["type"]
    if kind not in POLYGONAL:
        raise _fail(where, f"is a {kind}, not a Polygon or MultiPolygon")
    try:
        g = shape(geom)
    except (ValueError, TypeError, IndexError, AttributeError, shapely.errors.GEOSException) as exc:
        raise _fail(where, f"has malformed {kind} coordinates ({exc})") from exc
    if g.is_empty:
        raise _fail(where, f"is an empty {kind}")
    w, s, e, n = g.bounds
    if not (-180 <= w <= e <= 180 and -90 <= s <= n <= 90):
        raise _fail(
            where,
            f"has coordinates outside longitude -180..180 / latitude -90..90 "
            f"(bounds {w:g},{s:g},{e:g},{n:g})",
            "Hint: GeoJSON is [longitude, latitude] in WGS84 degrees; reproject or swap them.",
        )
    if not g.is_valid:
        raise _fail(
            where,
            f"is not a valid {kind}: {explain_validity(g)}",
            "Hint: fix the ring (e.g. shapely.make_valid or QGIS 'Fix geometries') and add it again.",
        )
    return g


def _weight(props: dict[str, Any], where: str) -> float:
    w = props.get("weight", 1.0)
    if isinstance(w, bool) or not isinstance(w, int | float) or not 0 <= w <= 1:
        raise _fail(where, f"has weight {w!r}", "Hint: weight is a number from 0 to 1.")
    return float(w)


def _text(props: dict[str, Any], key: str) -> str | None:
    v = props.get(key)
    return None if v is None else str(v)


def parse_areas(data: Any, where: str, name: str | None = None, origin: str = "user") -> list[Area]:
    """Areas from a parsed GeoJSON object: a FeatureCollection, Feature, Polygon or
    MultiPolygon. Each feature is an area named by its ``name`` property; ``name`` names a
    single one, or merges several into one MultiPolygon area."""
    if not isinstance(data, dict) or "type" not in data:
        raise _fail(where, "is not a GeoJSON object (no 'type')")
    kind = data["type"]
    if kind == "FeatureCollection":
        feats = data.get("features")
        if not isinstance(feats, list) or not feats:
            raise _fail(where, "is a FeatureCollection without features")
    elif kind == "Feature":
        feats = [data]
    elif kind in POLYGONAL:
        feats = [{"type": "Feature", "geometry": data, "properties": {}}]
    else:
        raise _fail(
            where, f"is a {kind}, not a Polygon, MultiPolygon, Feature or FeatureCollection"
        )
    areas = []
    for i, f in enumerate(feats):
        at = f"{where} feature {i + 1}" if kind == "FeatureCollection" else where
        if not isinstance(f, dict) or f.get("type") != "Feature":
            raise _fail(at, "is not a Feature")
        props = f.get("properties") or {}
        if not isinstance(props, dict):
            raise _fail(at, "has properties that are not an object")
        geom = _geometry(f.get("geometry"), at)
        own = props.get("name")
        if name is None and not (isinstance(own, str) and own.strip()):
            raise _fail(at, "has no 'name' property", "Hint: add one, or pass --name.")
        areas.append(
            Area(
                name=name if name is not None else str(own).strip(),
                geometry=geom,
                weight=_weight(props, at),
                source=_text(props, "source"),
                description=_text(props, "description"),
                origin=origin,
            )
        )
    if name is not None and len(areas) > 1:
        merged = shapely.union_all([a.geometry for a in areas])
        if merged.geom_type not in POLYGONAL:
            raise _fail(where, f"merges into a {merged.geom_type}")
        first = areas[0]
        areas = [
            Area(
                name, merged, max(a.weight for a in areas), first.source, first.description, origin
            )
        ]
    names = [a.name for a in areas]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise _fail(
            where, f"names more than one feature {', '.join(dupes)}", "Hint: names must be unique."
        )
    return areas


def read_areas(path: str | Path, name: str | None = None) -> list[Area]:
    """Validated areas from a GeoJSON file (see ``parse_areas``)."""
    p = Path(path)
    if name is not None and not name.strip():
        raise UsageError("--name is empty. Hint: give the area a name, e.g. --name korea_bay.")
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(f"{p} does not exist. Hint: check the path.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p} cannot be read as UTF-8 text ({exc}). {_HINT}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{p} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}. {_HINT}"
        ) from exc
    found = parse_areas(data, str(p), None if name is None else name.strip())
    return [
        Area(a.name, a.geometry, a.weight, a.source, a.description, a.origin, str(p)) for a in found
    ]


@cache
def builtin_areas() -> tuple[Area, ...]:
    """The shipped starter set of DPRK ship-to-ship transfer hotspots."""
    res = files("stswatch") / "data" / "areas" / BUILTIN_FILE
    areas = parse_areas(json.loads(res.read_text(encoding="utf-8")), BUILTIN_FILE, origin="builtin")
    return tuple(
        Area(a.name, a.geometry, a.weight, a.source, a.description, a.origin, BUILTIN_FILE)
        for a in areas
    )


# --- the store ------------------------------------------------------------------------


def has_table(store: Store, table: str) -> bool:
    row = store.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
    ).fetchone()
    return bool(row and row[0])


def user_areas(store: Store) -> list[Area]:
    """The areas added with ``stswatch areas add``, by name."""
    if not has_table(store, "areas"):
        return []
    rows = store.query("SELECT * FROM areas ORDER BY name").to_pylist()
    return [
        Area(
            r["name"],
            shape(json.loads(r["geometry"])),
            r["weight"],
            r["source"],
            r["description"],
            "user",
            r["source_file"],
        )
        for r in rows
    ]


def areas_in_force(store: Store | None, builtin: bool = True) -> list[Area]:
    """User areas, plus (when ``builtin``) the built-in ones no user area replaces."""
    mine = user_areas(store) if store is not None else []
    names = {a.name for a in mine}
    shipped = [a for a in builtin_areas() if a.name not in names] if builtin else []
    return shipped + mine


def save_areas(store: Store, areas: list[Area], now: datetime | None = None) -> None:
    """Store user areas, replacing any of the same names. Runs in the caller's transaction."""
    now = now or datetime.now(UTC)
    rows = []
    for a in areas:
        digest = None
        if a.source_file and Path(a.source_file).is_file():
            digest = hashlib.sha256(Path(a.source_file).read_bytes()).hexdigest()
        rows.append(
            {
                "name": a.name,
                "geometry": json.dumps(mapping(a.geometry)),
                "weight": a.weight,
                "source": a.source,
                "description": a.description,
                "source_file": a.source_file,
                "sha256": digest,
                "added_at": now,
            }
        )
    store.con.execute(
        "DELETE FROM areas WHERE name IN (SELECT unnest(?))", [[a.name for a in areas]]
    )
    store.con.register("new_areas", pa.Table.from_pylist(rows, schema=schema.AREAS))
    try:
        store.con.execute("INSERT INTO areas SELECT * FROM new_areas")
    finally:
        store.con.unregister("new_areas")


def delete_area(store: Store, name: str) -> Area:
    """Remove a user area (caller's transaction); built-in areas cannot be removed."""
    mine = {a.name: a for a in user_areas(store)}
    if name not in mine:
        if any(a.name == name for a in builtin_areas()):
            raise UsageError(
                f"{name!r} is a built-in area and cannot be removed. Hint: set builtin_areas = "
                "false under [score] in stswatch.toml, or add your own area under that name."
            )
        have = ", ".join(sorted(mine)) or "none"
        raise UsageError(
            f"No user area named {name!r} (have: {have}). Hint: 'stswatch areas show' lists them."
        )
    store.con.execute("DELETE FROM areas WHERE name = ?", [name])
    return mine[name]


# --- geometry -------------------------------------------------------------------------


def contains(
    areas: list[Area] | tuple[Area, ...], lon: npt.ArrayLike, lat: npt.ArrayLike
) -> npt.NDArray[np.bool_]:
    """Boolean matrix (area, point): True where the point lies inside the area (boundary
    included). NaN coordinates are inside nothing."""
    x = np.asarray(lon, dtype=np.float64)
    y = np.asarray(lat, dtype=np.float64)
    out = np.zeros((len(areas), x.size), dtype=bool)
    ok = np.isfinite(x) & np.isfinite(y)
    for i, a in enumerate(areas):
        g = a.geometry
        shapely.prepare(g)
        out[i, ok] = shapely.intersects_xy(g, x[ok], y[ok])
    return out


def _vertices(g: BaseGeometry) -> int:
    return int(shapely.get_num_coordinates(g))


def areas_table(areas: list[Area]) -> pa.Table:
    """One row per area for ``stswatch areas show``."""
    rows = [
        {
            "name": a.name,
            "origin": a.origin,
            "kind": a.geometry.geom_type,
            "polygons": len(getattr(a.geometry, "geoms", [a.geometry])),
            "vertices": _vertices(a.geometry),
            "bbox": ",".join(f"{v:g}" for v in a.geometry.bounds),
            "weight": a.weight,
            "source": a.source,
            "description": a.description,
            "source_file": a.source_file,
        }
        for a in areas
    ]
    sch = pa.schema(
        [
            ("name", pa.string()), ("origin", pa.string()), ("kind", pa.string()),
            ("polygons", pa.int64()), ("vertices", pa.int64()), ("bbox", pa.string()),
            ("weight", pa.float64()), ("source", pa.string()), ("description", pa.string()),
            ("source_file", pa.string()),
        ]
    )  # fmt: skip
    return pa.Table.from_pylist(rows, schema=sch)


def areas_geojson(areas: list[Area]) -> dict[str, Any]:
    """The areas as one GeoJSON FeatureCollection (what ``areas add`` reads back)."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "name": a.name,
                    "origin": a.origin,
                    "weight": a.weight,
                    "source": a.source,
                    "description": a.description,
                },  # fmt: skip
                "geometry": mapping(a.geometry),
            }
            for a in areas
        ],
    }
