"""Beat analysis against synthetic music whose beats and downbeats are known exactly."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bench.beat_scoring import beat_f_measure, downbeat_accuracy, matched_offsets
from engine import beats
from engine.audio_samples import AudioDecodeError
from engine.beat_grid import BeatGrid
from engine.beat_tracking import PULSE_MIN, onset_features, pulse_clarity
from engine.files import file_checksum
from engine.sample_music import (
    STANDARD_TRACKS,
    SynthTrack,
    TrackSpec,
    write_standard_tracks,
    write_track,
)
from tests.support.beatless_songs import BEATLESS

ALL = sorted(STANDARD_TRACKS)
WITH_CHORDS = sorted(name for name, spec in STANDARD_TRACKS.items() if not spec.drums_only)


@pytest.fixture(scope="module")
def tracks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SynthTrack]:
    return write_standard_tracks(tmp_path_factory.mktemp("synth"))


@pytest.fixture(scope="module")
def grids(tracks: dict[str, SynthTrack]) -> dict[str, BeatGrid]:
    # One warm-up, then each track analysed once for the whole module.
    beats.warm_up()
    return {name: beats.analyze(track.path) for name, track in tracks.items()}


def _beat_times(grid: BeatGrid, downbeats_only: bool = False) -> np.ndarray:
    return np.array([b.time_ms / 1000.0 for b in grid.beats if b.is_downbeat or not downbeats_only])


@pytest.mark.parametrize("name", ALL)
def test_beats_match_the_truth(
    name: str, tracks: dict[str, SynthTrack], grids: dict[str, BeatGrid]
) -> None:
    f = beat_f_measure(tracks[name].beats, _beat_times(grids[name]))
    assert f >= 0.95, f"{name}: beat F-measure {f:.3f}"


@pytest.mark.parametrize("name", ALL)
def test_beats_sit_on_the_attacks(
    name: str, tracks: dict[str, SynthTrack], grids: dict[str, BeatGrid]
) -> None:
    offsets = matched_offsets(tracks[name].beats, _beat_times(grids[name]))
    assert len(offsets) > 0
    assert abs(float(np.mean(offsets))) <= 0.010, f"{name}: mean offset {np.mean(offsets):.4f} s"


@pytest.mark.parametrize("name", ALL)
def test_tempo_is_the_played_one_not_half_or_double(
    name: str, tracks: dict[str, SynthTrack], grids: dict[str, BeatGrid]
) -> None:
    assert grids[name].bpm == pytest.approx(tracks[name].spec.bpm, rel=0.02)
    assert grids[name].bpm_confidence >= 0.5


def test_no_beats_inside_the_silent_intro(
    tracks: dict[str, SynthTrack], grids: dict[str, BeatGrid]
) -> None:
    track = tracks["silent_intro"]
    assert track.music_start_s > 4.0
    first = _beat_times(grids["silent_intro"])[0]
    # An attack detected a few milliseconds early is fine; a beat in the silence is not.
    assert first >= track.music_start_s - 0.02


@pytest.mark.parametrize("name", WITH_CHORDS)
def test_downbeats_found_where_the_chords_change(
    name: str, tracks: dict[str, SynthTrack], grids: dict[str, BeatGrid]
) -> None:
    accuracy = downbeat_accuracy(tracks[name].downbeats, _beat_times(grids[name], True))
    assert accuracy >= 0.9, f"{name}: downbeats right on {accuracy:.0%} of bars"
    assert grids[name].downbeat_confidence >= 0.5


def test_drums_alone_give_no_confident_downbeat(grids: dict[str, BeatGrid]) -> None:
    # Kick on 1 and 3, snare on 2 and 4: nothing tells beat 1 from beat 3.
    assert grids["drums_only"].downbeat_confidence < 0.5


@pytest.mark.parametrize("name", ALL)
def test_beat_numbers_cycle_through_the_bar(name: str, grids: dict[str, BeatGrid]) -> None:
    grid = grids[name]
    numbers = [b.beat_number for b in grid.beats]
    assert all(b.is_downbeat == (b.beat_number == 1) for b in grid.beats)
    assert all(b == a % 4 + 1 for a, b in zip(numbers, numbers[1:], strict=False))
    times = [b.time_ms for b in grid.beats]
    assert times == sorted(times) and len(set(times)) == len(times)


@pytest.mark.parametrize("name", ALL)
def test_measures_run_from_downbeat_to_downbeat(name: str, grids: dict[str, BeatGrid]) -> None:
    grid = grids[name]
    downbeats = [b.time_ms for b in grid.beats if b.is_downbeat]
    assert [m.start_ms for m in grid.measures] == downbeats
    assert [m.number for m in grid.measures] == list(range(1, len(downbeats) + 1))
    assert [m.end_ms for m in grid.measures[:-1]] == downbeats[1:]
    assert all(m.beat_count == 4 for m in grid.measures[:-1])
    assert 1 <= grid.measures[-1].beat_count <= 4  # the track may end mid-bar
    assert grid.measures[-1].end_ms <= grid.duration_ms


def test_grid_describes_the_file(tracks: dict[str, SynthTrack], grids: dict[str, BeatGrid]) -> None:
    track, grid = tracks["steady_123"], grids["steady_123"]
    assert grid.audio_file_checksum == hashlib.sha256(track.path.read_bytes()).hexdigest()
    assert grid.sample_rate == track.spec.sample_rate
    assert grid.duration_ms == round(track.duration_s * 1000)
    assert grid.analyzer == beats.ANALYZER and "librosa/0.11" in grid.analyzer
    assert all(0.0 <= b.confidence <= 1.0 for b in grid.beats)


def test_second_call_reads_the_cache(
    tracks: dict[str, SynthTrack], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    track = tracks["steady_174"]
    first = beats.analyze(track.path, cache_dir=tmp_path)
    cache_file = tmp_path / f"beat_grid_{first.audio_file_checksum}.json"
    assert BeatGrid.model_validate_json(cache_file.read_bytes()) == first

    def no_decoding(path: Path) -> tuple[np.ndarray, int]:
        raise AssertionError("the second call should not decode the audio again")

    monkeypatch.setattr(beats, "decode_mono", no_decoding)
    assert beats.analyze(track.path, cache_dir=tmp_path) == first


def test_a_damaged_cache_file_is_recomputed(tracks: dict[str, SynthTrack], tmp_path: Path) -> None:
    track = tracks["steady_90"]
    checksum = file_checksum(track.path)
    cache_file = tmp_path / f"beat_grid_{checksum}.json"
    cache_file.write_text("{not json")
    grid = beats.analyze(track.path, cache_dir=tmp_path)
    assert grid.audio_file_checksum == checksum
    assert BeatGrid.model_validate_json(cache_file.read_bytes()) == grid


def test_corrupt_audio_raises_a_typed_error_naming_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "holiday-song.wav"
    broken.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(40)))
    with pytest.raises(AudioDecodeError) as caught:
        beats.analyze(broken)
    # What the user sees, e.g.: cannot decode audio file 'holiday-song.wav': not a supported
    # audio format or the file is corrupt (LibsndfileError: ...)
    message = str(caught.value)
    assert "holiday-song.wav" in message and "corrupt" in message
    assert str(tmp_path) not in message  # the name once, never the folder it is kept in
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("kind", sorted(BEATLESS))
def test_music_with_no_clear_beat_reports_no_tempo(kind: str, tmp_path: Path) -> None:
    path = tmp_path / f"{kind}.wav"
    sf.write(path, BEATLESS[kind](30.0, 22050), 22050)
    grid = beats.analyze(path)
    # What the user sees: "no clear beat found", not a guessed "120.0 BPM, 0 beats".
    assert grid.beats == [] and grid.measures == []
    assert grid.bpm is None
    assert grid.bpm_confidence == 0.0 and grid.downbeat_confidence == 0.0
    assert grid.duration_ms == 30_000


@pytest.mark.parametrize("name", sorted(STANDARD_TRACKS))
def test_every_synthetic_song_has_a_clear_pulse(
    name: str, tracks: dict[str, SynthTrack], grids: dict[str, BeatGrid]
) -> None:
    y, _ = sf.read(tracks[name].path, dtype="float32", always_2d=True)
    clarity = pulse_clarity(onset_features(y.mean(axis=1)).full)
    assert clarity >= 2 * PULSE_MIN, clarity
    assert grids[name].bpm is not None


def test_a_44100_hz_file_is_analysed_at_its_own_rate(tmp_path: Path) -> None:
    track = write_track("cd", TrackSpec(bpm=128.0, bars=6, sample_rate=44100, seed=9), tmp_path)
    grid = beats.analyze(track.path)
    assert grid.sample_rate == 44100
    assert beat_f_measure(track.beats, _beat_times(grid)) >= 0.95
