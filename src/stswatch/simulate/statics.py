"""Static and voyage reports: identity versions over time and the type 5 / type 24 schedule.

A vessel's identity (name, call sign, IMO number, ship type, dimensions, draught) changes
only when a scenario says so; its destination and ETA change at each departure. Class A
ships broadcast type 5 every ``static_interval_s`` (6 min, ITU-R M.1371), Class B ships type
24 parts A and B. Each broadcast goes through the same reception as the position reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from stswatch.simulate.identities import Identity, Vessel
from stswatch.simulate.ports import PORTS
from stswatch.simulate.traffic import Schedule

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class StaticVersion:
    """Everything a static report carries, for one vessel at one time."""

    mmsi: int
    klass: str
    identity: Identity
    destination: str
    eta: datetime | None


def identity_at(changes: list[tuple[float, Identity]], ts: I64) -> I64:
    """Index of the identity in force at each time: 0 the first, k after the k-th change."""
    times = np.array(sorted(t for t, _ in changes), dtype=np.float64)
    return np.searchsorted(times, ts.astype(np.float64), side="right").astype(np.int64)


def identities(vessel: Vessel, changes: list[tuple[float, Identity]]) -> list[Identity]:
    """The first identity and each one a change brought, in time order."""
    return [vessel.identity] + [ident for _, ident in sorted(changes, key=lambda c: c[0])]


def voyage_at(sched: Schedule, ts: I64) -> I64:
    """Index into ``sched.voyages`` of the voyage under way or last begun (-1 before any)."""
    if not sched.voyages:
        return np.full(ts.size, -1, np.int64)
    deps = np.array([v[0] for v in sched.voyages], dtype=np.float64)
    order = np.argsort(deps, kind="stable")
    k = np.searchsorted(deps[order], ts.astype(np.float64), side="right") - 1
    return np.where(k >= 0, order[np.clip(k, 0, None)], -1).astype(np.int64)


def versions(
    vessel: Vessel, changes: list[tuple[float, Identity]], sched: Schedule, ts: I64
) -> tuple[list[StaticVersion], I64]:
    """The distinct static contents at times ``ts`` and, per time, which one applies."""
    idents = identities(vessel, changes)
    ii = identity_at(changes, ts)
    vv = voyage_at(sched, ts)
    keys = ii * (len(sched.voyages) + 1) + (vv + 1)
    uniq, inverse = np.unique(keys, return_inverse=True)
    out = []
    for key in uniq:
        i, v = divmod(int(key), len(sched.voyages) + 1)
        if v == 0:
            dest, eta = "", None
        else:
            _, arrive, port = sched.voyages[v - 1]
            dest, eta = PORTS[port].wpi_label[:20], datetime.fromtimestamp(arrive, UTC)
        out.append(StaticVersion(vessel.mmsi, vessel.klass, idents[i], dest, eta))
    return out, inverse.astype(np.int64)


def schedule_times(t0: float, t1: float, interval_s: int, rng: np.random.Generator) -> I64:
    phase = int(rng.integers(0, interval_s))
    return np.arange(int(t0) + phase, int(t1), interval_s, dtype=np.int64)
