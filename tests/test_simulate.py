"""The simulator: determinism, valid NMEA, ships at sea, and truth that the data bears out.

Geography checks use the Natural Earth 1:50m land polygons and the GFW/WPI port lists in
../shared/data; everything else only needs the generated files.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyais
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box, shape
from typer.testing import CliRunner

from stswatch.simulate import SimConfig, simulate
from stswatch.simulate.aivdm import position_payloads, single_sentences
from stswatch.simulate.identities import FLAGS, imo_check_digit, imo_valid
from stswatch.simulate.lanes import EDGES, FISHING_GROUNDS, NODES, ZONES
from stswatch.simulate.ports import PORTS
from stswatch.units import METERS_PER_NM, haversine_m

REGION = (110.0, 18.0, 135.0, 45.0)


@dataclass
class Sim:
    out: Path
    csv: pl.DataFrame  # with an extra ts column (epoch seconds)
    truth: dict[str, Any]

    def events(self, type_: str, optional: bool = False) -> list[dict[str, Any]]:
        return [e for e in self.truth["events"] if e["type"] == type_ and e["optional"] == optional]

    def decoys(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.truth["decoys"] if d["kind"] == kind]

    def rows(self, mmsi: int, start: str | None = None, end: str | None = None) -> pl.DataFrame:
        df = self.csv.filter(pl.col("MMSI") == mmsi)
        if start is not None:
            df = df.filter(pl.col("ts") >= _epoch(start))
        if end is not None:
            df = df.filter(pl.col("ts") <= _epoch(end))
        return df


def _num(x: Any) -> float:
    """A Polars aggregate as a float (for type checkers; fails on null)."""
    return float(x)


def _epoch(iso: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def _read(out: Path) -> Sim:
    csv = pl.read_csv(out / "positions.csv", schema_overrides={"IMO": pl.String})
    csv = csv.with_columns(
        pl.col("BaseDateTime").str.to_datetime(time_zone="UTC").dt.epoch("s").alias("ts")
    )
    return Sim(out, csv, json.loads((out / "truth.json").read_text()))


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Sim:
    out = tmp_path_factory.mktemp("sim")
    simulate(SimConfig(seed=11, vessels=40, days=3.0), out)
    return _read(out)


class Land:
    """Natural Earth 1:50m land around the region, with point tests and shore distances."""

    def __init__(self, path: Path) -> None:
        feats = json.loads(path.read_text())["features"]
        region = box(*REGION)
        parts = [shape(f["geometry"]).intersection(region) for f in feats]
        self.geom = shapely.union_all([p for p in parts if not p.is_empty])
        shapely.prepare(self.geom)
        self.coast = self.geom.boundary

    def on_land(self, lon: Any, lat: Any) -> np.ndarray:
        return shapely.contains_xy(self.geom, np.asarray(lon), np.asarray(lat))

    def shore_m(self, lon: float, lat: float) -> float:
        """Distance to the nearest coast, metres (equirectangular about the point)."""
        near = self.coast.intersection(box(lon - 6, lat - 5, lon + 6, lat + 5))
        k = np.cos(np.radians(lat))
        proj = shapely.transform(
            near, lambda c: np.c_[c[:, 0] * k * 111_320.0, c[:, 1] * 110_574.0]
        )
        return float(shapely.Point(lon * k * 111_320.0, lat * 110_574.0).distance(proj))


@pytest.fixture(scope="module")
def land(shared: Path) -> Land:
    return Land(shared / "natural-earth" / "ne_50m_land.json")


@pytest.fixture(scope="module")
def anchorages(shared: Path) -> np.ndarray:
    """Every GFW anchorage and WPI port point in the region, (n, 2) lon/lat."""
    a = pl.read_csv(shared / "gfw-anchorages" / "anchorage_overrides.csv")
    w = pl.read_csv(shared / "gfw-anchorages" / "WPI_ports.csv")
    pts = np.r_[
        a.select("longitude", "latitude").to_numpy(), w.select("longitude", "latitude").to_numpy()
    ]
    w0, s0, e0, n0 = REGION
    keep = (pts[:, 0] > w0) & (pts[:, 0] < e0) & (pts[:, 1] > s0) & (pts[:, 1] < n0)
    return pts[keep]


# --- identities --------------------------------------------------------------------------


def test_imo_check_digit_known_numbers() -> None:
    # real IMO numbers from the UN 1718 list and the MarineCadastre sample
    for imo in (9610810, 9018464, 8916293, 9307839, 8705539):
        assert imo_valid(imo)
        assert imo_check_digit(imo // 10) == imo % 10
    assert not imo_valid(9610811)


def test_vessel_identities_are_well_formed(sim: Sim) -> None:
    vessels = sim.truth["vessels"]
    assert len({v["mmsi"] for v in vessels}) == len(vessels) == 40
    for v in vessels:
        flag = FLAGS[v["flag"]]
        assert v["mmsi"] // 1_000_000 in flag.mids
        assert v["callsign"].startswith(flag.callsign_series)
        if v["class"] == "A":
            assert imo_valid(v["imo"])
        else:
            assert v["imo"] is None and v["ship_type"] == 30
        assert 1 <= len(v["name"]) <= 20 and re.fullmatch(r"[A-Z0-9 \-]+", v["name"])
        t = v["ship_type"]
        assert 80 <= t <= 89 if "tanker" in v["role"] else True
        assert 70 <= t <= 79 if "cargo" in v["role"] else True


def test_callsign_series_belong_to_the_flag(repo_data: Path) -> None:
    """Against the ITU tables shipped with stswatch: MID and call sign series, same country."""
    itu, mids = repo_data / "callsign_prefixes.csv", repo_data / "mid.csv"
    if not itu.exists() or not mids.exists():
        pytest.skip("ITU tables not in the package")
    series = pl.read_csv(itu, comment_prefix="#")
    mid = pl.read_csv(mids, comment_prefix="#")
    for flag in FLAGS.values():
        admins = set(mid.filter(pl.col("mid").is_in(list(flag.mids)))["administration"])
        assert len(admins) == 1, flag.iso3
        for prefix in flag.callsign_series:
            probe = (prefix + "AA")[:3]
            owner = series.filter((pl.col("first") <= probe) & (pl.col("last") >= probe))
            assert owner["administration"].to_list() == list(admins), (flag.iso3, prefix)


@pytest.fixture(scope="module")
def repo_data() -> Path:
    return Path(__file__).resolve().parent.parent / "src" / "stswatch" / "data"


# --- determinism -------------------------------------------------------------------------


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    cfg = SimConfig(seed=5, vessels=14, days=1.0)
    simulate(cfg, tmp_path / "a")
    simulate(cfg, tmp_path / "b")
    simulate(SimConfig(seed=6, vessels=14, days=1.0), tmp_path / "c")
    names = ["positions.nmea", "positions.csv", "truth.json", "README.txt"]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    for name in names[:3]:
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "c" / name).read_bytes(), name
    assert "SIMULATED" in (tmp_path / "a" / "README.txt").read_text()


# --- NMEA --------------------------------------------------------------------------------


def _xor_ok(body: list[str], given_hex: list[str]) -> np.ndarray:
    """Vectorised NMEA checksums: XOR of every character of each body."""
    raw = np.frombuffer("".join(body).encode("ascii"), dtype=np.uint8)
    lengths = np.array([len(b) for b in body])
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    xor = np.bitwise_xor.reduceat(raw, starts)
    return xor == np.array([int(h, 16) for h in given_hex])


def test_nmea_checksums_and_layout(sim: Sim) -> None:
    lines = (sim.out / "positions.nmea").read_text().splitlines()
    tag = r"\\(s:SIM-[A-Z]+,c:(\d{10}))\*([0-9A-F]{2})\\"
    sentence = r"!(AIVDM,[12],[12],\d?,[AB],[0-9:;<=>?@A-W`a-w]+,[0-5])\*([0-9A-F]{2})"
    pat = re.compile(f"^{tag}{sentence}$")
    found = [pat.match(line) for line in lines]
    assert all(found), next(ln for ln, x in zip(lines, found, strict=True) if not x)
    m = [x for x in found if x is not None]
    assert _xor_ok([x.group(1) for x in m], [x.group(3) for x in m]).all()
    assert _xor_ok([x.group(4) for x in m], [x.group(5) for x in m]).all()
    epochs = np.array([int(x.group(2)) for x in m])
    assert (np.diff(epochs) >= 0).all()  # time order
    firsts = sum(1 for x in m if x.group(4).startswith("AIVDM,2,1"))
    seconds = sum(1 for x in m if x.group(4).startswith("AIVDM,2,2"))
    assert firsts == seconds > 0


def test_nmea_decodes_and_matches_the_csv(sim: Sim) -> None:
    lines = (sim.out / "positions.nmea").read_text().splitlines()
    rng = np.random.default_rng(0)
    positions = [ln for ln in lines if re.search(r",1,1,,[AB],[13B]", ln)]
    assert len(positions) == sim.csv.height
    sample = [positions[i] for i in rng.choice(len(positions), 1500, replace=False)]
    csv = sim.csv.select("MMSI", "ts", "LAT", "LON", "SOG", "COG", "Heading", "TransceiverClass")
    keys: dict[tuple[int, int], list[tuple[Any, ...]]] = {}
    for row in csv.iter_rows():
        keys.setdefault((row[0], row[1]), []).append(row)
    for line in sample:
        tag, sentence = line[1:].split("\\", 1)
        epoch = int(tag.split("c:")[1].split("*")[0])
        msg: dict[str, Any] = pyais.decode(sentence).asdict()
        assert msg["msg_type"] in (1, 3, 18)
        assert msg["second"] == epoch % 60
        rows = keys[(msg["mmsi"], epoch)]
        assert any(
            abs(r[2] - msg["lat"]) < 2e-6
            and abs(r[3] - msg["lon"]) < 2e-6
            and abs(r[4] - msg["speed"]) < 0.051
            and abs(r[5] - msg["course"]) < 0.051
            and (r[7] == "B") == (msg["msg_type"] == 18)
            for r in rows
        ), (line, rows)


def test_static_reports_decode(sim: Sim) -> None:
    lines = (sim.out / "positions.nmea").read_text().splitlines()
    firsts = [i for i, ln in enumerate(lines) if "AIVDM,2,1," in ln][:300]
    names = {v["mmsi"]: v for v in sim.truth["vessels"]}
    for i in firsts:
        a, b = (ln.split("\\", 2)[2] for ln in lines[i : i + 2])
        msg: dict[str, Any] = pyais.decode(a, b).asdict()
        assert msg["msg_type"] == 5
        v = names[msg["mmsi"]]
        assert imo_valid(msg["imo"]) and msg["ship_type"] == v["ship_type"]
    type24 = [ln.split("\\", 2)[2] for ln in lines if re.search(r",1,1,,[AB],H", ln)][:100]
    assert type24, "Class B vessels send type 24"
    assert {pyais.decode(s).asdict()["msg_type"] for s in type24} == {24}


ROW = st.tuples(
    st.sampled_from([1, 3, 18]),  # message type
    st.integers(200_000_000, 775_999_999),  # MMSI
    st.integers(-1, 14),  # navigational status (-1: not defined)
    st.integers(0, 1022),  # speed, 0.1 kn
    st.integers(-108_000_000, 108_000_000),  # longitude, 1/10000 min
    st.integers(-54_000_000, 54_000_000),  # latitude, 1/10000 min
    st.integers(0, 3599),  # course, 0.1 degree
    st.integers(-1, 359),  # heading (-1: not available)
    st.integers(0, 59),  # second
    st.sampled_from(["A", "B"]),
)


@settings(max_examples=25, deadline=None)
@given(rows=st.lists(ROW, min_size=1, max_size=60))
def test_fast_position_encoder_equals_pyais(rows: list[tuple[Any, ...]]) -> None:
    c = list(zip(*rows, strict=True))
    mt, mmsi, status, heading, second = (np.array(c[k]) for k in (0, 1, 2, 7, 8))
    sog, cog = np.round(np.array(c[3]) / 10, 1), np.round(np.array(c[6]) / 10, 1)
    lon, lat = np.array(c[4]) / 600_000, np.array(c[5]) / 600_000
    payloads = position_payloads(mt, mmsi, status, sog, lon, lat, cog, heading, second)
    fast = single_sentences(payloads, np.array(c[9]))
    for k, row in enumerate(rows):
        d: dict[str, Any] = {
            "type": row[0],
            "msg_type": row[0],
            "mmsi": row[1],
            "speed": float(sog[k]),
            "lon": float(lon[k]),
            "lat": float(lat[k]),
            "course": float(cog[k]),
            "second": row[8],
            "accuracy": True,
            "maneuver": 0,
        }
        if row[0] == 18:
            d.update(heading=511, cs=True, dsc=True, band=True, msg22=True)
        else:
            d.update(status=15 if row[2] < 0 else row[2], heading=511 if row[7] < 0 else row[7])
        ref = pyais.encode_dict(d, talker_id="AI", sentence_type="VDM", radio_channel=row[9])
        assert fast[k] == ref[0]


def test_pyais_encoder_gives_the_same_file(tmp_path: Path) -> None:
    cfg = SimConfig(seed=3, vessels=6, days=0.5)
    simulate(cfg, tmp_path / "fast")
    simulate(cfg, tmp_path / "pyais", encoder="pyais")
    a = (tmp_path / "fast" / "positions.nmea").read_bytes()
    assert a == (tmp_path / "pyais" / "positions.nmea").read_bytes()


# --- geography ---------------------------------------------------------------------------


def _densify(a: tuple[float, float], b: tuple[float, float], step_m: float = 500.0) -> np.ndarray:
    n = max(2, int(haversine_m(*a, *b) / step_m) + 1)
    t = np.linspace(0, 1, n)[:, None]
    return np.asarray(a) + t * (np.asarray(b) - np.asarray(a))


def test_lanes_and_port_approaches_stay_at_sea(land: Land) -> None:
    for u, v in EDGES:
        pts = _densify(NODES[u], NODES[v])
        assert not land.on_land(pts[:, 0], pts[:, 1]).any(), (u, v)
    for key, port in PORTS.items():
        for a, b in zip(port.approach[:-1], port.approach[1:], strict=True):
            pts = _densify(a, b, 200.0)
            assert not land.on_land(pts[:, 0], pts[:, 1]).any(), key
        assert port.approach[-1] == NODES[port.node]


def test_zones_are_as_far_from_shore_as_they_claim(land: Land) -> None:
    for zone in [*ZONES.values(), *FISHING_GROUNDS.values()]:
        for n in zone.nodes:
            assert zone.contains(*NODES[n]), (zone.key, n)
        ring = [*zone.vertices, zone.vertices[0]]
        for a, b in zip(ring[:-1], ring[1:], strict=True):
            for lon, lat in _densify(a, b, 20_000.0):
                assert land.shore_m(lon, lat) >= zone.min_shore_m, (zone.key, lon, lat)
    for key in ("ECS_OPEN", "YS_OPEN"):  # where gaps are injected: beyond 60 nm
        assert ZONES[key].min_shore_m > 60 * METERS_PER_NM


def test_no_simulated_position_on_land(sim: Sim, land: Land) -> None:
    lon, lat = sim.csv["LON"].to_numpy(), sim.csv["LAT"].to_numpy()
    hit = land.on_land(lon, lat)
    assert not hit.any(), sim.csv.filter(pl.Series(hit)).head()
    w, s, e, n = REGION
    assert lon.min() > w and lon.max() < e and lat.min() > s and lat.max() < n


# --- truth against the data --------------------------------------------------------------


def _nearest_in_time(a: pl.DataFrame, b: pl.DataFrame, within_s: int) -> pl.DataFrame:
    return (
        a.sort("ts")
        .join_asof(
            b.sort("ts").select(
                "ts",
                pl.col("LON").alias("LON_b"),
                pl.col("LAT").alias("LAT_b"),
                pl.col("ts").alias("ts_b"),
            ),
            on="ts",
            strategy="nearest",
            tolerance=within_s,
        )
        .drop_nulls("ts_b")
    )


def test_every_kind_of_event_and_decoy_is_injected(sim: Sim) -> None:
    kinds = {(e["type"], e["subtype"]) for e in sim.truth["events"] if not e["optional"]}
    assert {
        ("encounter", None),
        ("loitering", None),
        ("gap", None),
        ("port_visit", None),
        ("spoofing", "impossible_speed"),
        ("spoofing", "mmsi_collision"),
        ("identity_change", "name"),
        ("identity_change", "callsign"),
        ("identity_change", "imo"),
    } <= kinds
    assert {d["kind"] for d in sim.truth["decoys"]} == {
        "crossing",
        "short_meeting",
        "port_pair",
        "port_wait",
        "short_gap",
        "gap_near_shore",
    }
    assert any("dark_sts_with" in e["details"] for e in sim.events("gap"))
    for e in sim.truth["events"] + sim.truth["decoys"]:
        assert e["start"] <= e["end"]
        if e["other_mmsi"] is not None:
            assert e["mmsi"] < e["other_mmsi"]


def test_encounters_are_close_slow_and_away_from_ports(
    sim: Sim, land: Land, anchorages: np.ndarray
) -> None:
    encounters = sim.events("encounter")
    assert encounters
    for e in encounters:
        assert 3.0 <= e["duration_h"] <= 8.0
        a = sim.rows(e["mmsi"], e["start"], e["end"])
        b = sim.rows(e["other_mmsi"], e["start"], e["end"])
        assert a.height >= 10 and b.height >= 10
        assert _num(a["SOG"].max()) < 1.0 and _num(b["SOG"].max()) < 1.0
        pairs = _nearest_in_time(a, b, within_s=300)
        assert pairs.height >= 5
        d = haversine_m(pairs["LON"], pairs["LAT"], pairs["LON_b"], pairs["LAT_b"])
        assert d.max() < 500.0 and d.max() < 200.0 + 150.0  # 40-120 m apart plus drift and noise
        to_port = haversine_m(e["lon"], e["lat"], anchorages[:, 0], anchorages[:, 1]).min()
        assert to_port >= 30_000.0, e["id"]
        if "draught_change" in e["details"]:
            dc = e["details"]["draught_change"]
            drafts = sim.rows(dc["mmsi"])
            before = drafts.filter(pl.col("ts") < _epoch(e["start"]))["Draft"].unique()
            after = drafts.filter(pl.col("ts") > _epoch(dc["at"]))["Draft"].unique()
            assert before.to_list() == [dc["before_m"]] and after.to_list() == [dc["after_m"]]


def test_loitering_is_slow_and_far_from_shore(sim: Sim, land: Land) -> None:
    for e in sim.events("loitering"):
        assert 4.5 <= e["duration_h"] <= 10.0
        r = sim.rows(e["mmsi"], e["start"], e["end"])
        assert r.height >= 10 and _num(r["SOG"].max()) < 1.5
        assert land.shore_m(e["lon"], e["lat"]) > 20 * METERS_PER_NM


def test_gaps_are_silent_long_and_far_at_sea(sim: Sim, land: Land) -> None:
    lines = (sim.out / "positions.nmea").read_text().splitlines()
    epochs = np.array([int(ln.split("c:")[1][:10]) for ln in lines])
    gaps = sim.events("gap")
    assert gaps
    for e in gaps:
        assert 14.0 <= e["duration_h"] <= 41.0
        inside = sim.rows(e["mmsi"]).filter(
            (pl.col("ts") > _epoch(e["start"])) & (pl.col("ts") < _epoch(e["end"]))
        )
        assert inside.height == 0
        assert sim.rows(e["mmsi"], e["start"], e["start"]).height >= 1  # reports bound it
        assert sim.rows(e["mmsi"], e["end"], e["end"]).height >= 1
        for lon, lat in (e["details"]["start_lonlat"], e["details"]["end_lonlat"]):
            assert land.shore_m(lon, lat) > 60 * METERS_PER_NM
        assert e["details"]["moved_km"] > 5.0  # moving on meanwhile
        # no static report either while AIS was off
        off = [_epoch(t) for t in e["details"]["ais_off"]]
        lo, hi = np.searchsorted(epochs, [off[0], off[1] + 1])
        for k in range(lo, hi):
            if "AIVDM,2,2," in lines[k]:
                first, second = (ln.split("\\", 2)[2] for ln in lines[k - 1 : k + 1])
                assert pyais.decode(first, second).asdict()["mmsi"] != e["mmsi"]
        assert _epoch(e["start"]) <= off[0] < off[1] <= _epoch(e["end"])


def test_dark_sts_partner_waits_while_the_tanker_is_dark(sim: Sim) -> None:
    dark = [e for e in sim.events("gap") if "dark_sts_with" in e["details"]]
    for g in dark:
        partner = g["details"]["dark_sts_with"]
        waits = [e for e in sim.events("loitering") if e["mmsi"] == partner]
        assert waits and g["start"] < waits[0]["start"] < waits[0]["end"] < g["end"]
        hidden = [
            e
            for e in sim.events("encounter", optional=True)
            if {e["mmsi"], e["other_mmsi"]} == {g["mmsi"], partner}
        ]
        assert hidden and "hidden" in hidden[0]["details"]


def test_spoofing_shows_in_the_positions(sim: Sim) -> None:
    for e in sim.events("spoofing"):
        r = sim.rows(e["mmsi"]).sort("ts")
        lon, lat, ts = r["LON"].to_numpy(), r["LAT"].to_numpy(), r["ts"].to_numpy()
        step_m = haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:])
        dt = np.maximum(np.diff(ts), 1)
        kn = step_m / dt / 0.514444
        window = (ts[1:] >= _epoch(e["start"]) - 3600) & (ts[:-1] <= _epoch(e["end"]) + 3600)
        assert (kn[window] > 200).sum() >= 2, e["id"]  # out to the false place and back
        assert (kn[~window] > 200).sum() == 0
        if e["subtype"] == "mmsi_collision":
            assert (kn[window] > 200).sum() >= 10  # two transmitters interleave for hours


def test_identity_changes_show_in_the_reports(sim: Sim) -> None:
    col = {"name": "VesselName", "callsign": "CallSign", "imo": "IMO"}
    for e in sim.events("identity_change"):
        c = col[e["subtype"]]
        r = sim.rows(e["mmsi"])
        before = r.filter(pl.col("ts") < _epoch(e["start"]))[c].unique().to_list()
        after = r.filter(pl.col("ts") > _epoch(e["end"]))[c].unique().to_list()
        fmt = (lambda v: f"IMO{v}") if c == "IMO" else str  # noqa: E731
        assert before == [fmt(e["details"]["before"])] and after == [fmt(e["details"]["after"])]
        assert e["duration_h"] < 3.0


def test_decoys_are_what_they_say(sim: Sim, anchorages: np.ndarray) -> None:
    for d in sim.decoys("crossing"):
        assert d["details"]["min_distance_m"] < 500.0
        assert min(d["details"]["sog_at_closest_kn"]) >= 10.0
        for m in (d["mmsi"], d["other_mmsi"]):  # heard at speed around the pass
            r = sim.rows(m).filter((pl.col("ts") - _epoch(d["start"])).abs() < 1200)
            assert r.height >= 1 and _num(r["SOG"].min()) >= 10.0
    for d in sim.decoys("short_meeting"):
        assert d["duration_h"] <= 35 / 60
        a = sim.rows(d["mmsi"], d["start"], d["end"])
        assert _num(a["SOG"].max()) < 1.0
    for d in sim.decoys("port_pair"):
        port = PORTS[d["details"]["port"]]
        a = sim.rows(d["mmsi"], d["start"], d["end"])
        b = sim.rows(d["other_mmsi"], d["start"], d["end"])
        for r in (a, b):
            assert r.height >= 3
            assert haversine_m(r["LON"], r["LAT"], port.wpi_lon, port.wpi_lat).max() < 5_000.0
        pairs = _nearest_in_time(a, b, within_s=600)
        assert haversine_m(pairs["LON"], pairs["LAT"], pairs["LON_b"], pairs["LAT_b"]).max() < 500
    for d in sim.decoys("short_gap"):
        assert d["duration_h"] < 6.0
    for d in sim.decoys("gap_near_shore"):
        assert 14.0 <= d["duration_h"] <= 31.0
        to_port = haversine_m(d["lon"], d["lat"], anchorages[:, 0], anchorages[:, 1]).min()
        assert to_port < 20_000.0


def test_report_intervals_and_message_classes(sim: Sim) -> None:
    classes = {v["mmsi"]: v["class"] for v in sim.truth["vessels"]}
    df = sim.csv.sort("MMSI", "ts").with_columns(pl.col("ts").diff().over("MMSI").alias("dt"))
    moving = df.filter((pl.col("SOG") > 5) & (pl.col("dt") < 600))
    assert 55 <= _num(moving["dt"].median()) <= 65  # thinned to about one a minute
    moored = df.filter((pl.col("Status") == 5) & (pl.col("dt") < 900))
    assert 170 <= _num(moored["dt"].median()) <= 190  # three minutes
    got = dict(df.select("MMSI", "TransceiverClass").unique().iter_rows())
    assert got == {m: c for m, c in classes.items() if m in got}


def test_csv_layout(sim: Sim) -> None:
    header = (sim.out / "positions.csv").read_text().split("\n", 1)[0]
    assert header == (
        "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,"
        "VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass"
    )
    imo = sim.csv["IMO"].drop_nulls()
    assert imo.str.contains(r"^IMO\d{7}$").all()
    assert sim.csv["BaseDateTime"].str.contains(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$").all()


def test_port_visits_are_at_ports(sim: Sim) -> None:
    spoofed = {e["mmsi"] for e in sim.events("spoofing")}
    visits = [v for v in sim.events("port_visit") if v["mmsi"] not in spoofed]
    assert len(visits) >= 40
    for v in visits:
        port = PORTS[v["details"]["port"]]
        r = sim.rows(v["mmsi"], v["start"], v["end"])
        if r.height:
            assert haversine_m(r["LON"], r["LAT"], *port.berth).max() < 2_000.0


def test_sanctioned_names_and_the_cli(tmp_path: Path, shared: Path) -> None:
    from stswatch.cli import app, sim  # noqa: F401

    listed = shared / "un-1718-vessels" / "un_1718_designated_vessels_extracted.csv"
    res = CliRunner().invoke(
        app,
        [
            "simulate",
            "--seed",
            "2",
            "--vessels",
            "20",
            "--days",
            "1",
            "--start",
            "2024-06-01",
            "--out",
            str(tmp_path),
            "--sanctioned-from",
            str(listed),
            "--no-nmea",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "truth events" in res.output
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert truth["params"]["start"] == "2024-06-01T00:00:00Z"
    named = [v for v in truth["vessels"] if v["sanctioned"]]
    assert named and all(imo_valid(v["imo"]) for v in named)
    un = pl.read_csv(listed)
    assert {v["imo"] for v in named} <= set(un["imo"].cast(pl.Int64, strict=False).to_list())
    assert not (tmp_path / "positions.nmea").exists()


def test_positions_at_sea_by_the_stswatch_land_mask(sim: Sim) -> None:
    """The detectors' own geography (Natural Earth 10m with minor islands), when installed."""
    geo_mod = pytest.importorskip("stswatch.geo")
    geo = geo_mod.default_geo()
    lon, lat = sim.csv["LON"].to_numpy(), sim.csv["LAT"].to_numpy()
    hit = geo.on_land(lon, lat)
    assert not hit.any(), sim.csv.filter(pl.Series(hit)).head()
    for e in sim.events("gap"):
        ends = np.array([e["details"]["start_lonlat"], e["details"]["end_lonlat"]])
        assert (geo.distance_to_shore_m(ends[:, 0], ends[:, 1]) > 60 * METERS_PER_NM).all()
    for e in sim.events("encounter"):
        assert geo.distance_to_port_m(np.array([e["lon"]]), np.array([e["lat"]]))[0] > 30_000.0


def test_every_berth_is_a_port_or_anchorage_of_the_shipped_geography():
    # Truth port visits happen at berths; the port-visit detector enters at 3 km of a port
    # or anchorage point, so every berth must lie that close to one in stswatch.geo.
    import numpy as np

    from stswatch.detect.port_visit import Params as PortParams
    from stswatch.geo import default_geo
    from stswatch.simulate.ports import PORTS

    lon = np.array([p.berth[0] for p in PORTS.values()])
    lat = np.array([p.berth[1] for p in PORTS.values()])
    dist = default_geo().distance_to_port_m(lon, lat)
    far = {
        k: round(float(d))
        for k, d in zip(PORTS, dist, strict=True)
        if d >= PortParams().entry_distance_m
    }
    assert far == {}
