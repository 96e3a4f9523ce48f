"""Score detected events against a simulation's truth: precision, recall and F1 per type.

Matching rule. A detected event *matches* a truth event when

1. they have the same ``type``, and the same ``subtype`` whenever both give one;
2. they concern the same vessels: the same unordered pair {mmsi, other_mmsi} when either
   of them gives an ``other_mmsi`` (encounters, joint gaps), otherwise the same ``mmsi``;
3. their time intervals overlap by at least half of the shorter one:
   ``min(end) - max(start) >= 0.5 * min(duration)``, with the intervals touching at least
   (so an instant inside an interval matches it, two distinct instants do not).

Matching is one-to-one: each truth event and each detection is used at most once, and the
pairing maximises the number of matches (ties broken by larger overlap). Truth events marked
``optional`` (things a detector may or may not report, such as each ship of an encounter
also loitering, or a meeting hidden by an AIS gap) never count as missed; a detection that
matches one, and no required event, is not counted as a false positive.

Per type: TP = matched detections, FP = detections left over, FN = required truth events
left over; precision = TP / (TP + FP) (none without detections), recall = TP / (TP + FN)
(none without truth events), F1 their harmonic mean. *Overall* adds up TP, FP and FN over
the suspicious-behaviour types (encounter, loitering, gap, spoofing, identity_change);
``port_visit`` is scored on its own line but left out of the overall figure, since port
calls are context, not evidence. Decoys are situations built to look like an event (a fast
crossing, a 30-minute meeting, ships together in port, short gaps, gaps in port): a decoy is
*hit* when some detection matches it by the same rule; hits are reported per type.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from stswatch.errors import InputError

OVERALL_TYPES = ("encounter", "loitering", "gap", "spoofing", "identity_change")
TYPE_ORDER = (*OVERALL_TYPES, "port_visit")
MIN_OVERLAP_FRACTION = 0.5


@dataclass(frozen=True)
class Event:
    """The fields of an event that matching looks at; times in epoch seconds."""

    type: str
    subtype: str | None
    mmsi: int
    other_mmsi: int | None
    start: float
    end: float
    optional: bool = False
    id: str | None = None
    kind: str | None = None  # decoys: what they are (crossing, port_pair, ...)

    @property
    def vessels(self) -> frozenset[int] | int:
        if self.other_mmsi is None:
            return self.mmsi
        return frozenset((self.mmsi, self.other_mmsi))


def _time(value: Any, where: str) -> float:
    if isinstance(value, datetime):
        t = value
    elif isinstance(value, int | float):
        return float(value)
    else:
        try:
            t = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise InputError(
                f"{where}: {value!r} is not a time. Hint: use ISO 8601 such as "
                "2024-03-01T12:00:00Z."
            ) from exc
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.timestamp()


def _mmsi(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int(value)


def event_from(obj: dict[str, Any], where: str) -> Event:
    """An ``Event`` from a JSON object or a database row (dict)."""
    missing = [k for k in ("type", "mmsi", "start", "end") if obj.get(k) is None]
    if missing:
        raise InputError(
            f"{where} lacks {', '.join(missing)}. Hint: each event needs type, subtype, mmsi, "
            "other_mmsi, start and end."
        )
    sub = obj.get("subtype")
    return Event(
        type=str(obj["type"]),
        subtype=None if sub in (None, "") else str(sub),
        mmsi=int(obj["mmsi"]),
        other_mmsi=_mmsi(obj.get("other_mmsi")),
        start=_time(obj["start"], where),
        end=_time(obj["end"], where),
        optional=bool(obj.get("optional", False)),
        id=obj.get("id") or obj.get("event_id"),
        kind=obj.get("kind"),
    )


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"Cannot read {path}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not JSON ({exc}).") from exc


def load_truth(path: Path) -> tuple[list[Event], list[Event]]:
    """Events and decoys of a ``truth.json`` written by ``stswatch simulate``."""
    doc = _load_json(path)
    if not isinstance(doc, dict) or "events" not in doc:
        raise InputError(
            f"{path} has no 'events' list. Hint: pass the truth.json that stswatch simulate wrote."
        )
    events = [event_from(e, f"{path} event {i}") for i, e in enumerate(doc["events"])]
    decoys = [event_from(e, f"{path} decoy {i}") for i, e in enumerate(doc.get("decoys", []))]
    return events, decoys


def load_events_json(path: Path) -> list[Event]:
    """Detections from a JSON list of objects (or an object with an ``events`` list)."""
    doc = _load_json(path)
    rows = doc.get("events") if isinstance(doc, dict) else doc
    if not isinstance(rows, list):
        raise InputError(f"{path} holds no list of events. Hint: give a JSON list of objects.")
    return [event_from(e, f"{path} event {i}") for i, e in enumerate(rows)]


def load_events_db(path: str) -> list[Event]:
    """Detections from the ``events`` table of an stswatch database."""
    from stswatch.store import Store

    with Store(path, read_only=True) as store:
        rows = store.query(
            'SELECT event_id, type, subtype, mmsi, other_mmsi, start, "end" FROM events'
        ).to_pylist()
    return [event_from(r, f"{path} events row {i}") for i, r in enumerate(rows)]


def overlap_s(a: Event, b: Event) -> float:
    return min(a.end, b.end) - max(a.start, b.start)


def matches(det: Event, truth: Event) -> bool:
    """The matching rule of the module docstring."""
    if det.type != truth.type:
        return False
    if det.subtype is not None and truth.subtype is not None and det.subtype != truth.subtype:
        return False
    if det.vessels != truth.vessels:
        return False
    ov = overlap_s(det, truth)
    shorter = min(det.end - det.start, truth.end - truth.start)
    return ov >= 0 and ov >= MIN_OVERLAP_FRACTION * shorter


def match(detected: list[Event], truth: list[Event]) -> list[tuple[int, int]]:
    """One-to-one pairs (detection index, truth index), as many as possible."""
    if not detected or not truth:
        return []
    w = np.zeros((len(detected), len(truth)))
    for i, d in enumerate(detected):
        for j, t in enumerate(truth):
            if matches(d, t):
                span = max(d.end, t.end) - min(d.start, t.start)
                w[i, j] = 1.0 + 1e-3 * (overlap_s(d, t) / span if span > 0 else 1.0)
    rows, cols = linear_sum_assignment(w, maximize=True)
    return [(int(i), int(j)) for i, j in zip(rows, cols, strict=True) if w[i, j] > 0]


@dataclass
class Score:
    type: str
    truth: int = 0
    optional: int = 0
    detected: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    decoys: int = 0
    decoys_hit: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 0.0 if p + r == 0 else 2 * p * r / (p + r)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out.update(precision=self.precision, recall=self.recall, f1=self.f1)
        return out


@dataclass
class Evaluation:
    per_type: dict[str, Score]
    overall: Score
    missed: list[Event] = field(default_factory=list)
    false_alarms: list[Event] = field(default_factory=list)
    decoys_hit: list[tuple[Event, Event]] = field(default_factory=list)  # (decoy, detection)

    def as_dict(self) -> dict[str, Any]:
        def ev(e: Event) -> dict[str, Any]:
            return {
                "id": e.id,
                "type": e.type,
                "subtype": e.subtype,
                "mmsi": e.mmsi,
                "other_mmsi": e.other_mmsi,
                "start": _iso(e.start),
                "end": _iso(e.end),
            }

        return {
            "per_type": {k: s.as_dict() for k, s in self.per_type.items()},
            "overall": self.overall.as_dict(),
            "overall_types": list(OVERALL_TYPES),
            "missed": [ev(e) for e in self.missed],
            "false_alarms": [ev(e) for e in self.false_alarms],
            "decoys_hit": [
                {"decoy": ev(d) | {"kind": d.kind}, "detection": ev(e)} for d, e in self.decoys_hit
            ],
        }


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def evaluate(
    truth: list[Event], detected: list[Event], decoys: list[Event] | None = None
) -> Evaluation:
    """Score ``detected`` against ``truth`` (and count decoy hits) by the module's rule."""
    decoys = decoys or []
    types = [t for t in TYPE_ORDER if t in {e.type for e in truth + detected + decoys}]
    types += sorted({e.type for e in truth + detected + decoys} - set(types))
    per_type = {t: Score(t) for t in types}
    required = [e for e in truth if not e.optional]
    optional = [e for e in truth if e.optional]
    pairs = match(detected, required)
    used_det = {i for i, _ in pairs}
    used_truth = {j for _, j in pairs}
    rest = [i for i in range(len(detected)) if i not in used_det]
    soaked = {rest[i] for i, _ in match([detected[k] for k in rest], optional)}
    ev = Evaluation(per_type, Score("overall"))
    for e in required:
        per_type[e.type].truth += 1
    for e in optional:
        per_type[e.type].optional += 1
    for i, d in enumerate(detected):
        s = per_type[d.type]
        s.detected += 1
        if i in used_det:
            s.tp += 1
        elif i not in soaked:
            s.fp += 1
            ev.false_alarms.append(d)
    for j, e in enumerate(required):
        if j not in used_truth:
            per_type[e.type].fn += 1
            ev.missed.append(e)
    for dec in decoys:
        per_type[dec.type].decoys += 1
        hit = next((d for d in detected if matches(d, dec)), None)
        if hit is not None:
            per_type[dec.type].decoys_hit += 1
            ev.decoys_hit.append((dec, hit))
    for t in OVERALL_TYPES:
        if t in per_type:
            for k in ("truth", "optional", "detected", "tp", "fp", "fn", "decoys", "decoys_hit"):
                setattr(ev.overall, k, getattr(ev.overall, k) + getattr(per_type[t], k))
    return ev
