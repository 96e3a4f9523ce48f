"""OFAC SDN list, legacy CSV (``sdn.csv``): the vessels of the US Specially Designated Nationals.

The file has no header; its twelve columns are ``ent_num, SDN_Name, SDN_Type, Program, Title,
Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks``. It is latin-1, writes
``-0-`` for empty and ends with a 0x1A byte. Vessels are the rows whose ``SDN_Type`` is
``vessel``; their identifiers live inside ``Remarks`` as ``;``-separated phrases:
``Vessel Registration Identification IMO 9187629`` (once ``Identification Number IMO ...``),
``MMSI 572469210``, ``a.k.a. 'SEASTAR III'`` (alias), ``f.k.a. 'ALPHA'`` (former name),
``Former Vessel Flag Malta``, ``Other Vessel Flag ...``, ``Other Vessel Call Sign ...``,
``Other Vessel Type ...``, ``Linked To: ...``. Only numbers labelled ``IMO`` are read as IMO
numbers, whatever their length (the 2021 list gives BONU 5 ``IMO 15411``, which then fails the
check digit); unlabelled registration numbers (``Vessel Registration Identification 8606173``)
are kept in ``extra.registration_ids``. The version is the date in the file name
(``sdn_2024-05-03.csv``), as OFAC publishes no date inside this file.
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

from stswatch.screen.base import ListFile, blank_to_null, date_in_name, entries_frame

FORMAT = "ofac"
DEFAULT_NAME = "ofac-sdn"

COLUMNS = [
    "ent_num", "SDN_Name", "SDN_Type", "Program", "Title", "Call_Sign", "Vess_type",
    "Tonnage", "GRT", "Vess_flag", "Vess_owner", "Remarks",
]  # fmt: skip


def sniff(path: Path, head: bytes) -> bool:
    first = head.lstrip().split(b"\n", 1)[0]
    fields = first.split(b",")
    return len(fields) >= 12 and fields[0].strip().isdigit() and fields[1].startswith(b'"')


def _phrases(remarks: pl.Expr, label: str) -> pl.Expr:
    """Every ``label <value>`` phrase of the remarks (value up to the next ``;``), trimmed of
    the closing full stop."""
    return remarks.str.extract_all(rf"(?:^|; )(?:alt\. )?{label} [^;]+").list.eval(
        pl.element()
        .str.replace(rf"^(?:; )?(?:alt\. )?{label} ", "")
        .str.strip_chars()
        .str.replace(r"\.$", "")
    )


def _quoted(remarks: pl.Expr, marker: str) -> pl.Expr:
    """Names quoted after ``a.k.a.`` or ``f.k.a.``: ``f.k.a. 'ALPHA'`` -> ``ALPHA``."""
    return remarks.str.extract_all(rf"\b{marker} '[^;]*?'(?:;|\.?$)").list.eval(
        pl.element().str.extract(rf"{marker} '(.*)'", 1).str.strip_chars()
    )


def _joined(main: pl.Expr, others: pl.Expr) -> pl.Expr:
    """The column's value followed by the ``Other ...`` values of the remarks."""
    return pl.concat_list(main, others.fill_null([])).list.drop_nulls()


def read(path: Path) -> ListFile:
    text = path.read_bytes().decode("latin-1").rstrip("\x1a\r\n")
    raw = pl.read_csv(
        io.BytesIO(text.encode()),
        has_header=False,
        new_columns=COLUMNS,
        infer_schema=False,
        quote_char='"',
    )
    vessels = raw.filter(pl.col("SDN_Type").str.strip_chars() == "vessel").with_columns(
        [blank_to_null(pl.col(c)).alias(c) for c in COLUMNS]
    )
    rem = pl.col("Remarks").fill_null("")
    registration = _phrases(rem, "Vessel Registration Identification")
    df = vessels.select(
        pl.col("ent_num").alias("entry_id"),
        pl.col("SDN_Name").alias("name"),
        _quoted(rem, r"a\.k\.a\.").alias("aliases"),
        _quoted(rem, r"f\.k\.a\.").alias("former_names"),
        rem.str.extract(r"\bIMO\s+(\d+)\b", 1).cast(pl.Int64).alias("imo"),
        rem.str.extract_all(r"\bMMSI\s+\d{9}\b")
        .list.eval(pl.element().str.slice(-9).cast(pl.Int64))
        .alias("mmsis"),
        _joined(pl.col("Call_Sign"), _phrases(rem, "Other Vessel Call Sign")).alias("call_signs"),
        _joined(pl.col("Vess_flag"), _phrases(rem, "Other Vessel Flag"))
        .list.eval(pl.element().filter(pl.element() != "None Identified"))
        .alias("flags"),
        _phrases(rem, "Former Vessel Flag")
        .list.eval(pl.element().filter(pl.element() != "None Identified"))
        .alias("former_flags"),
        pl.col("Vess_type").alias("vessel_type"),
        pl.col("Program").str.split("] [").list.join("; ").alias("program"),
        pl.col("Remarks").alias("remarks"),
        pl.struct(
            pl.col("Vess_owner").alias("owner"),
            pl.col("Tonnage").alias("tonnage"),
            pl.col("GRT").alias("grt"),
            _phrases(rem, "Other Vessel Type").alias("other_types"),
            _phrases(rem, "Vessel Year of Build").alias("year_of_build"),
            _phrases(rem, "Linked To:").alias("linked_to"),
            registration.list.eval(pl.element().filter(~pl.element().str.starts_with("IMO ")))
            .list.drop_nulls()
            .alias("registration_ids"),
        )
        .struct.json_encode()
        .alias("extra"),
    )
    found = date_in_name(path)
    return ListFile(entries_frame(df), found, "file name" if found else None)
