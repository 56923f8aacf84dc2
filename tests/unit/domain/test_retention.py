"""What disk collection removes: old and replaced files go, nothing a live render uses does."""

from __future__ import annotations

from pathlib import Path, PurePath

from domain.retention import (
    Found,
    Kind,
    Knowledge,
    Retention,
    kind_of,
    plan_collection,
    tally,
)

DAY, HOUR = 86400.0, 3600.0
KEEP = Retention(renders_s=30 * DAY, tmp_s=24 * HOUR, beat_grids_s=30 * DAY, audio_s=7 * DAY)


def render(job: str, age_days: float, size: int = 100) -> Found:
    return Found(Path(f"/a/renders/{job}.mp4"), Kind.RENDER, size, age_days * DAY, job)


def render_tmp(job: str, age_hours: float) -> Found:
    return Found(Path(f"/a/render_tmp/job_{job}"), Kind.RENDER_TMP, 10, age_hours * HOUR, job)


def gone(found: list[Found], knows: Knowledge, keep: Retention = KEEP) -> set[str]:
    return {d.found.path.name for d in plan_collection(found, knows, keep)}


def test_an_old_render_of_an_ended_job_goes_but_each_projects_newest_stays() -> None:
    knows = Knowledge(ended={"old": "p1", "older": "p1", "newest": "p1", "fresh": "p2"})
    found = [render("older", 90), render("old", 40), render("newest", 35), render("fresh", 1)]
    assert gone(found, knows) == {"older.mp4", "old.mp4"}
    # With the newest not kept, it goes too once past the retention.
    no_newest = Retention(30 * DAY, 24 * HOUR, 30 * DAY, 7 * DAY, keep_newest_render=False)
    assert gone(found, knows, no_newest) == {"older.mp4", "old.mp4", "newest.mp4"}


def test_nothing_of_a_live_render_goes_whatever_its_age() -> None:
    audio = Path("/m/projects/p1/audio/audio_old.wav")
    knows = Knowledge(
        ended={"done": "p1"},
        live=frozenset({"live"}),
        in_use=frozenset({audio}),
        knows_every_render=True,
        current_audio=frozenset(),
    )
    found = [
        render("live", 400),  # an output written by an earlier join of the live render
        render_tmp("live", 500),
        Found(audio, Kind.AUDIO, 5, 400 * DAY),
    ]
    assert gone(found, knows) == set()


def test_a_render_not_known_to_have_ended_stays_where_not_every_render_is_known() -> None:
    # A worker's window of the log: an unknown render may be live on another worker.
    knows = Knowledge(ended={"done": None})
    found = [render_tmp("unknown", 100), render_tmp("done", 30), render("unknown", 90)]
    assert gone(found, knows) == {"job_done"}
    # The read model knows every request: a folder of a render nobody requested is an orphan.
    every = Knowledge(ended={"done": None}, knows_every_render=True)
    assert gone(found, every) == {"job_done", "job_unknown"}


def test_temporary_files_go_by_age() -> None:
    knows = Knowledge(ended={"done": None})
    found = [
        Found(Path("/m/projects/p/audio/.incoming-ab12"), Kind.TEMP, 7, 25 * HOUR),
        Found(Path("/a/renders/.j.mp4.4242.tmp.mp4"), Kind.TEMP, 9, 30 * HOUR),
        Found(Path("/a/beat-grids/.x.json.77.tmp"), Kind.TEMP, 3, 1 * HOUR),  # being written
        render_tmp("done", 2),  # its render just ended: a late piece may still write there
    ]
    assert gone(found, knows) == {".incoming-ab12", ".j.mp4.4242.tmp.mp4"}


def test_replaced_audio_and_unused_beat_grids_go_once_known_and_old() -> None:
    current = Path("/m/projects/p/audio/audio_new.mp3")
    replaced = Path("/m/projects/p/audio/audio_old.mp3")
    grid_now, grid_old = Path("/a/beat-grids/new.json"), Path("/a/beat-grids/old.json")
    found = [
        Found(current, Kind.AUDIO, 10, 60 * DAY),
        Found(replaced, Kind.AUDIO, 20, 8 * DAY),
        Found(grid_now, Kind.BEAT_GRID, 1, 90 * DAY),
        Found(grid_old, Kind.BEAT_GRID, 2, 31 * DAY),
    ]
    knows = Knowledge(
        ended={},
        current_audio=frozenset({current}),
        current_grids=frozenset({grid_now}),
    )
    doomed = plan_collection(found, knows, KEEP)
    assert {d.found.path for d in doomed} == {replaced, grid_old}
    totals = tally(doomed)
    assert (totals[Kind.AUDIO].files, totals[Kind.AUDIO].bytes) == (1, 20)
    assert (totals[Kind.BEAT_GRID].files, totals[Kind.RENDER].files) == (1, 0)
    # Without knowing the projects' current audio (a worker), no audio or grid goes.
    assert gone(found, Knowledge(ended={})) == set()


def test_paths_are_classified_by_where_they_are() -> None:
    assert kind_of(PurePath("renders/job-1.mp4"), "artifacts") == (Kind.RENDER, "job-1")
    assert kind_of(PurePath("renders/.job-1.mp4.12.tmp.mp4"), "artifacts") == (Kind.TEMP, None)
    assert kind_of(PurePath("beat-grids/abc.json"), "artifacts") == (Kind.BEAT_GRID, None)
    assert kind_of(PurePath("projects/p/audio/a.wav"), "media") == (Kind.AUDIO, None)
    assert kind_of(PurePath("projects/p/media/.incoming-1"), "media") == (Kind.TEMP, None)
    assert kind_of(PurePath("projects/p/media/m.jpg"), "media") is None  # media stay
    assert kind_of(PurePath("demo.mp4"), "artifacts") is None
    # The folder store's checksum record goes with its file, never alone; its half-written
    # copies are temporary files.
    assert kind_of(PurePath("projects/p/audio/a.wav.sha256"), "media") is None
    tmp = ".tmp-" + "0" * 32
    assert kind_of(PurePath(f"projects/p/audio/{tmp}"), "media") == (Kind.TEMP, None)
