"use strict";
// The stswatch analyst page: events ranked by score beside a MapLibre map (WebGL layers over
// GeoJSON sources, no DOM markers), one event's tracks with a replay slider, its evidence,
// and triage. Everything comes from this server; the token is in localStorage.

const KEY = "stswatch.token";
const PAGE = 50;
const TYPE_COLORS = {
  encounter: "#d7301f", loitering: "#fc8d59", gap: "#6a51a3", spoofing: "#e7298a",
  identity_change: "#1b9e77", port_visit: "#2c7fb8",
};
const PARTY_COLORS = ["#c0392b", "#1f5fbf"];
const STATUS_LABEL = {
  new: "new", under_review: "under review", confirmed: "confirmed", dismissed: "dismissed",
};
const GAP_MS = 30 * 60 * 1000; // longer without a report: the replay marker shows it as dark

const state = {
  token: localStorage.getItem(KEY),
  me: null,
  offset: 0,
  total: 0,
  items: [],
  selected: null, // event detail
  tracks: [], // [{mmsi, t: [ms], lon, lat, sog}]
  replay: { t0: 0, t1: 0, playing: false },
  timings: {},
};
window.stswatch = { state }; // for tests and the console

// --- small helpers ----------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const $ = (id) => document.getElementById(id);
const fmtTime = (iso) => (iso ? iso.replace("T", " ").replace(/(:\d\d)(\.\d+)?Z$/, "$1").slice(0, 16) + "Z" : "");
const fmtNum = (v, d = 1) => (v === null || v === undefined ? "–" : Number(v).toFixed(d));
// A reason's detail (an object of numbers and names) as one line: "list watchlist; method imo".
function fmtDetail(detail) {
  if (typeof detail !== "object") return String(detail);
  return Object.entries(detail)
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => `${k.replaceAll("_", " ")} ${Array.isArray(v) ? v.join(", ") : typeof v === "object" ? JSON.stringify(v) : v}`)
    .join("; ");
}
const who = (name, mmsi) => (name ? `${name} (${mmsi})` : String(mmsi));

function toast(text, kind = "info") {
  const t = $("toast");
  t.textContent = text;
  t.className = kind;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 5000);
}

class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(path, options = {}) {
  const res = await fetch(path, {
    ...options,
    headers: { Authorization: `Bearer ${state.token}`, ...(options.headers || {}) },
  });
  if (res.status === 401) {
    localStorage.removeItem(KEY);
    location.replace("/login");
    throw new ApiError(401, null);
  }
  const type = res.headers.get("content-type") || "";
  const body = type.includes("json") ? await res.json() : await res.blob();
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

function haversineM(lon1, lat1, lon2, lat2) {
  const r = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * r) / 2) ** 2
    + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(((lon2 - lon1) * r) / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(a));
}

// --- filters ----------------------------------------------------------------------------

function filterParams() {
  const p = new URLSearchParams();
  const v = (id) => $(id).value.trim();
  if (v("f-type")) p.set("type", v("f-type"));
  if (v("f-status")) p.set("status", v("f-status"));
  if (v("f-score")) p.set("min_score", v("f-score"));
  if (v("f-since")) p.set("since", v("f-since"));
  if (v("f-until")) p.set("until", `${v("f-until")}T23:59:59Z`);
  if (v("f-area")) p.set("area", v("f-area"));
  if ($("f-sanctioned").checked) p.set("sanctioned", "true");
  if ($("f-view").checked && map) {
    const b = map.getBounds();
    const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, x));
    const w = clamp(b.getWest(), -180, 180), e = clamp(b.getEast(), -180, 180);
    p.set("bbox", [w, clamp(b.getSouth(), -90, 90), e, clamp(b.getNorth(), -90, 90)]
      .map((x) => x.toFixed(4)).join(","));
  }
  return p;
}

let reloadTimer = null;
function reload(delay = 150) {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => {
    state.offset = 0;
    loadList();
    loadMapEvents();
  }, delay);
}

// --- the list ---------------------------------------------------------------------------

let listSeq = 0;
async function loadList() {
  const seq = ++listSeq;
  const t = performance.now();
  const p = filterParams();
  p.set("sort", $("f-sort").value);
  p.set("limit", PAGE);
  p.set("offset", state.offset);
  let page;
  try {
    page = await api(`/api/events?${p}`);
  } catch (err) {
    $("count").textContent = err.message;
    return;
  }
  if (seq !== listSeq) return;
  state.total = page.total;
  state.items = page.items;
  renderList();
  state.timings.list_ms = Math.round(performance.now() - t);
  state.timings.list_at_ms = state.timings.list_at_ms ?? Math.round(performance.now());
  document.body.dataset.listLoaded = String(page.items.length);
}

function renderList() {
  const list = $("list");
  list.replaceChildren(...state.items.map((e) => {
    const parties = e.other_mmsi
      ? [who(e.name, e.mmsi), " ⇄ ", who(e.other_name, e.other_mmsi)]
      : [who(e.name, e.mmsi)];
    return el("li", {
      dataset: { id: e.event_id }, tabindex: "0",
      class: [e.status, state.selected?.event.event_id === e.event_id ? "active" : ""].join(" "),
      onclick: () => openEvent(e.event_id),
      onkeydown: (ev) => { if (ev.key === "Enter") openEvent(e.event_id); },
    },
    el("span", { class: "score", title: "score" }, e.score === null ? "–" : Math.round(e.score)),
    el("span", { class: "what" },
      el("span", { class: "type", style: `--c:${TYPE_COLORS[e.type] || "#555"}` }, e.type.replace("_", " ")),
      (e.sanctioned || e.other_sanctioned) ? el("span", { class: "flag", title: "a party is on a sanctions list" }, "listed") : null,
      el("span", { class: `status s-${e.status}` }, STATUS_LABEL[e.status])),
    el("span", { class: "who" }, ...parties),
    el("span", { class: "when muted" }, `${fmtTime(e.start)} · ${fmtNum(e.duration_h)} h`));
  }));
  const pages = Math.max(1, Math.ceil(state.total / PAGE));
  const page = Math.floor(state.offset / PAGE) + 1;
  $("count").textContent = `${state.total.toLocaleString("en")} events`;
  $("page").textContent = `${page} / ${pages}`;
  $("prev").disabled = state.offset === 0;
  $("next").disabled = state.offset + PAGE >= state.total;
}

// --- the map ----------------------------------------------------------------------------

let map = null;
let markMapReady;
const mapReady = new Promise((resolve) => { markMapReady = resolve; });

function emptyFC() { return { type: "FeatureCollection", features: [] }; }

const FINE_LAND_ZOOM = 5;

function landLayers(source, zooms) {
  return [
    { id: `${source}-fill`, type: "fill", source, ...zooms, paint: { "fill-color": "#f4f1e8" } },
    { id: `${source}-coast`, type: "line", source, ...zooms, paint: { "line-color": "#b3ac98", "line-width": 0.7 } },
  ];
}

function initMap() {
  maplibregl.setWorkerUrl("/static/vendor/maplibre-gl-csp-worker.js");
  map = new maplibregl.Map({
    container: "map",
    center: [123.5, 36.5],
    zoom: 4.3,
    attributionControl: { compact: true, customAttribution: "Land: Natural Earth (public domain)" },
    style: {
      version: 8,
      sources: { "land-coarse": { type: "geojson", data: "/static/land-coarse.geojson", tolerance: 0.5 } },
      layers: [
        { id: "sea", type: "background", paint: { "background-color": "#dce9f2" } },
        ...landLayers("land-coarse", { maxzoom: FINE_LAND_ZOOM }),
      ],
    },
  });
  // The detailed coastline (3x the bytes) only once someone zooms in.
  const addFineLand = () => {
    if (!map.getLayer("sea-above") || map.getZoom() < FINE_LAND_ZOOM - 0.5 || map.getSource("land")) return;
    map.addSource("land", { type: "geojson", data: "/static/land.geojson", tolerance: 0.5 });
    for (const layer of landLayers("land", { minzoom: FINE_LAND_ZOOM })) map.addLayer(layer, "sea-above");
  };
  map.on("zoomend", addFineLand);
  window.stswatch.map = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "nautical" }), "bottom-right");
  map.on("load", () => {
    map.addLayer({ id: "sea-above", type: "background", paint: { "background-opacity": 0 } });
    map.addSource("areas", { type: "geojson", data: emptyFC() });
    map.addSource("events", { type: "geojson", data: emptyFC() });
    map.addSource("tracks", { type: "geojson", data: emptyFC() });
    map.addSource("track-points", { type: "geojson", data: emptyFC() });
    map.addSource("replay", { type: "geojson", data: emptyFC() });
    map.addSource("selected", { type: "geojson", data: emptyFC() });
    map.addLayer({ id: "areas-fill", type: "fill", source: "areas", paint: { "fill-color": "#f0b400", "fill-opacity": 0.08 } });
    map.addLayer({ id: "areas-line", type: "line", source: "areas", paint: { "line-color": "#c89500", "line-width": 1, "line-dasharray": [3, 2] } });
    const typeColor = ["match", ["get", "type"], ...Object.entries(TYPE_COLORS).flat(), "#555"];
    map.addLayer({
      id: "events", type: "circle", source: "events",
      paint: {
        "circle-color": typeColor,
        "circle-radius": ["interpolate", ["linear"], ["coalesce", ["get", "score"], 0], 0, 2.5, 50, 4, 100, 7.5],
        "circle-opacity": ["case", ["==", ["get", "status"], "dismissed"], 0.25, 0.8],
        "circle-stroke-color": ["case", ["get", "s"], "#000", "#fff"],
        "circle-stroke-width": ["case", ["get", "s"], 1.5, 0.5],
      },
    });
    map.addLayer({ id: "tracks", type: "line", source: "tracks", layout: { "line-join": "round" },
      paint: { "line-color": ["to-color", ["get", "color"]], "line-width": 2.2, "line-opacity": 0.85 } });
    map.addLayer({ id: "track-points", type: "circle", source: "track-points", minzoom: 7,
      paint: { "circle-color": ["to-color", ["get", "color"]], "circle-radius": 2, "circle-opacity": 0.7 } });
    map.addLayer({ id: "selected", type: "circle", source: "selected",
      paint: { "circle-radius": 14, "circle-color": "rgba(0,0,0,0)", "circle-stroke-color": "#111", "circle-stroke-width": 2 } });
    map.addLayer({ id: "replay", type: "circle", source: "replay",
      paint: {
        "circle-radius": ["get", "r"], "circle-color": ["case", ["get", "dark"], "#ffffff", ["to-color", ["get", "color"]]],
        "circle-stroke-color": ["to-color", ["get", "color"]], "circle-stroke-width": 3,
      } });
    map.on("click", "events", (ev) => openEvent(ev.features[0].properties.id));
    map.on("mouseenter", "events", () => { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", "events", () => { map.getCanvas().style.cursor = ""; });
    map.on("moveend", () => { if ($("f-view").checked) reload(300); });
    addFineLand();
    state.timings.map_load_at_ms = Math.round(performance.now());
    document.body.dataset.mapReady = "1";
    markMapReady();
    loadAreas();
  });
}

let mapSeq = 0;
async function loadMapEvents() {
  const seq = ++mapSeq;
  const t = performance.now();
  let fc;
  try {
    fc = await api(`/api/map/events?${filterParams()}`); // fetched while the map loads
  } catch (err) {
    toast(err.message, "error");
    return;
  }
  await mapReady;
  if (seq !== mapSeq) return; // a newer filter's answer is coming
  map.getSource("events").setData(fc);
  state.timings.map_ms = Math.round(performance.now() - t);
  state.mapEvents = fc.features.length;
  map.once("idle", () => {
    state.timings.map_drawn_ms = Math.round(performance.now() - t);
    state.timings.map_drawn_at_ms = Math.round(performance.now());
    document.body.dataset.mapEvents = String(fc.features.length);
  });
}

async function loadAreas() {
  try {
    const fc = await api("/api/areas");
    map.getSource("areas").setData(fc);
    const sel = $("f-area");
    for (const f of fc.features) sel.append(el("option", { value: f.properties.name }, f.properties.name.replaceAll("_", " ")));
  } catch (err) {
    toast(err.message, "error");
  }
}

// --- one event --------------------------------------------------------------------------

async function openEvent(id) {
  const t = performance.now();
  let d;
  try {
    d = await api(`/api/events/${encodeURIComponent(id)}?hours=6`);
  } catch (err) {
    toast(err.message, "error");
    return;
  }
  await mapReady; // the list can be clicked before the map has loaded
  stopReplay();
  state.selected = d;
  state.tracks = d.tracks.map((tr, i) => ({
    mmsi: tr.mmsi, color: PARTY_COLORS[i % 2],
    t: tr.ts.map((s) => Date.parse(s)), lon: tr.lon, lat: tr.lat, sog: tr.sog,
  }));
  drawTracks();
  renderDetail();
  for (const li of $("list").children) li.classList.toggle("active", li.dataset.id === id);
  state.timings.event_ms = Math.round(performance.now() - t);
  document.body.dataset.eventOpen = id;
}

function drawTracks() {
  const d = state.selected;
  const lines = [], points = [];
  const bounds = new maplibregl.LngLatBounds();
  for (const tr of state.tracks) {
    const coords = tr.lon.map((x, i) => [x, tr.lat[i]]);
    coords.forEach((c) => bounds.extend(c));
    if (coords.length > 1) lines.push({ type: "Feature", properties: { mmsi: tr.mmsi, color: tr.color }, geometry: { type: "LineString", coordinates: coords } });
    coords.forEach((c) => points.push({ type: "Feature", properties: { color: tr.color }, geometry: { type: "Point", coordinates: c } }));
  }
  map.getSource("tracks").setData({ type: "FeatureCollection", features: lines });
  map.getSource("track-points").setData({ type: "FeatureCollection", features: points });
  const e = d.event;
  map.getSource("selected").setData(e.lon === null ? emptyFC() : {
    type: "FeatureCollection", features: [{ type: "Feature", properties: {}, geometry: { type: "Point", coordinates: [e.lon, e.lat] } }],
  });
  if (e.lon !== null) bounds.extend([e.lon, e.lat]);
  if (!bounds.isEmpty()) {
    map.fitBounds(bounds, { padding: 60, maxZoom: 11, duration: 600 });
  }
  const all = state.tracks.flatMap((tr) => [tr.t[0], tr.t[tr.t.length - 1]]).filter(Number.isFinite);
  state.replay.t0 = all.length ? Math.min(...all) : Date.parse(e.start);
  state.replay.t1 = all.length ? Math.max(...all) : Date.parse(e.end);
}

// Position of a track at time t: linear between the reports around t; "dark" when those
// reports are more than GAP_MS apart (the vessel was not heard), hidden outside the track.
function positionAt(tr, t) {
  const n = tr.t.length;
  if (!n || t < tr.t[0] || t > tr.t[n - 1]) return null;
  let lo = 0, hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (tr.t[mid] <= t) lo = mid; else hi = mid;
  }
  const span = tr.t[hi] - tr.t[lo];
  const f = span > 0 ? (t - tr.t[lo]) / span : 0;
  return {
    lon: tr.lon[lo] + (tr.lon[hi] - tr.lon[lo]) * f,
    lat: tr.lat[lo] + (tr.lat[hi] - tr.lat[lo]) * f,
    sog: tr.sog[lo],
    dark: span > GAP_MS,
  };
}

function setReplay(fraction) {
  const { t0, t1 } = state.replay;
  const t = t0 + (t1 - t0) * fraction;
  const feats = [];
  const at = [];
  for (const [i, tr] of state.tracks.entries()) {
    const p = positionAt(tr, t);
    at.push(p);
    // the first party's marker is larger, so both show when they lie alongside each other
    if (p) feats.push({ type: "Feature", properties: { color: tr.color, dark: p.dark, r: i ? 6 : 10 }, geometry: { type: "Point", coordinates: [p.lon, p.lat] } });
  }
  map.getSource("replay").setData({ type: "FeatureCollection", features: feats });
  state.replay.positions = feats.map((f) => f.geometry.coordinates);
  const label = $("replay-time");
  if (!label) return;
  const parts = [new Date(t).toISOString().slice(0, 16).replace("T", " ") + "Z"];
  at.forEach((p, i) => {
    if (p) parts.push(`${state.tracks[i].mmsi}: ${p.dark ? "dark" : `${fmtNum(p.sog)} kn`}`);
  });
  if (at.length === 2 && at[0] && at[1]) {
    const m = haversineM(at[0].lon, at[0].lat, at[1].lon, at[1].lat);
    parts.push(`apart ${m < 2000 ? `${Math.round(m)} m` : `${(m / 1852).toFixed(1)} nm`}`);
  }
  label.textContent = parts.join(" · ");
  document.body.dataset.replayMarkers = String(feats.length);
}

function stopReplay() {
  state.replay.playing = false;
  const b = $("replay-play");
  if (b) b.textContent = "▶";
}

function playReplay() {
  const slider = $("replay");
  if (state.replay.playing) { stopReplay(); return; }
  state.replay.playing = true;
  $("replay-play").textContent = "❚❚";
  if (Number(slider.value) >= 1000) slider.value = 0;
  let last = performance.now();
  const step = (now) => {
    if (!state.replay.playing) return;
    const v = Math.min(1000, Number(slider.value) + ((now - last) / 15000) * 1000); // 15 s
    last = now;
    slider.value = v;
    setReplay(v / 1000);
    if (v >= 1000) stopReplay(); else requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
}

function renderDetail() {
  const d = state.selected;
  const e = d.event;
  const body = $("detail-body");
  const { t0, t1 } = state.replay;
  const pct = (iso) => (t1 > t0 ? ((Date.parse(iso) - t0) / (t1 - t0)) * 100 : 0);
  const reasons = Array.isArray(d.reasons) ? d.reasons : [];
  const canTriage = state.me && state.me.role !== "viewer";

  body.replaceChildren(
    el("h2", {}, el("span", { class: "type", style: `--c:${TYPE_COLORS[e.type] || "#555"}` }, e.type.replace("_", " ")),
      e.subtype ? ` (${e.subtype})` : "",
      el("span", { class: "score big", title: "score" }, e.score === null ? "unscored" : Math.round(e.score))),
    el("p", { class: "muted" }, `${fmtTime(e.start)} → ${fmtTime(e.end)} · ${fmtNum(e.duration_h, 2)} h`,
      e.lon !== null ? ` · ${fmtNum(e.lat, 4)}°N ${fmtNum(e.lon, 4)}°E` : ""),
    el("section", { id: "parties" }, d.parties.map((p, i) => el("div", { class: "party", style: `--c:${PARTY_COLORS[i % 2]}` },
      el("strong", {}, p.name || "(no name)"), ` MMSI ${p.mmsi}`,
      p.imo ? ` · IMO ${p.imo}` : "", p.flag_country ? ` · flag ${p.flag_country}` : "",
      p.callsign ? ` · ${p.callsign}` : "",
      p.matches.length
        ? el("ul", { class: "matches" }, p.matches.map((m) => el("li", { class: m.needs_review ? "review" : "" },
          `${m.list_name} (${m.list_version}): ${m.entry_name} by ${m.method} ${m.vessel_value}`,
          ` · confidence ${fmtNum(m.confidence, 2)}`, m.program ? ` · ${m.program}` : "",
          m.needs_review ? " · needs review" : "")))
        : el("div", { class: "muted small" }, "no list match")))),
    el("section", { id: "replay-box" },
      el("h3", {}, "Replay"),
      state.tracks.some((t) => t.t.length)
        ? el("div", {},
          el("div", { class: "replay-row" },
            el("button", { type: "button", id: "replay-play", onclick: playReplay, "aria-label": "Play" }, "▶"),
            el("div", { class: "slider-wrap" },
              el("div", { class: "event-span", style: `left:${pct(e.start)}%;width:${Math.max(0.5, pct(e.end) - pct(e.start))}%`, title: "the event" }),
              el("input", { type: "range", id: "replay", min: "0", max: "1000", value: String(Math.round(pct(e.start) * 10)),
                "aria-label": "Replay time", oninput: (ev) => { stopReplay(); setReplay(Number(ev.target.value) / 1000); } }))),
          el("div", { id: "replay-time", class: "small" }),
          el("div", { class: "small muted" }, d.tracks.map((tr, i) => el("span", { class: "legend", style: `--c:${PARTY_COLORS[i % 2]}` },
            `${tr.mmsi}: ${tr.points} positions${tr.returned < tr.points ? ` (${tr.returned} drawn)` : ""} `))))
        : el("p", { class: "muted" }, "No positions around this event.")),
    el("section", { id: "reasons" }, el("h3", {}, "Why this score"),
      reasons.length
        ? el("ol", {}, reasons.map((r) => el("li", {},
          el("b", {}, `${fmtNum(r.points, 1)} `), String(r.factor).replaceAll("_", " "),
          r.mmsi ? ` (${r.mmsi})` : "", r.practice ? el("span", { class: "muted" }, ` · ${r.practice}`) : "",
          r.detail ? el("div", { class: "small muted" }, fmtDetail(r.detail)) : "")))
        : el("p", { class: "muted" }, "No score reasons.")),
    el("section", { id: "evidence" }, el("h3", {}, "Evidence"),
      Object.keys(d.evidence).length
        ? el("table", {}, Object.entries(d.evidence).map(([k, v]) => el("tr", {}, el("th", {}, k.replaceAll("_", " ")),
          el("td", {}, typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)))))
        : el("p", { class: "muted" }, "No evidence recorded.")),
    el("section", { id: "triage" }, el("h3", {}, "Triage"),
      el("form", { id: "triage-form", onsubmit: saveTriage },
        el("select", { id: "triage-status", disabled: !canTriage, "aria-label": "Status" },
          Object.entries(STATUS_LABEL).map(([v, l]) => el("option", { value: v, selected: d.triage.status === v }, l))),
        el("textarea", { id: "triage-note", rows: "3", placeholder: "Note", disabled: !canTriage, "aria-label": "Note" }, d.triage.note || ""),
        el("button", { type: "submit", id: "triage-save", disabled: !canTriage }, "Save"),
        el("span", { id: "triage-version", class: "muted small" }, triageLine(d.triage)),
        el("p", { id: "triage-msg", role: "alert", hidden: true }),
        canTriage ? null : el("p", { class: "muted small" }, "Viewers cannot triage."))),
    el("p", { class: "muted small" }, `Event ${e.event_id} · run ${d.run ? `${d.run.run_id} (stswatch ${d.run.stswatch_version}, ${fmtTime(d.run.finished)})` : e.run_id}`),
  );
  $("detail").hidden = false;
  map.resize();
  if ($("replay")) setReplay(Number($("replay").value) / 1000);
}

function triageLine(tr) {
  return tr.version ? `version ${tr.version}, ${tr.updated_by}, ${fmtTime(tr.updated_at)}` : "never triaged";
}

async function saveTriage(ev) {
  ev.preventDefault();
  const d = state.selected;
  const msg = $("triage-msg");
  msg.hidden = true;
  msg.className = "";
  const payload = {
    status: $("triage-status").value,
    note: $("triage-note").value,
    version: d.triage.version,
  };
  try {
    const rec = await api(`/api/events/${encodeURIComponent(d.event.event_id)}/triage`, {
      method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload),
    });
    d.triage = rec;
    d.event.status = rec.status;
    $("triage-version").textContent = triageLine(rec);
    msg.textContent = "Saved.";
    msg.className = "ok";
    msg.hidden = false;
    loadList();
    loadMapEvents();
  } catch (err) {
    if (err.status === 409 && err.body?.current) {
      const cur = err.body.current;
      d.triage = cur; // the next save states this version: a deliberate overwrite
      $("triage-version").textContent = triageLine(cur);
      msg.textContent = `Not saved: ${cur.updated_by} changed this event meanwhile (now "${STATUS_LABEL[cur.status]}"`
        + `${cur.note ? `, note: "${cur.note}"` : ""}). Your text is kept; review and press Save again to replace theirs.`;
      loadList(); // show their status in the list and on the map
      loadMapEvents();
    } else {
      msg.textContent = err.message;
    }
    msg.className = "error";
    msg.hidden = false;
  }
}

// --- vessels ----------------------------------------------------------------------------

async function searchVessels(ev) {
  ev.preventDefault();
  const q = $("vessel-q").value.trim();
  if (!q) return;
  let page;
  try {
    page = await api(`/api/vessels?q=${encodeURIComponent(q)}&limit=20`);
  } catch (err) {
    toast(err.message, "error");
    return;
  }
  const body = $("detail-body");
  body.replaceChildren(
    el("h2", {}, `Vessels matching "${q}"`),
    el("p", { class: "muted" }, `${page.total} found`),
    el("ol", { class: "vessels" }, page.items.map((v) => el("li", {},
      el("a", { href: "#", onclick: (e) => { e.preventDefault(); showVessel(v.mmsi); } }, who(v.name, v.mmsi)),
      v.imo ? ` IMO ${v.imo}` : "", ` · ${v.positions.toLocaleString("en")} positions`,
      v.sanctioned ? el("span", { class: "flag" }, "listed") : null))),
  );
  $("detail").hidden = false;
  map.resize();
}

async function showVessel(mmsi) {
  let v;
  try {
    v = await api(`/api/vessels/${mmsi}`);
  } catch (err) {
    toast(err.message, "error");
    return;
  }
  const evs = await api(`/api/vessels/${mmsi}/events?limit=100&sort=-start`);
  $("f-type").value = "";
  $("detail-body").replaceChildren(
    el("h2", {}, who(v.vessel.name, mmsi), v.vessel.sanctioned ? el("span", { class: "flag" }, "listed") : null),
    el("h3", {}, "Identity history"),
    el("table", { class: "history" }, el("tr", {}, ["from", "to", "name", "call sign", "IMO", "type"].map((h) => el("th", {}, h))),
      v.history.map((h) => el("tr", {}, el("td", {}, fmtTime(h.first_ts)), el("td", {}, fmtTime(h.last_ts)),
        el("td", {}, h.name ?? ""), el("td", {}, h.callsign ?? ""), el("td", {}, h.imo ?? ""), el("td", {}, h.ship_type ?? "")))),
    el("h3", {}, "List matches"),
    v.matches.length ? el("ul", {}, v.matches.map((m) => el("li", {}, `${m.list_name}: ${m.entry_name} (${m.method}, ${fmtNum(m.confidence, 2)})`)))
      : el("p", { class: "muted" }, "none"),
    el("h3", {}, `Events (${evs.total})`),
    el("ol", { class: "vessels" }, evs.items.map((e) => el("li", {},
      el("a", { href: "#", onclick: (x) => { x.preventDefault(); openEvent(e.event_id); } }, `${e.type} ${fmtTime(e.start)}`),
      ` · score ${e.score === null ? "–" : Math.round(e.score)} · ${STATUS_LABEL[e.status]}`))),
  );
}

// --- exports ----------------------------------------------------------------------------

async function download(format) {
  try {
    const blob = await api(`/api/export/events?format=${format}&${filterParams()}`);
    const a = el("a", { href: URL.createObjectURL(blob), download: `stswatch-events.${format}` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  } catch (err) {
    toast(err.message, "error");
  }
}

// --- start ------------------------------------------------------------------------------

async function start() {
  if (!state.token) {
    location.replace("/login");
    return;
  }
  const t = performance.now();
  try {
    state.me = await api("/api/me");
  } catch {
    return;
  }
  $("who").textContent = `${state.me.name} (${state.me.role})`;
  $("logout").onclick = () => { localStorage.removeItem(KEY); location.replace("/login"); };
  $("filters").addEventListener("change", () => reload());
  $("filters").addEventListener("reset", () => setTimeout(() => reload(0), 0));
  $("f-score").addEventListener("input", () => reload(400));
  $("prev").onclick = () => { state.offset = Math.max(0, state.offset - PAGE); loadList(); };
  $("next").onclick = () => { state.offset += PAGE; loadList(); };
  $("close").onclick = () => {
    stopReplay();
    $("detail").hidden = true;
    state.selected = null;
    for (const id of ["tracks", "track-points", "replay", "selected"]) map.getSource(id)?.setData(emptyFC());
    map.resize();
  };
  $("vessel-search").addEventListener("submit", searchVessels);
  $("export-geojson").onclick = () => download("geojson");
  $("export-csv").onclick = () => download("csv");
  initMap();
  loadMapEvents();
  await loadList();
  state.timings.first_list_ms = Math.round(performance.now() - t);
  api("/api/summary").then((s) => {
    $("summary").textContent = `${s.events.toLocaleString("en")} events · ${s.vessels.toLocaleString("en")} vessels · ${s.positions.toLocaleString("en")} positions`;
  }).catch(() => {});
}

start();
