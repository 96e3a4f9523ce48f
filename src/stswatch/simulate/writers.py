"""Files: ``positions.nmea``, ``positions.csv``, ``truth.json`` and ``README.txt``.

``positions.nmea`` holds !AIVDM sentences (types 1/3 for Class A, 18 for Class B, 5 in two
parts and 24 A/B for statics), each behind an NMEA 4.0 tag block
``\\s:SIM-<station>,c:<epoch seconds>*hh\\``; payloads are built with ``pyais.encode_dict``
(static payloads once per distinct content, channel and sequence id). ``positions.csv`` has
the MarineCadastre columns, one row per position report heard, with the identity in force at
that time (as MarineCadastre joins it), IMO written ``IMO1234567``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyais

from stswatch.simulate.aivdm import position_payloads, single_sentences, tag_blocks
from stswatch.simulate.receivers import STATION_NAMES
from stswatch.simulate.simulator import World

CSV_COLUMNS = [
    "MMSI",
    "BaseDateTime",
    "LAT",
    "LON",
    "SOG",
    "COG",
    "Heading",
    "VesselName",
    "IMO",
    "CallSign",
    "VesselType",
    "Status",
    "Length",
    "Width",
    "Draft",
    "Cargo",
    "TransceiverClass",
]

README = """\
SIMULATED AIS DATA - NOT REAL SHIPS

Made by `stswatch simulate` (seed {seed}, {vessels} vessels, {days:g} days from {start}).
Every vessel, name, MMSI, IMO number and call sign here is invented (unless a sanctions list
was given with --sanctioned-from: then some tankers carry real listed names and IMO numbers,
and still never made these voyages). Ports are real (World Port Index via GFW pipe-anchorages).

Files
  positions.nmea  AIVDM sentences with NMEA 4.0 tag blocks (s: receiver, c: epoch seconds)
  positions.csv   the same position reports in the MarineCadastre CSV layout
  truth.json      injected events, decoys that must not be detected, and the vessels

Report rates are thinned to at most one position report per vessel per {interval_s} s
(one per {slow_s} s at anchor or moored); statics every {static_s} s. Check detections with
`stswatch evaluate --truth truth.json`.
"""


def _position_dict(r: Any, k: int) -> dict[str, Any]:
    mt = int(r.msg_type[k])
    d: dict[str, Any] = {
        "type": mt,
        "msg_type": mt,  # pyais takes the type of types 1-3 from this field
        "mmsi": int(r.mmsi[k]),
        "speed": float(r.sog[k]),
        "lon": float(r.lon[k]),
        "lat": float(r.lat[k]),
        "course": float(r.cog[k]),
        "second": int(r.ts[k]) % 60,
        "accuracy": True,
        "maneuver": 0,
    }
    if mt == 18:
        d.update(heading=511, cs=True, dsc=True, band=True, msg22=True)
    else:
        hd = int(r.heading[k])
        d.update(status=int(r.status[k]), heading=511 if hd < 0 else hd)
    return d


def _static_dicts(v: Any) -> list[dict[str, Any]]:
    i = v.identity
    dims = {
        "to_bow": i.to_bow,
        "to_stern": i.to_stern,
        "to_port": i.to_port,
        "to_starboard": i.to_starboard,
    }
    if v.klass == "B":
        return [
            {"type": 24, "partno": 0, "mmsi": v.mmsi, "shipname": i.name},
            {
                "type": 24,
                "partno": 1,
                "mmsi": v.mmsi,
                "ship_type": i.ship_type,
                "callsign": i.callsign,
                "vendorid": "SIM",
                **dims,
            },
        ]
    eta = v.eta
    return [
        {
            "type": 5,
            "mmsi": v.mmsi,
            "ais_version": 0,
            "imo": i.imo or 0,
            "callsign": i.callsign,
            "shipname": i.name,
            "ship_type": i.ship_type,
            **dims,
            "epfd": 1,
            "draught": i.draught_m,
            "destination": v.destination,
            "month": eta.month if eta else 0,
            "day": eta.day if eta else 0,
            "hour": eta.hour if eta else 24,
            "minute": eta.minute if eta else 60,
            "dte": 0,
        }
    ]


def write_nmea(world: World, path: Path, encoder: str = "fast") -> int:
    """All reports in time order; returns the number of lines.

    ``encoder`` "fast" packs position reports with NumPy (``aivdm``), "pyais" calls
    ``pyais.encode_dict`` for every message; both give the same bytes.
    """
    r, s = world.reports, world.statics
    rng = np.random.default_rng([world.config.seed, 20])
    ch_r = np.where(rng.random(r.ts.size) < 0.5, "A", "B")
    ch_s = np.where(rng.random(s.ts.size) < 0.5, "A", "B")
    tags_r = tag_blocks(list(STATION_NAMES), r.station, r.ts)
    tags_s = tag_blocks(list(STATION_NAMES), s.station, s.ts)
    if encoder == "fast":
        payloads = position_payloads(
            r.msg_type, r.mmsi, r.status, r.sog, r.lon, r.lat, r.cog, r.heading, r.ts % 60
        )
        pos = single_sentences(payloads, ch_r)
    elif encoder == "pyais":
        pos = [
            pyais.encode_dict(
                _position_dict(r, k),
                talker_id="AI",
                sentence_type="VDM",
                radio_channel=str(ch_r[k]),
            )[0]
            for k in range(r.ts.size)
        ]
    else:
        raise ValueError(f"unknown encoder {encoder!r}")
    cache: dict[tuple[int, str, int], list[str]] = {}
    static_lines: list[list[str]] = []
    seq = 0
    for k in range(s.ts.size):
        ver, ch = int(s.version[k]), str(ch_s[k])
        key = (ver, ch, seq)
        if key not in cache:
            cache[key] = [
                x
                for d in _static_dicts(s.table[ver])
                for x in pyais.encode_dict(
                    d, talker_id="AI", sentence_type="VDM", radio_channel=ch, seq_id=seq
                )
            ]
        sentences = cache[key]
        static_lines.append([tags_s[k] + x for x in sentences])
        if s.table[ver].klass == "A":  # type 5 takes two sentences and a sequence id
            seq = (seq + 1) % 10
    ts = np.r_[r.ts, s.ts]
    kind = np.r_[np.zeros(r.ts.size, np.int8), np.ones(s.ts.size, np.int8)]
    idx = np.r_[np.arange(r.ts.size), np.arange(s.ts.size)]
    lines: list[str] = []
    for o in np.lexsort((idx, kind, ts)).tolist():
        k = int(idx[o])
        if kind[o] == 0:
            lines.append(tags_r[k] + pos[k])
        else:
            lines.extend(static_lines[k])
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return len(lines)


def csv_frame(world: World) -> pl.DataFrame:
    """The position reports as a MarineCadastre frame (one row per report heard)."""
    r = world.reports
    n = r.ts.size
    name = np.empty(n, dtype=object)
    imo = np.empty(n, dtype=object)
    callsign = np.empty(n, dtype=object)
    vtype = np.zeros(n, np.int64)
    length = np.zeros(n, np.int64)
    width = np.zeros(n, np.int64)
    draft = np.zeros(n, np.float64)
    klass = np.empty(n, dtype=object)
    vessel = np.where(r.tx < len(world.fleet), r.tx, -1)
    for g, ghost in enumerate(world.injection.ghosts):
        vessel[r.tx == len(world.fleet) + g] = ghost.vessel  # MarineCadastre joins by MMSI
    for i, v in enumerate(world.fleet):
        m = np.nonzero(vessel == i)[0]
        times, idents = world.id_table[i]
        which = np.searchsorted(times, r.ts[m], side="right")
        for j, ident in enumerate(idents):
            sel = m[which == j]
            name[sel] = ident.name
            imo[sel] = f"IMO{ident.imo}" if ident.imo else None
            callsign[sel] = ident.callsign
            vtype[sel] = ident.ship_type
            length[sel] = ident.length_m
            width[sel] = ident.width_m
            draft[sel] = ident.draught_m
            klass[sel] = v.klass
    stamp = np.datetime_as_string(r.ts.astype("datetime64[s]"), unit="s")
    return pl.DataFrame(
        {
            "MMSI": r.mmsi,
            "BaseDateTime": stamp,
            "LAT": np.round(r.lat, 6),
            "LON": np.round(r.lon, 6),
            "SOG": np.round(r.sog, 1),
            "COG": np.round(r.cog, 1),
            "Heading": np.where(r.heading < 0, 511, r.heading),
            "VesselName": pl.Series(name.tolist(), dtype=pl.String),
            "IMO": pl.Series(imo.tolist(), dtype=pl.String),
            "CallSign": pl.Series(callsign.tolist(), dtype=pl.String),
            "VesselType": vtype,
            "Status": r.status,
            "Length": length,
            "Width": width,
            "Draft": np.round(draft, 1),
            "Cargo": vtype,
            "TransceiverClass": pl.Series(klass.tolist(), dtype=pl.String),
        }
    ).with_columns(pl.when(pl.col("Status") >= 0).then(pl.col("Status")).alias("Status"))


def write_outputs(
    world: World, out: Path, *, nmea: bool = True, encoder: str = "fast"
) -> dict[str, Any]:
    """Write every file into ``out``; returns counts and seconds per file."""
    from stswatch.simulate.truth import truth

    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    csv_frame(world).write_csv(out / "positions.csv")
    timings["positions.csv"] = time.perf_counter() - t
    t = time.perf_counter()
    doc = truth(world)
    (out / "truth.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    timings["truth.json"] = time.perf_counter() - t
    cfg = world.config
    (out / "README.txt").write_text(
        README.format(
            seed=cfg.seed,
            vessels=cfg.vessels,
            days=cfg.days,
            start=cfg.params()["start"],
            interval_s=cfg.interval_s,
            slow_s=3 * cfg.interval_s,
            static_s=cfg.static_interval_s,
        ),
        encoding="utf-8",
    )
    lines = 0
    if nmea:
        t = time.perf_counter()
        lines = write_nmea(world, out / "positions.nmea", encoder)
        timings["positions.nmea"] = time.perf_counter() - t
    return {
        "positions": int(world.reports.ts.size),
        "statics": int(world.statics.ts.size),
        "nmea_lines": lines,
        "events": len(doc["events"]),
        "decoys": len(doc["decoys"]),
        "truth": doc,
        "timings_s": timings,
    }
