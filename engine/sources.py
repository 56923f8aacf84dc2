"""Opening what a clip renders from, and mapping every failure to a typed EngineError.

Sources: a local path or an http(s)/HLS URL, opened through PyAV with connect and read
timeouts. A segment renders from the caller's source if given, else the asset's proxy if
it fits the render, else the asset's file (open_segment_source). Every failure raises
EngineError with a reason the agents map to a fallback: not_found, timeout, cdn_error
(remote trouble), decode_error (not usable media).

Files this engine wrote itself (proxies, clips, transition pieces) open without the
probe decoding FFmpeg does for foreign files (open_intermediate).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import av
import av.error
from av.container import InputContainer
from av.video.stream import VideoStream

from engine.edl import Segment
from engine.encoding import EncodeSettings
from engine.errors import EngineError, is_disk_full
from engine.formats import open_media
from engine.framing import max_zoom, plan_framing
from engine.media import MediaAsset


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait for a remote source to connect and for each read."""

    connect_s: float = 10.0
    read_s: float = 15.0


def is_remote(source: str) -> bool:
    """True for network URLs (http, https, HLS playlists over them)."""
    return source.split("://", 1)[0].lower() in {"http", "https", "hls", "tcp", "rtmp"}


def display_name(source: str) -> str:
    """The file name of a path or URL, as error messages show it."""
    # Never echo query strings (signed CDN URLs carry credentials there).
    return source.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or source


# Opening an MP4 runs FFmpeg's stream probing (avformat_find_stream_info), which for
# H.264 without B-frames decodes 7 pictures to guess the decoder delay: 6 ms per open of
# a 720p proxy, about 100 opens per bench render. Files this engine wrote (proxies,
# clips, pieces) need nothing probing finds, so the probing decoders skip every picture;
# the stream's own decoder is a fresh one either way.
_NO_PROBE_DECODE = [{"skip_frame": "all"}] * 4


def open_source(
    source: str, timeouts: Timeouts = Timeouts(), *, own_proxy: bool = False
) -> InputContainer:
    """Open a local file or a URL for reading; failures raise a typed EngineError.

    `own_proxy`: a local video proxy this engine wrote (engine.proxy), opened without
    decoding while probing.
    """
    name = display_name(source)
    if not is_remote(source):
        if not Path(source).exists():
            raise EngineError("not_found", f"{name}: file not found")
        # PyAV's stub says list[str]; it takes one dict of options per stream.
        probe: Any = _NO_PROBE_DECODE if own_proxy else ()
        try:
            return open_media(
                source, name, remote=False, metadata_errors="replace", stream_options=probe
            )
        except Exception as exc:  # noqa: BLE001 - mapped to a typed reason
            raise map_error(exc, name, remote=False) from None
    micros = str(int(timeouts.read_s * 1_000_000))
    options = {
        # FFmpeg's own socket timeout and per-read timeout (microseconds).
        "timeout": micros,
        "rw_timeout": micros,
        "reconnect": "0",
    }
    try:
        # PyAV's interrupt callback also bounds connect and DNS, which FFmpeg's
        # socket options alone do not.
        return open_media(
            source,
            name,
            remote=True,
            options=options,
            timeout=(timeouts.connect_s, timeouts.read_s),
            metadata_errors="replace",
        )
    except Exception as exc:  # noqa: BLE001
        raise map_error(exc, name, remote=True) from None


def map_error(exc: BaseException, name: str, *, remote: bool) -> EngineError:
    """The EngineError for an exception raised while opening or decoding a source."""
    if isinstance(exc, EngineError):
        return exc
    detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    if is_disk_full(exc):
        # Writing the clip failed, not reading the source: no other source would fit either.
        return EngineError("disk_full", f"{name}: no space left on the disk for the clip")
    if isinstance(exc, av.error.HTTPNotFoundError):
        return EngineError("not_found", f"{name}: the media server has no such file (404)")
    if isinstance(exc, av.error.HTTPTooManyRequestsError):
        return EngineError("cdn_error", f"{name}: the media server is rate limiting (429)")
    if isinstance(exc, av.error.HTTPClientError):
        return EngineError("not_found", f"{name}: the media server refused the file ({detail})")
    if isinstance(exc, av.error.HTTPServerError | av.error.HTTPError):
        return EngineError("cdn_error", f"{name}: the media server failed ({detail})")
    if isinstance(exc, av.error.TimeoutError | av.error.ExitError | TimeoutError):
        return EngineError("timeout", f"{name}: no data from the media server in time")
    if isinstance(exc, av.error.FileNotFoundError | FileNotFoundError):
        return EngineError("not_found", f"{name}: file not found")
    if remote and isinstance(exc, av.error.FFmpegError | OSError):
        errno = getattr(exc, "errno", None)
        if errno is not None and errno in _NETWORK_ERRNOS:
            return EngineError("cdn_error", f"{name}: network error ({detail})")
    return EngineError("decode_error", f"{name}: not a readable picture or video ({detail})")


_NETWORK_ERRNOS = frozenset({104, 110, 111, 113, 101, 103, 32, 5})  # ECONNRESET, ... EIO


def named_error(exc: BaseException, name: str, remote: bool) -> EngineError:
    """An exception of rendering from source `name` as an EngineError naming the source."""
    if isinstance(exc, EngineError):
        if exc.message.startswith(f"{name}:"):
            return exc
        return EngineError(exc.reason, f"{name}: {exc.message}")
    return map_error(exc, name, remote=remote)


# --- choosing what a segment renders from -----------------------------------------


@dataclass(frozen=True)
class Geometry:
    """How the pictures of the opened source are stored: rotation and display aspect."""

    rotation: int
    aspect: float | None


def proxy_fits(container: InputContainer, segment: Segment, enc: EncodeSettings) -> bool:
    """Whether an opened proxy serves this clip as well as its source would.

    A video proxy is cropped to the output aspect it was made for and must be at least
    as wide as the output; a still proxy must be large enough for the clip's zoom. A
    proxy made for other output settings is therefore never used (the source is).
    """
    streams = [s for s in container.streams.video if s.codec_context is not None]
    if not streams:
        return False
    w, h = streams[0].codec_context.width, streams[0].codec_context.height
    if not w or not h:
        return False
    if segment.media_type == "image":
        framing = plan_framing(w, h, None, 0, enc.width, enc.height, max_zoom(segment))
        return framing.work_w <= w + 2 and framing.work_h <= h + 2
    same_aspect = abs(w * enc.height - h * enc.width) <= 0.01 * w * enc.height
    return same_aspect and w >= enc.width and h >= enc.height and max_zoom(segment) <= 1.0


def open_segment_source(
    segment: Segment,
    asset: MediaAsset,
    enc: EncodeSettings,
    source: str | None,
    timeouts: Timeouts,
) -> tuple[InputContainer, Geometry, str, bool]:
    """Open what the clip renders from: `source`, else the asset's proxy, else its file.

    Returns the container, the geometry of its pictures, its name and whether it is
    the proxy. A proxy that is missing, unreadable or made for other output settings is
    passed over for the source: proxies make renders cheaper, never fail them.
    """
    original = Geometry(asset.rotation, asset.display_aspect_ratio)
    if source is not None:
        return open_source(source, timeouts), original, source, False
    proxy = asset.proxy_path
    if proxy and not is_remote(proxy) and Path(proxy).is_file():
        try:
            container = open_source(proxy, timeouts, own_proxy=segment.media_type == "video")
        except EngineError:
            container = None
        if container is not None:
            if proxy_fits(container, segment, enc):
                # The proxy is upright with square pixels.
                return container, Geometry(0, None), proxy, True
            container.close()
    return open_source(asset.path, timeouts), original, asset.path, False


# --- intermediates ------------------------------------------------------------------


def open_intermediate(path: Path) -> InputContainer:
    """Open a clip or transition piece this engine wrote, without decoding while probing."""
    return av.open(str(path), stream_options=cast(Any, _NO_PROBE_DECODE))


def body_stream(container: InputContainer) -> VideoStream | None:
    """The stream-copied track of a clip or piece (its only H.264 track)."""
    for stream in container.streams.video:
        return stream
    return None
