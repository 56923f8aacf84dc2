"""`beatstitch generate`: the whole service started for one command, a progress bar, the new
asset in one line, and a sentence instead of a clip when the provider cannot be used."""

from __future__ import annotations

from pathlib import Path

from engine.probe import probe
from engine.sample_media import write_sample_media
from tests.support.cli import run_cli


def test_generate_prints_the_new_asset_and_refuses_an_unset_provider(
    render_env: dict[str, str], tmp_path: Path
) -> None:
    env = render_env
    (photo,) = write_sample_media(tmp_path / "photos", videos=0, stills=1, size=(640, 360))
    out = tmp_path / "moving.mp4"
    args = ["--prompt", "the lake at dawn", "--image", str(photo), "--duration", "1.5"]
    options = ["--size", "320x180", "--fps", "12", "--out", str(out)]
    done = run_cli("generate", *args, *options, env=env, cwd=tmp_path, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "generated gen-" in done.stdout and "320x180, 1.50 s at 12 fps by local" in done.stdout
    assert "local-image_move" in done.stdout and f"wrote {out}" in done.stdout
    info = probe(out)
    assert (info.width, info.height, info.fps) == (320, 180, 12)

    refused = run_cli(
        "generate", "--prompt", "x", "--provider", "runway", env=env, cwd=tmp_path, timeout=240
    )
    assert refused.returncode != 0
    assert (
        "could not ask for the clip: The runway provider is not set up on this service "
        "(no API key or URL)"
    ) in refused.stdout + refused.stderr
