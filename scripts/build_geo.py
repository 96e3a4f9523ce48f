"""Build the reference geography shipped in src/stswatch/data/geo from the shared real data.

Run ``python scripts/build_geo.py [--data ../shared/data]``. Inputs (see docs/geo.md for
origins and licences): Natural Earth 10 m land and minor islands (public domain; read from
their ``.7z`` archives through the system's libarchive, BSD-2-Clause, via ctypes; with
``--land 50m`` the plain-JSON 50 m land is used instead), the World Port Index subset and
the Global Fishing Watch anchorage points from GFW ``pipe-anchorages`` (Apache-2.0), Natural
Earth 10 m ports, and Natural Earth 110 m countries (only to give Natural Earth ports a
country). Outputs: ``ports.parquet``, ``land_rings.npz``, ``land_mask.npz``,
``shore_grid.npz``, ``port_grid.npz`` and ``manifest.json`` (input hashes and counts). The
build is deterministic: the same inputs give byte-identical tables and arrays.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
import shapely

from stswatch.geo.land import LandMask
from stswatch.geo.lookup import (
    LAND_FILE,
    MANIFEST_FILE,
    PORT_GRID_FILE,
    PORTS_FILE,
    RINGS_FILE,
    SHORE_GRID_FILE,
    Geo,
)
from stswatch.geo.ports import PORT_SCHEMA, PortIndex, check_ports
from stswatch.geo.rings import Rings
from stswatch.geo.shore import ShoreIndex

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "src" / "stswatch" / "data" / "geo"
GRID_CELLS_PER_DEG = 4

# WPI rows whose iso3 is empty in GFW's copy (a Namibia "NA" lost as a CSV null, and
# territories): filled from ISO 3166-1.
WPI_MISSING_ISO3 = {
    "MIDWAY ISLAND": "UMI",
    "JOHNSTON ATOLL": "UMI",
    "WAKE ISLAND": "UMI",
    "LUDERITZ BAY": "NAM",
    "WALVIS BAY": "NAM",
    "BARENTSBURG": "SJM",
    "LONGYEARBYEN": "SJM",
    "NY ALESUND": "SJM",
}
# North Korean ports under the names used by UN Panel of Experts reports. The WPI labels
# are older romanizations: KYOMIP'O is the pre-1946 name of Songnim (the Kyomipo iron works,
# now the Hwanghae Iron and Steel Complex); NAJIN is the former name of Rajin.
DPRK_NAMES = {
    "NAJIN": "RAJIN",
    "KYOMIP'O": "SONGNIM",
    "HAEJU HANG": "HAEJU",
    "CH'ONGJIN": "CHONGJIN",
}
DPRK_REQUIRED = ["NAMPO", "SONGNIM", "HAEJU", "CHONGJIN", "WONSAN", "HUNGNAM", "RAJIN"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data directory")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument("--land", choices=["10m", "50m"], default="10m", help="land resolution")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    land_inputs = (
        ["natural-earth/ne_10m_land.7z", "natural-earth/ne_10m_minor_islands.7z"]
        if args.land == "10m"
        else ["natural-earth/ne_50m_land.json"]
    )
    rings = Rings.from_lists([r for name in land_inputs for r in land_rings(args.data / name)])
    rings.save(args.out / RINGS_FILE)
    rings = Rings.load(args.out / RINGS_FILE)  # build everything else from the rounded copy
    log(f"land: {rings.n_rings:,} rings, {rings.n_vertices:,} vertices", started)
    land = LandMask.from_rings(rings)
    land.save(args.out / LAND_FILE)
    log(f"land mask: {land.masks.shape[0]:,} mixed cells", started)

    ports = build_ports(args.data)
    ports.with_columns(pl.col("lon", "lat").cast(pl.Float32)).write_parquet(
        args.out / PORTS_FILE, compression="zstd", compression_level=19, statistics=False
    )
    ports = check_ports(pl.read_parquet(args.out / PORTS_FILE))
    log(f"ports: {ports.height:,} rows {dict(ports['source'].value_counts().iter_rows())}", started)

    shore = ShoreIndex(rings)
    shore.build_grid(GRID_CELLS_PER_DEG).save(args.out / SHORE_GRID_FILE)
    port_index = PortIndex(ports["lon"].to_numpy(), ports["lat"].to_numpy())
    port_index.build_grid(GRID_CELLS_PER_DEG).save(args.out / PORT_GRID_FILE)
    log("nearest-site grids", started)

    geo = Geo.from_dir(args.out)
    report = check(geo)
    inputs = [*land_inputs, *PORT_INPUTS]
    manifest = {
        "built_by": "scripts/build_geo.py",
        "land": args.land,
        "grid_cells_per_deg": GRID_CELLS_PER_DEG,
        "counts": {
            "ports": ports.height,
            "rings": rings.n_rings,
            "vertices": rings.n_vertices,
            "land_mask_mixed_cells": int(land.masks.shape[0]),
        },
        "inputs": {name: sha256(args.data / name) for name in inputs},
        "checks": report,
    }
    (args.out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    for path in sorted(args.out.iterdir()):
        print(f"  {path.name:<18} {path.stat().st_size:>10,} B")
    log("done", started)
    return 0


# --- land -------------------------------------------------------------------------------


def land_rings(path: Path) -> list[np.ndarray]:
    """Every ring of every polygon of a Natural Earth GeoJSON (plain or inside a .7z)."""
    raw = read_7z_single(path) if path.suffix == ".7z" else path.read_bytes()
    rings: list[np.ndarray] = []
    for feature in json.loads(raw)["features"]:
        geom = feature["geometry"]
        polygons = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        rings.extend(np.asarray(ring, dtype=np.float64) for poly in polygons for ring in poly)
    return rings


def read_7z_single(path: Path) -> bytes:
    """The first file of a 7z archive, read with the system libarchive through ctypes."""
    lib_name = ctypes.util.find_library("archive") or "libarchive.so.13"
    try:
        lib = ctypes.CDLL(lib_name)
    except OSError as exc:
        sys.exit(
            f"build_geo: cannot load libarchive ({exc}) to read {path}. "
            "Hint: install libarchive (apt-get install libarchive13) or pass --land 50m."
        )
    vp, cp = ctypes.c_void_p, ctypes.c_char_p
    lib.archive_read_new.restype = vp
    lib.archive_read_support_format_7zip.argtypes = [vp]
    lib.archive_read_open_filename.argtypes = [vp, cp, ctypes.c_size_t]
    lib.archive_read_next_header.argtypes = [vp, ctypes.POINTER(vp)]
    lib.archive_read_data.argtypes = [vp, vp, ctypes.c_size_t]
    lib.archive_read_data.restype = ctypes.c_ssize_t
    lib.archive_error_string.argtypes = [vp]
    lib.archive_error_string.restype = cp
    lib.archive_read_free.argtypes = [vp]
    archive = lib.archive_read_new()
    try:
        lib.archive_read_support_format_7zip(archive)
        entry = vp()
        if (
            lib.archive_read_open_filename(archive, str(path).encode(), 1 << 16) != 0
            or lib.archive_read_next_header(archive, ctypes.byref(entry)) != 0
        ):
            sys.exit(f"build_geo: cannot open {path}: {lib.archive_error_string(archive)!r}")
        chunks, buf = [], ctypes.create_string_buffer(1 << 20)
        while (n := lib.archive_read_data(archive, buf, len(buf))) > 0:
            chunks.append(buf.raw[:n])
        if n < 0:
            sys.exit(f"build_geo: {path} is damaged: {lib.archive_error_string(archive)!r}")
        return b"".join(chunks)
    finally:
        lib.archive_read_free(archive)


# --- ports ------------------------------------------------------------------------------

WPI = "gfw-anchorages/WPI_ports.csv"
GFW = "gfw-anchorages/anchorage_overrides.csv"
NE_PORTS = "natural-earth/ne_10m_ports.json"
NE_COUNTRIES = "natural-earth/ne_110m_admin_0_countries.json"
PORT_INPUTS = [WPI, GFW, NE_PORTS, NE_COUNTRIES]
NE_COUNTRY_FROM_NEIGHBOUR_M = 25_000.0  # a labelled WPI/GFW point this close gives the country


def build_ports(data: Path) -> pl.DataFrame:
    """One table of WPI ports, GFW anchorage points and Natural Earth ports."""
    wpi, gfw = read_wpi(data / WPI), read_gfw(data / GFW)
    ne = read_ne_ports(data / NE_PORTS, data / NE_COUNTRIES, pl.concat([wpi, gfw]))
    ports = pl.concat([wpi, gfw, ne]).with_columns(is_dprk=pl.col("country") == "PRK")
    ids = ports["port_id"]
    if ids.n_unique() != ports.height:
        sys.exit(f"build_geo: duplicate port ids, e.g. {ids.filter(ids.is_duplicated())[0]}")
    return ports.select(list(PORT_SCHEMA))


def read_wpi(path: Path) -> pl.DataFrame:
    raw = pl.read_csv(path, infer_schema_length=0).with_columns(pl.all().str.strip_chars())
    filled = raw.with_columns(
        pl.col("iso3").fill_null(pl.col("label").replace_strict(WPI_MISSING_ISO3, default=None))
    )
    if filled["iso3"].null_count():
        sys.exit(
            f"build_geo: WPI rows without a country: {filled.filter(pl.col('iso3').is_null())}"
        )
    return filled.select(
        port_id=unique_ids("wpi:" + pl.col("iso3") + ":" + slug(pl.col("label"))),
        name=pl.col("label").replace(DPRK_NAMES),
        country=pl.col("iso3"),
        kind=pl.lit("port"),
        lon=pl.col("longitude").cast(pl.Float64),
        lat=pl.col("latitude").cast(pl.Float64),
        source=pl.lit("wpi"),
    )


def read_gfw(path: Path) -> pl.DataFrame:
    raw = pl.read_csv(path, infer_schema_length=0).with_columns(pl.all().str.strip_chars())
    kept = (
        raw.filter(pl.col("label") != "REMOVE", pl.col("iso3").str.contains(r"^[A-Z]{3}$"))
        .unique("s2id", keep="last", maintain_order=True)  # later rows override earlier ones
        .with_columns(pl.col("longitude", "latitude").cast(pl.Float64))
        # Drops the placeholder at the North Pole and one row with longitude 1001.
        .filter(pl.col("latitude").abs() < 89.0, pl.col("longitude").abs() <= 180.0)
    )
    return kept.select(
        port_id="gfw:" + pl.col("s2id"),
        name=pl.col("label"),
        country=pl.col("iso3"),
        kind=pl.lit("anchorage"),
        lon=pl.col("longitude"),
        lat=pl.col("latitude"),
        source=pl.lit("gfw"),
    )


def read_ne_ports(path: Path, countries_path: Path, labelled: pl.DataFrame) -> pl.DataFrame:
    """Natural Earth ports; country from a labelled point within 25 km, else the nearest country."""
    features = json.loads(path.read_text())["features"]
    ne = pl.DataFrame(
        {
            "name": [f["properties"]["name"] for f in features],
            "lon": [float(f["geometry"]["coordinates"][0]) for f in features],
            "lat": [float(f["geometry"]["coordinates"][1]) for f in features],
        }
    )
    lon, lat = ne["lon"].to_numpy(), ne["lat"].to_numpy()
    dist_m, row = PortIndex(labelled["lon"].to_numpy(), labelled["lat"].to_numpy()).nearest(
        lon, lat
    )
    neighbour = labelled["country"].to_numpy()[row]
    country_features = json.loads(countries_path.read_text())["features"]
    shapes = [shapely.geometry.shape(f["geometry"]) for f in country_features]
    codes = np.array([iso3_of(f["properties"]) for f in country_features])
    nearest_shape = shapely.STRtree(shapes).nearest(shapely.points(lon, lat))
    country = np.where(dist_m <= NE_COUNTRY_FROM_NEIGHBOUR_M, neighbour, codes[nearest_shape])
    return ne.select(
        port_id=unique_ids("ne:" + slug(pl.col("name"))),
        name=pl.col("name"),
        country=pl.Series(country, dtype=pl.Utf8),
        kind=pl.lit("port"),
        lon=pl.col("lon"),
        lat=pl.col("lat"),
        source=pl.lit("ne"),
    )


def iso3_of(props: dict[str, object]) -> str:
    """ISO alpha-3 of a Natural Earth country; ADM0_A3 where ISO_A3 is -99 (France, Norway)."""
    iso = str(props["ISO_A3"])
    return iso if iso != "-99" else str(props["ADM0_A3"])


def slug(expr: pl.Expr) -> pl.Expr:
    return expr.str.to_uppercase().str.replace_all(r"[^A-Z0-9]+", "-").str.strip_chars("-")


def unique_ids(expr: pl.Expr) -> pl.Expr:
    """Make repeated ids unique in file order: X, X-2, X-3, ..."""
    n = expr.cum_count().over(expr)
    return pl.when(n > 1).then(expr + "-" + n.cast(pl.Utf8)).otherwise(expr)


# --- checks -----------------------------------------------------------------------------


def check(geo: Geo) -> dict[str, object]:
    """Print and return sanity checks; exit if a required North Korean port is missing.

    A port or anchorage should lie within a few km of the Natural Earth coastline. Points far
    out at sea are normal (offshore anchorages); points far inland are river and lake ports
    (Natural Earth land covers rivers and lakes), listed so that a wrong coordinate shows.
    """
    ports = geo.ports()
    lon, lat = ports["lon"].to_numpy(), ports["lat"].to_numpy()
    coast_m = geo.shore_index.distance_m(lon, lat)  # to the coastline, on either side
    ports = ports.with_columns(
        on_land=pl.Series(geo.on_land(lon, lat)), coast_km=pl.Series(coast_m / 1000.0).round(1)
    )
    dprk = ports.filter(pl.col("is_dprk")).select("port_id", "name", "lon", "lat", "coast_km")
    print(dprk)
    missing = sorted(set(DPRK_REQUIRED) - set(dprk["name"]))
    if missing:
        sys.exit(f"build_geo: North Korean ports missing: {missing}")
    inland = ports.filter(pl.col("on_land"), pl.col("coast_km") > 10.0)
    by_source = inland.group_by("source").len().sort("source")
    print(f"points on land more than 10 km from the coastline: {inland.height} of {ports.height}")
    print(inland.group_by("country").len().sort("len", descending=True).head(8))
    return {
        "dprk_ports_km_from_coastline": dict(zip(dprk["name"], dprk["coast_km"], strict=True)),
        "points_on_land_over_10km_from_coastline": dict(by_source.iter_rows()),
    }


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def log(message: str, started: float) -> None:
    print(f"[{time.perf_counter() - started:6.1f} s] {message}", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
