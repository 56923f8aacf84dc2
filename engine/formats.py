"""What FFmpeg may open on a user's behalf: which protocols, and which demuxers.

A file or URL from a user can ask FFmpeg for more than one media file: an HLS playlist or a
concat script names other files and URLs (`file:`, `tcp:`, `subfile:`…), which FFmpeg then
opens itself. Every open of user media allows only the protocols its source needs (nested
opens inherit the list) and refuses any demuxer that is not a plain media container.
"""

from __future__ import annotations

from typing import Any

import av
from av.container import InputContainer

from engine.errors import EngineError

# A local file may read only local files (FFmpeg's `protocol_whitelist`).
LOCAL_PROTOCOLS = "file"
# A remote source: HTTP(S) and what HLS over it needs (TLS, TCP, AES-128 segments), through
# the worker's egress proxy (httpproxy: the CONNECT tunnel for https).
REMOTE_PROTOCOLS = "http,https,tls,tcp,crypto,httpproxy"

# The demuxers of the photo, video and audio formats uploads are accepted in.
MEDIA_DEMUXERS = frozenset(
    {
        "mov,mp4,m4a,3gp,3g2,mj2",
        "matroska,webm",
        "image2",
        "jpeg_pipe",
        "png_pipe",
        "webp_pipe",
        "wav",
        "mp3",
        "flac",
        "ogg",
        "aac",
    }
)
# A remote source may also be an HLS stream (its segments are MPEG-TS or MP4).
REMOTE_DEMUXERS = MEDIA_DEMUXERS | {"hls", "mpegts"}


def open_options(remote: bool) -> dict[str, str]:
    """The format options that confine what an open of user media may reach."""
    return {"protocol_whitelist": REMOTE_PROTOCOLS if remote else LOCAL_PROTOCOLS}


def refused_demuxer(name: str, demuxer: str, remote: bool) -> str | None:
    """A sentence refusing a demuxer that is not a plain media container; None if allowed."""
    allowed = REMOTE_DEMUXERS if remote else MEDIA_DEMUXERS
    if demuxer in allowed:
        return None
    return (
        f"{name}: a {demuxer} file is not a photo, video or audio file we read (it could "
        "make the decoder open other files or addresses)"
    )


def open_media(
    source: str,
    name: str,
    *,
    remote: bool,
    options: dict[str, str] | None = None,
    refuse_as: type[EngineError] = EngineError,
    **av_kwargs: Any,
) -> InputContainer:
    """Open user media for reading through only the protocols its source needs; a demuxer
    that is not a plain media container is closed and refused (`refuse_as`, decode_error).
    FFmpeg's own errors pass through for the caller to map."""
    confined = {**(options or {}), **open_options(remote)}
    container = av.open(source, mode="r", options=confined, **av_kwargs)
    refusal = refused_demuxer(name, container.format.name, remote)
    if refusal is not None:
        container.close()
        raise refuse_as("decode_error", refusal)
    return container
