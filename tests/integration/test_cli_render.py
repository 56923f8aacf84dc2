"""`beatstitch render` with a user's own files: the whole service started for one command,
and error sentences for bad input before anything starts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import soundfile as sf

from engine.probe import probe
from engine.sample_media import write_sample_media, write_song
from tests.support.beatless_songs import drone
from tests.support.cli import cli_env, run_cli


def test_render_makes_an_mp4_as_long_as_the_song(
    render_env: dict[str, str], tmp_path: Path
) -> None:
    song = write_song(tmp_path / "song", bpm=120.0, bars=4)
    write_sample_media(tmp_path / "my media", videos=1, stills=2, size=(320, 180))
    out = tmp_path / "out" / "video.mp4"
    args = ["--audio", str(song), "--media", str(tmp_path / "my media"), "-o", str(out)]
    options = ["--size", "320x180", "--fps", "12", "--beats-per-cut", "2", "--preview"]
    done = run_cli("render", *args, *options, env=render_env, cwd=tmp_path, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "120.0 BPM, 16 beats in sample_song.wav" in done.stdout
    assert "8 segments" in done.stdout
    assert "total_clips" in done.stdout and f"wrote {out}" in done.stdout
    assert abs((probe(out).duration_ms or 0) - (probe(song).duration_ms or 0)) <= 1000 / 12
    # The services' logs stay beside the command, for when something goes wrong.
    assert {p.name for p in (tmp_path / ".data" / "logs").iterdir()} >= {
        "api.log",
        "projector.log",
        "worker-1.log",
    }


@pytest.mark.parametrize(
    ("cut", "says"),
    [
        # Two photos share 30 s: 15 s each, held to 8 s shots.
        ([], "4 segments (no clear beat found; cutting every 8 s)"),
        # The pace the user set (it once failed the render's EDL check).
        (["--beatless-cut-ms", "6000"], "5 segments (no clear beat found; cutting every 6 s)"),
    ],
)
def test_a_song_without_a_clear_beat_is_said_so_and_cut_at_a_steady_pace(
    render_env: dict[str, str], tmp_path: Path, cut: list[str], says: str
) -> None:
    song = tmp_path / "drone.wav"
    sf.write(song, drone(30.0, 22050), 22050)
    write_sample_media(tmp_path / "media", videos=0, stills=2, size=(320, 180))
    args = ["--audio", str(song), "--media", str(tmp_path / "media"), "-o", "out.mp4"]
    options = ["--size", "320x180", "--fps", "12", "--preview", *cut]
    done = run_cli("render", *args, *options, env=render_env, cwd=tmp_path, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    # What the user sees: no made-up tempo, and how the song is cut instead.
    assert "no clear beat found in drone.wav" in done.stdout
    assert "BPM" not in done.stdout
    assert says in done.stdout
    assert abs((probe(tmp_path / "out.mp4").duration_ms or 0) - 30_000) <= 1000 / 12


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["--audio", "missing.wav"], "error: the audio file missing.wav does not exist"),
        (["--media", "song.wav"], "is not a folder; --media takes a folder of photos and clips"),
        (["--media", "empty"], "has no photos or clips (looked for .jpeg, .jpg"),
        (["--beats-per-cut", "3"], "the render settings are not valid: beats_per_cut"),
        (["--transition", "wipe"], "transition.type"),
        (["--transition-ms", "5000"], "must be a value between 0 and 2000, got 5000"),
        (["--size", "big"], "--size must look like 1280x720, got 'big'"),
        (["--size", "641x360"], "must be an even number between 160 and 3840, got 641"),
        (["--beatless-cut-ms", "100"], "beatless.cut_ms must be a value between 1000 and 60000"),
    ],
)
def test_bad_input_gets_a_sentence_before_anything_starts(
    render_env: dict[str, str], tmp_path: Path, options: list[str], says: str
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "media").mkdir()
    write_sample_media(tmp_path / "media", videos=0, stills=1, size=(320, 180))
    (tmp_path / "song.wav").write_bytes(b"RIFF")
    defaults = {"--audio": "song.wav", "--media": "media"}
    for flag, value in zip(options[::2], options[1::2], strict=True):
        defaults[flag] = value
    args = [part for pair in defaults.items() for part in pair]
    done = run_cli("render", *args, "-o", "out.mp4", env=render_env, cwd=tmp_path)
    assert done.returncode == 1
    assert says in done.stderr, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert not (tmp_path / ".data" / "logs").exists()  # nothing was started


def test_config_set_and_get(kafka_bootstrap: str, topic_prefix: str, tmp_path: Path) -> None:
    env = cli_env(kafka_bootstrap, topic_prefix, f"sqlite:///{tmp_path / 'db.sqlite'}")
    fresh = run_cli("config", "get", env=env)
    assert fresh.returncode == 0, fresh.stderr
    assert "version 0 (defaults)" in fresh.stdout
    changed = run_cli("config", "set", "max_parallelism=2", "per_video_limit=1", env=env)
    assert changed.returncode == 0, changed.stderr
    shown = run_cli("config", "get", env=env).stdout
    assert "version 1" in shown
    assert re.search(r"max_parallelism\s*│\s*2\s*│", shown), shown
    refused = run_cli("config", "set", "max_parallelism=9", env=env)
    # What an operator sees: the field and its range, and nothing published.
    assert refused.returncode == 1
    assert "the configuration was not changed: max_parallelism" in refused.stderr
    assert "less than or equal to 6" in refused.stderr
    garbled = run_cli("config", "set", "max_parallelism", env=env)
    assert garbled.returncode == 1 and "is not KEY=VALUE" in garbled.stderr
    assert "version 1" in run_cli("config", "get", env=env).stdout
