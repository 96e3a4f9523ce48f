"""Voyages: each vessel's schedule of port calls and passages, as a ``Track`` of keyframes.

Merchant ships sail port to port over the lane graph and stay 6-30 h in each port (moored
at the berth or swinging at anchor next to it). Fishing vessels leave their home port for a
fishing ground, trawl at 2.5-4.5 kn for 8-20 h and come back. A scenario can pin part of a
vessel's schedule (``Fixed``: be at this point at this time, then follow these keyframes);
the planner then works backwards to when the ship must have left its previous port and
forwards from where the pinned part ends, so every vessel covers the whole simulated period.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from stswatch.simulate.identities import Vessel
from stswatch.simulate.lanes import (
    FISHING_GROUNDS,
    FISHING_HOME,
    polyline_length_m,
    route,
    route_from_point,
    route_length_m,
    route_to_point,
)
from stswatch.simulate.motion import ANCHORED, FISHING, MOORED, UNDERWAY, LonLat, Track, offset
from stswatch.simulate.ports import PORTS
from stswatch.units import KNOTS_TO_MPS, haversine_m

HOUR_S = 3600.0
PORT_STAY_H = (6.0, 30.0)
BERTH_SPREAD_M = 250.0  # ships at a port lie within this of its berth point


@dataclass(frozen=True)
class Via:
    """How a route reaches a pinned point: through lane nodes, or through a port's approach."""

    nodes: tuple[str, ...] = ()
    port: str | None = None


@dataclass
class Fixed:
    """A pinned part of a schedule: at ``point_in`` at ``t_in``, then ``frames``."""

    t_in: float
    point_in: LonLat
    via_in: Via
    via_out: Via
    frames: list[tuple[float, LonLat, int, int]] = field(default_factory=list)  # t, pt, mode, st
    origin: str | None = None
    dest: str | None = None
    speed_kn: float | None = None
    path_in: list[LonLat] | None = None  # origin berth to point_in, when the scenario chose it
    path_out: list[LonLat] | None = None  # exit point to the destination berth

    @property
    def t_out(self) -> float:
        return self.frames[-1][0] if self.frames else self.t_in

    @property
    def point_out(self) -> LonLat:
        return self.frames[-1][1] if self.frames else self.point_in


@dataclass
class Schedule:
    """What the planner decided for one vessel: its track and its port calls."""

    track: Track
    calls: list[tuple[str, float, float]] = field(default_factory=list)  # port, arrive, depart
    voyages: list[tuple[float, float, str]] = field(default_factory=list)  # depart, arrive, dest


def _path_to(origin: str, point: LonLat, via: Via, rng: np.random.Generator) -> list[LonLat]:
    if via.port is not None:
        if via.port == origin:
            return [PORTS[origin].berth, point]
        return route(PORTS[origin], PORTS[via.port], rng) + [point]
    return route_to_point(PORTS[origin], via.nodes, point, rng)


def _path_from(point: LonLat, via: Via, dest: str, rng: np.random.Generator) -> list[LonLat]:
    if via.port is not None:
        if via.port == dest:
            return [point, PORTS[dest].berth]
        return [point] + route(PORTS[via.port], PORTS[dest], rng)
    return route_from_point(point, via.nodes, PORTS[dest], rng)


def _next_port(v: Vessel, here: str, rng: np.random.Generator) -> str:
    """Another port the vessel trades with, preferring ones within about two days."""
    options = [p for p in v.home_ports if p != here] or [p for p in PORTS if p != here]
    if v.flag == "PRK" and here == "NAMPO":
        options = ["DALIAN", "LONGKOU", "YANTAI", "DANDONG", "NINGBO"]
    elif v.flag == "PRK":
        options = ["NAMPO"]
    lengths = np.array([route_length_m(PORTS[here], PORTS[p]) for p in options])
    weights = np.exp(-lengths / 800_000.0)
    return str(rng.choice(options, p=weights / weights.sum()))


def _berth_spot(port: str, rng: np.random.Generator) -> LonLat:
    lon, lat = PORTS[port].berth
    a = rng.uniform(0, 2 * np.pi)
    r = rng.uniform(0, BERTH_SPREAD_M)
    return offset(lon, lat, r * np.sin(a), r * np.cos(a))


class Planner:
    """Builds schedules for a window [t0, t1] (epoch seconds)."""

    def __init__(self, t0: float, t1: float) -> None:
        self.t0 = t0
        self.t1 = t1

    def plan(self, v: Vessel, fixed: Fixed | None, rng: np.random.Generator) -> Schedule:
        if v.role == "fishing":
            return self._fishing(v, rng)
        speed = v.speed_kn
        if fixed is None:
            here = str(rng.choice(v.home_ports))
            if rng.random() < 0.35:  # in port when the window opens
                dep = self.t0 + rng.uniform(0.0, 24.0) * HOUR_S
                sched = self._history(v, here, dep, rng, stay_h=rng.uniform(2.0, 30.0))
            else:
                dest = _next_port(v, here, rng)
                length = route_length_m(PORTS[here], PORTS[dest])
                dep = self.t0 - rng.uniform(0.0, 1.0) * length / (speed * KNOTS_TO_MPS)
                sched = self._history(v, here, dep, rng)
                self._voyage(sched, here, dest, speed, rng)
                here = dest
            self._forward(v, sched, here, rng)
            return sched
        origin = fixed.origin or self._nearest_home(v, fixed.point_in, fixed.via_in.port, rng)
        path_in = fixed.path_in or _path_to(origin, fixed.point_in, fixed.via_in, rng)
        v_in = fixed.speed_kn or speed * rng.uniform(0.95, 1.05)
        dep = fixed.t_in - polyline_length_m(path_in) / (v_in * KNOTS_TO_MPS)
        dest = fixed.dest or _next_port(v, fixed.via_out.port or origin, rng)
        if fixed.via_out.port is not None and fixed.via_out.port == dest:
            dest = _next_port(v, dest, rng)
        sched = self._history(v, origin, dep, rng)
        sched.track.go_until(path_in, fixed.t_in)
        sched.voyages.append((dep, fixed.t_in, fixed.via_in.port or dest))
        for t, pt, mode, status in fixed.frames:
            sched.track.add(t, pt, mode, status)
        path_out = fixed.path_out or _path_from(fixed.point_out, fixed.via_out, dest, rng)
        t_dep = sched.track.now
        sched.track.go(path_out, fixed.speed_kn or speed * rng.uniform(0.95, 1.05))
        if fixed.via_out.port is not None:  # the pinned part was a stay in that port
            sched.calls.append((fixed.via_out.port, fixed.t_in, fixed.t_out))
        sched.voyages.append((t_dep, sched.track.now, dest))
        self._forward(v, sched, dest, rng)
        return sched

    def _nearest_home(
        self, v: Vessel, point: LonLat, exclude: str | None, rng: np.random.Generator
    ) -> str:
        """One of the vessel's four home ports nearest to ``point`` (not ``exclude``)."""
        ports = [p for p in v.home_ports if p != exclude] or [p for p in PORTS if p != exclude]
        d = np.array([haversine_m(*PORTS[p].berth, *point) for p in ports])
        near = [ports[i] for i in np.argsort(d)[: max(1, min(4, len(ports)))]]
        return str(rng.choice(near))

    def _history(
        self,
        v: Vessel,
        port: str,
        t_dep: float,
        rng: np.random.Generator,
        stay_h: float | None = None,
    ) -> Schedule:
        """Earlier port calls and voyages, backwards from leaving ``port`` at ``t_dep``."""
        calls: list[tuple[str, float, float]] = []
        voyages: list[tuple[float, float, str]] = []
        here, dep = port, t_dep
        while True:
            stay = stay_h if stay_h is not None and not calls else rng.uniform(*PORT_STAY_H)
            arr = dep - stay * HOUR_S
            calls.append((here, arr, dep))
            if arr <= self.t0 - HOUR_S:
                break
            prev = _next_port(v, here, rng)
            speed = v.speed_kn * rng.uniform(0.95, 1.05)
            prev_dep = arr - route_length_m(PORTS[prev], PORTS[here]) / (speed * KNOTS_TO_MPS)
            voyages.append((prev_dep, arr, here))
            here, dep = prev, prev_dep
        calls.reverse()
        voyages.reverse()
        track = Track()
        first_port, first_arr, first_dep = calls[0]
        track.start(first_arr, _berth_spot(first_port, rng), MOORED)
        sched = Schedule(track)
        for i, (p, arr, dep) in enumerate(calls):
            if i > 0:
                track.go_until(route(PORTS[calls[i - 1][0]], PORTS[p], rng), arr)
                track.add(arr, _berth_spot(p, rng), MOORED)
            track.wait(dep, MOORED if rng.random() < 0.5 else ANCHORED, rng)
            sched.calls.append((p, arr, dep))
        sched.voyages.extend(voyages)
        # the departure from ``port`` follows; the caller appends the next passage
        return sched

    def _voyage(
        self, sched: Schedule, here: str, dest: str, speed: float, rng: np.random.Generator
    ) -> None:
        t_dep = sched.track.now
        sched.track.go(route(PORTS[here], PORTS[dest], rng), speed * rng.uniform(0.95, 1.05))
        sched.voyages.append((t_dep, sched.track.now, dest))

    def _forward(self, v: Vessel, sched: Schedule, here: str, rng: np.random.Generator) -> None:
        """Port calls and voyages from arriving at ``here`` until past the window."""
        track = sched.track
        while True:
            arr = track.now
            track.add(arr, _berth_spot(here, rng), MOORED)
            dep = arr + rng.uniform(*PORT_STAY_H) * HOUR_S
            track.wait(dep, MOORED if rng.random() < 0.5 else ANCHORED, rng)
            sched.calls.append((here, arr, dep))
            if dep >= self.t1:
                return
            dest = _next_port(v, here, rng)
            self._voyage(sched, here, dest, v.speed_kn, rng)
            here = dest

    def _fishing(self, v: Vessel, rng: np.random.Generator) -> Schedule:
        home = v.home_ports[0]
        ground = FISHING_GROUNDS[FISHING_HOME[home]]
        track = Track()
        track.start(self.t0 - rng.uniform(0.0, 30.0) * HOUR_S, _berth_spot(home, rng), MOORED)
        sched = Schedule(track)
        while True:
            arr = track.now
            dep = arr + rng.uniform(6.0, 24.0) * HOUR_S
            track.wait(dep, MOORED, rng)
            sched.calls.append((home, arr, dep))
            if dep >= self.t1:
                return sched
            first = ground.random_point(rng)
            track.go(route_to_point(PORTS[home], ground.nodes, first, rng), v.speed_kn)
            t_end = track.now + rng.uniform(8.0, 20.0) * HOUR_S
            trawl_kn = rng.uniform(2.5, 4.5)
            while track.now < t_end:
                track.go([track.here, ground.random_point(rng)], trawl_kn, FISHING)
            track.set_mode(UNDERWAY)
            track.go(route_from_point(track.here, ground.nodes, PORTS[home], rng), v.speed_kn)
            track.add(track.now, _berth_spot(home, rng), MOORED)
