"""Small files whose headers claim huge media: what a decompression or duration bomb is."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path


def png_claiming(path: Path, width: int, height: int) -> Path:
    """A PNG of a few hundred bytes whose header claims `width` x `height` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 4096)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )
    return path


def wav_claiming(path: Path, seconds: int, rate: int = 8000) -> Path:
    """A WAV of a few KB of silence whose header claims `seconds` of 16-bit mono sound."""
    data_bytes = seconds * rate * 2
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    header = (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", data_bytes)
    )
    path.write_bytes(header + b"\0" * 8192)
    return path
