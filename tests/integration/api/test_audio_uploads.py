"""Songs through HTTP: every song FFmpeg or libsndfile reads is accepted (one only libsndfile
reads is stored as FLAC, described truthfully), the length cap holds on that path too, and
every refusal is a true sentence that names the file once."""

from __future__ import annotations

import hashlib
from pathlib import Path

import librosa
import numpy as np
import soundfile

from engine.sample_media import write_song
from tests.support.api_stack import (
    Stack,
    new_user_project,
    second_api,
    stored_files,
    wait_for_analysis,
)
from tests.support.media_gen import write_video
from tests.support.odd_audio import write_nms_adpcm_wav, write_ogg_vorbis


def _nms_song(tmp: Path) -> Path:
    """A drum-and-chords song at 120 BPM as an NMS ADPCM WAV, which FFmpeg cannot decode."""
    wav = write_song(tmp / "song", bpm=120.0, bars=8)
    samples, rate = soundfile.read(str(wav), dtype="float32", always_2d=True)
    mono = librosa.resample(samples.mean(axis=1), orig_sr=rate, target_sr=8000)
    return write_nms_adpcm_wav(tmp / "drums.wav", np.asarray(mono, np.float32)[:, None])


async def test_an_ogg_vorbis_song_written_by_libsndfile_is_accepted(
    stack_worker: Stack, tmp_path: Path
) -> None:
    token, pid = await new_user_project(stack_worker, "audio")
    song = write_ogg_vorbis(tmp_path / "tones.ogg", seconds=60.0)
    async with stack_worker.client(token) as client:
        with song.open("rb") as f:
            answer = await client.post(f"/api/v1/projects/{pid}/audio", files={"file": f})
    assert answer.status_code == 202, answer.text
    track = answer.json()
    assert (track["filename"], track["content_type"]) == ("tones.ogg", "audio/ogg")
    assert track["duration_ms"] == 60_000


async def test_a_song_only_libsndfile_reads_is_stored_as_flac_and_analysed(
    stack_worker: Stack, tmp_path: Path
) -> None:
    token, pid = await new_user_project(stack_worker, "audio")
    song = _nms_song(tmp_path)
    async with stack_worker.client(token) as client:
        with song.open("rb") as f:
            answer = await client.post(f"/api/v1/projects/{pid}/audio", files={"file": f})
        assert answer.status_code == 202, answer.text
        track = answer.json()
        # What the user sees: their song, accepted, described as the FLAC that is stored.
        assert track["filename"] == "drums.wav"
        assert track["content_type"] == "audio/x-flac"
        assert track["duration_ms"] == round(soundfile.info(str(song)).duration * 1000)
        (stored,) = stored_files(stack_worker, pid)
        assert stored.name == f"{track['id']}.flac"
        assert track["size_bytes"] == stored.stat().st_size
        assert track["checksum"] == hashlib.sha256(stored.read_bytes()).hexdigest()
        # The worker reads the FLAC like any upload.
        analysed = await wait_for_analysis(client, pid)
    assert analysed["analysis_status"] == "completed", analysed


async def test_unreadable_files_are_refused_with_a_true_sentence_naming_them_once(
    stack_worker: Stack, tmp_path: Path
) -> None:
    token, pid = await new_user_project(stack_worker, "audio")
    ogg = write_ogg_vorbis(tmp_path / "tones.ogg", seconds=5.0).read_bytes()
    video = write_video(tmp_path / "whole.mp4", frames=48).read_bytes()
    refused = {
        # Ogg headers and no sound: neither decoder has anything to read.
        ("audio", "song.ogg"): ogg[:4000],
        ("media", "holiday.mp4"): video[: len(video) // 2],  # index at the end: gone
        ("media", "sunset.jpg"): b"\xff\xd8\xff\xe0" + bytes(range(256)) * 64,
        ("media", "e.png"): b"",
    }
    async with stack_worker.client(token) as client:
        for (route, name), data in refused.items():
            answer = await client.post(
                f"/api/v1/projects/{pid}/{route}", files={"file": (name, data)}
            )
            assert answer.status_code == 422, answer.text
            message = answer.json()["detail"]["message"]
            assert message.count(name) == 1, message
            assert ".incoming" not in message, message
            if route == "audio":
                assert message == (
                    "song.ogg: neither FFmpeg nor libsndfile can read the sound in it "
                    "(FFmpeg: End of file); the file may be damaged or cut short."
                )
    assert stored_files(stack_worker, pid) == []


async def test_the_length_cap_holds_for_a_song_only_libsndfile_reads(
    stack: Stack, tmp_path: Path
) -> None:
    token, pid = await new_user_project(stack, "audio")
    song = _nms_song(tmp_path)
    seconds = round(soundfile.info(str(song)).duration)
    assert seconds > 10
    with second_api(stack, tmp_path / "logs", BEATSTITCH_MAX_AUDIO_S="10") as capped:
        async with capped.client(token) as client:
            with song.open("rb") as f:
                answer = await client.post(f"/api/v1/projects/{pid}/audio", files={"file": f})
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"] == {
        "reason": "audio_too_long",
        "message": f"drums.wav lasts {seconds} s; a song may last at most 10 s.",
    }
    assert stored_files(stack, pid) == []
