"""The `local` provider: renders a ClipSpec on this machine, offline and deterministically.

Everything random comes from one generator seeded by (kind, prompt, seed, style), frames
are drawn with numpy and OpenCV, and libx264 encodes them on one thread, so equal specs give
byte-identical MP4s. Progress is reported as the share of frames encoded.
"""

from __future__ import annotations

import hashlib
import textwrap
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import ClassVar

import av
import cv2
import numpy as np
import numpy.typing as npt

from engine.errors import EngineError
from engine.files import atomic_output
from engine.generation.provider import ProgressFn, ProviderError, ProviderOutcome
from engine.generation.spec import ClipSpec, LocalKind

RGB = npt.NDArray[np.uint8]
Progress = Callable[[float], None]

# (ground top, ground bottom, accent) of each style.
PALETTES: dict[str, tuple[tuple[int, int, int], ...]] = {
    "plain": ((40, 44, 52), (18, 20, 24), (240, 240, 240)),
    "warm": ((120, 40, 30), (40, 12, 20), (255, 200, 120)),
    "cool": ((20, 60, 110), (8, 16, 40), (170, 230, 255)),
    "neon": ((30, 0, 60), (0, 0, 10), (0, 255, 200)),
    "mono": ((90, 90, 90), (10, 10, 10), (255, 255, 255)),
}
PULSE_DECAY_S = 0.15  # how fast a flash on a beat fades
DEFAULT_BEAT_S = 0.5  # 120 BPM when the spec brings no beats
PROGRESS_STEPS = 20


def render_local_clip(spec: ClipSpec, out: Path, progress: Progress | None = None) -> Path:
    """Render `spec` as an H.264 MP4 at `out`; `progress` gets 0..1 as frames are encoded."""
    frames = _frames(spec)
    step = max(1, spec.frame_count // PROGRESS_STEPS)
    with atomic_output(out) as tmp, av.open(str(tmp), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=spec.fps, options={"crf": "20"})
        stream.width, stream.height, stream.pix_fmt = spec.width, spec.height, "yuv420p"
        stream.codec_context.thread_count = 1  # one thread: the same bytes on every machine
        for index, pixels in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, spec.fps)
            container.mux(stream.encode(frame))
            if progress is not None and (index + 1) % step == 0:
                progress(min(1.0, (index + 1) / spec.frame_count))
        container.mux(stream.encode())
    if progress is not None:
        progress(1.0)
    return out


def _frames(spec: ClipSpec) -> Iterator[RGB]:
    """The clip's frames as RGB arrays, for the spec's kind."""
    rng = np.random.default_rng(_seed(spec))
    if spec.kind is LocalKind.TITLE_CARD:
        return _moving_window(_title_card(spec, rng), spec)
    if spec.kind is LocalKind.IMAGE_MOVE:
        return _moving_window(_picture(spec), spec)
    return _beat_pulse(spec, rng)


def _seed(spec: ClipSpec) -> int:
    text = f"{spec.kind.value}|{spec.prompt}|{spec.seed}|{spec.style}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _ground(spec: ClipSpec, width: int, height: int) -> RGB:
    """The style's vertical gradient."""
    top, bottom, _ = (np.array(c, np.float32) for c in PALETTES[spec.style])
    mix = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    column = top * (1.0 - mix) + bottom * mix
    return np.ascontiguousarray(np.broadcast_to(column, (height, width, 3)).astype(np.uint8))


def _title_card(spec: ClipSpec, rng: np.random.Generator) -> RGB:
    """The prompt set in type on the ground, a little larger than the frame for the move."""
    width, height = round(spec.width * 1.25) // 2 * 2, round(spec.height * 1.25) // 2 * 2
    card = _ground(spec, width, height)
    accent = tuple(int(c) for c in PALETTES[spec.style][2])
    lines = textwrap.wrap(spec.prompt, width=28)[:6]
    # As large as fits: the longest line 70 % of the frame's width, the block half its height.
    widest = max(cv2.getTextSize(t, cv2.FONT_HERSHEY_DUPLEX, 1.0, 2)[0][0] for t in lines)
    scale = min(0.7 * spec.width / widest, 0.5 * spec.height / (42 * len(lines)))
    thickness = max(1, round(scale * 2))
    line_h = int(42 * scale)
    y = height // 2 - (len(lines) - 1) * line_h // 2
    for line in lines:
        (w, _), _ = cv2.getTextSize(line, cv2.FONT_HERSHEY_DUPLEX, scale, thickness)
        x = (width - w) // 2 + int(rng.integers(-4, 5))
        cv2.putText(
            card, line, (x, y), cv2.FONT_HERSHEY_DUPLEX, scale, accent, thickness, cv2.LINE_AA
        )
        y += line_h
    return card


def _picture(spec: ClipSpec) -> RGB:
    """The spec's image, cropped to cover a canvas a little larger than the frame."""
    if spec.image is None:
        raise EngineError("invalid_input", "an image_move clip needs an image")
    if not spec.image.is_file():
        raise EngineError("not_found", f"{spec.image.name}: the image was not found")
    bgr = cv2.imread(str(spec.image), cv2.IMREAD_COLOR)
    if bgr is None:
        raise EngineError("decode_error", f"{spec.image.name}: not a picture we can read")
    width, height = round(spec.width * 1.25) // 2 * 2, round(spec.height * 1.25) // 2 * 2
    scale = max(width / bgr.shape[1], height / bgr.shape[0])
    resized = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    y0 = (resized.shape[0] - height) // 2
    x0 = (resized.shape[1] - width) // 2
    crop = resized[y0 : y0 + height, x0 : x0 + width]
    return np.ascontiguousarray(cv2.cvtColor(crop, cv2.COLOR_BGR2RGB))


def _moving_window(canvas: RGB, spec: ClipSpec) -> Iterator[RGB]:
    """Frames of a window moving over `canvas` as camera_motion and motion_level say."""
    big_h, big_w = canvas.shape[:2]
    fit = min(big_w / spec.width, big_h / spec.height)  # the zoom that just fits the canvas
    travel = spec.motion_level
    for index in range(spec.frame_count):
        t = index / max(1, spec.frame_count - 1)
        zoom, shift = _camera(spec.camera_motion, t, travel)
        view = fit / zoom  # canvas pixels per output pixel
        cx = big_w / 2 + shift * (big_w - spec.width * view) / 2
        cy = big_h / 2
        matrix = np.array(
            [[view, 0.0, cx - view * spec.width / 2], [0.0, view, cy - view * spec.height / 2]],
            np.float64,
        )
        window = cv2.warpAffine(
            canvas,
            matrix,
            (spec.width, spec.height),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REFLECT,
        )
        yield np.asarray(window, np.uint8)


def _camera(motion: str, t: float, travel: float) -> tuple[float, float]:
    """(zoom ≥ 1, horizontal shift in -1..1) at time share `t` of the clip."""
    reach = 0.25 * travel  # the most a move zooms, at motion_level 1
    if motion == "zoom_in":
        return 1.0 + reach * t, 0.0
    if motion == "zoom_out":
        return 1.0 + reach * (1.0 - t), 0.0
    if motion == "pan_left":
        return 1.0 + reach / 2, travel * (1.0 - 2.0 * t)
    if motion == "pan_right":
        return 1.0 + reach / 2, travel * (2.0 * t - 1.0)
    if motion == "parallax":
        return 1.0 + reach * t, travel * (t - 0.5)
    return 1.0, 0.0


def _beat_pulse(spec: ClipSpec, rng: np.random.Generator) -> Iterator[RGB]:
    """Discs that flash and swell on every beat and fade between them."""
    beats = np.array(spec.beat_times_s or np.arange(0.0, spec.duration_s, DEFAULT_BEAT_S))
    plain = _ground(spec, spec.width, spec.height)
    ground = plain.astype(np.float32)
    accent = np.array(PALETTES[spec.style][2], np.float32)
    count = int(rng.integers(3, 7))
    centres = rng.uniform(0.15, 0.85, size=(count, 2)) * (spec.width, spec.height)
    radii = rng.uniform(0.06, 0.16, size=count) * min(spec.width, spec.height)
    swell = 1.0 + 0.6 * spec.motion_level
    # Each disc's distance field, once, over the box its largest swell can reach: a frame
    # then touches only those boxes (drawing whole frames per disc took 11x the encoding).
    discs = [
        _disc_box(spec, cx, cy, r * swell + 1.0) for (cx, cy), r in zip(centres, radii, strict=True)
    ]
    # Outside every box the frame is the plain ground: only the boxes' hull is blended.
    hull = (
        slice(min(b[0].start for b, _ in discs), max(b[0].stop for b, _ in discs)),
        slice(min(b[1].start for b, _ in discs), max(b[1].stop for b, _ in discs)),
    )
    for index in range(spec.frame_count):
        t = index / spec.fps
        since = t - beats[beats <= t + 1e-9]
        flash = float(np.exp(-since.min() / PULSE_DECAY_S)) if len(since) else 0.0
        mask = np.zeros((spec.height, spec.width), np.float32)
        for (box, distance), r in zip(discs, radii, strict=True):
            radius = r * (1.0 + 0.6 * spec.motion_level * flash)
            np.maximum(mask[box], np.clip(radius - distance, 0.0, 1.0), out=mask[box])
        glow = (0.35 + 0.65 * flash) * mask[hull][:, :, None]
        frame = plain.copy()
        frame[hull] = (ground[hull] * (1.0 - glow) + accent * glow).astype(np.uint8)
        yield frame


def _disc_box(
    spec: ClipSpec, cx: float, cy: float, reach: float
) -> tuple[tuple[slice, slice], npt.NDArray[np.float32]]:
    """The frame's box around a disc's centre out to `reach`, and each pixel's distance."""
    x0, x1 = max(0, int(cx - reach)), min(spec.width, int(cx + reach) + 1)
    y0, y1 = max(0, int(cy - reach)), min(spec.height, int(cy + reach) + 1)
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    distance = np.hypot(xs - np.float32(cx), ys - np.float32(cy)).astype(np.float32)
    return (slice(y0, y1), slice(x0, x1)), distance


class LocalProvider:
    """The `local` provider behind the common interface: renders on this machine's CPU."""

    name: ClassVar[str] = "local"
    runs_on_cpu: ClassVar[bool] = True

    def generate(self, spec: ClipSpec, out: Path, progress: ProgressFn) -> ProviderOutcome:
        """Render the spec locally; the task id is the spec's digest, the same for equal specs."""
        try:
            render_local_clip(spec, out, lambda share: progress(share, "rendering frames"))
        except EngineError as exc:
            raise ProviderError("invalid_input", exc.message) from None
        digest = hashlib.sha256(spec.model_dump_json().encode()).hexdigest()[:32]
        return ProviderOutcome(task_id=f"local-{digest}", model=f"local-{spec.kind.value}")
