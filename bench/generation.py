"""The `local` video provider beside the encode-only bound, for each kind of clip.

Run from the repository root: `.venv/bin/python -m bench.generation [--repeat N]`.
For each kind (title card, image move, beat pulse) at 1280x720, 24 fps, 4 s, it times
`render_local_clip` and, in the same run, the encode-only bound: the same number of frames,
made once beforehand, encoded with the same encoder settings. Prints figures only; the last
line is `RESULT <kind>_s=N <kind>_ratio=N …` (ratio: the provider's time over the bound's,
best of --repeat; 1.0 would mean drawing the frames costs nothing).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from functools import partial
from pathlib import Path

import av
import numpy as np

from engine.generation.local import render_local_clip
from engine.generation.spec import ClipSpec, LocalKind
from engine.sample_media import write_sample_media

SIZE = {"width": 1280, "height": 720, "fps": 24, "duration_s": 4.0}


def best_of(repeat: int, work: Callable[[], object]) -> float:
    """The fastest of `repeat` runs, in seconds."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return min(times)


def encode_only(spec: ClipSpec, out: Path) -> None:
    """The bound: encode the spec's frame count of one ready frame, as the provider encodes."""
    pixels = np.full((spec.height, spec.width, 3), 64, dtype=np.uint8)
    pixels[:, : spec.width // 2] = 160  # not flat, so the encoder has something to code
    with av.open(str(out), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=spec.fps, options={"crf": "20"})
        stream.width, stream.height, stream.pix_fmt = spec.width, spec.height, "yuv420p"
        stream.codec_context.thread_count = 1
        for index in range(spec.frame_count):
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, spec.fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())


def main() -> None:
    """Time each kind and its bound; print a table and the RESULT line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (photo,) = write_sample_media(work / "photo", videos=0, stills=1, size=(1920, 1080))
        beats = tuple(round(0.5 * k, 3) for k in range(8))
        specs = {
            "title_card": ClipSpec(kind=LocalKind.TITLE_CARD, prompt="Summer at the lake", **SIZE),
            "image_move": ClipSpec(kind=LocalKind.IMAGE_MOVE, prompt="x", image=photo, **SIZE),
            "beat_pulse": ClipSpec(
                kind=LocalKind.BEAT_PULSE, prompt="x", beat_times_s=beats, **SIZE
            ),
        }
        bound = best_of(args.repeat, lambda: encode_only(specs["title_card"], work / "bound.mp4"))
        print(f"encode-only bound: {bound:.2f} s for {specs['title_card'].frame_count} frames")
        result = []
        for kind, spec in specs.items():
            seconds = best_of(args.repeat, partial(render_local_clip, spec, work / "c.mp4"))
            ratio = seconds / bound
            print(
                f"{kind:<11} {seconds:6.2f} s  {ratio:5.2f}x the bound  "
                f"{spec.duration_s / seconds:5.2f}x real time"
            )
            result += [f"{kind}_s={seconds:.2f}", f"{kind}_ratio={ratio:.2f}"]
    print("RESULT " + " ".join(result))


if __name__ == "__main__":
    main()
