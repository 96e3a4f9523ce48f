"""What the scenarios decide: which vessels take part, and the records they leave behind.

``allocate`` picks the scenarios and their vessels; ``Injection`` carries every decision to
the planner (pinned schedule parts), the reporting (AIS-off windows, false positions, a
second transmitter, identity changes) and ``truth`` (``Draft`` records, finished once the
reports exist).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stswatch.simulate.identities import CLASS_A, Identity, Vessel
from stswatch.simulate.motion import LonLat, TrackArrays
from stswatch.simulate.traffic import Fixed

# How many of each, for 60 vessels over 3 days (scaled by vessels x days, at least one
# each while vessels last). The order is the priority when vessels run short.
BASE_COUNTS: dict[str, int] = {
    "encounter": 4,
    "gap": 2,
    "loitering": 2,
    "identity_name": 1,
    "impossible_speed": 2,
    "crossing": 2,
    "port_pair": 2,
    "identity_callsign": 1,
    "dark_sts": 1,
    "short_meeting": 1,
    "identity_imo": 1,
    "mmsi_collision": 1,
    "short_gap": 2,
    "gap_near_shore": 1,
}
PAIRED = ("encounter", "dark_sts", "crossing", "port_pair", "short_meeting")
NEEDS_CLASS_A = (
    "identity_name",
    "identity_callsign",
    "identity_imo",
    "impossible_speed",
    "mmsi_collision",
)
LONG_GAPS = ("gap", "dark_sts", "gap_near_shore")  # need about a day of room
ROLE_PREFS: dict[str, tuple[tuple[str, ...], ...]] = {
    "encounter": (("dprk_tanker", "foc_tanker"), ("foc_tanker", "tanker")),
    "dark_sts": (("dprk_tanker", "foc_tanker"), ("foc_tanker", "tanker")),
    "loitering": (("foc_tanker", "tanker", "dprk_tanker"),),
    "gap": (("foc_tanker", "dprk_cargo", "dprk_tanker", "tanker"),),
    "crossing": (("cargo",), ("cargo", "tanker")),
}


@dataclass
class Draft:
    """A truth record; ``how`` says how to find its times once the reports exist."""

    record: dict[str, Any]
    how: str = "planned"  # planned | gap | identity | jump | ghost | crossing
    ref: dict[str, Any] = field(default_factory=dict)
    decoy: bool = False


@dataclass
class Jump:
    """Reports of ``vessel`` from ``t_s`` on, ``n_reports`` of them, placed at ``point``."""

    vessel: int
    t_s: float
    n_reports: int
    point: LonLat


@dataclass
class Ghost:
    """A second transmitter using ``vessel``'s MMSI, with its own track."""

    vessel: int
    track: TrackArrays


@dataclass
class Injection:
    """Everything the scenarios decided, consumed by the planner and the reporting."""

    tasks: list[tuple[str, list[int]]] = field(default_factory=list)  # kind, vessel indices
    spare: list[int] = field(default_factory=list)  # vessels in no scenario (not fishing)
    fixed: dict[int, Fixed] = field(default_factory=dict)
    off: dict[int, list[tuple[float, float]]] = field(default_factory=dict)  # AIS off
    id_changes: dict[int, list[tuple[float, Identity]]] = field(default_factory=dict)
    jumps: list[Jump] = field(default_factory=list)
    ghosts: list[Ghost] = field(default_factory=list)
    drafts: list[Draft] = field(default_factory=list)


def event(event_type: str, **fields: Any) -> dict[str, Any]:
    """A truth record with the fields every event has."""
    rec: dict[str, Any] = {"type": event_type, "subtype": None, "other_mmsi": None}
    rec.update(fields)
    return rec


def _candidates(
    fleet: list[Vessel], pool: list[int], kind: str, pref: tuple[str, ...], taken: list[int]
) -> list[int]:
    ok = [
        i
        for i in pool
        if i not in taken and (kind not in NEEDS_CLASS_A or fleet[i].klass == CLASS_A)
    ]
    preferred = [i for i in ok if fleet[i].role in pref]
    return preferred or ok


def allocate(fleet: list[Vessel], days: float, rng: np.random.Generator) -> Injection:
    """Choose the scenarios and their vessels, round-robin over kinds while vessels last."""
    scale = len(fleet) / 60.0 * days / 3.0
    wanted = {k: max(1, round(n * scale)) for k, n in BASE_COUNTS.items()}
    if days * 24.0 < 22.0:  # no room for a 14 h gap with some track around it
        for k in LONG_GAPS:
            wanted[k] = 0
    pool = [int(i) for i in rng.permutation(len(fleet)) if fleet[int(i)].role != "fishing"]
    inj = Injection()
    done = dict.fromkeys(wanted, 0)
    progressed = True
    while progressed:
        progressed = False
        for kind in BASE_COUNTS:
            if done[kind] >= wanted[kind]:
                continue
            need = 2 if kind in PAIRED else 1
            prefs = ROLE_PREFS.get(kind, ())
            chosen: list[int] = []
            for n in range(need):
                cands = _candidates(fleet, pool, kind, prefs[n] if n < len(prefs) else (), chosen)
                if cands:
                    chosen.append(cands[0])
            if len(chosen) < need:
                continue
            for i in chosen:
                pool.remove(i)
                fleet[i].uses.append(kind)
            inj.tasks.append((kind, chosen))
            done[kind] += 1
            progressed = True
    inj.spare = pool
    return inj
