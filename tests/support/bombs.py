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


def flac_claiming(path: Path, seconds: int, rate: int = 8000) -> Path:
    """One second of FLAC silence whose STREAMINFO says it lasts `seconds`.

    FFmpeg takes a FLAC's length from that header (a WAV's it takes from the file size), so
    a few KB pass for a song of any length, as a well-compressed real one of silence would."""
    import av
    import numpy as np

    with av.open(str(path), "w") as out:
        stream = out.add_stream("flac", rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, rate), dtype=np.int16), format="s16", layout="mono"
        )
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    data = bytearray(path.read_bytes())
    # "fLaC", the STREAMINFO block header, then 10 bytes in: 20 bits of sample rate, 3 of
    # channels, 5 of bits per sample and 36 of total samples.
    assert data[:4] == b"fLaC" and data[4] & 0x7F == 0
    packed = int.from_bytes(data[18:26], "big")
    packed = (packed & ~((1 << 36) - 1)) | (seconds * rate)
    data[18:26] = packed.to_bytes(8, "big")
    path.write_bytes(bytes(data))
    return path
