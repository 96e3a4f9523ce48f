"""The map page in a real browser: log in, see the events, open one, replay it, triage it,
reload and find the triage kept; a conflicting edit is reported; a viewer cannot triage;
and the page under load (10,000 events, 100,000 positions).

Screenshots go to test-artifacts/e2e-*.png, the load timings to
test-artifacts/e2e-load-timings.json.
"""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path

import httpx
import pytest

from stswatch.serve import sample

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is missing: install Debian's chromium (make system-deps, or "
    "apt-get install chromium) to run the end-to-end tests",
)

TIMEOUT_MS = 120_000  # the browser draws WebGL in software; shared machines are slow
SEA, LAND = (0xDC, 0xE9, 0xF2), (0xF4, 0xF1, 0xE8)  # the page's basemap colours


@pytest.fixture(scope="module")
def scenario(tmp_path_factory, start_server):
    db = tmp_path_factory.mktemp("e2e") / "scenario.duckdb"
    ids = sample.build(db)
    tokens = sample.add_users(db)
    return {"url": start_server(db).url, "ids": ids, "tokens": tokens}


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1500, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    requests: list[str] = []
    errors: list[str] = []
    pg.on("request", lambda r: requests.append(r.url))
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg, requests, errors
    context.close()


def wait(pg, predicate: str) -> None:
    """Wait until the JavaScript arrow function ``predicate`` is truthy (the page's CSP
    forbids eval, so it must be a function, not an expression)."""
    pg.wait_for_function(predicate, timeout=TIMEOUT_MS)


def log_in(pg, url: str, token: str) -> None:
    pg.goto(f"{url}/")
    pg.wait_for_url(f"{url}/login")  # no token yet: the page sends us to log in
    pg.fill("#token", token)
    pg.click("#login-button")
    pg.wait_for_url(f"{url}/")
    pg.wait_for_selector("#list li")


def map_colors(pg) -> set[tuple[int, int, int]]:
    from PIL import Image

    img = Image.open(io.BytesIO(pg.locator("#map").screenshot())).convert("RGB")
    return {c for _, c in img.getcolors(maxcolors=1 << 22)}


def has(colors: set[tuple[int, int, int]], rgb: tuple[int, int, int], tol: int = 4) -> bool:
    return any(all(abs(a - b) <= tol for a, b in zip(c, rgb, strict=True)) for c in colors)


def list_ids(pg) -> list[str]:
    return pg.eval_on_selector_all("#list li", "els => els.map(e => e.dataset.id)")


def test_login_map_open_replay_triage_reload(scenario, page, artifacts):
    pg, requests, errors = page
    url, ids = scenario["url"], scenario["ids"]
    log_in(pg, url, scenario["tokens"]["analyst"])

    # the list, ranked by score, and the events drawn on the map
    assert list_ids(pg) == [ids["encounter"], ids["gap"], ids["loitering"], ids["identity_change"]]
    assert pg.text_content("#count") == "4 events"
    assert pg.text_content("#who") == "ana (analyst)"
    wait(pg, "() => document.body.dataset.mapEvents === '3'")  # the 4th has no position
    assert pg.locator("#map canvas.maplibregl-canvas").is_visible()
    drawn = pg.evaluate(
        "() => window.stswatch.map.queryRenderedFeatures({layers: ['events']}).length"
    )
    assert drawn == 3
    colors = map_colors(pg)
    assert has(colors, SEA) and has(colors, LAND), "the basemap was not drawn"
    pg.screenshot(path=str(artifacts / "e2e-list.png"))

    # open the encounter: both tracks, parties, matches, reasons, evidence
    pg.click(f"#list li[data-id='{ids['encounter']}']")
    pg.wait_for_selector("#replay")
    detail = pg.text_content("#detail")
    for text in ("OCEAN STAR", "PEARL 1", "watchlist", "listed party", "median distance m"):
        assert text in detail, text
    wait(pg, "() => window.stswatch.state.tracks.length === 2 && window.stswatch.map.loaded()")

    # replay: at the start the two ships are far apart, in the middle alongside
    def replay_to(value: int) -> tuple[list[list[float]], str]:
        pg.fill("#replay", str(value))
        pg.dispatch_event("#replay", "input")
        return (
            pg.evaluate("() => window.stswatch.state.replay.positions"),
            pg.text_content("#replay-time"),
        )

    start, label0 = replay_to(0)
    middle, label1 = replay_to(500)  # 08:00 of 00:00-16:00
    assert len(start) == len(middle) == 2 and start != middle
    assert label0.startswith("2024-03-01 00:00Z") and "nm" in label0
    assert label1.startswith("2024-03-01 08:00Z")
    apart = re.search(r"apart (\d+) m\b", label1)
    assert apart and int(apart.group(1)) < 200, label1
    pg.wait_for_timeout(800)  # let the map draw the markers
    pg.screenshot(path=str(artifacts / "e2e-event.png"))

    # triage it, then reload: the page keeps the token and the server the triage
    pg.select_option("#triage-status", "confirmed")
    pg.fill("#triage-note", "Alongside for 4 h in Korea Bay; OCEAN STAR dark after.")
    pg.click("#triage-save")
    pg.wait_for_selector("#triage-msg.ok")
    wait(pg, "() => document.querySelector('#list li.confirmed') !== null")
    pg.reload()
    pg.wait_for_selector("#list li")
    assert pg.locator(f"#list li[data-id='{ids['encounter']}'] .status").text_content() == (
        "confirmed"
    )
    pg.click(f"#list li[data-id='{ids['encounter']}']")
    pg.wait_for_selector("#triage-status")
    assert pg.input_value("#triage-status") == "confirmed"
    assert pg.input_value("#triage-note").startswith("Alongside for 4 h")
    assert "version 1, ana" in pg.text_content("#triage-version")

    # someone else saves meanwhile: our save is refused with what they wrote
    r = httpx.put(
        f"{url}/api/events/{ids['encounter']}/triage",
        headers={"Authorization": f"Bearer {scenario['tokens']['admin']}"},
        json={"status": "dismissed", "note": "Same owner; a bunkering call.", "version": 1},
    )
    assert r.status_code == 200
    pg.fill("#triage-note", "My second thoughts")
    pg.click("#triage-save")
    pg.wait_for_selector("#triage-msg.error")
    msg = pg.text_content("#triage-msg")
    assert "Not saved" in msg and "adam" in msg and "bunkering" in msg
    assert pg.input_value("#triage-note") == "My second thoughts"  # our text is kept
    status = f"#list li[data-id='{ids['encounter']}'] .status"
    wait(pg, f'() => document.querySelector("{status}").textContent === "dismissed"')
    pg.screenshot(path=str(artifacts / "e2e-conflict.png"))
    pg.click("#triage-save")  # now a deliberate overwrite of version 2
    pg.wait_for_selector("#triage-msg.ok")

    # offline: every request went to this server
    assert requests and all(u.startswith(url) or u.startswith("blob:") for u in requests), [
        u for u in requests if not u.startswith(url)
    ]
    assert errors == []
    pg.click("#logout")
    pg.wait_for_url(f"{url}/login")


def test_a_wrong_token_is_refused_at_login(scenario, page):
    pg, _, _ = page
    url = scenario["url"]
    pg.goto(f"{url}/login")
    pg.fill("#token", "stsw_000000000000_wrong")
    pg.click("#login-button")
    pg.wait_for_selector("#login-error:not([hidden])")
    assert "not valid" in pg.text_content("#login-error")
    assert pg.url == f"{url}/login"


def test_a_viewer_sees_everything_but_cannot_triage(scenario, page):
    pg, _, errors = page
    log_in(pg, scenario["url"], scenario["tokens"]["viewer"])
    pg.click(f"#list li[data-id='{scenario['ids']['gap']}']")
    pg.wait_for_selector("#triage-status")
    assert pg.is_disabled("#triage-status") and pg.is_disabled("#triage-save")
    assert "Viewers cannot triage" in pg.text_content("#triage")
    assert errors == []


def test_the_page_under_load(tmp_path_factory, start_server, page, artifacts):
    """10,000 events and 100,000 positions: the list and the map render. The times are
    measured and written out, not asserted (they depend on the machine)."""
    db = tmp_path_factory.mktemp("e2e-load") / "load.duckdb"
    sample.build(db, events=10_000, positions=100_000)
    tokens = sample.add_users(db)
    url = start_server(db).url
    pg, _, errors = page
    log_in(pg, url, tokens["viewer"])
    wait(pg, "() => document.body.dataset.mapEvents")

    # measure a fresh load with the token already in the browser
    t0 = time.perf_counter()
    pg.goto(f"{url}/")
    pg.wait_for_function("() => document.querySelectorAll('#list li').length === 50")
    list_s = time.perf_counter() - t0
    wait(pg, "() => document.body.dataset.mapEvents === '10003'")
    map_s = time.perf_counter() - t0
    assert pg.text_content("#count") == "10,004 events"
    assert pg.text_content("#page") == "1 / 201"
    shown = pg.evaluate(
        "() => window.stswatch.map.queryRenderedFeatures({layers: ['events']}).length"
    )
    assert shown > 1000
    pg.screenshot(path=str(artifacts / "e2e-load.png"))

    # the next page, an event and its replay
    t1 = time.perf_counter()
    pg.click("#next")
    pg.wait_for_function("() => document.querySelector('#page').textContent === '2 / 201'")
    next_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    pg.click("#list li >> nth=0")
    pg.wait_for_selector("#replay")
    open_s = time.perf_counter() - t2
    timings = {
        "events": 10_004,
        "positions": 100_247,
        "list_rendered_s": round(list_s, 2),
        "map_drawn_s": round(map_s, 2),
        "next_page_s": round(next_s, 2),
        "open_event_s": round(open_s, 2),
        "in_page_ms": pg.evaluate("() => window.stswatch.state.timings"),
    }
    (artifacts / "e2e-load-timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    print("page under load:", json.dumps(timings))
    assert errors == []
