"""A music file's samples as mono floats at the file's own rate, for the beat analysis.

libsndfile (soundfile) reads WAV, FLAC, Ogg and MP3 quickly; what it cannot read (AAC in
MP4, a video's sound track) is decoded with FFmpeg through PyAV, as the renderer does, so
a song the render can play is a song the analysis can read.
"""

from __future__ import annotations

from pathlib import Path

import av
import av.error
import numpy as np
import numpy.typing as npt
import soundfile

from engine.errors import EngineError, decoder_words
from engine.formats import open_media

FloatArray = npt.NDArray[np.float64]


class AudioDecodeError(ValueError):
    """The audio file could not be decoded into samples."""


def decode_mono(path: Path) -> tuple[FloatArray, int]:
    """Mono float samples and their rate, or raise AudioDecodeError (FileNotFoundError if gone)."""
    if not path.exists():
        raise FileNotFoundError(path)
    try:
        samples, rate = _with_libsndfile(path)
    except (soundfile.LibsndfileError, RuntimeError, TypeError):
        try:
            samples, rate = _with_ffmpeg(path)
        except EngineError as exc:  # a container FFmpeg must not open for a user
            raise AudioDecodeError(exc.message) from exc
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            detail = str(exc) if type(exc) is ValueError else decoder_words(exc)
            raise AudioDecodeError(
                f"cannot decode audio file {path.name!r}: not a supported audio format "
                f"or the file is corrupt ({detail})"
            ) from exc
    if samples.size == 0:
        raise AudioDecodeError(f"audio file {path.name!r} contains no samples")
    if not np.all(np.isfinite(samples)):
        raise AudioDecodeError(f"audio file {path.name!r} decodes to non-finite samples")
    return samples, rate


def _with_libsndfile(path: Path) -> tuple[FloatArray, int]:
    data, rate = soundfile.read(path, dtype="float32", always_2d=True)
    return data.mean(axis=1).astype(np.float64), int(rate)


def _with_ffmpeg(path: Path) -> tuple[FloatArray, int]:
    with open_media(str(path), path.name, remote=False) as container:
        if not container.streams.audio:
            raise ValueError("the file has no audio stream")
        stream = container.streams.audio[0]
        rate = int(stream.rate or stream.codec_context.sample_rate)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        chunks = [
            out.to_ndarray().reshape(-1)
            for frame in container.decode(stream)
            for out in resampler.resample(frame)
        ]
        chunks += [out.to_ndarray().reshape(-1) for out in resampler.resample(None)]
    if not chunks:
        return np.zeros(0), rate
    return np.concatenate(chunks).astype(np.float64), rate
