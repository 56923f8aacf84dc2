"""Real music for the beat bench, and a reference tempo for it from independent trackers.

The tracks are the game soundtracks Debian ships as packages (Nexuiz's electronic and
rock tracks, Advanced Strategic Command's orchestral ones: real recordings that nobody
here made), fetched with `apt-get download` into a cache. No one has tapped their beats,
so a track's reference tempo is one that at least two of three independent trackers agree
on within 4 % at the same metrical level: Essentia's multi-feature RhythmExtractor2013,
bpm-tools' `bpm` and librosa's default tempo estimate. A track they do not agree on is
listed and left unscored. librosa's estimate is also where our analyzer starts, so a
track on which only librosa and Essentia agree is marked as such.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import librosa
import numpy as np
import numpy.typing as npt

PACKAGES = ("nexuiz-music", "asc-music")
AGREE = 0.04  # two tempi within 4 % are one tempo
BPM_RANGE = ("-m", "60", "-x", "200")  # bpm-tools' search range: the analyzer's own

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Reference:
    """What the independent trackers said about one track, and the tempo they agree on."""

    essentia: float | None
    bpm_tools: float | None
    librosa: float
    tempo: float | None
    agreeing: tuple[str, ...]


def fetch_tracks(cache: Path) -> list[Path]:
    """The real tracks, downloading and unpacking the Debian packages on first use."""
    unpacked = cache / "unpacked"
    if not unpacked.exists():
        debs = _download(cache / "debs", PACKAGES)
        staging = cache / "staging"
        for deb in debs:
            subprocess.run(["dpkg-deb", "-x", str(deb), str(staging)], check=True)
        for pk3 in staging.rglob("*.pk3"):  # Nexuiz keeps its music in a zip
            with zipfile.ZipFile(pk3) as archive:
                archive.extractall(staging / pk3.stem)
        staging.rename(unpacked)
    tracks = [p for p in unpacked.rglob("*") if p.suffix in (".ogg", ".mp3")]
    return sorted((p for p in tracks if p.stat().st_size > 1_000_000), key=lambda p: p.name)


def bpm_tools(cache: Path) -> Path | None:
    """bpm-tools' `bpm` command, from the system or unpacked from its Debian package."""
    found = shutil.which("bpm")
    if found:
        return Path(found)
    binary = cache / "bpm-tools" / "usr" / "bin" / "bpm"
    if not binary.exists():
        try:
            debs = _download(cache / "debs", ("bpm-tools",))
        except (OSError, subprocess.CalledProcessError):
            return None
        subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(cache / "bpm-tools")], check=True)
    return binary


def reference(samples_44k: FloatArray, bpm_command: Path | None) -> Reference:
    """Each tracker's tempo for mono 44.1 kHz samples, and the tempo two of them agree on."""
    said: dict[str, float | None] = {
        "essentia": _essentia(samples_44k),
        "bpm-tools": _bpm_tools(samples_44k, bpm_command),
        "librosa": _librosa(samples_44k),
    }
    tempo, agreeing = _agreed(said)
    return Reference(
        essentia=said["essentia"],
        bpm_tools=said["bpm-tools"],
        librosa=float(said["librosa"] or 0.0),
        tempo=tempo,
        agreeing=agreeing,
    )


def _agreed(said: dict[str, float | None]) -> tuple[float | None, tuple[str, ...]]:
    """The mean of the largest group of trackers within AGREE of each other (two or more)."""
    named = [(name, bpm) for name, bpm in said.items() if bpm]
    best: list[tuple[str, float]] = []
    for _, anchor in named:
        group = [(n, b) for n, b in named if abs(b / anchor - 1.0) <= AGREE]
        if len(group) > len(best):
            best = group
    if len(best) < 2:
        return None, ()
    return float(np.mean([b for _, b in best])), tuple(n for n, _ in best)


def _essentia(samples_44k: FloatArray) -> float | None:
    try:
        import essentia.standard as es  # bench extra; AGPL, so never a runtime dependency
    except ImportError:
        return None
    extractor = es.RhythmExtractor2013(method="multifeature")
    return float(extractor(samples_44k.astype(np.float32))[0])


def _bpm_tools(samples_44k: FloatArray, command: Path | None) -> float | None:
    if command is None:
        return None
    done = subprocess.run(
        [str(command), *BPM_RANGE],
        input=samples_44k.astype(np.float32).tobytes(),  # raw 44.1 kHz mono floats
        capture_output=True,
        check=False,
    )
    text = done.stdout.decode().strip()
    return float(text) if done.returncode == 0 and text else None


def _librosa(samples_44k: FloatArray) -> float:
    y = librosa.resample(samples_44k, orig_sr=44_100, target_sr=22_050)
    return float(librosa.feature.tempo(y=y, sr=22_050)[0])


def _download(folder: Path, packages: tuple[str, ...]) -> list[Path]:
    """Debian packages' .deb files in `folder`, fetched by apt-get when missing."""
    folder.mkdir(parents=True, exist_ok=True)
    missing = [p for p in packages if not list(folder.glob(f"{p}_*.deb"))]
    if missing:
        subprocess.run(["apt-get", "download", *missing], cwd=folder, check=True)
    return [next(folder.glob(f"{p}_*.deb")) for p in packages]
