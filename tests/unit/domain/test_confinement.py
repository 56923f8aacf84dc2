"""A path from an event is read only if it resolves inside the media or artifacts root."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.confinement import PathOutsideRoot, confine


@pytest.fixture
def roots(tmp_path: Path) -> tuple[Path, Path]:
    media, artifacts = tmp_path / "media", tmp_path / "artifacts"
    (media / "projects").mkdir(parents=True)
    artifacts.mkdir()
    (media / "projects" / "clip.mp4").write_bytes(b"x")
    (tmp_path / "secret.txt").write_text("not yours")
    return media, artifacts


def test_a_file_inside_a_root_is_returned_resolved(roots: tuple[Path, Path]) -> None:
    media, _ = roots
    assert confine(media / "projects" / "clip.mp4", roots) == media / "projects" / "clip.mp4"
    assert confine(roots[1] / "renders" / "new.mp4", roots) == roots[1] / "renders" / "new.mp4"


def test_dot_dot_out_of_a_root_is_refused(roots: tuple[Path, Path]) -> None:
    with pytest.raises(PathOutsideRoot, match="path_outside_root"):
        confine(f"{roots[0]}/projects/../../secret.txt", roots)


def test_an_absolute_path_elsewhere_is_refused(roots: tuple[Path, Path]) -> None:
    with pytest.raises(PathOutsideRoot) as refused:
        confine("/etc/passwd", roots)
    assert "'passwd'" in str(refused.value) and "/etc" not in str(refused.value)


def test_a_symlink_out_of_a_root_is_refused(roots: tuple[Path, Path]) -> None:
    media, _ = roots
    (media / "projects" / "link.mp4").symlink_to(media.parent / "secret.txt")
    with pytest.raises(PathOutsideRoot):
        confine(media / "projects" / "link.mp4", roots)


def test_a_symlinked_folder_out_of_a_root_is_refused(roots: tuple[Path, Path]) -> None:
    media, _ = roots
    (media / "etc").symlink_to("/etc")
    with pytest.raises(PathOutsideRoot):
        confine(media / "etc" / "passwd", roots)


def test_a_symlink_to_a_file_inside_a_root_is_followed(roots: tuple[Path, Path]) -> None:
    media, artifacts = roots
    (artifacts / "same.mp4").symlink_to(media / "projects" / "clip.mp4")
    assert confine(artifacts / "same.mp4", roots) == media / "projects" / "clip.mp4"


def test_a_root_reached_through_a_symlink_still_counts(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "a.mp4").write_bytes(b"x")
    (tmp_path / "alias").symlink_to(real)
    assert confine(tmp_path / "alias" / "a.mp4", [tmp_path / "alias"]) == real / "a.mp4"


def test_a_sibling_with_the_roots_name_as_prefix_is_outside(tmp_path: Path) -> None:
    with pytest.raises(PathOutsideRoot):
        confine(tmp_path / "media-evil" / "x.mp4", [tmp_path / "media"])


@pytest.mark.parametrize("bad", ["", "media/\0x"])
def test_empty_or_nul_paths_are_refused(bad: str, roots: tuple[Path, Path]) -> None:
    with pytest.raises(PathOutsideRoot):
        confine(bad, roots)
