"""Write docs/data-model.md from stswatch.schema (a test checks it is up to date)."""

from __future__ import annotations

import sys
from pathlib import Path

from stswatch import schema

INTRO = {
    "positions": "One row per position report (AIS types 1, 2, 3, 18, 19, 27, or a CSV row).",
    "statics": "One row per static/voyage report (AIS types 5, 19, 24; identity columns of CSVs).",
    "rejects": "The quarantine: every input line that could not be used, with its reason.",
    "ingests": "One row per input file ingested (the batch); re-ingesting a file is a no-op.",
    "events": "Detected events; `evidence` holds the numbers behind each one.",
    "runs": "One row per detection run: provenance of the events it stored.",
    "lists": "One row per sanctions or watch list loaded (`stswatch lists add`): its version and hash.",
    "list_entries": "The vessels on the loaded lists, one row per entry.",
    "matches": "Vessels that match list entries (`stswatch screen`); replaced on each screening.",
    "scores": "Risk score of each event with its reasons (docs/scoring.md); recomputed after every detect, screening and area change.",
    "vessel_scores": "Risk score of each vessel in an event or a match: every factor of its events once, at its strongest.",
    "areas": "Areas of interest added with `stswatch areas add` (the built-in hotspots ship with stswatch and are not stored).",
    "users": "Users of the analyst service (`stswatch users add`); tokens are stored only as salted scrypt hashes.",
    "audit": "Every change made through the service or `stswatch users`: who, when, what, old and new value.",
    "triage": "Analysts' verdicts on events (`stswatch serve`), one row per triaged event, versioned.",
}


def render() -> str:
    parts = [
        "# Data model",
        "",
        "Generated from `src/stswatch/schema.py` by `python scripts/gen_docs.py`; do not edit.",
        "",
        "Times are UTC (`TIMESTAMPTZ`, microseconds). AIS 'not available' values "
        "(lon 181, lat 91, sog 102.3, cog 360, heading 511, nav status 15, IMO 0, draught 0) "
        "are stored as NULL, never as numbers.",
        "",
        "Two reports are the same report, stored once, when MMSI, message type, position, "
        "speed, course, heading and status are equal and their times fall in the same second "
        "(one transmission heard by several receivers, or one file ingested twice).",
        "",
    ]
    for table in schema.TABLES:
        parts += [f"## `{table}`", "", INTRO[table], "", schema.markdown_table(table), ""]
    parts += ["## Reject reasons", "", "| reason | meaning |", "|---|---|"]
    parts += [f"| `{k}` | {v} |" for k, v in schema.REJECT_REASONS.items()]
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    target = Path(__file__).resolve().parent.parent / "docs" / "data-model.md"
    if "--check" in sys.argv:
        sys.exit(0 if target.read_text() == render() else 1)
    target.write_text(render())
    print(f"wrote {target}")
