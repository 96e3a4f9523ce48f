"""The two charts of an evidence report, as SVG: distance over time and speeds over time.

* Distance: for an event of two vessels, the distance between them on the shared 10-minute
  grid the encounter detector uses (``stswatch.resample``: interpolation only across
  silences under an hour, never extrapolated), with the detector's distance limit when the
  evidence states one; for an event of one vessel, its distance from the event position at
  each report.
* Speed: each vessel's reported speed over ground, and the speed implied by consecutive
  reports (distance over time), which is how an impossible jump shows. Implied speeds above
  the top of the axis are drawn on the top edge as triangles.

The event period is shaded on both. Times are UTC.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
import polars as pl
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from stswatch.resample import INTERVAL_S, MAX_GAP_S, resample
from stswatch.units import METERS_PER_NM, haversine_m

FloatArray = npt.NDArray[np.float64]
SPEED_AXIS_MAX_KN = 40.0  # the axis stops here (or at the top reported speed): no ship is faster
EVENT_SHADE = "#ffe9a8"


@dataclass(frozen=True)
class ChartStyle:
    width_in: float = 6.9
    height_in: float = 2.7


def _num(t: datetime) -> float:
    """Matplotlib's date number of an aware UTC time (the axes are naive UTC)."""
    return float(date2num(t.replace(tzinfo=None)))


def _figure(style: ChartStyle) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(style.width_in, style.height_in))
    ax = fig.add_axes((0.1, 0.14, 0.88, 0.62))
    ax.tick_params(labelsize=7)
    ax.grid(True, color="#dddddd", lw=0.5)
    return fig, ax


def _finish(
    fig: Figure, ax: Axes, start: datetime, end: datetime, since: datetime, until: datetime
) -> bytes:
    ax.axvspan(_num(start), _num(end), color=EVENT_SHADE, zorder=0, label="event period")
    locator = AutoDateLocator(minticks=4, maxticks=9)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, show_offset=True))
    lo, hi = _num(since), _num(until)
    if hi - lo < 1.0 / 24:  # less than an hour shown: widen to one, centred
        lo, hi = (lo + hi) / 2 - 1.0 / 48, (lo + hi) / 2 + 1.0 / 48
    ax.set_xlim(lo, hi)
    ax.legend(
        fontsize=6.5,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.01),
        ncol=2 if len(ax.get_legend_handles_labels()[0]) > 3 else 3,
        frameon=False,
        borderaxespad=0.0,
        handlelength=2.2,
    )
    ax.xaxis.get_offset_text().set_fontsize(7)
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue().encode("utf-8")


def _metres(v: float, _pos: float | None = None) -> str:
    """Axis label of a distance: metres below 10 km, km above."""
    if v >= 10_000:
        return f"{v / 1000:,.0f} km"
    if v >= 1000:
        return f"{v / 1000:.3g} km"
    return f"{v:g} m"


def pair_distance(positions: pl.DataFrame, a: int, b: int) -> pl.DataFrame:
    """Columns ts, distance_m: the two vessels on the shared grid, where both have a point."""
    grid = resample(positions.filter(pl.col("mmsi").is_in([a, b])), INTERVAL_S, MAX_GAP_S)
    pa_, pb = (
        grid.filter(pl.col("mmsi") == m).select("slot", "ts", pl.col("lon").alias(f"lon_{k}"), pl.col("lat").alias(f"lat_{k}"))
        for k, m in (("a", a), ("b", b))
    )  # fmt: skip
    both = pa_.join(pb.drop("ts"), on="slot", how="inner").sort("slot")
    d = haversine_m(
        both["lon_a"].to_numpy(),
        both["lat_a"].to_numpy(),
        both["lon_b"].to_numpy(),
        both["lat_b"].to_numpy(),
    )
    return both.select("slot", "ts").with_columns(pl.Series("distance_m", d))


def report_pair_distance(positions: pl.DataFrame, a: int, b: int) -> pl.DataFrame:
    """Columns ts, distance_m: at each report of ``a``, the distance to the report of ``b``
    nearest in time, where the two are at most one grid interval apart (raw reports, no
    interpolation: this is what remains where the grid has nothing, e.g. across silences)."""
    pa_ = positions.filter(pl.col("mmsi") == a).select("ts", "lon", "lat").sort("ts")
    pb = positions.filter(pl.col("mmsi") == b).select("ts", pl.col("lon").alias("lon_b"), pl.col("lat").alias("lat_b"), pl.col("ts").alias("ts_b")).sort("ts")  # fmt: skip
    if pa_.is_empty() or pb.is_empty():
        return pl.DataFrame(schema={"ts": pa_.schema["ts"], "distance_m": pl.Float64})
    near = pa_.join_asof(pb, on="ts", strategy="nearest", tolerance=timedelta(seconds=INTERVAL_S))
    near = near.drop_nulls("ts_b")
    d = haversine_m(near["lon"].to_numpy(), near["lat"].to_numpy(), near["lon_b"].to_numpy(), near["lat_b"].to_numpy())  # fmt: skip
    return near.select("ts").with_columns(pl.Series("distance_m", d))


def _broken(t: npt.NDArray[np.datetime64], v: FloatArray, max_gap_s: float = MAX_GAP_S) -> tuple[npt.NDArray[np.datetime64], FloatArray]:  # fmt: skip
    """``t``, ``v`` with a NaN inserted wherever consecutive times are more than
    ``max_gap_s`` apart, so that a line is not drawn across a silence."""
    if t.size < 2:
        return t, v
    t = t.astype("datetime64[us]")
    cut = np.flatnonzero(np.diff(t).astype(np.float64) / 1e6 > max_gap_s) + 1
    return np.insert(t, cut, t[cut - 1]), np.insert(v.astype(np.float64), cut, np.nan)


def distance_chart(
    positions: pl.DataFrame,
    mmsis: list[int],
    labels: dict[int, str],
    colors: dict[int, str],
    start: datetime,
    end: datetime,
    since: datetime,
    until: datetime,
    event_lonlat: tuple[float, float] | None,
    limit_m: float | None = None,
    style: ChartStyle = ChartStyle(),
) -> tuple[bytes, str]:
    """SVG bytes and a one-line caption (see the module docstring)."""
    fig, ax = _figure(style)
    if len(mmsis) == 2:
        grid = pair_distance(positions, mmsis[0], mmsis[1])
        raw = report_pair_distance(positions, mmsis[0], mmsis[1])
        t, dist = _broken(_naive_times(grid["ts"]), grid["distance_m"].to_numpy(), INTERVAL_S)
        ax.plot(t, dist, "-", lw=1.3, color="#333333", label="distance between the vessels (grid)")
        ax.plot(_naive_times(raw["ts"]), raw["distance_m"].to_numpy(), "o", ms=2.2, mfc="none", mec="#7a7a7a", mew=0.6, label=f"at reports ≤ {INTERVAL_S // 60} min apart")  # fmt: skip
        if limit_m:
            ax.axhline(limit_m, color="#c0392b", lw=0.9, ls="--", label=f"encounter limit {limit_m:g} m")  # fmt: skip
        caption = (
            f"Distance between {labels[mmsis[0]]} and {labels[mmsis[1]]}: on the shared "
            f"{INTERVAL_S // 60}-minute grid ({grid.height} slots where both have a position; "
            f"no line across silences of an hour or more), and at each report of "
            f"{labels[mmsis[0]]} with a report of the other at most {INTERVAL_S // 60} minutes "
            f"away ({raw.height} reports)."
        )
        values = np.concatenate([grid["distance_m"].to_numpy(), raw["distance_m"].to_numpy()])
    else:
        m = mmsis[0]
        p = positions.filter(pl.col("mmsi") == m)
        values = (
            haversine_m(p["lon"].to_numpy(), p["lat"].to_numpy(), event_lonlat[0], event_lonlat[1])
            if event_lonlat is not None and p.height
            else np.zeros(0)
        )
        t, v = _broken(_naive_times(p["ts"])[: values.size], values)
        ax.plot(t, v, "-o", ms=1.8, lw=1.0, color=colors[m], label=f"{labels[m]} from the event position")  # fmt: skip
        caption = (
            f"Distance of {labels[m]} from the event position at each of its reports "
            "(no line across silences of an hour or more)."
        )
    positive = values[values > 0] if values.size else values
    if positive.size and positive.max() / max(positive.min(), 1.0) > 200:
        ax.set_yscale("log")
        low = min(float(positive.min()), limit_m or np.inf)
        ax.set_ylim(10 ** math.floor(math.log10(max(low, 1.0))), float(positive.max()) * 1.6)
    ax.yaxis.set_major_formatter(FuncFormatter(_metres))
    ax.set_ylabel("distance", fontsize=7.5)
    return _finish(fig, ax, start, end, since, until), caption


def _naive_times(ts: pl.Series) -> npt.NDArray[np.datetime64]:
    return ts.dt.replace_time_zone(None).to_numpy().astype("datetime64[us]")


def implied_speed_kn(p: pl.DataFrame) -> tuple[npt.NDArray[np.datetime64], FloatArray]:
    """Mid-times and implied speeds (knots) between consecutive reports of one vessel."""
    if p.height < 2:
        return np.zeros(0, dtype="datetime64[us]"), np.zeros(0)
    t = _naive_times(p["ts"])
    dt_s = np.diff(t).astype(np.float64) / 1e6
    lon, lat = p["lon"].to_numpy(), p["lat"].to_numpy()
    d = haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:])
    ok = dt_s > 0
    mid = t[:-1] + (np.diff(t) // 2)
    return mid[ok], d[ok] / dt_s[ok] * 3600.0 / METERS_PER_NM


def speed_chart(
    positions: pl.DataFrame,
    mmsis: list[int],
    labels: dict[int, str],
    colors: dict[int, str],
    start: datetime,
    end: datetime,
    since: datetime,
    until: datetime,
    style: ChartStyle = ChartStyle(),
) -> tuple[bytes, str]:
    """SVG bytes and a caption (see the module docstring)."""
    fig, ax = _figure(style)
    reported_max = 0.0
    implied: dict[int, tuple[npt.NDArray[np.datetime64], FloatArray]] = {}
    for m in mmsis:
        p = positions.filter(pl.col("mmsi") == m)
        sog = p.filter(pl.col("sog").is_not_null())
        if sog.height:
            reported_max = max(reported_max, float(sog["sog"].cast(pl.Float64).max()))  # type: ignore[arg-type]
            t, v = _broken(_naive_times(sog["ts"]), sog["sog"].to_numpy())
            ax.plot(t, v, "-o", ms=1.8, lw=1.1, color=colors[m], label=f"{labels[m]}: reported SOG")  # fmt: skip
        implied[m] = implied_speed_kn(p)
    implied_all = np.concatenate([kn for _, kn in implied.values()] or [np.zeros(0)])
    typical = float(np.percentile(implied_all, 95)) if implied_all.size else 0.0
    top = min(max(reported_max, typical) * 1.2, max(SPEED_AXIS_MAX_KN, reported_max * 1.1))
    top = max(top, 5.0)
    clipped_any = False
    for m, (t, kn) in implied.items():
        if not t.size:
            continue
        over = kn > top
        clipped_any |= bool(over.any())
        ax.plot(t[~over], kn[~over], "x", ms=2.8, mew=0.7, color=colors[m], alpha=0.9, label=f"{labels[m]}: implied by consecutive reports")  # fmt: skip
        if over.any():
            ax.plot(t[over], np.full(int(over.sum()), top), "^", ms=4.5, color=colors[m], clip_on=False)  # fmt: skip
    ax.set_ylim(0, top * 1.02)
    ax.set_ylabel("speed (knots)", fontsize=7.5)
    caption = (
        "Speed over ground as reported (lines, broken across silences of an hour or more), "
        "and as implied by consecutive reports (crosses, at the middle of each step)."
    )
    if clipped_any:
        caption += f" Triangles on the top edge: implied speeds above {top:.0f} knots."
    return _finish(fig, ax, start, end, since, until), caption
