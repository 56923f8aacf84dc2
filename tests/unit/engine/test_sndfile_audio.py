"""Songs FFmpeg cannot decode but libsndfile reads: refused by the probe with a true
sentence, and converted losslessly to FLAC that the probe reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from engine.errors import MediaProbeError
from engine.probe import probe
from engine.sndfile_audio import read_header, to_flac
from tests.support.odd_audio import write_nms_adpcm_wav, write_ogg_vorbis


def test_ffmpeg_cannot_decode_an_nms_adpcm_wav_and_the_probe_says_so(tmp_path: Path) -> None:
    song = write_nms_adpcm_wav(tmp_path / "song.wav")
    with pytest.raises(MediaProbeError) as caught:
        probe(song)
    # What the user would read: the sound cannot be decoded, the file named once.
    assert caught.value.reason == "decode_error"
    assert caught.value.message.startswith("song.wav: its ")
    assert "sound cannot be decoded" in caught.value.message
    assert caught.value.message.count("song.wav") == 1


def test_it_becomes_a_flac_with_the_same_samples_that_ffmpeg_reads(tmp_path: Path) -> None:
    song = write_nms_adpcm_wav(tmp_path / "song.wav", seconds=5.0)
    header = read_header(song)
    assert header is not None and header.duration_ms == 5000
    flac = tmp_path / "song.flac"
    to_flac(song, flac, header, max_ms=600_000)
    info = probe(flac)
    assert (info.kind, info.codec, info.duration_ms) == ("audio", "flac", 5000)
    decoded, _ = soundfile.read(str(song), dtype="float32")
    converted, _ = soundfile.read(str(flac), dtype="float32")
    # 16-bit FLAC of 16-bit-or-coarser ADPCM: the same samples to within one step.
    assert converted.shape == decoded.shape
    assert float(np.abs(converted - decoded).max()) <= 1 / 32768


def test_the_conversion_stops_past_the_length_cap(tmp_path: Path) -> None:
    song = write_nms_adpcm_wav(tmp_path / "song.wav", seconds=30.0)
    header = read_header(song)
    assert header is not None
    flac = tmp_path / "song.flac"
    to_flac(song, flac, header, max_ms=2000)
    assert soundfile.info(str(flac)).duration < 6


def test_a_file_libsndfile_cannot_read_has_no_header(tmp_path: Path) -> None:
    junk = tmp_path / "junk.ogg"
    junk.write_bytes(b"OggS" + bytes(range(256)) * 8)
    assert read_header(junk) is None


def test_an_ogg_vorbis_song_written_by_libsndfile_is_read_by_ffmpeg(tmp_path: Path) -> None:
    song = write_ogg_vorbis(tmp_path / "song.ogg", seconds=60.0)
    info = probe(song)
    assert (info.kind, info.codec, info.duration_ms) == ("audio", "vorbis", 60_000)


def test_an_mp3_with_a_damaged_stretch_near_its_start_is_still_audio(tmp_path: Path) -> None:
    import av

    from engine.sample_media import write_tone

    tone = write_tone(tmp_path / "tone.wav", 3.0)
    mp3 = tmp_path / "tone.mp3"
    with av.open(str(tone)) as source, av.open(str(mp3), "w") as out:
        stream = out.add_stream("libmp3lame", rate=44_100)
        for frame in source.decode(audio=0):
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    data = mp3.read_bytes()
    damaged = tmp_path / "damaged.mp3"
    damaged.write_bytes(data[:2000] + bytes(range(256)) * 20 + data[2000:])
    # Only a file of which nothing decodes is refused.
    assert probe(damaged).kind == "audio"
