"""Object keys: the one check that a key stays inside its store, and the layout of our keys.

A key is a relative, '/'-separated path of segments made of letters, digits, '.', '_' and
'-' (no empty, '.' or '..' segment), at most 512 characters; S3 and a folder accept it
alike, and a folder store cannot be led outside its root by it.

The layout (every id is one segment; ids are the catalog's ids, which always fit):

    projects/<project>/media/<asset><ext>       a photo or clip as uploaded (ext: ".mp4", ".jpg")
    projects/<project>/media/thumbnails/<asset>.jpg   its thumbnail
    projects/<project>/audio/<track><ext>       the music as uploaded (or converted to FLAC)
    proxies/<asset>/<variant><ext>        upload-time proxies ("1280x720.mp4", "music.m4a")
    beat-grids/<audio_track>.json         the beat analysis of a song
    clips/<job>/<segment:04d>-<sha>.mp4   a clip that must outlive the worker that cut it
    generated/<project>/<generation><ext> a generated clip (".mp4") and its thumbnail (".jpg")
    renders/<job>.mp4                     a rendered output

Uploads keep the folders the API always kept them in under its media folder, so a folder
store rooted there finds every older upload under its key. Each other kind has a prefix of
its own, so retention and listing work per kind (`list("renders/")`).
"""

from __future__ import annotations

import re

from storage.object_store import KeyRefused

KEY_MAX_LENGTH = 512
_SEGMENT = re.compile(r"[A-Za-z0-9._-]+")
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,8}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def check_key(key: str) -> str:
    """The key itself when it is a safe relative key, else KeyRefused naming the rule broken."""
    if not key:
        raise KeyRefused("an object key may not be empty")
    if len(key) > KEY_MAX_LENGTH:
        raise KeyRefused(
            f"the object key {key[:40]!r}… is {len(key)} characters long; "
            f"a key has at most {KEY_MAX_LENGTH}"
        )
    if "\x00" in key:
        raise KeyRefused(f"the object key {key!r} holds a NUL character")
    if "\\" in key:
        raise KeyRefused(f"the object key {key!r} holds a backslash; segments are split by '/'")
    if key.startswith("/"):
        raise KeyRefused(f"the object key {key!r} starts with '/'; keys are relative")
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise KeyRefused(
                f"the object key {key!r} has an empty, '.' or '..' segment; "
                "each segment between '/' must name something"
            )
        if not _SEGMENT.fullmatch(segment):
            raise KeyRefused(
                f"the object key {key!r} holds a character other than letters, digits, "
                "'.', '_', '-' and '/'"
            )
    return key


def _one_segment(what: str, value: str) -> str:
    """`value` when it is a single key segment, so an id cannot add folders to a key."""
    if value in (".", "..") or not _SEGMENT.fullmatch(value):
        raise KeyRefused(
            f"the {what} {value!r} cannot be part of an object key: "
            "only letters, digits, '.', '_' and '-' (not '.' or '..')"
        )
    return value


def _extension(ext: str) -> str:
    """`ext` when it is a '.' and up to 8 letters or digits."""
    if not _EXTENSION.fullmatch(ext):
        raise KeyRefused(f"the extension {ext!r} is not a '.' and up to 8 letters or digits")
    return ext


def upload_key(project_id: str, asset_id: str, ext: str) -> str:
    """Where an uploaded photo or clip is kept: projects/<project>/media/<asset><ext>."""
    project = _one_segment("project id", project_id)
    asset = _one_segment("asset id", asset_id)
    return check_key(f"projects/{project}/media/{asset}{_extension(ext)}")


def audio_key(project_id: str, audio_track_id: str, ext: str) -> str:
    """Where uploaded music is kept: projects/<project>/audio/<track><ext>."""
    project = _one_segment("project id", project_id)
    track = _one_segment("audio track id", audio_track_id)
    return check_key(f"projects/{project}/audio/{track}{_extension(ext)}")


PROXY_EXTENSIONS = (".mp4", ".jpg", ".m4a")


def proxy_key(asset_id: str, variant: str, ext: str = ".mp4") -> str:
    """Where an asset's upload-time proxy is kept: proxies/<asset>/<variant><ext> (a video's
    .mp4, a still's .jpg, a song's .m4a)."""
    if ext not in PROXY_EXTENSIONS:
        raise KeyRefused(f"a proxy is one of {', '.join(PROXY_EXTENSIONS)}, not {ext!r}")
    asset = _one_segment("asset id", asset_id)
    return check_key(f"proxies/{asset}/{_one_segment('proxy variant', variant)}{ext}")


def thumbnail_key(project_id: str, asset_id: str) -> str:
    """Where an asset's thumbnail is kept: projects/<project>/media/thumbnails/<asset>.jpg."""
    project = _one_segment("project id", project_id)
    asset = _one_segment("asset id", asset_id)
    return check_key(f"projects/{project}/media/thumbnails/{asset}.jpg")


def beat_grid_key(audio_track_id: str) -> str:
    """Where a song's beat grid is kept: beat-grids/<audio_track>.json."""
    return check_key(f"beat-grids/{_one_segment('audio track id', audio_track_id)}.json")


def render_key(job_id: str) -> str:
    """Where a render's output is kept: renders/<job>.mp4."""
    return check_key(f"renders/{_one_segment('render job id', job_id)}.mp4")


def render_poster_key(job_id: str) -> str:
    """Where a render's poster (a JPEG of its video) is kept: renders/<job>.jpg."""
    return check_key(f"renders/{_one_segment('render job id', job_id)}.jpg")


def clips_prefix(job_id: str) -> str:
    """The prefix of every clip kept for a render: clips/<job>/."""
    return f"clips/{_one_segment('render job id', job_id)}/"


def clip_key(job_id: str, segment_index: int, sha: str) -> str:
    """Where a render's clip is kept: clips/<job>/<segment:04d>-<sha>.mp4 (sha: its SHA-256)."""
    if segment_index < 0:
        raise KeyRefused(f"the segment index {segment_index} is negative")
    if not _SHA256.fullmatch(sha):
        raise KeyRefused(f"the checksum {sha!r} is not 64 lower-case hex digits (SHA-256)")
    return check_key(f"{clips_prefix(job_id)}{segment_index:04d}-{sha}.mp4")


def generated_key(project_id: str, generation_id: str, ext: str) -> str:
    """Where a generated clip (ext ".mp4") or its thumbnail (".jpg") is kept:
    generated/<project>/<generation><ext>, as the worker writes it under its media folder."""
    if ext not in (".mp4", ".jpg"):
        raise KeyRefused(f"a generated file is an .mp4 or its .jpg thumbnail, not {ext!r}")
    project = _one_segment("project id", project_id)
    return check_key(f"generated/{project}/{_one_segment('generation id', generation_id)}{ext}")
