"""The render's music track: AAC, trimmed to the timeline, with a short fade-out.

encode_audio encodes it from the music file. With an upload-time music proxy
(make_music_proxy: the whole song as AAC at the delivery settings) it costs what the
fade costs, as video assembly costs what the transitions cost: the proxy's packets are
copied up to just before the fade-out and only the last ~0.6 s is encoded again.

AAC packets overlap: the packet at pts p is coded from samples [p, p + 2 * AUDIO_FRAME)
and the decoder overlap-adds neighbours. So the copied packets stop where their samples
would reach into the fade, and the re-encoded tail starts SPLICE_WARMUP samples (about a
second) before the splice and drops the packets before it: around the splice both
encoders coded the same signal, and the join differs from a straight encode by coding
noise only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import av.error
import numpy as np
from av.audio.codeccontext import AudioCodecContext
from av.audio.frame import AudioFrame
from av.packet import Packet

from engine.errors import EngineError, is_disk_full
from engine.files import atomic_output
from engine.formats import open_media

AUDIO_RATE = 48_000
AUDIO_BITRATE = 192_000
AUDIO_FRAME = 1024  # AAC frame size
FADE_OUT_MS = 500
# Samples the tail encoder codes before the splice and throws away. A fresh AAC encoder
# codes its first packets against the silence it assumes before its start and settles
# its quantisation over about a second; from a second on, the spliced tail's error
# against the source equals a straight encode's (synthetic music with drums and chords).
SPLICE_WARMUP = 47 * AUDIO_FRAME
# Written into a music proxy's metadata: only a proxy of this recipe is spliced (the
# bit rate a file reports is what it averaged, not what it was encoded with).
MUSIC_PROXY_RECIPE = f"beatstitch music proxy 1: aac {AUDIO_RATE} Hz stereo {AUDIO_BITRATE} b/s"


def encode_audio(music: Path, total_ms: int, out_path: Path, proxy: Path | None = None) -> Path:
    """The music trimmed to `total_ms` with a short fade-out, as AAC in an .m4a.

    With `proxy` (make_music_proxy of this music) only the fade-out is encoded; a proxy
    that does not fit (other rate, bit rate or encoder, shorter than the timeline,
    unreadable) is passed over for a full encode: proxies make renders cheaper, never
    fail them.
    """
    if not music.exists():
        raise EngineError("not_found", f"{music.name}: music file not found")
    total, fade = _samples(total_ms)
    try:
        with atomic_output(out_path) as tmp:
            if proxy is None or not _splice(music, proxy, total_ms, tmp):
                _encode_whole(music, total, fade, tmp)
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise music_error(music, exc) from None
    return out_path


def music_error(music: Path, exc: BaseException) -> EngineError:
    """The EngineError for a failed music encode: a full disk, or music that cannot be read."""
    if is_disk_full(exc):
        return EngineError("disk_full", f"{music.name}: no space left on the disk for the music")
    return EngineError("decode_error", f"{music.name}: unreadable music ({exc})")


def splice_point(total_ms: int) -> int:
    """The first sample encode_audio re-encodes when it has a proxy (a packet boundary)."""
    total, fade = _samples(total_ms)
    # The last copied packet (pts splice - AUDIO_FRAME) codes samples up to the splice
    # plus one frame, all before the fade starts.
    return (total - fade - AUDIO_FRAME) // AUDIO_FRAME * AUDIO_FRAME


def _samples(total_ms: int) -> tuple[int, int]:
    total = total_ms * AUDIO_RATE // 1000
    return total, min(FADE_OUT_MS * AUDIO_RATE // 1000, total // 4)


def make_music_proxy(music: Path, out_path: Path) -> Path:
    """Write the whole song as AAC at the delivery settings (no fade), atomically."""
    if not music.exists():
        raise EngineError("not_found", f"{music.name}: music file not found")
    try:
        with atomic_output(out_path) as tmp:
            _encode_whole(music, None, 0, tmp, recipe=MUSIC_PROXY_RECIPE)
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise music_error(music, exc) from None
    return out_path


def _encode_whole(music: Path, total: int | None, fade: int, out: Path, recipe: str = "") -> None:
    with av.open(str(out), "w", format="mp4") as dst:
        if recipe:
            dst.metadata["comment"] = recipe
        stream = dst.add_stream("aac", rate=AUDIO_RATE, layout="stereo")
        stream.bit_rate = AUDIO_BITRATE
        for packet in _encode(stream.codec_context, music, total, fade, 0):
            dst.mux(packet)


def _splice(music: Path, proxy: Path, total_ms: int, out: Path) -> bool:
    """Proxy packets before the splice, then a re-encoded tail; False if the proxy does
    not fit (nothing usable written)."""
    total, fade = _samples(total_ms)
    splice = splice_point(total_ms)
    first = splice - SPLICE_WARMUP
    if first < 0:
        return False
    try:
        source = av.open(str(proxy))
    except (av.error.FFmpegError, OSError):
        return False
    with source:
        streams = source.streams.audio
        if not streams or source.metadata.get("comment") != MUSIC_PROXY_RECIPE:
            return False
        template = streams[0]
        head: list[Packet] = []
        for packet in source.demux(template):
            if packet.size == 0 or packet.pts is None:
                continue
            if packet.pts >= splice:
                break
            head.append(packet)
        covered = (head[-1].pts or 0) + (head[-1].duration or AUDIO_FRAME) if head else 0
        if covered < splice:
            return False  # a proxy shorter than the music before the fade
        tail_encoder = _new_encoder()
        encoded = _encode(tail_encoder, music, total, fade, first)
        tail = [p for p in encoded if p.pts is not None and p.pts >= splice]
        if tail_encoder.extradata != template.codec_context.extradata:
            return False  # another AAC configuration: its packets cannot be joined
        with av.open(str(out), "w", format="mp4") as dst:
            stream = dst.add_stream_from_template(template)
            for packet in head + tail:
                packet.stream = stream
                dst.mux(packet)
    return True


def _new_encoder() -> AudioCodecContext:
    ctx = av.CodecContext.create("aac", "w")
    assert isinstance(ctx, AudioCodecContext)
    ctx.sample_rate = AUDIO_RATE
    ctx.layout = "stereo"
    ctx.format = "fltp"
    ctx.bit_rate = AUDIO_BITRATE
    ctx.time_base = Fraction(1, AUDIO_RATE)
    return ctx


def _encode(
    encoder: AudioCodecContext, music: Path, total: int | None, fade: int, first: int
) -> Iterator[Packet]:
    """AAC packets of music samples [first, total) (to its end if None), faded out over
    the last `fade`."""
    position = first
    for block in _chunks(_music_samples(music, total, first), AUDIO_FRAME):
        n = block.shape[1]
        if total is not None and fade:
            block = block * np.clip((total - position - np.arange(n)) / fade, 0.0, 1.0)
        data = np.ascontiguousarray(block.astype(np.float32))
        frame = AudioFrame.from_ndarray(data, format="fltp", layout="stereo")
        frame.sample_rate = AUDIO_RATE
        frame.pts = position
        frame.time_base = Fraction(1, AUDIO_RATE)
        position += n
        yield from encoder.encode(frame)
    yield from encoder.encode(None)


def _music_samples(path: Path, total: int | None, first: int = 0) -> Iterator[np.ndarray]:
    """Planar float32 stereo blocks at AUDIO_RATE: samples [first, total), zero-padded
    (to the music's end if total is None)."""
    wanted = None if total is None else total - first
    produced = 0
    skip = first
    for block in _resampled(path):
        if skip:
            dropped = min(skip, block.shape[1])
            block, skip = block[:, dropped:], skip - dropped
        if wanted is not None:
            block = block[:, : wanted - produced]
        if block.shape[1]:
            produced += block.shape[1]
            yield block
        if wanted is not None and produced >= wanted:
            return
    if wanted is not None and produced < wanted:
        yield np.zeros((2, wanted - produced), np.float32)


def _resampled(path: Path) -> Iterator[np.ndarray]:
    resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
    with open_media(str(path), path.name, remote=False) as container:
        if not container.streams.audio:
            raise EngineError("decode_error", f"{path.name}: no sound in the music file")
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                yield out.to_ndarray()
        for out in resampler.resample(None):
            yield out.to_ndarray()


def _chunks(blocks: Iterable[np.ndarray], size: int) -> Iterator[np.ndarray]:
    # The AAC encoder wants fixed-size frames; regroup the resampler's blocks.
    buffer = np.zeros((2, 0), np.float32)
    for block in blocks:
        buffer = np.concatenate([buffer, block], axis=1) if buffer.size else block
        while buffer.shape[1] >= size:
            yield buffer[:, :size]
            buffer = buffer[:, size:]
    if buffer.shape[1]:
        yield buffer
