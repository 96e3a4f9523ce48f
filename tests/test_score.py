"""Risk scores: each factor on and off, the sun, the store, and monotonicity.

Scenarios are hand-made events in the shared schema. The base case is an encounter of two
vessels in the open Sea of Japan east of the hotspot polygons, by day, neither a tanker nor
listed: it scores 0. Each test switches one factor on and checks the score moves the
documented way, with the reason, its points and its practice (docs/scoring.md).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box
from typer.testing import CliRunner

from stswatch import schema
from stswatch.areas import Area
from stswatch.config import Config, load, settings_table
from stswatch.detect.base import finish_events
from stswatch.detect.runner import Window, default_params, detect_store
from stswatch.geo import default_geo
from stswatch.score import FACTORS, PRACTICES, Params, score_events, sun
from stswatch.score import params as P
from stswatch.score.combine import noisy_or
from stswatch.score.run import rescore, score_store, scored_events, stored_params
from stswatch.screen import add_list
from stswatch.store import Store

A, B, C = 440_000_001, 636_000_002, 352_000_003  # DPRK MID, Liberia, Panama
# 10:00 local solar time at 134.0 E (UTC 01:04): broad daylight in March.
DAY = datetime(2019, 3, 2, 1, 4, tzinfo=UTC)
OPEN_SEA = (134.0, 36.0)  # Sea of Japan, outside every built-in area
ECS = (123.06, 27.90)  # about 400 km SSE of Shanghai (Japan MOFA, 21 June 2018)
TS = pl.Datetime("us", "UTC")


def event(
    type_: str,
    mmsi: int,
    other: int | None = None,
    *,
    start: datetime = DAY,
    hours: float = 3.0,
    at: tuple[float, float] = OPEN_SEA,
    subtype: str | None = None,
    evidence: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "type": type_, "subtype": subtype, "mmsi": mmsi, "other_mmsi": other, "start": start,
        "end": start + timedelta(hours=hours), "lon": at[0], "lat": at[1],
        "evidence": json.dumps(evidence or {}),
    }  # fmt: skip


def encounter(
    a: int = A, b: int = B, *, dark: tuple[bool, bool] = (False, False), types=(70, 70), **kw: Any
) -> dict[str, Any]:
    vessels = [
        {"mmsi": m, "ship_type": t, "dark_within_24h": d, "longest_dark_h": 14.0 if d else None}
        for m, t, d in zip((a, b), types, dark, strict=True)
    ]
    return event("encounter", a, b, evidence={"vessels": vessels}, **kw)


def events_frame(*rows: dict[str, Any]) -> pl.DataFrame:
    return finish_events(pl.DataFrame(list(rows), schema_overrides={"start": TS, "end": TS}))


def match(
    mmsi: int,
    method: str = "imo",
    confidence: float = 0.99,
    review: bool = False,
    entry: str = "KPi.063",
) -> dict:
    return {
        "mmsi": mmsi, "vessel_name": "SAEBYOL", "vessel_imo": 8916293, "list_name": "un",
        "list_version": date(2024, 5, 3), "list_sha256": "0" * 64, "entry_id": entry,
        "entry_name": "SAEBYOL", "program": "DPRK", "method": method,
        "vessel_value": "8916293", "entry_value": "8916293", "confidence": confidence,
        "needs_review": review, "detail": "{}", "screened_at": DAY,
    }  # fmt: skip


def matches_frame(*rows: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=pl.DataFrame(schema.MATCHES.empty_table()).schema)


def scored(events: pl.DataFrame, **kw: Any) -> dict[str, tuple[float, list[dict[str, Any]]]]:
    """event type (first of each) and event_id -> (score, reasons)."""
    res = score_events(events, **kw)
    out: dict[str, tuple[float, list[dict[str, Any]]]] = {}
    for eid, typ, score, reasons in (
        events.select("event_id", "type")
        .join(res.events, on="event_id", maintain_order="left")
        .iter_rows()
    ):
        value = (score, json.loads(reasons))
        out[eid] = value
        out.setdefault(typ, value)
    return out


def first_encounter(events: pl.DataFrame, **kw: Any) -> tuple[float, list[dict[str, Any]]]:
    return scored(events, **kw)["encounter"]


def by_factor(reasons: list[dict[str, Any]], factor: str) -> list[dict[str, Any]]:
    return [r for r in reasons if r["factor"] == factor]


def test_base_encounter_scores_zero_with_no_reasons():
    score, reasons = first_encounter(events_frame(encounter()))
    assert (score, reasons) == (0.0, [])


# --- one factor at a time -------------------------------------------------------------


def test_listed_party_imo_is_strong_unconfirmed_name_is_weak():
    ev = events_frame(encounter())
    none, _ = first_encounter(ev)
    imo, reasons = first_encounter(ev, matches=matches_frame(match(B, "imo", 0.99)))
    name, weak = first_encounter(ev, matches=matches_frame(match(B, "name", 0.40, review=True)))
    assert none < name < imo
    (r,) = by_factor(reasons, "listed_party")
    # 70 points x confidence 0.99 x IMO factor 1.0
    assert r["mmsi"] == B and r["points"] == pytest.approx(69.3) and r["practice"] is None
    assert r["detail"]["method"] == "imo" and r["detail"]["entry_name"] == "SAEBYOL"
    assert r["detail"]["list_version"] == "2024-05-03"
    # 70 x 0.40 x name factor 0.6 x needs-review factor 0.5
    assert by_factor(weak, "listed_party")[0]["points"] == pytest.approx(8.4)
    mmsi, _ = first_encounter(ev, matches=matches_frame(match(B, "mmsi", 0.85)))
    assert name < mmsi < imo


def test_both_parties_listed_score_more_than_one():
    ev = events_frame(encounter())
    one, _ = first_encounter(ev, matches=matches_frame(match(B)))
    two, reasons = first_encounter(ev, matches=matches_frame(match(A, entry="KPi.001"), match(B)))
    assert two > one
    assert sorted(r["mmsi"] for r in by_factor(reasons, "listed_party")) == [A, B]
    # 100 * (1 - (1 - 0.693)^2)
    assert two == pytest.approx(100 * (1 - 0.307**2), abs=0.05)


@pytest.mark.parametrize(
    "type_, subtype, factor, weight, practice",
    [
        ("identity_change", "name", "identity_change", 25.0, P.IDENTIFICATION),
        ("identity_change", "imo_clone", "identity_change", 25.0, P.IDENTIFICATION),
        ("spoofing", "impossible_speed", "spoofing", 30.0, P.AIS),
        ("identity_change", "flag", "flag_hopping", 30.0, P.FLAGS),
        ("port_visit", "dprk", "dprk_port_visit", 50.0, P.VOYAGE),
    ],
)
def test_party_history_counts_in_full_when_recent_and_half_when_old(
    type_, subtype, factor, weight, practice
):
    base = encounter(start=DAY)
    before, _ = first_encounter(events_frame(base))
    hist = event(type_, B, subtype=subtype, start=DAY - timedelta(days=10), hours=2)
    recent, reasons = first_encounter(events_frame(base, hist))
    old = event(type_, B, subtype=subtype, start=DAY - timedelta(days=200), hours=2)
    distant, old_reasons = first_encounter(events_frame(base, old))
    assert before < distant < recent
    (r,) = by_factor(reasons, factor)
    assert (r["mmsi"], r["points"], r["weight"], r["practice"]) == (B, weight, weight, practice)
    # 10 days before the encounter began, minus the 2 h the event lasted
    assert r["detail"]["days_apart"] == pytest.approx(10 - 2 / 24, abs=0.01)
    assert r["detail"]["n_events"] == 1 and r["detail"]["subtypes"] == [subtype]
    assert by_factor(old_reasons, factor)[0]["points"] == weight * 0.5


def test_a_port_visit_in_china_is_not_a_dprk_port_visit():
    ev = events_frame(encounter(), event("port_visit", B, subtype="port", hours=30))
    _, reasons = first_encounter(ev)
    assert reasons == []


def test_the_previous_mmsi_of_a_flag_hop_is_the_same_hull():
    # C's IMO moved from MMSI B (Liberia) to C (Panama); the encounter is with B.
    hop = event("identity_change", C, B, subtype="flag", evidence={"imo": 8916293,
                "old_flag": "LBR", "new_flag": "PAN"})  # fmt: skip
    _, reasons = first_encounter(events_frame(encounter(), hop))
    (r,) = by_factor(reasons, "flag_hopping")
    assert r["mmsi"] == B and r["detail"]["old_flag"] == "LBR" and r["detail"]["new_flag"] == "PAN"


def test_one_hull_under_two_mmsis_counts_once():
    # The flag hop itself: its parties B (old MMSI) and C (new) are one hull; the hop and the
    # listing of that hull (both MMSIs broadcast its IMO) each count once.
    hop = event("identity_change", C, B, subtype="flag")
    matches = matches_frame(match(B), match(C))
    score, reasons = scored(events_frame(hop), matches=matches)["identity_change"]
    assert [r["factor"] for r in reasons] == ["listed_party", "flag_hopping"]
    assert score == pytest.approx(100 * (1 - 0.307 * 0.7), abs=0.05)


def test_flag_mismatch_counts_in_full_at_any_distance():
    mism = event(
        "identity_change", B, subtype="mid_flag_mismatch", start=DAY - timedelta(days=400),
        evidence={"callsign": "HMYU", "mid_country": "Liberia",
                  "callsign_administration": "Democratic People's Republic of Korea"},
    )  # fmt: skip
    score, reasons = first_encounter(events_frame(encounter(), mism))
    (r,) = by_factor(reasons, "flag_mismatch")
    assert score == 20.0 and r["practice"] == P.FLAGS and r["detail"]["callsign"] == "HMYU"
    # a flag mismatch is not an identity change as well
    assert by_factor(reasons, "identity_change") == []


def test_dark_partner_from_the_encounter_evidence():
    off, _ = first_encounter(events_frame(encounter(dark=(False, False))))
    on, reasons = first_encounter(events_frame(encounter(dark=(False, True))))
    assert off == 0.0 and on == 35.0
    (r,) = by_factor(reasons, "dark_near_encounter")
    assert r["mmsi"] == B and r["practice"] == P.AIS
    assert r["detail"]["window_h"] == 24.0 and r["detail"]["longest_dark_h"] == 14.0


def test_a_stored_gap_just_before_an_encounter_marks_both():
    enc = encounter(start=DAY)
    # gap of A from 14 h before the encounter until 4 h before it: 4 h apart, inside 24 h
    gap = event("gap", A, subtype="single", start=DAY - timedelta(hours=14), hours=10)
    far = event("gap", A, subtype="single", start=DAY - timedelta(days=5), hours=10)
    res = scored(events_frame(enc, gap))
    (r,) = by_factor(res["encounter"][1], "dark_near_encounter")
    assert r["mmsi"] == A and r["detail"]["from"] == "gap event"
    assert r["detail"]["hours_apart"] == 4.0
    (g,) = by_factor(res["gap"][1], "dark_near_encounter")
    assert g["mmsi"] == A and g["detail"]["from"] == "encounter event"
    assert scored(events_frame(enc, far))["encounter"][0] == 0.0


def test_night_encounter():
    # 20:00-23:00 local mean solar time at 134 E: the sun is down throughout
    night_start = DAY + timedelta(hours=10)
    score, reasons = first_encounter(events_frame(encounter(start=night_start)))
    (r,) = by_factor(reasons, "night")
    assert score == 15.0 and r["mmsi"] is None and r["practice"] == P.STS
    # apparent solar time = mean solar time + equation of time (-12.4 min on 2 March)
    assert r["detail"]["night_share"] == 1.0 and r["detail"]["solar_time_start"] == "19:47"
    assert r["detail"]["sun_elevation_start_deg"] < -0.833
    # 16:00-22:00 local: about a third in daylight (sunset near 17:58 on 2 March at 36 N)
    dusk, half = first_encounter(events_frame(encounter(start=DAY + timedelta(hours=6), hours=6)))
    assert 0 < dusk < score
    assert 0.55 < by_factor(half, "night")[0]["strength"] < 0.75


def test_area_of_interest_builtin_and_user_areas():
    outside, _ = first_encounter(events_frame(encounter(at=OPEN_SEA)))
    inside, reasons = first_encounter(events_frame(encounter(at=ECS)))
    assert outside == 0.0 and inside == 25.0
    (r,) = by_factor(reasons, "area_of_interest")
    assert r["detail"]["areas"] == ["east_china_sea_off_shanghai"] and r["practice"] == P.STS
    mine = Area("mine", box(133.5, 35.5, 134.5, 36.5), weight=0.4)
    user, ur = first_encounter(events_frame(encounter()), areas=[mine])
    assert user == 10.0 and by_factor(ur, "area_of_interest")[0]["detail"]["areas"] == ["mine"]
    off, _ = first_encounter(events_frame(encounter(at=ECS)), params=Params(builtin_areas=False))
    assert off == 0.0


def test_tanker_from_statics_or_evidence():
    ev = events_frame(encounter())
    statics = pl.DataFrame({"mmsi": [A, B], "ship_type": [70, 84]})
    score, reasons = first_encounter(ev, statics=statics)
    (r,) = by_factor(reasons, "tanker")
    assert score == 15.0 and r["mmsi"] == B and r["detail"]["ship_type"] == 84
    assert first_encounter(events_frame(encounter(types=(80, 70))))[0] == 15.0
    # 90 is "other type", not a tanker
    assert first_encounter(ev, statics=pl.DataFrame({"mmsi": [B], "ship_type": [90]}))[0] == 0


@pytest.mark.parametrize("n, points", [(1, None), (2, 25 / 3), (3, 50 / 3), (4, 25.0), (6, 25.0)])
def test_repeat_encounters_grow_to_full_at_the_fourth(n, points):
    rows = [encounter(start=DAY + timedelta(days=7 * k)) for k in range(n)]
    rows.append(encounter(A, C, start=DAY))  # another partner: not a repeat
    res = score_events(events_frame(*rows))
    reps = res.reasons.filter(pl.col("factor") == "repeat_encounters")
    if points is None:
        assert reps.height == 0
        return
    assert reps.height == n
    assert reps["points"].to_list() == pytest.approx([points] * n)
    assert json.loads(reps["detail"][0])["encounters"] == n


def test_every_factor_names_a_practice_of_the_advisory():
    assert len(PRACTICES) == 7
    assert {f.practice for f in FACTORS.values()} - {None} <= set(PRACTICES)
    assert [n for n, f in FACTORS.items() if f.practice is None] == ["listed_party"]
    for f in FACTORS.values():
        assert hasattr(Params(), f.weight_field)


# --- the formula and monotonicity -----------------------------------------------------


def test_noisy_or_combines_as_documented():
    df = pl.DataFrame({"p": [60.0, 30.0]})
    assert df.select(noisy_or(pl.col("p")).alias("s"))["s"][0] == pytest.approx(72.0)
    assert (
        pl.DataFrame({"p": [100.0, 5.0]}).select(noisy_or(pl.col("p")).alias("s"))["s"][0] == 100.0
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 100), max_size=8), st.floats(0, 100))
def test_one_more_reason_never_lowers_the_score(points, extra):
    def score(p: list[float]) -> float:
        df = pl.DataFrame({"p": p}, schema={"p": pl.Float64})
        return float(df.select(noisy_or(pl.col("p")).alias("s"))["s"][0])

    assert score([*points, extra]) >= score(points) - 1e-9
    assert 0.0 <= score([*points, extra]) <= 100.0


def _with(switches: frozenset[str]) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The base encounter plus the factors named in ``switches``."""
    s = switches
    enc = encounter(
        dark=(False, "dark" in s),
        types=(80 if "tanker" in s else 70, 70),
        start=DAY + timedelta(hours=10) if "night" in s else DAY,
        at=ECS if "area" in s else OPEN_SEA,
    )
    rows = [enc]
    if "repeat" in s:
        rows.append(encounter(start=DAY + timedelta(days=3)))
    if "identity" in s:
        rows.append(event("identity_change", B, subtype="name", start=DAY - timedelta(days=3)))
    if "spoofing" in s:
        rows.append(
            event("spoofing", A, subtype="impossible_speed", start=DAY - timedelta(days=90))
        )
    if "dprk" in s:
        rows.append(event("port_visit", B, subtype="dprk", start=DAY + timedelta(days=4)))
    if "mismatch" in s:
        rows.append(event("identity_change", A, subtype="mid_flag_mismatch"))
    matches = matches_frame(*([match(B, "name", 0.4, review=True)] if "listed" in s else []))
    return events_frame(*rows), {"matches": matches}


SWITCHES = ["dark", "tanker", "night", "area", "repeat", "identity", "spoofing", "dprk",
            "mismatch", "listed"]  # fmt: skip


@settings(max_examples=15, deadline=None)
@given(st.frozensets(st.sampled_from(SWITCHES)), st.sampled_from(SWITCHES))
def test_adding_a_positive_factor_never_lowers_a_score(chosen, extra):
    ev0, kw0 = _with(chosen)
    ev1, kw1 = _with(chosen | {extra})
    s0 = dict(zip(*score_events(ev0, **kw0).events.select("event_id", "score"), strict=True))
    s1 = dict(zip(*score_events(ev1, **kw1).events.select("event_id", "score"), strict=True))
    for eid, score in s0.items():
        if eid in s1:  # the same event, now with one more factor about it or its parties
            assert s1[eid] >= score - 1e-9


# --- the sun --------------------------------------------------------------------------

SHANGHAI = (121.4737, 31.2304)
CST = timedelta(hours=8)  # China Standard Time, UTC+8


def _crossings(day: date) -> list[tuple[str, datetime]]:
    """Local (CST) times the sun crosses -0.833 degrees at Shanghai on ``day``, to 10 s."""
    t0 = datetime(day.year, day.month, day.day, tzinfo=UTC) - CST
    us = int(t0.timestamp() * 1e6) + np.arange(0, 86_400, 10, dtype=np.int64) * 1_000_000
    night = sun.is_night(us, *SHANGHAI)
    flips = np.flatnonzero(np.diff(night.astype(np.int8)))
    return [
        ("sunrise" if night[i] else "sunset", t0 + CST + timedelta(seconds=10 * (int(i) + 1)))
        for i in flips
    ]


@pytest.mark.parametrize(
    "day, sunrise, sunset",
    [
        # Expected times, worked by hand with the almanac sunrise equation, independently of
        # NOAA's series: cos H = (sin(-0.833) - sin(phi) sin(d)) / (cos(phi) cos(d)), phi =
        # 31.2304 N, d = +/-23.44 (solstice declination). June: H = 106.35 deg = 7 h 05.4 min;
        # solar noon = 12:00 CST - 4 min x (121.4737 - 120) + 1.7 min (equation of time -1.7)
        # = 11:55.8, so 04:50.4 and 19:01.2. December: H = 75.85 deg = 5 h 03.4 min; noon =
        # 11:54.1 - 1.7 min (equation of time +1.7) = 11:52.4, so 06:49.0 and 16:55.8.
        # Published tables agree within a minute or two (e.g. timeanddate.com for Shanghai:
        # 04:50 / 19:01 on 21 June, 06:49-06:50 / 16:54-16:55 on 21 December).
        (date(2024, 6, 21), (4, 50.4), (19, 1.2)),
        (date(2024, 12, 21), (6, 49.0), (16, 55.8)),
    ],
)
def test_sunrise_and_sunset_in_shanghai_at_the_solstices(day, sunrise, sunset):
    got = _crossings(day)
    assert [k for k, _ in got] == ["sunrise", "sunset"]
    for (_, t), (h, m) in zip(got, (sunrise, sunset), strict=True):
        expected = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
            hours=h, minutes=m
        )
        assert abs((t - expected).total_seconds()) <= 600  # within 10 minutes (it is ~1)


def test_solar_time_and_elevation_at_noon():
    # Solar noon at Greenwich on the March equinox: the sun stands 90 - 51.48 high (+/- 0.5)
    t = int(datetime(2024, 3, 20, 12, 7, tzinfo=UTC).timestamp() * 1e6)
    assert sun.elevation_deg(t, 0.0, 51.48) == pytest.approx(90 - 51.48, abs=0.5)
    assert sun.solar_time_h(t, 0.0) == pytest.approx(12.0, abs=0.05)
    # lon/15 hours ahead: 10:00 UTC at 30 E is about 12:00 solar time
    assert sun.solar_time_h(int(datetime(2024, 3, 20, 10, tzinfo=UTC).timestamp() * 1e6), 30.0) == pytest.approx(12.0, abs=0.15)  # fmt: skip


def test_polar_night_and_midnight_sun():
    dec = int(datetime(2024, 12, 21, 12, tzinfo=UTC).timestamp() * 1e6)
    jun = int(datetime(2024, 6, 21, 0, tzinfo=UTC).timestamp() * 1e6)
    assert sun.is_night(dec, 15.0, 78.2)  # Svalbard at noon in December
    assert not sun.is_night(jun, 15.0, 78.2)  # ... at midnight in June


# --- settings -------------------------------------------------------------------------


def test_score_settings_live_in_the_config_file(tmp_path):
    f = tmp_path / "stswatch.toml"
    f.write_text("[score]\nlisted_party_weight = 90\nbuiltin_areas = false\n")
    cfg = load(f, default_params())
    assert cfg.params("score").listed_party_weight == 90.0
    assert cfg.params("score").builtin_areas is False
    rows = [r for r in settings_table(default_params()) if r["section"] == "score"]
    assert {r["setting"] for r in rows} == {f.name for f in dataclasses.fields(Params)}
    assert all(r["help"] for r in rows), "every [score] setting needs help text"


# --- the store ------------------------------------------------------------------------


def _store_events(store: Store, events: pl.DataFrame, run_id: str = "r1") -> None:
    rows = events.with_columns(pl.lit(run_id).alias("run_id")).to_arrow().cast(schema.STORED_EVENTS)
    store.con.register("e", rows)
    store.con.execute("INSERT INTO events SELECT * FROM e")
    store.con.unregister("e")


def _statics(store: Store, rows: list[dict[str, Any]]) -> None:
    base = {f.name: None for f in schema.STATIC_FIELDS}
    tbl = pl.DataFrame(
        [
            {**base, "source": "t", "batch_id": "b", "ts": DAY - timedelta(days=1), **r}
            for r in rows
        ],
        schema=pl.DataFrame(schema.STATICS.empty_table()).schema,
    )
    store.add_statics(tbl.to_arrow())


def test_sanctioned_imo_encounter_outranks_the_same_encounter_without_it(tmp_path):
    db = tmp_path / "s.duckdb"
    # Two identical night encounters in the East China Sea hotspot, a week apart: A meets B,
    # then A meets C. Only B broadcasts the IMO of a listed ship.
    ev = events_frame(
        encounter(A, B, start=DAY + timedelta(hours=10), at=ECS),
        encounter(A, C, start=DAY + timedelta(days=7, hours=10), at=ECS),
    )
    ids = dict(zip(ev["other_mmsi"].to_list(), ev["event_id"].to_list(), strict=True))
    with Store(db) as store:
        _store_events(store, ev)
        _statics(store, [{"mmsi": B, "imo": 8916293, "name": "SAEBYOL", "ship_type": 80},
                         {"mmsi": C, "imo": 9074729, "name": "OTHER", "ship_type": 80}])  # fmt: skip
        score_store(store)
        before = {
            r["event_id"]: r["score"] for r in store.query("SELECT * FROM scores").to_pylist()
        }
        assert before[ids[B]] == before[ids[C]] > 0
        # Loading a list re-screens, and re-screening re-scores, in one step.
        lst = tmp_path / "watch.csv"
        lst.write_text("imo,name\n8916293,SAEBYOL\n")
        add_list(store, lst, name="watch")
        after = {r["event_id"]: r for r in store.query("SELECT * FROM scores").to_pylist()}
        assert after[ids[B]]["score"] > after[ids[C]]["score"] == before[ids[C]]
        reasons = json.loads(after[ids[B]]["reasons"])
        assert reasons[0]["factor"] == "listed_party" and reasons[0]["detail"]["method"] == "imo"
        ranked = scored_events(store, sort="score").to_pylist()
        assert [r["event_id"] for r in ranked] == [ids[B], ids[C]]
        assert scored_events(store, sort="start")["event_id"][0].as_py() == ids[B]  # oldest first
        high = scored_events(store, min_score=after[ids[C]]["score"] + 1)
        assert high["event_id"].to_pylist() == [ids[B]]
        vessels = {r["mmsi"]: r for r in store.query("SELECT * FROM vessel_scores").to_pylist()}
        assert vessels[B]["score"] >= after[ids[B]]["score"]
        assert vessels[B]["top_event_id"] == ids[B] and vessels[B]["events"] == 1
        assert vessels[A]["score"] >= after[ids[B]]["score"]  # A met the listed ship
        assert vessels[C]["score"] < vessels[B]["score"]

    from stswatch.cli import app, detect  # noqa: F401  (registers the events command)

    runner = CliRunner()
    res = runner.invoke(app, ["events", "--db", str(db), "--sort", "score", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert [r["event_id"] for r in rows] == [ids[B], ids[C]]
    assert rows[0]["score"] > rows[1]["score"] and rows[0]["reasons"][0]["factor"] == "listed_party"
    res = runner.invoke(app, ["events", "--db", str(db), "--min-score", "99.9", "--format", "csv"])
    assert res.exit_code == 0 and res.output.count("\n") == 1  # the header only
    res = runner.invoke(app, ["events", "--db", str(db), "--format", "geojson", "--sort", "score"])
    props = json.loads(res.output)["features"][0]["properties"]
    assert props["score"] == rows[0]["score"] and props["reasons"][0]["factor"] == "listed_party"
    res = runner.invoke(app, ["events", "--db", str(db), "--sort", "risk"])
    assert res.exit_code != 0 and "--sort" in str(res.exception)


def test_stored_params_follow_the_latest_run(tmp_path):
    with Store(tmp_path / "p.duckdb") as store:
        assert stored_params(store) == (Params(), None)
        _store_events(store, events_frame(encounter(dark=(True, False))))
        params = {"score": dataclasses.asdict(Params(dark_near_encounter_weight=50.0))}
        store.con.execute(
            "INSERT INTO runs VALUES ('r9', ?, ?, 'x', ?, 'c.toml', NULL, NULL, NULL, 0, 1, '[]')",
            [DAY, DAY, json.dumps(params)],
        )
        assert stored_params(store) == (Params(dark_near_encounter_weight=50.0), "r9")
        with store.transaction():
            rescore(store)
        row = store.query("SELECT score, run_id FROM scores").to_pylist()[0]
        assert row == {"score": 50.0, "run_id": "r9"}


def _positions(rows: list[tuple[int, datetime, float, float]]) -> pl.DataFrame:
    full = pl.DataFrame(schema.POSITIONS.empty_table())
    df = pl.DataFrame(rows, schema={"mmsi": pl.Int64, "ts": TS, "lon": pl.Float64,
                                    "lat": pl.Float64}, orient="row")  # fmt: skip
    df = df.with_columns(sog=pl.lit(0.2), source=pl.lit("t"), batch_id=pl.lit("b"))
    return df.with_columns(
        *[pl.lit(None).alias(c) for c in full.columns if c not in df.columns]
    ).select([pl.col(c).cast(t) for c, t in full.schema.items()])


def test_detect_scores_what_it_finds(tmp_path):
    # Two ships side by side, 100 m apart, from 20:00 to 02:00 local time in the East China
    # Sea hotspot, reporting every 5 minutes: an encounter at night inside an area.
    start = datetime(2019, 3, 2, 12, tzinfo=UTC)  # 20:00 CST
    rows = []
    for k in range(6 * 12 + 1):
        t = start + timedelta(minutes=5 * k)
        rows += [(A, t, ECS[0], ECS[1]), (B, t, ECS[0] + 0.001, ECS[1])]
    with Store(tmp_path / "d.duckdb") as store:
        store.add_positions(_positions(rows).to_arrow())
        result = detect_store(store, Config(default_params()), Window(), geo=default_geo())
        enc = result.events.filter(pl.col("type") == "encounter")
        assert enc.height == 1
        row = store.query("SELECT * FROM scores WHERE event_id = ?", [enc["event_id"][0]])
        reasons = {r["factor"] for r in json.loads(row["reasons"][0].as_py())}
        assert {"night", "area_of_interest"} <= reasons
        assert row["run_id"][0].as_py() == result.run_id


def test_docs_list_every_setting_factor_and_practice():
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "scoring.md").read_text()
    for f in dataclasses.fields(Params):
        assert f"| `{f.name}` | {f.default} |" in doc, f"docs/scoring.md: [score] {f.name}"
    for name, factor in FACTORS.items():
        weight = getattr(Params(), factor.weight_field)
        assert f"| `{name}` |" in doc and f"| {weight:g} | {factor.practice or 'none'}" in doc
    for practice in PRACTICES:
        assert f"| {practice} |" in doc
