"""Music FFmpeg will not decode but libsndfile reads: converted once, at upload, to FLAC.

FFmpeg reads nearly every song, but libsndfile reads a few that it refuses (WAV files of
NMS ADPCM, for one). Such a song is decoded with libsndfile and written as FLAC: lossless,
so nothing of the song is lost again, about half the size of WAV, and read by FFmpeg (and so
by the rest of the pipeline) like any uploaded FLAC.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import soundfile

# libsndfile subtypes of at most 16 bits; anything finer (24-bit, float, lossy codecs that
# decode to float) is kept at 24 bits.
_SIXTEEN_BITS = frozenset(
    {"PCM_S8", "PCM_U8", "PCM_16", "ULAW", "ALAW", "IMA_ADPCM", "MS_ADPCM", "GSM610"}
    | {"G721_32", "G723_24", "G723_40", "VOX_ADPCM", "NMS_ADPCM_16", "NMS_ADPCM_24"}
    | {"NMS_ADPCM_32", "DWVW_12", "DWVW_16"}
)
# FLAC's own limits.
_MAX_CHANNELS = 8
_BLOCK = 16_384


@dataclass(frozen=True)
class SndfileAudio:
    """What libsndfile says of a song, from its header."""

    format: str
    subtype: str
    channels: int
    sample_rate: int
    frames: int

    @property
    def duration_ms(self) -> int:
        """The song's length as its header states it."""
        return round(self.frames * 1000 / self.sample_rate) if self.sample_rate else 0


def read_header(path: Path) -> SndfileAudio | None:
    """libsndfile's view of `path`, or None when it cannot read it either."""
    try:
        info = soundfile.info(str(path))
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError, OSError):
        return None
    if info.samplerate <= 0 or info.channels <= 0 or info.frames <= 0:
        return None
    return SndfileAudio(info.format, info.subtype, info.channels, info.samplerate, info.frames)


def to_flac(source: Path, target: Path, header: SndfileAudio, max_ms: int) -> None:
    """Decode `source` with libsndfile and write it to `target` as FLAC, stopping past
    `max_ms` (a header may understate the length); ValueError says why it cannot be done."""
    if header.channels > _MAX_CHANNELS:
        raise ValueError(f"it has {header.channels} channels; FLAC holds at most {_MAX_CHANNELS}")
    subtype = "PCM_16" if header.subtype in _SIXTEEN_BITS else "PCM_24"
    limit = (max_ms + 1000) * header.sample_rate // 1000
    written = 0
    try:
        with (
            soundfile.SoundFile(str(source)) as song,
            soundfile.SoundFile(
                str(target),
                "w",
                samplerate=header.sample_rate,
                channels=header.channels,
                format="FLAC",
                subtype=subtype,
            ) as out,
        ):
            # read() in a loop, not blocks(): libsndfile cannot seek in some of these formats.
            while written <= limit and len(block := song.read(_BLOCK, "float32", True)):
                out.write(block)
                written += len(block)
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError, OSError) as exc:
        target.unlink(missing_ok=True)
        raise ValueError(str(exc) or type(exc).__name__) from None
    if written == 0:
        target.unlink(missing_ok=True)
        raise ValueError("no sound could be decoded")
