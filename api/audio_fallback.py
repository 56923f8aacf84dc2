"""Music FFmpeg refuses: read with libsndfile and stored as FLAC, or refused with a sentence
that says what is wrong.

The stored file is then the FLAC: the track's content type, size and checksum are the
FLAC's, so the read model, the BeatAnalysisRequested event and the analysis cache all
describe the file the workers read. The song's length cap applies before converting (from
libsndfile's header) and again after (from the FLAC), and the conversion stops past it.
"""

from __future__ import annotations

import dataclasses
import re

from api.media_limits import Refusal, probed_refusal
from api.settings import ApiSettings
from api.storage import SavedUpload
from engine.errors import EngineError
from engine.files import file_checksum
from engine.probe import ProbeResult, probe
from engine.sndfile_audio import read_header, to_flac

FLAC_TYPE = ("audio/x-flac", ".flac")  # as a FLAC upload is sniffed and stored


class AudioRefused(Exception):
    """The song cannot be stored: the refusal to answer."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


def _detail(message: str) -> str:
    # FFmpeg's own words are the last parenthesis of the probe's sentence.
    found = re.search(r"\(([^()]*)\)$", message)
    return found.group(1) if found else message


def as_flac(
    saved: SavedUpload, refused: EngineError, settings: ApiSettings
) -> tuple[SavedUpload, ProbeResult]:
    """The upload converted to FLAC beside it (the original removed), and its probe; raise
    AudioRefused if libsndfile cannot read it either, or it is too long."""
    name = saved.filename
    header = read_header(saved.path)
    if header is None:
        raise AudioRefused(
            Refusal(
                422,
                refused.reason,
                f"{name}: neither FFmpeg nor libsndfile can read the sound in it (FFmpeg: "
                f"{_detail(refused.message)}); the file may be damaged or cut short.",
            )
        )
    stated = ProbeResult(
        kind="audio",
        format_name=header.format.lower(),
        codec=header.subtype.lower(),
        duration_ms=header.duration_ms,
        has_audio=True,
    )
    too_long = probed_refusal(stated, name, settings)
    if too_long is not None:
        raise AudioRefused(too_long)
    target = saved.path.with_name(saved.path.name + FLAC_TYPE[1])
    try:
        to_flac(saved.path, target, header, round(settings.max_audio_s * 1000))
        info = probe(target)
    except (ValueError, EngineError) as exc:
        target.unlink(missing_ok=True)
        why = exc.message if isinstance(exc, EngineError) else str(exc)
        raise AudioRefused(
            Refusal(
                422,
                "decode_error",
                f"{name}: its {header.format} {header.subtype} sound, which FFmpeg cannot "
                f"decode, could not be converted to FLAC either ({_detail(why)}).",
            )
        ) from None
    too_long = probed_refusal(info, name, settings)
    if too_long is not None:
        target.unlink(missing_ok=True)
        raise AudioRefused(too_long)
    saved.path.unlink(missing_ok=True)
    stored = dataclasses.replace(
        saved,
        path=target,
        size_bytes=target.stat().st_size,
        checksum=file_checksum(target),
        content_type=FLAC_TYPE[0],
        extension=FLAC_TYPE[1],
    )
    return stored, info
