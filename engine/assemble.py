"""Join rendered clips, their transitions and the music into the output MP4.

Assembly costs what the transitions cost: every clip body was encoded with the same
EncodeSettings and starts on an IDR (clip.ClipLayout), so bodies are stream-copied with
rebased timestamps. Each transition region is rendered on its own into a short "piece"
that starts on an IDR: both sides' frames come from their sources through the same code
that renders clips (clip.segment_frames), are blended and encoded once, at the delivery
settings; a piece needs no clip, so it can be rendered before, after or alongside them.
The music is encoded once to AAC. mux_output then remuxes bodies, pieces and audio in
timeline order into one faststart MP4 (H.264 yuv420p + AAC).

Frame accounting: the output has frame_at(total_duration_ms) frames, clip i's body and
the pieces tile [0, that) exactly, so duration equals the timeline within one frame.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar, cast

import av
import av.error
import cv2
from av.packet import Packet

from engine.clip import ClipLayout, clip_layout, segment_frames
from engine.edl import EDL, Segment, Transition, frame_at, transition_window_ms
from engine.encoding import (
    I420,
    EncodeSettings,
    add_video_stream,
    black,
    to_frame,
    tune_allocator,
    white,
)
from engine.errors import EngineError, ErrorReason
from engine.files import atomic_output
from engine.media import MediaAsset
from engine.music import AUDIO_RATE, encode_audio
from engine.sources import Timeouts, body_stream, open_intermediate


@dataclass(frozen=True)
class Boundary:
    """The transition between segment `index` and the next, in timeline frames.

    Frames [start, cut) come from the outgoing segment's tail, [cut, end) from the
    incoming segment's head (fades); a crossfade blends both over all of [start, end).
    """

    index: int
    transition: Transition
    start: int
    cut: int
    end: int


@dataclass(frozen=True)
class AssemblyPlan:
    """Where every clip and transition piece lands on the output's frames."""

    fps: int
    total_frames: int
    total_ms: int
    layouts: tuple[ClipLayout, ...]
    boundaries: tuple[Boundary, ...]  # one per non-cut transition


def plan_assembly(edl: EDL, fps: int) -> AssemblyPlan:
    """The assembly plan of an EDL at `fps`; pure arithmetic on the EDL's times."""
    layouts = tuple(clip_layout(s, fps) for s in edl.segments)
    boundaries = []
    for seg in edl.segments[:-1]:
        t = seg.transition_out
        if t.type == "cut":
            continue
        start_ms, end_ms = transition_window_ms(seg.timeline_out_ms, t)
        boundaries.append(
            Boundary(
                index=seg.index,
                transition=t,
                start=frame_at(start_ms, fps),
                cut=frame_at(seg.timeline_out_ms, fps),
                end=frame_at(end_ms, fps),
            )
        )
    return AssemblyPlan(
        fps=fps,
        total_frames=frame_at(edl.total_duration_ms, fps),
        total_ms=edl.total_duration_ms,
        layouts=layouts,
        boundaries=tuple(boundaries),
    )


# --- transitions --------------------------------------------------------------------


def _frame_index(ts: int | None, time_base: Fraction, fps: int) -> int:
    if ts is None:
        raise EngineError("decode_error", "a clip packet has no timestamp")
    return round(ts * time_base * fps)


def blend_transition(
    transition: Transition, outgoing: Sequence[I420], incoming: Sequence[I420]
) -> list[I420]:
    """The frames of a transition region from the outgoing tail and incoming head frames.

    crossfade: both lists cover the whole region; the incoming weight of frame j of m is
    (j + 0.5) / m, so the middle frame of an odd region is an exact half-and-half.
    fade_black / fade_white: the outgoing frames fade to the colour (the last one is
    all colour) and the incoming frames fade in from it (the first one is all colour).
    """
    if transition.type == "crossfade":
        if len(outgoing) != len(incoming):
            raise EngineError("invalid_input", "crossfade sides differ in length")
        count = len(outgoing)
        return [
            _mix(a, 1 - (j + 0.5) / count, b)
            for j, (a, b) in enumerate(zip(outgoing, incoming, strict=True))
        ]
    if transition.type in ("fade_black", "fade_white"):
        sample = outgoing[0] if outgoing else incoming[0]
        height, width = sample.shape[0] * 2 // 3, sample.shape[1]
        colour = black(width, height) if transition.type == "fade_black" else white(width, height)
        out_n, in_n = len(outgoing), len(incoming)
        faded = [_mix(a, 1 - (j + 1) / out_n, colour) for j, a in enumerate(outgoing)]
        faded += [_mix(b, j / in_n, colour) for j, b in enumerate(incoming)]
        return faded
    raise EngineError("invalid_input", f"no blending for a {transition.type}")


def _mix(a: I420, weight: float, b: I420) -> I420:
    # weight * a + (1 - weight) * b; linear in YUV is linear in RGB, so blends are exact.
    return cast(I420, cv2.addWeighted(a, weight, b, 1.0 - weight, 0.0))


@dataclass(frozen=True)
class PieceSide:
    """What one side of a transition piece renders from: what its clip rendered from.

    `segment` and `asset` as render_clip got them (a placeholder clip's stand-in segment
    and asset, see placeholder.placeholder_side), and `source` as its `source` argument:
    None picks the asset's proxy if it fits, else its file, exactly as render_clip does.
    """

    segment: Segment
    asset: MediaAsset
    source: str | None = None


def transition_frames(
    boundary: Boundary, fps: int, outgoing: Segment, incoming: Segment
) -> tuple[int, int, int]:
    """(outgoing first clip frame, outgoing count, incoming count) of a transition piece.

    The incoming side always starts at its clip frame 0: a crossfade's window begins
    where the incoming render window does, a fade's incoming part at the cut, where it
    does too.
    """
    crossfade = boundary.transition.type == "crossfade"
    out_layout, in_layout = clip_layout(outgoing, fps), clip_layout(incoming, fps)
    tail_from = boundary.start - out_layout.start_frame
    tail_count = (boundary.end if crossfade else boundary.cut) - boundary.start
    head_count = boundary.end - (boundary.start if crossfade else boundary.cut)
    if tail_count != out_layout.tail or head_count != in_layout.head:
        raise EngineError(
            "invalid_input", f"transition {boundary.index} does not match its clips' layouts"
        )
    return tail_from, tail_count, head_count


def render_transition(
    boundary: Boundary,
    outgoing: PieceSide,
    incoming: PieceSide,
    out_path: Path,
    enc: EncodeSettings,
    timeouts: Timeouts | None = None,
) -> Path:
    """Encode the frames [boundary.start, boundary.end) of the output into their own piece.

    Both sides are rendered from their sources (clip.segment_frames), blended and
    encoded at the delivery settings; no clip file is read.
    """
    tune_allocator()
    timeouts = timeouts or Timeouts()
    tail_from, tail_count, head_count = transition_frames(
        boundary, enc.fps, outgoing.segment, incoming.segment
    )
    tail = segment_frames(
        outgoing.segment,
        outgoing.asset,
        enc,
        tail_from,
        tail_count,
        source=outgoing.source,
        timeouts=timeouts,
    )
    head = segment_frames(
        incoming.segment,
        incoming.asset,
        enc,
        0,
        head_count,
        source=incoming.source,
        timeouts=timeouts,
    )
    frames = blend_transition(boundary.transition, tail.frames, head.frames)
    write_frames(frames, out_path, enc)
    return out_path


def write_frames(frames: Iterable[I420], out_path: Path, enc: EncodeSettings) -> None:
    """Encode I420 frames (pts 0, 1, ...) to an MP4, written atomically."""
    with atomic_output(out_path) as tmp, av.open(str(tmp), "w", format="mp4") as dst:
        stream = add_video_stream(dst, enc)
        for index, pixels in enumerate(frames):
            dst.mux(stream.encode(to_frame(pixels, index, enc.fps)))
        dst.mux(stream.encode())


# --- muxing -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Span:
    """Packets of `path` whose frames are in [first, end), placed at output frame `at`."""

    path: Path
    first: int
    end: int
    at: int


def output_spans(plan: AssemblyPlan, clips: Sequence[Path], pieces: dict[int, Path]) -> list[_Span]:
    """Clip bodies and transition pieces in output order; they tile the output frames."""
    by_index = {b.index: b for b in plan.boundaries}
    spans: list[_Span] = []
    for i, (layout, clip) in enumerate(zip(plan.layouts, clips, strict=True)):
        first, end = layout.body
        if end > first:
            # The body track's pts start at 0 (clip.ClipLayout).
            spans.append(_Span(clip, 0, end - first, layout.start_frame + first))
        boundary = by_index.get(i)
        if boundary is not None:
            spans.append(_Span(pieces[i], 0, boundary.end - boundary.start, boundary.start))
    position = 0
    for span in spans:
        if span.at != position:
            raise EngineError("invalid_input", f"timeline gap or overlap at frame {position}")
        position += span.end - span.first
    if position != plan.total_frames:
        raise EngineError(
            "invalid_input", f"clips cover {position} frames, timeline has {plan.total_frames}"
        )
    return spans


def _reorder_delay(span: _Span, fps: int) -> int:
    """How many frames the span's decode order runs ahead of its display order (its first
    packet's pts minus dts): 2 for x264's B-pyramid, 0 where the encoder used no B-frames."""
    with open_intermediate(span.path) as container:
        stream = body_stream(container)
        if stream is None:
            raise EngineError("decode_error", f"{span.path.name}: no H.264 body track")
        tb = stream.time_base or Fraction(1, fps)
        for packet in container.demux(stream):
            if packet.size == 0 or packet.pts is None:
                continue
            dts = packet.dts if packet.dts is not None else packet.pts
            return max(0, _frame_index(packet.pts, tb, fps) - _frame_index(dts, tb, fps))
    return 0


def _video_packets(
    spans: Sequence[_Span], fps: int, check: Callable[[bytes | None, Path], None]
) -> Iterator[tuple[Packet, int, int]]:
    """(packet, output pts, output dts) in frames, for every span in order.

    Output DTS count packets, offset by the deepest reorder delay of any span: one packet
    per frame keeps them strictly increasing across joins, and the offset keeps each at or
    before its pts even where a span without B-frames (a short piece) precedes one with
    them; shifting each span's own DTS cannot, as the shallow span leaves no room."""
    delay = max(_reorder_delay(span, fps) for span in spans)
    count = 0
    for span in spans:
        with open_intermediate(span.path) as container:
            stream = body_stream(container)
            if stream is None:
                raise EngineError("decode_error", f"{span.path.name}: no H.264 body track")
            check(stream.codec_context.extradata, span.path)
            tb = stream.time_base or Fraction(1, fps)
            shift = span.at - span.first
            seen = 0
            for packet in container.demux(stream):
                if packet.size == 0 or packet.pts is None:
                    continue
                index = _frame_index(packet.pts, tb, fps)
                if not span.first <= index < span.end:
                    continue
                seen += 1
                dts = count - delay
                count += 1
                if dts > index + shift:
                    raise EngineError(
                        "decode_error", f"{span.path.name}: frames reordered deeper than expected"
                    )
                yield packet, index + shift, dts
            if seen != span.end - span.first:
                raise EngineError(
                    "decode_error", f"{span.path.name}: expected {span.end - span.first} frames"
                )


def mux_output(
    plan: AssemblyPlan,
    clips: Sequence[Path],
    pieces: dict[int, Path],
    audio: Path | None,
    out_path: Path,
) -> Path:
    """Remux clip bodies, transition pieces and the AAC audio into a faststart MP4."""
    spans = output_spans(plan, clips, pieces)
    fps = plan.fps
    frame_tb = Fraction(1, fps)
    with (
        atomic_output(out_path, ".mp4") as tmp,
        open_intermediate(spans[0].path) as template_src,
        av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as dst,
    ):
        template = body_stream(template_src)
        if template is None:
            raise EngineError("decode_error", f"{spans[0].path.name}: no H.264 body track")
        extradata = template.codec_context.extradata
        vout = dst.add_stream_from_template(template)
        vout.time_base = frame_tb
        audio_packets = _audio_packets(audio) if audio is not None else iter(())
        aout = None
        audio_src = None
        if audio is not None:
            audio_src = av.open(str(audio))
            aout = dst.add_stream_from_template(audio_src.streams.audio[0])

        def check(data: bytes | None, path: Path) -> None:
            # Stream copy is only valid if every piece has the same SPS/PPS.
            if data != extradata:
                raise EngineError(
                    "invalid_input", f"{path.name} was encoded with different settings"
                )

        pending_audio = next(audio_packets, None)
        for packet, pts, dts in _video_packets(spans, fps, check):
            # Interleave: audio up to this video packet's time goes first.
            while pending_audio is not None and aout is not None:
                apacket, seconds = pending_audio
                if seconds > dts / fps:
                    break
                apacket.stream = aout
                dst.mux(apacket)
                pending_audio = next(audio_packets, None)
            packet.stream = vout
            packet.time_base = frame_tb
            packet.pts = pts
            packet.dts = dts
            packet.duration = 1
            dst.mux(packet)
        while pending_audio is not None and aout is not None:
            apacket, _ = pending_audio
            apacket.stream = aout
            dst.mux(apacket)
            pending_audio = next(audio_packets, None)
        if audio_src is not None:
            audio_src.close()
    return out_path


def _audio_packets(path: Path) -> Iterator[tuple[Packet, float]]:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        tb = stream.time_base or Fraction(1, AUDIO_RATE)
        for packet in container.demux(stream):
            if packet.size == 0 or packet.dts is None:
                continue
            yield packet, float(packet.dts * tb)


# --- all together -------------------------------------------------------------------

T = TypeVar("T")


@dataclass(frozen=True)
class Failed:
    """An EngineError crossing the process pool.

    EngineError does not survive pickling (its __init__ takes two arguments and
    Exception pickles only args=(message,)), which would break the whole pool.
    """

    reason: ErrorReason
    message: str


def guarded(fn: Callable[..., T], *args: Any) -> T | Failed:
    """Call fn(*args) in a pool worker, returning an EngineError as a picklable Failed."""
    try:
        return fn(*args)
    except EngineError as exc:
        return Failed(exc.reason, exc.message)


def unwrap(result: T | Failed) -> T:
    """The value of a guarded call, or its EngineError raised again."""
    if isinstance(result, Failed):
        raise EngineError(result.reason, result.message)
    return result


@dataclass
class AssemblyResult:
    """The output file and how long each assembly step took (seconds)."""

    path: Path
    frames: int
    timings: dict[str, float]


def assemble(
    edl: EDL,
    clips: Sequence[Path],
    music: Path,
    out_path: Path,
    enc: EncodeSettings,
    workdir: Path,
    *,
    assets: Mapping[str, MediaAsset] | Sequence[MediaAsset],
    executor: Executor | None = None,
) -> AssemblyResult:
    """Render the transition pieces (from `assets`, as the clips were rendered with
    render_clip's defaults) and the audio (in `executor` if given), then mux."""
    began = time.perf_counter()
    plan = plan_assembly(edl, enc.fps)
    if len(clips) != len(plan.layouts):
        raise EngineError("invalid_input", f"{len(clips)} clips for {len(plan.layouts)} segments")
    by_id = assets if isinstance(assets, Mapping) else {a.id: a for a in assets}
    workdir.mkdir(parents=True, exist_ok=True)
    jobs: dict[int, tuple[Callable[..., Path], tuple[object, ...]]] = {}
    for b in plan.boundaries:
        out_seg, in_seg = edl.segments[b.index], edl.segments[b.index + 1]
        args = (
            b,
            PieceSide(out_seg, by_id[out_seg.asset_id]),
            PieceSide(in_seg, by_id[in_seg.asset_id]),
            workdir / f"transition-{b.index:05d}.mp4",
            enc,
        )
        jobs[b.index] = (render_transition, args)
    audio_path = workdir / "music.m4a"
    if executor is not None:
        audio_future = executor.submit(guarded, encode_audio, music, plan.total_ms, audio_path)
        futures = {k: executor.submit(guarded, fn, *args) for k, (fn, args) in jobs.items()}
        pieces = {k: unwrap(f.result()) for k, f in futures.items()}
        unwrap(audio_future.result())
    else:
        pieces = {k: fn(*args) for k, (fn, args) in jobs.items()}
        encode_audio(music, plan.total_ms, audio_path)
    rendered = time.perf_counter()
    mux_output(plan, clips, pieces, audio_path, out_path)
    done = time.perf_counter()
    return AssemblyResult(
        path=out_path,
        frames=plan.total_frames,
        timings={"pieces": rendered - began, "mux": done - rendered, "total": done - began},
    )
