"""Where the sun is: solar elevation for many (time, place) pairs at once, NOAA's formulas.

The equations are those of NOAA's Solar Calculator (Global Monitoring Laboratory, "General
Solar Position Calculations" and its spreadsheet NOAA_Solar_Calculations_day.xls, after
Jean Meeus, *Astronomical Algorithms*, 1991): the sun's geometric mean longitude and anomaly,
the equation of centre, apparent longitude and corrected obliquity give the declination and
the equation of time; true solar time gives the hour angle, and the hour angle, latitude and
declination the zenith angle. NOAA quotes them as accurate to about a minute of sunrise and
sunset time for dates between 1800 and 2100 at latitudes within +/-72 degrees.

``elevation_deg`` is the *geometric* elevation of the sun's centre (no refraction).
Sunrise and sunset are when it equals ``SUNRISE_ELEVATION_DEG`` (-0.833 degrees: 34' of
refraction at the horizon plus the 16' semi-diameter of the disc, the convention of NOAA,
the US Naval Observatory and the almanacs), so "night" here is ``elevation_deg < -0.833``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

SUNRISE_ELEVATION_DEG = -0.833
_UNIX_EPOCH_JD = 2440587.5  # Julian day of 1970-01-01T00:00Z
_J2000_JD = 2451545.0
US_PER_DAY = 86_400_000_000

FloatArray = npt.NDArray[np.float64]


def _sun(epoch_us: npt.ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Declination (rad), equation of time (minutes) and UTC minutes of the day."""
    us = np.asarray(epoch_us, dtype=np.int64)
    jd = us / US_PER_DAY + _UNIX_EPOCH_JD
    t = (jd - _J2000_JD) / 36525.0  # Julian centuries since J2000.0
    l0 = np.radians(np.mod(280.46646 + t * (36000.76983 + t * 0.0003032), 360.0))
    m = np.radians(357.52911 + t * (35999.05029 - 0.0001537 * t))
    e = 0.016708634 - t * (0.000042037 + 0.0000001267 * t)
    centre = (
        np.sin(m) * (1.914602 - t * (0.004817 + 0.000014 * t))
        + np.sin(2 * m) * (0.019993 - 0.000101 * t)
        + np.sin(3 * m) * 0.000289
    )
    omega = np.radians(125.04 - 1934.136 * t)
    apparent_long = np.radians(np.degrees(l0) + centre - 0.00569 - 0.00478 * np.sin(omega))
    mean_obliquity = (
        23.0 + (26.0 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60.0) / 60.0
    )
    obliquity = np.radians(mean_obliquity + 0.00256 * np.cos(omega))
    declination = np.arcsin(np.sin(obliquity) * np.sin(apparent_long))
    y = np.tan(obliquity / 2.0) ** 2
    eot_min = 4.0 * np.degrees(
        y * np.sin(2 * l0)
        - 2 * e * np.sin(m)
        + 4 * e * y * np.sin(m) * np.cos(2 * l0)
        - 0.5 * y * y * np.sin(4 * l0)
        - 1.25 * e * e * np.sin(2 * m)
    )
    minutes = np.mod(us, US_PER_DAY) / 60_000_000.0
    return declination, eot_min, minutes


def solar_time_h(epoch_us: npt.ArrayLike, lon: npt.ArrayLike) -> FloatArray:
    """Apparent (true) local solar time in hours, 0-24: UTC + lon/15 h + equation of time."""
    _, eot_min, minutes = _sun(epoch_us)
    return np.mod(minutes + eot_min + 4.0 * np.asarray(lon, dtype=np.float64), 1440.0) / 60.0


def elevation_deg(epoch_us: npt.ArrayLike, lon: npt.ArrayLike, lat: npt.ArrayLike) -> FloatArray:
    """Geometric elevation of the sun's centre above the horizon, degrees (arrays broadcast).

    ``epoch_us`` is UTC microseconds since 1970 (``timestamp[us, UTC]`` as integers);
    ``lon``/``lat`` in degrees east/north.
    """
    declination, eot_min, minutes = _sun(epoch_us)
    true_solar_min = np.mod(minutes + eot_min + 4.0 * np.asarray(lon, dtype=np.float64), 1440.0)
    hour_angle = np.radians(true_solar_min / 4.0 - 180.0)
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    cos_zenith = np.sin(phi) * np.sin(declination) + np.cos(phi) * np.cos(declination) * np.cos(
        hour_angle
    )
    return 90.0 - np.degrees(np.arccos(np.clip(cos_zenith, -1.0, 1.0)))


def is_night(
    epoch_us: npt.ArrayLike,
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    threshold_deg: float = SUNRISE_ELEVATION_DEG,
) -> npt.NDArray[np.bool_]:
    """True where the sun is below the horizon (its centre lower than ``threshold_deg``)."""
    return elevation_deg(epoch_us, lon, lat) < threshold_deg
