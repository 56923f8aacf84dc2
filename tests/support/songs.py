"""Songs in the formats people bring (MP3, AAC in .m4a, FLAC, WAV), made with PyAV.

A song is a 440 Hz tone under a click every half second (120 BPM), so beat analysis
finds a pulse; its true length is what FFmpeg decodes from it (decoded_seconds), which
for MP3 and AAC is not the sample count written: encoders pad to whole frames.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from engine.sample_media import write_samples

# suffix -> (container format, encoder)
SONG_FORMATS: dict[str, tuple[str, str]] = {
    "mp3": ("mp3", "libmp3lame"),
    "m4a": ("ipod", "aac"),
    "flac": ("flac", "flac"),
    "wav": ("wav", "pcm_s16le"),
}
SONG_RATES = (8_000, 22_050, 44_100, 48_000)


def song_signal(seconds: float, rate: int) -> np.ndarray:
    """A tone with a decaying click on every half second, as float32 in [-1, 1]."""
    t = np.arange(int(round(seconds * rate))) / rate
    clicks = np.sin(2 * np.pi * 1_000.0 * t) * np.exp(-(t % 0.5) / 0.02)
    return (0.2 * np.sin(2 * np.pi * 440.0 * t) + 0.6 * clicks).astype(np.float32)


def write_song(path: Path, *, rate: int, channels: int, seconds: float = 3.0) -> Path:
    """Encode song_signal as `path` (its suffix picks the format) at `rate` Hz."""
    fmt, codec = SONG_FORMATS[path.suffix.lstrip(".")]
    return write_samples(
        path, song_signal(seconds, rate), rate, channels, codec=codec, container=fmt
    )


def decoded_seconds(path: Path) -> float:
    """How long the song is as FFmpeg decodes it (samples decoded / sample rate)."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        return samples / stream.codec_context.sample_rate
