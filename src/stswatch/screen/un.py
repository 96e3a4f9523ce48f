"""UN Security Council lists: the 1718 Committee's designated vessels (DPRK), in two layouts.

*Consolidated list XML* (``consolidated.xml`` from scsanctions.un.org): ``<CONSOLIDATED_LIST
dateGenerated="...">`` holding ``<INDIVIDUALS>`` and ``<ENTITIES>``; each ``<ENTITY>`` has
``DATAID``, ``FIRST_NAME`` (to ``FOURTH_NAME``), ``UN_LIST_TYPE`` (programme),
``REFERENCE_NUMBER``, ``LISTED_ON``, ``COMMENTS1``, ``ENTITY_ALIAS`` (``QUALITY`` ``Good``,
``Low``, ``a.k.a.`` or ``f.k.a.``; ``ALIAS_NAME``) and ``LAST_DAY_UPDATED``. The XML has no
vessel type: an entity is read as a vessel when its name or comments carry an IMO number
(``IMO: 8916293``, ``IMO number 8916293``) and its name is not an organisation's (``...
COMPANY``, ``LTD``, ``CORPORATION``, ...; companies have IMO numbers too). MMSIs, flag and
call sign are read from the comments where written as ``MMSI: ...``, ``Flag: ...``,
``Call sign: ...``. The version is the root's ``dateGenerated``.

*Designated vessels table* (CSV extracted from the Committee's "1718 Designated Vessels
List"): header ``list_no,names,imo,mmsi,designation_date,flag,call_sign,vessel_type,
other_information``; several names, MMSIs, flags and call signs separated by ``|``, each
possibly numbered (``1:445498000``, an extraction remnant of the list's "MMSI: 1: ..."). The
first name is the entry's name, the others its aliases (the list does not say which is
current). The table states no version; the file's date is used.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import polars as pl

from stswatch.errors import InputError
from stswatch.screen.base import (
    ListFile,
    blank_to_null,
    entries_frame,
    parse_date,
    rows_frame,
    split_list,
)

FORMAT = "un"
DEFAULT_NAME = "un-1718"
CSV_HEADER = "list_no,names,imo,mmsi,designation_date,flag,call_sign,vessel_type"
PROGRAM_1718 = "UN 1718 (DPRK)"

_IMO = re.compile(r"\bIMO(?:\s*(?:number|no\.?|#))?\s*[:.]?\s*(\d{7})\b", re.IGNORECASE)
_MMSI = re.compile(r"\bMMSI(?:\s*(?:number|no\.?))?\s*[:.]?\s*(\d{9})\b", re.IGNORECASE)
_FLAG = re.compile(r"\bFlag(?:\s+state)?\s*:\s*([^;.\n]+)", re.IGNORECASE)
_CALL_SIGN = re.compile(r"\bCall\s*sign\s*:\s*([A-Z0-9]{3,8})\b", re.IGNORECASE)
_ORGANISATION = re.compile(
    r"\b(COMPANY|CORPORATION|CORP|LTD|LIMITED|INC|LLC|GROUP|BANK|TRADING|AGENCY|BUREAU|"
    r"COMMITTEE|DEPARTMENT|MINISTRY|ASSOCIATION|FUND|OFFICE|CENTRE|CENTER|CO)\b",
    re.IGNORECASE,
)
_ALIAS_KIND = {"Good": "aliases", "a.k.a.": "aliases", "Low": "aliases", "f.k.a.": "former_names"}


def sniff(path: Path, head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<") and b"<CONSOLIDATED_LIST" in text:
        return True
    return text.startswith(CSV_HEADER.encode())


def read(path: Path) -> ListFile:
    head = path.read_bytes()[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return _read_xml(path) if head.startswith(b"<") else _read_csv(path)


def _numbered(items: pl.Expr) -> pl.Expr:
    """Drop the "1:" numbering the extraction left in front of some values."""
    return items.list.eval(pl.element().str.replace(r"^\d+\s*:\s*", ""))


def _read_csv(path: Path) -> ListFile:
    raw = pl.read_csv(path, infer_schema=False)
    missing = [c for c in [*CSV_HEADER.split(","), "other_information"] if c not in raw.columns]
    if missing:
        raise InputError(
            f"{path} has no {', '.join(missing)} column(s). Hint: the UN table needs the header "
            f"{CSV_HEADER}; pass --format csv for a plain imo,mmsi,name watchlist."
        )
    raw = raw.with_columns(
        [blank_to_null(pl.col(c)).alias(c) for c in ("imo", "mmsi", "other_information")]
    )
    names = _numbered(split_list(pl.col("names")))
    df = raw.select(
        pl.col("list_no").alias("entry_id"),
        names.list.first().alias("name"),
        names.list.slice(1).alias("aliases"),
        pl.col("imo").cast(pl.Int64, strict=False).alias("imo"),
        _numbered(split_list(pl.col("mmsi")))
        .list.eval(pl.element().cast(pl.Int64, strict=False))
        .alias("mmsis"),
        _numbered(split_list(pl.col("call_sign"))).alias("call_signs"),
        _numbered(split_list(pl.col("flag"))).alias("flags"),
        pl.col("vessel_type"),
        pl.lit(PROGRAM_1718).alias("program"),
        split_list(pl.col("designation_date"))
        .list.first()
        .str.strptime(pl.Date, "%d-%b-%y", strict=False)
        .alias("listed_on"),
        pl.col("other_information").alias("remarks"),
        pl.struct(
            split_list(pl.col("designation_date")).alias("designation_dates"),
        )
        .struct.json_encode()
        .alias("extra"),
    )
    return ListFile(entries_frame(df))


def _text(node: ET.Element, tag: str) -> str | None:
    value = node.findtext(tag)
    return value.strip() if value and value.strip() else None


def _entity(node: ET.Element) -> dict[str, object] | None:
    """One ENTITY as an entry row, or None when it is not a vessel."""
    name = " ".join(
        t for t in (_text(node, f"{p}_NAME") for p in ("FIRST", "SECOND", "THIRD", "FOURTH")) if t
    )
    comments = _text(node, "COMMENTS1") or ""
    imo = _IMO.search(f"{name} {comments}")
    if not name or imo is None or _ORGANISATION.search(name):
        return None
    names: dict[str, list[str]] = {"aliases": [], "former_names": []}
    for alias in node.findall("ENTITY_ALIAS"):
        kind = _ALIAS_KIND.get(_text(alias, "QUALITY") or "Good")
        for alias_name in (_text(alias, "ALIAS_NAME") or "").split("; "):
            if kind and alias_name.strip():
                names[kind].append(alias_name.strip())
    original = _text(node, "NAME_ORIGINAL_SCRIPT")
    if original:
        names["aliases"].append(original)
    listed = _text(node, "LISTED_ON")
    return {
        "entry_id": _text(node, "REFERENCE_NUMBER") or _text(node, "DATAID"),
        "name": name,
        **names,
        "imo": int(imo[1]),
        "mmsis": [int(m) for m in _MMSI.findall(comments)],
        "call_signs": _CALL_SIGN.findall(comments),
        "flags": [f.strip() for f in _FLAG.findall(comments)],
        "program": _text(node, "UN_LIST_TYPE"),
        "listed_on": parse_date(listed),
        "remarks": comments or None,
        "extra": json.dumps(
            {
                "dataid": _text(node, "DATAID"),
                "reference_number": _text(node, "REFERENCE_NUMBER"),
                "last_day_updated": [
                    v.text for v in node.findall("LAST_DAY_UPDATED/VALUE") if v.text
                ],
            }
        ),
    }


def _read_xml(path: Path) -> ListFile:
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise InputError(
            f"{path} is not well-formed XML ({exc}). Hint: download the consolidated list again."
        ) from exc
    if root.tag != "CONSOLIDATED_LIST":
        raise InputError(
            f"{path} is XML but its root is <{root.tag}>, not <CONSOLIDATED_LIST>. Hint: pass "
            "the UN Security Council consolidated list (consolidated.xml)."
        )
    rows = [row for node in root.iter("ENTITY") if (row := _entity(node)) is not None]
    df = rows_frame(rows)
    generated = root.get("dateGenerated")
    version = parse_date(generated)
    if generated and version is None:  # e.g. "2024-05-02T19:00:04.937" without zone
        try:
            version = datetime.fromisoformat(generated[:19]).date()
        except ValueError:
            version = None
    return ListFile(entries_frame(df), version, "dateGenerated" if version else None)
