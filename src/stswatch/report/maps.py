"""The track map of an evidence report, drawn offline with Matplotlib over ``basemap``.

Equirectangular frame centred on the tracks (a degree of longitude drawn ``cos(lat0)`` as
long as one of latitude, so shapes and the scale bar are true at the map's centre), with
longitude/latitude ticks, a scale bar in km and nautical miles, a north arrow and the
Natural Earth attribution. Each vessel's reports are joined in time order: solid where
consecutive reports are less than ``max_join_gap_h`` apart at a plausible speed, dotted
across longer silences or impossible jumps. The event period is drawn thick, the rest of
the window thin; the event position is a star.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator

from stswatch.report.basemap import View, coast_segments, fit_view, land_raster, unwrap
from stswatch.resample import METERS_PER_DEGREE
from stswatch.units import METERS_PER_NM, haversine_m

FloatArray = npt.NDArray[np.float64]

SEA = "#dbe9f4"
LAND = "#ece6d6"
COAST = "#8c8c8c"
VESSEL_COLORS = ("#1f5fbf", "#d2471f")  # vessel A, vessel B
MAX_JOIN_GAP_H = 1.0  # draw a solid line only between reports closer in time than this
MAX_JOIN_SPEED_KN = 60.0  # ... and at an implied speed no ship makes


@dataclass(frozen=True)
class Track:
    """One vessel's reports in time order, for drawing."""

    mmsi: int
    label: str
    color: str
    ts: npt.NDArray[np.datetime64]
    lon: FloatArray
    lat: FloatArray


@dataclass(frozen=True)
class MapStyle:
    width_in: float = 6.9
    height_in: float = 4.9
    dpi: int = 150


def _in_period(t: Track, start: datetime, end: datetime) -> npt.NDArray[np.bool_]:
    s = np.datetime64(start.replace(tzinfo=None), "us")
    e = np.datetime64(end.replace(tzinfo=None), "us")
    return (t.ts >= s) & (t.ts <= e)


def _joined(t: Track) -> npt.NDArray[np.bool_]:
    """Per step between consecutive reports: True when drawn solid."""
    if t.ts.size < 2:
        return np.zeros(0, dtype=bool)
    dt_h = np.diff(t.ts).astype("timedelta64[us]").astype(np.float64) / 3.6e9
    d_m = haversine_m(t.lon[:-1], t.lat[:-1], t.lon[1:], t.lat[1:])
    with np.errstate(divide="ignore", invalid="ignore"):
        kn = d_m / METERS_PER_NM / dt_h
    return (dt_h <= MAX_JOIN_GAP_H) & ((kn <= MAX_JOIN_SPEED_KN) | (d_m < 1000.0))


def _segments(x: FloatArray, y: FloatArray, mask: npt.NDArray[np.bool_]) -> list[FloatArray]:
    idx = np.flatnonzero(mask)
    return [np.array([[x[i], y[i]], [x[i + 1], y[i + 1]]]) for i in idx]


def _nice(value: float) -> float:
    """The largest 1, 2 or 5 times a power of ten not above ``value``."""
    exp = math.floor(math.log10(value))
    for m in (5.0, 2.0, 1.0):
        if m * 10**exp <= value:
            return m * 10**exp
    return 10**exp


def _lon_label(v: float, _pos: float | None = None) -> str:
    w = (v + 180.0) % 360.0 - 180.0
    if abs(w) < 1e-9 or abs(abs(w) - 180.0) < 1e-9:
        return f"{abs(w):g}°"
    return f"{abs(w):g}°{'E' if w > 0 else 'W'}"


def _lat_label(v: float, _pos: float | None = None) -> str:
    if abs(v) < 1e-9:
        return "0°"
    return f"{abs(v):g}°{'N' if v > 0 else 'S'}"


def _scale_bar(ax: Axes, view: View) -> None:
    """A two-part bar about a fifth of the map wide, true at the central latitude."""
    width_m = (view.east - view.west) * METERS_PER_DEGREE * view.x_scale
    length_m = _nice(width_m / 5.0)
    length_deg = length_m / (METERS_PER_DEGREE * view.x_scale)
    x0 = view.west + 0.04 * (view.east - view.west)
    y0 = view.south + 0.05 * (view.north - view.south)
    h = 0.012 * (view.north - view.south)
    half = length_deg / 2.0
    for i, color in enumerate(("#222222", "#ffffff")):
        ax.add_patch(_rect(x0 + i * half, y0, half, h, color))
    size = f"{length_m / 1000:g} km" if length_m >= 1000 else f"{length_m:g} m"
    nm = length_m / METERS_PER_NM
    label = f"{size} ({nm:,.0f} nm)" if nm >= 100 else f"{size} ({nm:.2g} nm)"
    ax.text(
        x0, y0 + 2.2 * h, label, fontsize=7, ha="left", va="bottom",
        bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1.0},
    )  # fmt: skip


def _rect(x: float, y: float, w: float, h: float, color: str) -> Rectangle:
    return Rectangle((x, y), w, h, facecolor=color, edgecolor="#222222", linewidth=0.6, zorder=6)


def _north_arrow(ax: Axes) -> None:
    ax.annotate(
        "N", xy=(0.965, 0.22), xytext=(0.965, 0.09), xycoords="axes fraction",
        ha="center", va="center", fontsize=9, fontweight="bold",
        arrowprops={"arrowstyle": "-|>", "color": "#222222", "lw": 1.4},
        bbox={"boxstyle": "circle,pad=0.2", "facecolor": "white", "alpha": 0.8, "edgecolor": "none"},
        zorder=7,
    )  # fmt: skip


def period_points(
    tracks: list[Track], start: datetime, end: datetime
) -> tuple[FloatArray, FloatArray]:
    """Longitudes and latitudes of every report within the event period."""
    keep = [_in_period(t, start, end) for t in tracks]
    return (
        np.concatenate([t.lon[k] for t, k in zip(tracks, keep, strict=True)] or [np.zeros(0)]),
        np.concatenate([t.lat[k] for t, k in zip(tracks, keep, strict=True)] or [np.zeros(0)]),
    )


def render_map(
    tracks: list[Track],
    start: datetime,
    end: datetime,
    event_lonlat: tuple[float, float] | None,
    focus: tuple[FloatArray, FloatArray] | None = None,
    min_span_km: float = 20.0,
    style: MapStyle = MapStyle(),
) -> bytes:
    """PNG of the tracks over the land basemap (see the module docstring), framed on all
    reports and the event position, or on the ``focus`` points (a close-up)."""
    lon_all = np.concatenate([t.lon for t in tracks] or [np.zeros(0)])
    lat_all = np.concatenate([t.lat for t in tracks] or [np.zeros(0)])
    if focus is not None:
        lon_all, lat_all = focus
    elif event_lonlat is not None:
        lon_all = np.append(lon_all, event_lonlat[0])
        lat_all = np.append(lat_all, event_lonlat[1])
    fig = Figure(figsize=(style.width_in, style.height_in), dpi=style.dpi)
    ax = fig.add_axes((0.085, 0.07, 0.895, 0.91))
    bbox = ax.get_position()
    w_px = max(int(bbox.width * style.width_in * style.dpi), 10)
    h_px = max(int(bbox.height * style.height_in * style.dpi), 10)
    view = (
        fit_view(lon_all, lat_all, w_px / h_px, min_span_km=min_span_km)
        if lon_all.size
        else View(0, -180, 180, -85, 85)
    )

    land = land_raster(view, w_px, h_px)
    ax.imshow(
        land.astype(np.uint8), extent=(view.west, view.east, view.south, view.north),
        cmap=ListedColormap([SEA, LAND]), vmin=0, vmax=1, interpolation="nearest",
        origin="upper", zorder=0,
    )  # fmt: skip
    px_deg = (view.north - view.south) / h_px
    ax.add_collection(
        LineCollection(coast_segments(view, px_deg), colors=COAST, linewidths=0.5, zorder=1)
    )

    handles: list[Line2D] = []
    for t in tracks:
        x = unwrap(t.lon, view.lon0)
        y = t.lat
        inside = _in_period(t, start, end)
        joined = _joined(t)
        both_in = inside[:-1] & inside[1:] if t.ts.size > 1 else np.zeros(0, dtype=bool)
        ax.add_collection(
            LineCollection(
                _segments(x, y, joined & ~both_in),
                colors=t.color,
                linewidths=1.0,
                alpha=0.55,
                zorder=3,
            )
        )
        ax.add_collection(
            LineCollection(
                _segments(x, y, ~joined),
                colors=t.color,
                linewidths=0.8,
                linestyles=(0, (1.5, 2.5)),
                alpha=0.6,
                zorder=3,
            )
        )
        ax.add_collection(
            LineCollection(
                _segments(x, y, joined & both_in), colors=t.color, linewidths=2.6, zorder=4
            )
        )
        ax.plot(x[~inside], y[~inside], "o", ms=1.6, color=t.color, alpha=0.6, zorder=3)
        ax.plot(x[inside], y[inside], "o", ms=3.0, color=t.color, mec="white", mew=0.4, zorder=5)
        if t.ts.size:
            ax.plot(x[0], y[0], "o", ms=6, mfc="white", mec=t.color, mew=1.5, zorder=5)
            ax.plot(x[-1], y[-1], "s", ms=5.5, mfc="white", mec=t.color, mew=1.5, zorder=5)
        handles.append(Line2D([], [], color=t.color, lw=2.6, marker="o", ms=3, label=t.label))
    if event_lonlat is not None:
        ex = float(unwrap(np.array([event_lonlat[0]]), view.lon0)[0])
        ax.plot(ex, event_lonlat[1], "*", ms=15, mfc="#ffd400", mec="#222222", mew=0.9, zorder=8)
        handles.append(
            Line2D(
                [],
                [],
                ls="none",
                marker="*",
                ms=11,
                mfc="#ffd400",
                mec="#222222",
                label="event position",
            )
        )
    handles += [
        Line2D([], [], color="#555555", lw=2.6, label="during the event"),
        Line2D([], [], color="#555555", lw=1.0, alpha=0.55, label="before / after"),
        Line2D([], [], color="#555555", lw=0.8, ls=(0, (1.5, 2.5)), label="silence > 1 h or jump"),
        Line2D([], [], ls="none", marker="o", ms=6, mfc="white", mec="#555555", label="first report"),
        Line2D([], [], ls="none", marker="s", ms=5.5, mfc="white", mec="#555555", label="last report"),
    ]  # fmt: skip
    ax.legend(handles=handles, loc="upper left", fontsize=6.5, framealpha=0.85, borderpad=0.5)

    ax.set_xlim(view.west, view.east)
    ax.set_ylim(view.south, view.north)
    ax.set_aspect(1.0 / view.x_scale, adjustable="box")
    for axis, fmt in ((ax.xaxis, _lon_label), (ax.yaxis, _lat_label)):
        axis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
        axis.set_major_formatter(FuncFormatter(fmt))
    ax.tick_params(labelsize=7, direction="out", length=3)
    ax.grid(True, color="white", lw=0.5, alpha=0.8, zorder=0.5)
    _scale_bar(ax, view)
    _north_arrow(ax)
    ax.text(
        0.995, 0.005, "Land: Natural Earth 10 m (public domain). Equirectangular, "
        f"true scale at {abs(view.lat0):.2f}°{'N' if view.lat0 >= 0 else 'S'}.",
        transform=ax.transAxes, fontsize=5.5, ha="right", va="bottom", color="#444444",
        bbox={"facecolor": "white", "alpha": 0.6, "edgecolor": "none", "pad": 0.8}, zorder=7,
    )  # fmt: skip
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=style.dpi, metadata={"Software": None})
    return buf.getvalue()
