"""Opening inputs: plain, .gz, .bz2 and .zip, read in line-aligned blocks.

A compressed input that breaks part-way does not raise inside a reader: ``SafeStream``
ends at the damage and remembers where it broke, so the reader keeps what came before and
the caller reports the file and the offset.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from stswatch.errors import InputError

BLOCK_BYTES = 8 << 20
_DECOMPRESS_ERRORS = (EOFError, zlib.error, OSError, lzma.LZMAError, zipfile.BadZipFile)


class SafeStream(io.RawIOBase):
    """A read-only stream that stops (instead of raising) where decompression fails."""

    def __init__(self, inner: BinaryIO, raw: BinaryIO, name: str) -> None:
        self._inner = inner
        self._raw = raw
        self.name = name
        self.error: str | None = None
        self.error_offset: int | None = None
        self.decompressed_bytes = 0

    def seekable_file(self) -> BinaryIO | None:
        """The file on disk itself when the input is neither compressed nor an archive member.

        Formats that need random access (Parquet) read it through this object instead of
        reading the whole input into memory; ``raw_offset`` then follows their reads.
        """
        return self._raw if self._inner is self._raw else None

    def readable(self) -> bool:
        return True

    @property
    def raw_offset(self) -> int:
        """Bytes of the file on disk consumed so far (for progress and error offsets)."""
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return 0

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.error is not None:
            return 0
        try:
            # read1 returns what one decompression step yields, so the bytes decoded before
            # the damage are handed over instead of being lost with the exception.
            read1 = getattr(self._inner, "read1", None)
            data = read1(len(buffer)) if read1 is not None else self._inner.read(len(buffer))
        except _DECOMPRESS_ERRORS as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            self.error_offset = self.raw_offset
            return 0
        n = len(data)
        buffer[:n] = data
        self.decompressed_bytes += n
        return n

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._raw.close()
            super().close()


@dataclass
class Input:
    """One logical input: a file, or one member of a zip archive."""

    path: Path
    member: str | None = None
    display: str = field(default="")

    def __post_init__(self) -> None:
        if not self.display:
            self.display = f"{self.path}!{self.member}" if self.member else str(self.path)

    @property
    def inner_name(self) -> str:
        """Name with compression suffixes removed, for format detection."""
        name = self.member or self.path.name
        for suffix in (".gz", ".bz2", ".xz"):
            if name.endswith(suffix):
                return name[: -len(suffix)]
        return name

    def open(self) -> SafeStream:
        raw = open(self.path, "rb")  # noqa: SIM115 - closed by SafeStream
        name = self.path.name.lower()
        inner: BinaryIO
        try:
            if self.member is not None or name.endswith(".zip"):  # noqa: SIM115
                zf = zipfile.ZipFile(raw)
                inner = zf.open(self.member or zf.namelist()[0])  # type: ignore[assignment]
            elif name.endswith(".gz"):
                inner = gzip.GzipFile(fileobj=raw)  # type: ignore[assignment]
            elif name.endswith(".bz2"):
                inner = bz2.BZ2File(raw)  # type: ignore[assignment]
            elif name.endswith(".xz"):
                inner = lzma.LZMAFile(raw)  # type: ignore[assignment]  # noqa: SIM115
            else:
                inner = raw
        except _DECOMPRESS_ERRORS as exc:
            raw.close()
            raise InputError(
                f"{self.display} could not be opened as an archive ({exc}). "
                "Hint: check that the file is complete."
            ) from exc
        return SafeStream(inner, raw, self.display)


def expand_inputs(paths: list[str]) -> list[Input]:
    """Files, directories (recursively) and globs, with zip archives opened to their members."""
    found: list[Path] = []
    for spec in paths:
        p = Path(spec)
        if any(ch in spec for ch in "*?["):
            matches = (
                sorted(Path().glob(spec))
                if not p.is_absolute()
                else sorted(Path(p.anchor).glob(str(p.relative_to(p.anchor))))
            )
            if not matches:
                raise InputError(f"No file matches {spec!r}. Hint: check the pattern and quote it.")
            found.extend(m for m in matches if m.is_file())
        elif p.is_dir():
            found.extend(
                sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
            )
        elif p.exists():
            found.append(p)
        else:
            raise InputError(f"{spec} does not exist. Hint: check the path.")
    inputs: list[Input] = []
    for f in found:
        if f.suffix.lower() == ".zip":
            try:
                with zipfile.ZipFile(f) as zf:
                    members = [m for m in zf.namelist() if not m.endswith("/")]
            except zipfile.BadZipFile:
                inputs.append(Input(f))  # opened as a plain file; its reader reports it
                continue
            inputs.extend(Input(f, member=m) for m in members)
        else:
            inputs.append(Input(f))
    return inputs


def iter_line_blocks(
    stream: io.RawIOBase, block_bytes: int = BLOCK_BYTES
) -> Iterator[tuple[int, bytes]]:
    """Yield (number of the first line in the block, block) with blocks ending on a newline.

    Line numbers are 1-based. A final line without a newline is yielded as its own block end.
    """
    reader = io.BufferedReader(stream, buffer_size=1 << 20)
    carry = b""
    line_no = 1
    while True:
        data = reader.read(block_bytes)
        if not data:
            break
        data = carry + data
        cut = data.rfind(b"\n")
        if cut < 0:
            carry = data
            continue
        block, carry = data[: cut + 1], data[cut + 1 :]
        yield line_no, block
        line_no += block.count(b"\n")
    if carry:
        yield line_no, carry
