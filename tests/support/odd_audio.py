"""Songs written with libsndfile (`soundfile`), including ones FFmpeg will not decode."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

# libsndfile's Vorbis encoder crashes on one large write: write in blocks.
_BLOCK = 4096


def tones(seconds: float, rate: int, channels: int) -> np.ndarray:
    """A chord of sine tones, one per channel, at a quarter of full scale, float32."""
    t = np.arange(round(seconds * rate)) / rate
    waves = [0.25 * np.sin(2 * np.pi * (330 + 110 * c) * t) for c in range(channels)]
    return np.stack(waves, axis=1).astype(np.float32)


def write_sndfile(
    path: Path,
    samples: np.ndarray,
    rate: int,
    *,
    format: str,  # noqa: A002 - libsndfile's own word
    subtype: str,
) -> Path:
    """Write `samples` (frames x channels) with libsndfile in the given format and subtype."""
    with soundfile.SoundFile(
        str(path), "w", rate, samples.shape[1], format=format, subtype=subtype
    ) as out:
        for start in range(0, len(samples), _BLOCK):
            out.write(samples[start : start + _BLOCK])
    return path


def write_ogg_vorbis(path: Path, seconds: float = 60.0, rate: int = 44_100) -> Path:
    """An Ogg Vorbis song of stereo tones, as libsndfile writes it."""
    return write_sndfile(path, tones(seconds, rate, 2), rate, format="OGG", subtype="VORBIS")


def write_nms_adpcm_wav(
    path: Path, samples: np.ndarray | None = None, seconds: float = 5.0
) -> Path:
    """A WAV of NMS ADPCM (8 kHz mono): libsndfile reads it, FFmpeg takes it for AMR and
    cannot decode it."""
    data = tones(seconds, 8000, 1) if samples is None else samples
    return write_sndfile(path, data, 8000, format="WAV", subtype="NMS_ADPCM_32")
