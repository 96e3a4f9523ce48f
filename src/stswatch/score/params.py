"""Weights of the risk score (the ``[score]`` section of ``stswatch.toml``) and the practices.

A weight is the points a factor gives at full strength (0-100); docs/scoring.md explains how
points combine. The defaults are stswatch's judgement, ordered by how directly each factor
points at sanctions evasion, not fitted to data: no labelled set of DPRK transfers in AIS is
public. Change them in the config file; every run records the values in force.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The deceptive shipping practices of the US advisory of 14 May 2020 (OFAC, Department of
# State, US Coast Guard: "Sanctions Advisory for the Maritime Industry, Energy and Metals
# Sectors, and Related Communities"), section headings in their order there. The first
# heading reads in full "Disabling or Manipulating the Automatic Identification System (AIS)".
AIS = "Disabling or manipulating AIS"
IDENTIFICATION = "Physically altering vessel identification"
DOCUMENTS = "Falsifying cargo and vessel documents"
STS = "Ship-to-ship transfers"
VOYAGE = "Voyage irregularities"
FLAGS = "False flags and flag hopping"
OWNERSHIP = "Complex ownership or management"
PRACTICES = (AIS, IDENTIFICATION, DOCUMENTS, STS, VOYAGE, FLAGS, OWNERSHIP)


def _w(default: float, text: str) -> float:
    return field(default=default, metadata={"help": f"{text}: points at full strength, 0-100"})


@dataclass(frozen=True)
class Params:
    """Weights and thresholds of the risk score."""

    # A listing is what makes the rest matter: the strongest factor.
    listed_party_weight: float = _w(70.0, "A party matches a sanctions/watch list entry")
    # Screening confidence is multiplied by these per method (docs/screening.md): the IMO is
    # the hull's for life; a listed MMSI may be old or reassigned; names are often shared.
    imo_match_factor: float = field(
        default=1.0, metadata={"help": "Multiplier of the match confidence for IMO matches"}
    )
    mmsi_match_factor: float = field(
        default=0.9, metadata={"help": "Multiplier of the match confidence for MMSI matches"}
    )
    name_match_factor: float = field(
        default=0.6,
        metadata={"help": "Multiplier for name, former-name and broadcast-history matches"},
    )
    needs_review_factor: float = field(
        default=0.5, metadata={"help": "Further multiplier when the match needs review"}
    )
    # A port call in the DPRK by a foreign ship is itself a likely breach (UNSCR 2397).
    dprk_port_visit_weight: float = _w(50.0, "A party visited a DPRK port")
    dark_near_encounter_weight: float = _w(
        35.0, "A party had an at-sea AIS gap within dark_window_h of an encounter"
    )
    spoofing_weight: float = _w(30.0, "A party's AIS was spoofed (impossible positions, ...)")
    flag_hopping_weight: float = _w(30.0, "A party's IMO number moved to an MMSI of another flag")
    identity_change_weight: float = _w(
        25.0, "A party changed its broadcast name, call sign, IMO or type, or cloned an IMO"
    )
    area_of_interest_weight: float = _w(25.0, "The event lies inside an area of interest")
    repeat_encounters_weight: float = _w(25.0, "The same two vessels met more than once")
    flag_mismatch_weight: float = _w(20.0, "A party's call sign is of another flag than its MID")
    night_weight: float = _w(15.0, "The encounter took place with the sun below the horizon")
    tanker_weight: float = _w(15.0, "A party of an encounter or loitering is a tanker (80-89)")
    # stswatch choice: a month spans a voyage leg between a transfer and the port call or
    # renaming that goes with it; older history still counts, at distant_strength.
    recent_days: float = field(
        default=30.0,
        metadata={
            "help": "History (identity, spoofing, DPRK port) counts in full this close, days"
        },
    )
    distant_strength: float = field(
        default=0.5, metadata={"help": "Strength (0-1) of history farther away than recent_days"}
    )
    # The encounter detector's own default (encounter.Params.dark_window_h).
    dark_window_h: float = field(
        default=24.0, metadata={"help": "A gap this close to an encounter counts, hours"}
    )
    # Sunrise/sunset convention of NOAA and the almanacs (refraction + solar semi-diameter).
    night_sun_elevation_deg: float = field(
        default=-0.833, metadata={"help": "Night: sun's centre below this elevation, degrees"}
    )
    # stswatch choice: the fourth meeting of one pair is a pattern, not a coincidence.
    repeat_full_at: int = field(
        default=4, metadata={"help": "Encounters of one pair that give repeat_encounters in full"}
    )
    builtin_areas: bool = field(
        default=True, metadata={"help": "Use the shipped STS hotspot areas (stswatch areas show)"}
    )
