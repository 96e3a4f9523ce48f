"""Scoring detections against truth: hand-made lists with hand-computed precision and recall."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stswatch.errors import InputError
from stswatch.evaluate import Event, evaluate, load_events_json, load_truth, match, matches

H = 3600.0
A, B, C = 412000001, 445000002, 667000003


def ev(
    type_: str,
    mmsi: int,
    start_h: float,
    end_h: float,
    other: int | None = None,
    subtype: str | None = None,
    optional: bool = False,
) -> Event:
    return Event(type_, subtype, mmsi, other, start_h * H, end_h * H, optional=optional)


def test_exact_match_scores_one() -> None:
    truth = [ev("encounter", A, 10, 15, B)]
    r = evaluate(truth, [ev("encounter", A, 10, 15, B)])
    s = r.per_type["encounter"]
    assert (s.tp, s.fp, s.fn) == (1, 0, 0)
    assert s.precision == s.recall == s.f1 == 1.0


def test_half_overlap_boundary_when_truth_is_shorter() -> None:
    truth = ev("loitering", A, 0, 10)
    # overlap 5 h = half of the shorter (truth, 10 h): matches
    assert matches(ev("loitering", A, 5, 20), truth)
    # one second less: does not
    assert not matches(Event("loitering", None, A, None, 5 * H + 1, 20 * H), truth)


def test_half_overlap_boundary_when_detection_is_shorter() -> None:
    truth = ev("gap", A, 0, 100)
    assert matches(ev("gap", A, 90, 110), truth)  # 10 h of a 20 h detection
    assert not matches(ev("gap", A, 91, 111), truth)  # 9 h of 20 h


def test_instants_match_only_inside_or_touching() -> None:
    truth = ev("identity_change", A, 10, 10.1, subtype="name")
    assert matches(ev("identity_change", A, 10.05, 10.05), truth)  # an instant inside
    assert matches(ev("identity_change", A, 10.1, 10.1), truth)  # an instant touching the end
    assert not matches(ev("identity_change", A, 10.1, 12), truth)  # touching, not overlapping
    assert not matches(ev("identity_change", A, 10.2, 10.2), truth)
    assert matches(ev("identity_change", A, 3, 3), ev("identity_change", A, 3, 3))
    assert not matches(ev("identity_change", A, 3, 3), ev("identity_change", A, 4, 4))


def test_vessels_pair_is_unordered_and_single_vessel_must_agree() -> None:
    truth = ev("encounter", A, 0, 5, B)
    assert matches(ev("encounter", B, 0, 5, A), truth)
    assert not matches(ev("encounter", A, 0, 5, C), truth)
    assert not matches(ev("encounter", A, 0, 5), truth)  # no partner given: not the same pair
    assert not matches(ev("gap", B, 0, 5), ev("gap", A, 0, 5))
    # a joint gap is matched by its pair, not by one of its vessels alone
    assert matches(ev("gap", B, 0, 30, A), ev("gap", A, 0, 30, B))
    assert not matches(ev("gap", A, 0, 30), ev("gap", A, 0, 30, B))


def test_subtype_counts_only_when_both_give_one() -> None:
    truth = ev("spoofing", A, 1, 2, subtype="impossible_speed")
    assert matches(ev("spoofing", A, 1, 2), truth)
    assert matches(ev("spoofing", A, 1, 2, subtype="impossible_speed"), truth)
    assert not matches(ev("spoofing", A, 1, 2, subtype="mmsi_collision"), truth)
    assert not matches(ev("loitering", A, 1, 2), truth)


def test_matching_is_one_to_one_and_optimal() -> None:
    # D1 overlaps both truths; D2 only T1. Pairing D1 with T1 first would leave D2 and T2
    # unmatched; the optimal pairing is D1-T2, D2-T1.
    t1, t2 = ev("loitering", A, 0, 10), ev("loitering", A, 8, 18)
    d1, d2 = ev("loitering", A, 6, 12), ev("loitering", A, 0, 4)
    assert matches(d1, t1) and matches(d1, t2) and matches(d2, t1) and not matches(d2, t2)
    assert sorted(match([d1, d2], [t1, t2])) == [(0, 1), (1, 0)]
    s = evaluate([t1, t2], [d1, d2]).per_type["loitering"]
    assert (s.tp, s.fp, s.fn) == (2, 0, 0)
    # two detections of one event: one TP, one FP
    s = evaluate([t1], [ev("loitering", A, 0, 10), ev("loitering", A, 1, 9)]).per_type["loitering"]
    assert (s.tp, s.fp, s.fn, s.precision, s.recall) == (1, 1, 0, 0.5, 1.0)


def test_hand_computed_scores_per_type_and_overall() -> None:
    truth = [
        ev("encounter", A, 0, 5, B),
        ev("encounter", A, 20, 26, C),
        ev("encounter", B, 40, 44, C),
        ev("gap", A, 50, 70),
        ev("gap", B, 50, 80),
        ev("port_visit", A, 80, 90),
    ]
    detected = [
        ev("encounter", B, 1, 6, A),  # TP (overlap 4 h of the shorter 5 h)
        ev("encounter", C, 24, 30, A),  # overlap 2 h < 3 h: FP, and truth 2 missed
        ev("encounter", B, 40, 44, C),  # TP
        ev("gap", A, 55, 65),  # TP
        ev("loitering", C, 0, 6),  # FP, type with no truth
        ev("port_visit", A, 80, 85),  # TP, but not in overall
        ev("port_visit", B, 80, 85),  # FP, not in overall
    ]
    r = evaluate(truth, detected)
    enc, gap, loi = r.per_type["encounter"], r.per_type["gap"], r.per_type["loitering"]
    assert (enc.tp, enc.fp, enc.fn) == (2, 1, 1)
    assert enc.precision == pytest.approx(2 / 3) and enc.recall == pytest.approx(2 / 3)
    assert enc.f1 == pytest.approx(2 / 3)
    assert (gap.tp, gap.fp, gap.fn, gap.precision, gap.recall) == (1, 0, 1, 1.0, 0.5)
    assert gap.f1 == pytest.approx(2 / 3)
    assert (loi.tp, loi.fp, loi.fn, loi.precision, loi.recall, loi.f1) == (0, 1, 0, 0.0, None, None)
    o = r.overall  # encounter + gap + loitering: TP 3, FP 2, FN 2
    assert (o.tp, o.fp, o.fn) == (3, 2, 2)
    assert o.precision == pytest.approx(3 / 5) and o.recall == pytest.approx(3 / 5)
    assert r.per_type["port_visit"].precision == 0.5
    assert len(r.missed) == 2 and len(r.false_alarms) == 3


def test_optional_truth_is_neither_missed_nor_a_false_alarm() -> None:
    truth = [
        ev("encounter", A, 0, 5, B),
        ev("loitering", A, 0, 5, optional=True),
        ev("loitering", B, 0, 5, optional=True),
    ]
    detected = [ev("encounter", A, 0, 5, B), ev("loitering", A, 0, 5)]
    r = evaluate(truth, detected)
    loi = r.per_type["loitering"]
    assert (loi.truth, loi.optional, loi.tp, loi.fp, loi.fn) == (0, 2, 0, 0, 0)
    assert r.overall.precision == 1.0 and r.overall.recall == 1.0
    # a second detection of the same optional event is a false alarm (one-to-one)
    r = evaluate(truth, detected + [ev("loitering", A, 1, 4)])
    assert r.per_type["loitering"].fp == 1


def test_decoys_hit_are_counted_per_type() -> None:
    decoys = [ev("encounter", A, 0, 0.5, B), ev("encounter", A, 10, 20, C), ev("gap", B, 3, 6)]
    detected = [ev("encounter", B, 0, 0.5, A), ev("gap", B, 30, 40)]
    r = evaluate([], detected, decoys)
    assert r.per_type["encounter"].decoys == 2 and r.per_type["encounter"].decoys_hit == 1
    assert r.per_type["gap"].decoys == 1 and r.per_type["gap"].decoys_hit == 0
    assert r.per_type["encounter"].fp == 1  # hitting a decoy is also a false alarm
    assert r.per_type["encounter"].recall is None


def _truth_file(tmp_path: Path) -> Path:
    doc = {
        "seed": 1,
        "events": [
            {
                "id": "E1",
                "type": "encounter",
                "subtype": None,
                "mmsi": A,
                "other_mmsi": B,
                "start": "2024-03-01T10:00:00Z",
                "end": "2024-03-01T15:00:00Z",
                "optional": False,
            },
            {
                "id": "E2",
                "type": "identity_change",
                "subtype": "name",
                "mmsi": C,
                "other_mmsi": None,
                "start": "2024-03-02T01:00:00Z",
                "end": "2024-03-02T01:06:00Z",
            },
        ],
        "decoys": [
            {
                "id": "D1",
                "kind": "port_pair",
                "type": "encounter",
                "subtype": None,
                "mmsi": B,
                "other_mmsi": C,
                "start": "2024-03-01T00:00:00Z",
                "end": "2024-03-01T08:00:00Z",
            },
        ],
    }
    path = tmp_path / "truth.json"
    path.write_text(json.dumps(doc))
    return path


def test_loaders_read_iso_times_and_check_fields(tmp_path: Path) -> None:
    events, decoys = load_truth(_truth_file(tmp_path))
    assert [e.id for e in events] == ["E1", "E2"] and decoys[0].kind == "port_pair"
    assert events[0].end - events[0].start == 5 * H
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"type": "gap", "mmsi": A, "start": "2024-03-01"}]))
    with pytest.raises(InputError, match="lacks end"):
        load_events_json(bad)
    bad.write_text(json.dumps([{"type": "gap", "mmsi": A, "start": "yesterday", "end": 5}]))
    with pytest.raises(InputError, match="not a time"):
        load_events_json(bad)


def test_cli_evaluate_json_and_table(tmp_path: Path) -> None:
    from stswatch.cli import app, sim  # noqa: F401

    truth = _truth_file(tmp_path)
    det = tmp_path / "det.json"
    det.write_text(
        json.dumps(
            [
                {
                    "type": "encounter",
                    "subtype": None,
                    "mmsi": B,
                    "other_mmsi": A,
                    "start": "2024-03-01T11:00:00+00:00",
                    "end": "2024-03-01T16:00:00+00:00",
                },
                {
                    "type": "encounter",
                    "subtype": None,
                    "mmsi": B,
                    "other_mmsi": C,
                    "start": "2024-03-01T01:00:00Z",
                    "end": "2024-03-01T07:00:00Z",
                },
            ]
        )
    )
    runner = CliRunner()
    res = runner.invoke(app, ["evaluate", "--truth", str(truth), "--events", str(det), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    enc = doc["per_type"]["encounter"]
    assert (enc["tp"], enc["fp"], enc["fn"], enc["decoys_hit"]) == (1, 1, 0, 1)
    assert doc["per_type"]["identity_change"]["recall"] == 0.0
    assert doc["overall"]["precision"] == 0.5 and doc["overall"]["recall"] == 0.5
    res = runner.invoke(app, ["evaluate", "--truth", str(truth), "--events", str(det)])
    assert res.exit_code == 0 and "encounter" in res.output and "Decoy hit" in res.output
    res = runner.invoke(
        app, ["evaluate", "--truth", str(truth), "--events", str(det), "--db", "x.duckdb"]
    )
    assert res.exit_code != 0


def test_cli_evaluate_reads_the_events_table(tmp_path: Path) -> None:
    from stswatch.cli import app, sim  # noqa: F401
    from stswatch.store import Store

    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        store.con.execute(
            """INSERT INTO events (event_id, type, subtype, mmsi, other_mmsi, start, "end",
                                   lon, lat, duration_h, evidence, run_id)
               VALUES ('e1', 'encounter', NULL, ?, ?, TIMESTAMPTZ '2024-03-01 10:30:00+00',
                       TIMESTAMPTZ '2024-03-01 14:00:00+00', 122.0, 30.0, 3.5, '{}', 'r1')""",
            [A, B],
        )
    res = CliRunner().invoke(
        app, ["evaluate", "--truth", str(_truth_file(tmp_path)), "--db", str(db), "--json"]
    )
    assert res.exit_code == 0, res.output
    enc = json.loads(res.output)["per_type"]["encounter"]
    assert (enc["tp"], enc["fp"], enc["fn"]) == (1, 0, 0)
