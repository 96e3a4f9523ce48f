"""Reader for raw NMEA 0183 AIS logs (``!AIVDM``/``!AIVDO`` sentences with any talker).

Each block of lines is framed and checksummed column-wise (``nmea_frame``: NumPy on the
bytes for the usual lines, Polars for the rest), multi-sentence messages are assembled by
talker, channel, sequence id, part count and tag-block group ``g:`` (not by station: USCG
loggers may write it on one part only; parts that follow each other are joined
column-wise), payloads are decoded column-wise with NumPy, equal to pyais field for field,
with pyais itself for what the NumPy decoder does not handle (``nmea_decode``,
``nmea_vector``), and every message gets the time of its line. A line's time is
its own receiver time (tag block ``c:``, USCG trailer, timestamp before or after the
sentence, or the preceding GateHouse ``$PGHP`` line); a line without one takes the nearest
preceding line time in the file, and lines before the first time take the first. Only in
files without any receiver time do plausible type-4 base-station UTC reports (year 2000 or
later, not in the future, within ten minutes of the median of their neighbours) anchor the
times the same way; without those ``--assume-time`` applies, and without that the file is
refused. Parts of a message that never completes are rejected as ``incomplete_multipart``; a
complete multipart message keeps the first part's line number and all its lines, joined by
newlines, as ``raw``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import polars as pl
import pyarrow as pa

from stswatch import schema
from stswatch.errors import InputError
from stswatch.ingest.base import POSITION_CANDIDATES, STATIC_CANDIDATES, Chunk, ReadOptions
from stswatch.ingest.nmea_decode import (
    ANCHOR_COLUMNS,
    POSITION_COLUMNS,
    REJECT_COLUMNS,
    STATIC_COLUMNS,
    Decoded,
    decode_messages,
)
from stswatch.ingest.nmea_frame import frame_block_parts, frame_lines
from stswatch.ingest.stream import iter_line_blocks

# A file whose first HOLD_BYTES carry base-station anchors but no receiver time is timed by
# the anchors from then on (to bound memory); shorter files are decided at their end.
HOLD_BYTES = 64 << 20
# A base-station time more than ANCHOR_TOLERANCE_S from the median of the ANCHOR_WINDOW
# reports around it is not used as a time anchor (one station with a wrong clock).
ANCHOR_WINDOW = 11
ANCHOR_TOLERANCE_S = 600
MESSAGE_COLUMNS = {
    "line_no": pl.Int64,
    "raw": pl.String,
    "payload": pl.String,
    "fill": pl.Int8,
    "station": pl.String,
}
UTF8_BOM = b"\xef\xbb\xbf"
SOURCE_COLUMNS = {"line_no": pl.Int64, "us": pl.Int64}

PartKey = tuple[str, str, str, int, str | None]
PART_KEY = ("talker", "channel", "seq", "frag_cnt", "group")


@dataclass
class _Part:
    line_no: int
    raw: str
    payload: str
    fill: int
    station: str | None


class Assembler:
    """Joins the parts of multi-sentence messages; carries unfinished ones across blocks."""

    def __init__(self) -> None:
        self.pending: dict[PartKey, list[_Part]] = {}
        self.rejects: dict[str, list[object]] = {k: [] for k in REJECT_COLUMNS}

    def _reject(self, parts: list[_Part], detail: str) -> None:
        for p in parts:
            row = (p.line_no, "incomplete_multipart", detail, p.raw)
            for k, v in zip(REJECT_COLUMNS, row, strict=True):
                self.rejects[k].append(v)

    def add(self, parts: pl.DataFrame) -> pl.DataFrame:
        """Feed parts (frame rows with frag_cnt > 1) in file order; return complete messages.

        Messages whose parts follow each other in order (the usual case) are joined
        column-wise when nothing else in flight shares their key; the other parts go
        through ``add_rows`` one by one, which gives the same result.
        """
        if parts.height == 0:
            return pl.DataFrame(schema=MESSAGE_COLUMNS)
        key = list(PART_KEY)
        same = pl.all_horizontal(pl.col(k).eq_missing(pl.col(k).shift(1)) for k in key)
        follows = same & (pl.col("frag_num") == pl.col("frag_num").shift(1) + 1)
        chain = (~follows.fill_null(False)).cum_sum()
        df = (
            parts.lazy()
            .with_columns(chain.alias("_chain"))
            .with_columns(
                (
                    (pl.col("frag_num").first().over("_chain") == 1)
                    & (pl.len().over("_chain") == pl.col("frag_cnt"))
                ).alias("_whole")
            )
            .collect()
        )
        # A whole chain is one message; it is independent of the rest unless a loose part
        # of this block or an unfinished message from before shares its key.
        busy = set(df.filter(~pl.col("_whole")).select(key).iter_rows()) | set(self.pending)
        if busy:
            held = pl.DataFrame(
                list(busy), schema=df.select(key).schema, orient="row", strict=False
            )
            df = df.join(
                held.with_columns(pl.lit(True).alias("_busy")),
                on=key,
                how="left",
                nulls_equal=True,
                maintain_order="left",
            ).with_columns(pl.col("_whole") & pl.col("_busy").is_null())
        fast = df.filter(pl.col("_whole"))
        rest = self.add_rows(df.filter(~pl.col("_whole")))
        joined = _join_chains(fast)
        if rest.height == 0:
            return joined
        return pl.concat([joined, rest]).sort("line_no")

    def add_rows(self, parts: pl.DataFrame) -> pl.DataFrame:
        """``add`` one part at a time, in order."""
        out: dict[str, list[object]] = {k: [] for k in MESSAGE_COLUMNS}
        cols = ["line_no", "raw", "talker", "channel", "seq", "frag_cnt", "frag_num", "group"]
        rows = parts.select(*cols, "station", "payload", "fill").iter_rows()
        for line_no, raw, talker, chan, seq, cnt, num, group, station, payload, fill in rows:
            key: PartKey = (talker, chan, seq, cnt, group)
            part = _Part(line_no, raw, payload, fill, station)
            have = self.pending.get(key)
            if num == 1:
                if have:
                    self._reject(have, f"part {len(have) + 1} of {cnt} never came")
                self.pending[key] = [part]
                continue
            if have is None or len(have) != num - 1:
                self._reject([part], f"part {num} of {cnt} without the parts before it")
                continue
            have.append(part)
            if num == cnt:
                del self.pending[key]
                out["line_no"].append(have[0].line_no)
                out["raw"].append("\n".join(p.raw for p in have))
                out["payload"].append("".join(p.payload for p in have))
                out["fill"].append(fill)
                out["station"].append(next((p.station for p in have if p.station), None))
        return pl.DataFrame(out, schema=MESSAGE_COLUMNS)

    def finish(self) -> None:
        """Reject the parts of every message still unfinished at the end of the input."""
        for key, have in self.pending.items():
            self._reject(have, f"part {len(have) + 1} of {key[3]} never came")
        self.pending.clear()

    def take_rejects(self) -> pl.DataFrame:
        df = pl.DataFrame(self.rejects, schema=REJECT_COLUMNS)
        self.rejects = {k: [] for k in REJECT_COLUMNS}
        return df


def _join_chains(parts: pl.DataFrame) -> pl.DataFrame:
    """Messages (``MESSAGE_COLUMNS``) from parts that come as whole messages in order."""
    if parts.height == 0:
        return pl.DataFrame(schema=MESSAGE_COLUMNS)
    raw, payload, fill = pl.col("raw"), pl.col("payload"), pl.col("fill")
    station: pl.Expr = pl.when(pl.col("station") != "").then(pl.col("station"))  # not empty
    most = parts["frag_cnt"].max()
    for k in range(1, most if isinstance(most, int) else 1):
        more = pl.col("frag_cnt") > k
        st = pl.col("station").shift(-k)
        joined = pl.concat_str([raw, pl.lit("\n"), pl.col("raw").shift(-k)])
        raw = pl.when(more).then(joined).otherwise(raw)
        payload = pl.when(more).then(payload + pl.col("payload").shift(-k)).otherwise(payload)
        fill = pl.when(more).then(pl.col("fill").shift(-k)).otherwise(fill)
        station = pl.coalesce(station, pl.when(more & (st != "")).then(st))
    return (
        parts.lazy()
        .select(
            "line_no",
            raw.alias("raw"),
            payload.alias("payload"),
            fill.alias("fill"),
            station.alias("station"),
            "frag_num",
        )
        .filter(pl.col("frag_num") == 1)
        .drop("frag_num")
        .collect()
        .cast(MESSAGE_COLUMNS)  # type: ignore[arg-type]
    )


@dataclass
class _Block:
    """One block's rows, waiting for the file's time mode to be known."""

    decoded: Decoded
    rejects: pl.DataFrame
    lines: int
    times: pl.DataFrame  # receiver times of lines: line_no, us
    nbytes: int


def _process(
    frames: list[pl.DataFrame], asm: Assembler, opts: ReadOptions, nbytes: int, vectorized: bool
) -> _Block:
    """Assemble, decode and collect the rejects and line times of one block of lines, given
    as framed rows (``FRAME_SCHEMA``) in one or more frames, each in line order."""
    frames = [f for f in frames if f.height] or frames[:1]
    ais = [f.lazy().filter(pl.col("kind") == "ais") for f in frames]
    singles = _in_order(
        [a.filter(pl.col("frag_cnt") == 1).select(list(MESSAGE_COLUMNS)) for a in ais]
    )
    assembled = asm.add(_in_order([a.filter(pl.col("frag_cnt") > 1) for a in ais]))
    msgs = _in_order([singles.lazy(), assembled.lazy()])
    decoded = decode_messages(msgs, opts.now, vectorized=vectorized)
    rejects = pl.concat(
        [
            *(f.filter(pl.col("kind") == "reject").select(list(REJECT_COLUMNS)) for f in frames),
            asm.take_rejects(),
            decoded.rejects,
        ]
    )
    times = pl.concat(
        [
            f.filter(pl.col("own_us").is_not_null()).select("line_no", pl.col("own_us").alias("us"))
            for f in frames
        ]
    )
    return _Block(decoded, rejects, sum(f.height for f in frames), times, nbytes)


def _in_order(parts: list[pl.LazyFrame]) -> pl.DataFrame:
    """The rows of frames each in line order, together in line order."""
    frames = [p.collect() for p in parts]
    frames = [f for f in frames if f.height] or frames[:1]
    if len(frames) == 1:
        return frames[0]
    return pl.concat(frames).sort("line_no")


class _Timeline:
    """Decides where times come from and gives every held row its time."""

    def __init__(self, opts: ReadOptions) -> None:
        self.opts = opts
        self.held: list[_Block] = []
        self.mode: str | None = None  # receiver, anchor or assumed
        self.last: pl.DataFrame = pl.DataFrame(schema=SOURCE_COLUMNS)  # previous sources
        self.first_us: int | None = None

    def push(self, blk: _Block) -> Iterator[Chunk]:
        self.held.append(blk)
        if self.mode is None:
            if blk.times.height:
                self.mode = "receiver"
            elif sum(b.nbytes for b in self.held) > HOLD_BYTES:
                self._decide(f"its first {HOLD_BYTES >> 20} MB carry")
        if self.mode is not None:
            yield from self._flush()

    def _has_anchors(self) -> bool:
        return any(b.decoded.anchors.height for b in self.held)

    def _decide(self, what: str) -> None:
        """Without receiver times: base-station anchors, else --assume-time, else refuse."""
        if self._has_anchors():
            self.mode = "anchor"
        elif self.opts.assume_time is not None:
            self.mode = "assumed"
        elif any(b.decoded.positions.height + b.decoded.statics.height for b in self.held):
            raise InputError(
                f"{self.opts.file} carries no timestamps ({what} no tag blocks, receiver times "
                "or plausible base-station reports), so its reports cannot be placed in time. "
                "Hint: pass --assume-time 2015-10-06T00:00:00Z (the UTC time the data was "
                "recorded) to ingest it anyway."
            )

    def finish(self, tail: _Block) -> Iterator[Chunk]:
        self.held.append(tail)
        if self.mode is None:
            self._decide("it has")
        yield from self._flush()

    def _flush(self) -> Iterator[Chunk]:
        parts = [b.times for b in self.held]
        if self.mode == "anchor":
            parts.append(consensus_anchors(pl.concat([b.decoded.anchors for b in self.held])))
        src = pl.concat(parts).sort("line_no")
        if self.first_us is None and src.height:
            self.first_us = int(src["us"][0])
        known = pl.concat([self.last, src])
        for blk in self.held:
            yield self._chunk(blk, known)
        if src.height:
            self.last = src
        self.held = []

    def _times(self, rows: pl.DataFrame, src: pl.DataFrame) -> pl.DataFrame:
        """Add ``ts`` to rows by their line number."""
        assumed = self.opts.assume_time
        if self.mode == "assumed" and assumed is not None:
            ts = pl.lit(assumed).cast(pl.Datetime("us", "UTC"))
            return rows.with_columns(ts.alias("ts"))
        if rows.height == 0:
            return rows.with_columns(pl.lit(None, pl.Datetime("us", "UTC")).alias("ts"))
        joined = rows.with_row_index("_i").sort("line_no")
        joined = joined.join_asof(src, on="line_no", strategy="backward").sort("_i")
        us = pl.col("us").fill_null(self.first_us)
        return joined.drop("_i").with_columns(
            pl.from_epoch(us, time_unit="us").dt.replace_time_zone("UTC").alias("ts")
        )

    def _chunk(self, blk: _Block, src: pl.DataFrame) -> Chunk:
        opts = self.opts
        extra = {"source": pl.lit(opts.source), "batch_id": pl.lit(opts.batch_id)}
        pos = self._times(blk.decoded.positions, src).with_columns(**extra)
        sta = self._times(blk.decoded.statics, src).with_columns(**extra)
        rej = blk.rejects.sort("line_no").with_columns(
            pl.lit(opts.batch_id).alias("batch_id"), pl.lit(opts.file).alias("file")
        )
        return Chunk(
            positions=_arrow(pos, POSITION_CANDIDATES),
            statics=_arrow(sta, STATIC_CANDIDATES),
            rejects=_arrow(rej, schema.REJECTS),
            lines=blk.lines,
            skipped=dict(blk.decoded.skipped),
        )


def consensus_anchors(anchors: pl.DataFrame) -> pl.DataFrame:
    """Type-4 anchors that agree with their neighbours (a base station's clock can be off)."""
    a = anchors.sort("line_no")
    median = a["us"].rolling_median(window_size=ANCHOR_WINDOW, center=True, min_samples=3)
    keep = median.is_null() | ((a["us"] - median).abs() <= ANCHOR_TOLERANCE_S * 1e6)
    return a.filter(keep)


def _arrow(df: pl.DataFrame, target: pa.Schema) -> pa.Table:
    for f in target:
        if f.name not in df.columns:
            df = df.with_columns(pl.lit(None).alias(f.name))
    return df.select(target.names).to_arrow().cast(target)


def _empty_block() -> _Block:
    decoded = Decoded(
        positions=pl.DataFrame(schema=POSITION_COLUMNS),
        statics=pl.DataFrame(schema=STATIC_COLUMNS),
        anchors=pl.DataFrame(schema=ANCHOR_COLUMNS),
        rejects=pl.DataFrame(schema=REJECT_COLUMNS),
    )
    return _Block(
        decoded=decoded,
        rejects=pl.DataFrame(schema=REJECT_COLUMNS),
        lines=0,
        times=pl.DataFrame(schema=SOURCE_COLUMNS),
        nbytes=0,
    )


def read(stream: io.RawIOBase, opts: ReadOptions, *, vectorized: bool = True) -> Iterator[Chunk]:
    """Read NMEA 0183 AIS sentences from ``stream``; see the module docstring.

    ``vectorized=False`` decodes every payload with pyais (the reference; slower).
    """
    asm = Assembler()
    timeline = _Timeline(opts)
    for first_line, block in iter_line_blocks(stream):
        if first_line == 1 and block.startswith(UTF8_BOM):
            block = block[len(UTF8_BOM) :]
        frames = (
            list(frame_block_parts(block, first_line)) if block else [frame_lines([""], first_line)]
        )
        yield from timeline.push(_process(frames, asm, opts, len(block), vectorized))
    asm.finish()
    tail = _empty_block()
    tail.rejects = asm.take_rejects()
    yield from timeline.finish(tail)
