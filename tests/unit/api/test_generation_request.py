"""A generation request the API's schema accepts is one the clip spec accepts too, so a valid
request never reaches the worker only to fail there (and the fuzzed API never answers a
schema-valid body with 422)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from api.generation_schemas import GenerationCreate
from engine.generation.spec import ClipSpec

EVEN_WIDTH = st.integers(80, 1920).map(lambda x: x * 2)
EVEN_HEIGHT = st.integers(60, 1080).map(lambda x: x * 2)


@settings(max_examples=200, deadline=None)
@given(
    width=EVEN_WIDTH,
    height=EVEN_HEIGHT,
    fps=st.integers(12, 60),
    duration=st.floats(0.5, 20.0),
    motion=st.floats(0.0, 1.0),
    style=st.sampled_from(["plain", "warm", "cool", "neon", "mono"]),
)
def test_every_request_the_schema_accepts_makes_a_spec(
    width: int, height: int, fps: int, duration: float, motion: float, style: str
) -> None:
    body = GenerationCreate.model_validate(
        {
            "prompt": "x",
            "width": width,
            "height": height,
            "fps": fps,
            "duration_s": duration,
            "motion_level": motion,
            "style": style,
        }
    )
    fields = body.model_dump(exclude={"provider", "image_asset_id", "segment_index", "start_s"})
    ClipSpec.model_validate(fields)


@pytest.mark.parametrize(
    ("field", "value"), [("width", 161), ("width", 158), ("height", 2162), ("fps", 11)]
)
def test_a_size_or_rate_the_spec_refuses_is_refused_by_the_schema(field: str, value: int) -> None:
    with pytest.raises(ValidationError) as caught:
        GenerationCreate.model_validate({"prompt": "x", field: value})
    assert caught.value.errors()[0]["loc"] == (field,)
