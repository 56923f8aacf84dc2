"""The CLI's 'could not …' sentence names a file once, whatever the API's sentence says."""

from __future__ import annotations

from cli.api_render import failure_sentence


def test_an_api_sentence_that_starts_with_the_file_name_is_not_prefixed_again() -> None:
    said = "song.ogg: neither FFmpeg nor libsndfile can read the sound in it (FFmpeg: End of file)"
    assert failure_sentence("upload", "song.ogg", said) == (
        "could not upload song.ogg: neither FFmpeg nor libsndfile can read the sound in it "
        "(FFmpeg: End of file)"
    )


def test_an_api_sentence_naming_the_file_elsewhere_keeps_its_own_words() -> None:
    said = "big.mp4 is larger than the 29 KiB upload limit."
    assert failure_sentence("upload", "big.mp4", said) == f"could not upload: {said}"


def test_an_api_sentence_without_the_file_name_gets_it() -> None:
    said = "The project is full: a project holds at most 200 photos and clips."
    assert failure_sentence("upload", "a.jpg", said) == f"could not upload a.jpg: {said}"
    assert (
        failure_sentence("read the timeline", None, "gone") == "could not read the timeline: gone"
    )
