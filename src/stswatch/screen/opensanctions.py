"""OpenSanctions / FollowTheMoney entities as JSON lines: the ``Vessel`` entities of an export.

Each line is one entity, ``{"id": ..., "schema": "Vessel", "properties": {...}, "datasets":
[...]}`` (the ``entities.ftm.json`` and ``targets.nested.json`` exports). Properties are lists
of strings: ``name``, ``alias``, ``previousName`` (former names), ``imoNumber`` (``IMO
9187629`` or ``9187629``), ``mmsi``, ``callSign``, ``flag`` and ``pastFlags`` (ISO alpha-2
codes), ``type``, ``programId`` and ``notes``. Entities of other schemas (companies,
sanctions, people) are skipped; in nested exports a vessel's ``sanctions`` give its
programme, otherwise its ``datasets`` do. The export carries no version of its own; the
file's date is used.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from stswatch.errors import InputError
from stswatch.screen.base import ListFile, entries_frame, rows_frame

FORMAT = "opensanctions"
DEFAULT_NAME = "opensanctions"

_DIGITS = re.compile(r"\d+")


def sniff(path: Path, head: bytes) -> bool:
    first = head.lstrip().split(b"\n", 1)[0]
    return first.startswith(b"{") and b'"schema"' in first and b'"properties"' in first


def _numbers(values: list[str]) -> list[int]:
    """``["IMO 9187629"]`` -> ``[9187629]``: the digits of each value."""
    return [int("".join(_DIGITS.findall(v))) for v in values if _DIGITS.search(v)]


def _program(entity: dict[str, Any]) -> str | None:
    props = entity.get("properties", {})
    programs = list(props.get("programId", []))
    for sanction in props.get("sanctions", []):
        if isinstance(sanction, dict):
            sp = sanction.get("properties", {})
            programs += sp.get("programId", []) or sp.get("program", [])
    programs = programs or list(entity.get("datasets", []))
    return "; ".join(dict.fromkeys(programs)) or None


def _row(entity: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, list[str]] = entity.get("properties", {})
    names = [n for n in props.get("name", []) if n.strip()] or [entity.get("caption") or ""]
    imos = _numbers(props.get("imoNumber", []))
    return {
        "entry_id": entity.get("id"),
        "name": names[0],
        "aliases": names[1:] + props.get("alias", []) + props.get("weakAlias", []),
        "former_names": props.get("previousName", []),
        "imo": imos[0] if imos else None,
        "mmsis": _numbers(props.get("mmsi", [])),
        "call_signs": props.get("callSign", []),
        "flags": props.get("flag", []),
        "former_flags": props.get("pastFlags", []),
        "vessel_type": "; ".join(props.get("type", [])) or None,
        "program": _program(entity),
        "remarks": " ".join(props.get("notes", [])) or None,
        "extra": json.dumps(
            {
                "imo_numbers": imos,
                "datasets": entity.get("datasets", []),
                "first_seen": entity.get("first_seen"),
                "last_change": entity.get("last_change"),
            }
        ),
    }


def read(path: Path) -> ListFile:
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as lines:
        for line_no, line in enumerate(lines, 1):
            if '"Vessel"' not in line:  # cheap skip of the other schemas
                continue
            try:
                entity = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"{path} line {line_no} is not JSON ({exc.msg}). Hint: OpenSanctions "
                    "exports are one entity per line (entities.ftm.json); re-download the file."
                ) from exc
            if entity.get("schema") == "Vessel":
                rows.append(_row(entity))
    return ListFile(entries_frame(rows_frame(rows)))
