"""The API serves files from its media and artifacts folders only, whatever the read model says."""

from __future__ import annotations

from pathlib import Path

from api.settings import ApiSettings
from api.storage import served_file


def test_only_files_inside_the_two_folders_are_served(tmp_path: Path) -> None:
    settings = ApiSettings(media_dir=str(tmp_path / "media"), artifacts_dir=str(tmp_path / "art"))
    (tmp_path / "art" / "renders").mkdir(parents=True)
    (tmp_path / "media").mkdir()
    out = tmp_path / "art" / "renders" / "job-1.mp4"
    out.write_bytes(b"mp4")
    (tmp_path / "media" / "out.mp4").symlink_to("/etc/passwd")
    assert served_file(settings, out) == out
    assert served_file(settings, "/etc/passwd") is None
    assert served_file(settings, f"{tmp_path}/art/renders/../../../../etc/passwd") is None
    assert served_file(settings, tmp_path / "media" / "out.mp4") is None  # a symlink out
    assert served_file(settings, tmp_path / "art" / "renders" / "gone.mp4") is None
