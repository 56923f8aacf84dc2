"""Encoding helpers: codec threads, and I420 frames built plane by plane."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from engine import encoding
from engine.encoding import (
    add_video_stream,
    set_codec_threads,
    threads_for_parallelism,
    tune_allocator,
)
from tests.support.clip_inputs import ENC


def test_codec_threads_setting_reaches_the_encoder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(encoding, "_threads", encoding._threads)  # restored afterwards
    set_codec_threads(1)
    with av.open(str(tmp_path / "x.mp4"), "w") as out:
        assert add_video_stream(out, ENC).codec_context.thread_count == 1
    set_codec_threads(0)
    with av.open(str(tmp_path / "y.mp4"), "w") as out:
        assert add_video_stream(out, ENC).codec_context.thread_count == 0
    tune_allocator()
    tune_allocator()  # idempotent


def test_encoders_that_fill_the_cores_get_one_thread_each(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoding, "_env_threads", "")
    assert threads_for_parallelism(2, cores=2) == 1
    assert threads_for_parallelism(4, cores=2) == 1
    # Fewer encoders than cores: each needs threads to use the machine.
    assert threads_for_parallelism(1, cores=2) == 0
    assert threads_for_parallelism(3, cores=8) == 0
    monkeypatch.setattr(encoding, "_env_threads", "3")
    assert threads_for_parallelism(4, cores=2) == 3  # the operator's setting wins


def test_yuv420p_frame_holds_the_array_and_its_planes_are_writable_views() -> None:
    """Frames built plane by plane carry exactly the I420 pixels, and writes reach them."""
    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 256, (72 * 3 // 2, 128), dtype=np.uint8)
    frame = encoding.yuv420p_frame(pixels)
    assert (frame.width, frame.height, frame.format.name) == (128, 72, "yuv420p")
    assert np.array_equal(frame.to_ndarray(), pixels)
    y, u, v = encoding.frame_planes(frame)
    assert (y.shape, u.shape, v.shape) == ((72, 128), (36, 64), (36, 64))
    u[:] = 200
    assert np.all(encoding.planes(frame.to_ndarray(), 128, 72)[1] == 200)
