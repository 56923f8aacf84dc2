"""Imports point one way, as the README's layout says: read from the source, so the rule
cannot rot. A new package must be given its place here before it passes."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# What each package may import of ours, besides itself. Lower floors first.
ALLOWED: dict[str, frozenset[str]] = {
    "engine": frozenset(),
    "events": frozenset(),
    # Where files are kept (a folder or an S3 store): an edge every service reaches down to.
    "storage": frozenset(),
    "domain": frozenset({"events", "engine", "storage"}),
    "projections": frozenset({"events", "engine", "storage", "domain"}),
    "agents": frozenset({"events", "engine", "storage", "domain"}),
    "api": frozenset({"events", "engine", "storage", "domain", "projections"}),
    # Tables for analysts, read from the log (never from the read models).
    "analytics": frozenset({"events", "engine", "storage", "domain"}),
    # This machine's stack (broker, PostgreSQL, service processes): for people, tests, benches.
    "local_stack": frozenset({"events", "storage"}),
    "cli": frozenset(
        {
            "events",
            "engine",
            "storage",
            "domain",
            "projections",
            "agents",
            "api",
            "analytics",
            "local_stack",
        }
    ),
}
# Benches stand on the product, never on the tests.
ALLOWED["bench"] = frozenset(ALLOWED) - {"bench"}
# The one exception below the domain floor: the catalog carries engine models on the wire
# (RenderRequested.edl, ClipTaskQueued.segment, VideoGenerationRequested.spec), so it may
# import those modules, which are pure data and import no media library.
# Engine models that travel on the wire as they are (pure data): the EDL and the clip spec.
WIRE_MODELS = frozenset({"engine.edl", "engine.generation.spec"})
DATA_ONLY = (
    "engine/edl.py",
    "engine/edl_checks.py",
    "engine/media.py",
    "engine/render_settings.py",
    "engine/errors.py",
    "engine/generated_fill.py",
    "engine/generation/spec.py",
)
MEDIA_LIBRARIES = frozenset({"av", "cv2", "numpy", "librosa", "soundfile", "scipy"})


def installed_packages() -> list[str]:
    """The top-level packages pyproject.toml installs."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["packages"]["find"]["include"]
    return sorted(p.removesuffix("*") for p in patterns)


def ours() -> frozenset[str]:
    """Every top-level name of this repository that code could import."""
    return frozenset(installed_packages()) | {"bench", "tests"}


def imported_modules(path: Path) -> set[str]:
    """Modules a file imports (absolute imports; relative ones stay inside its package)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def imported_packages(path: Path, package: str) -> set[str]:
    """Top-level packages a file of `package` imports, except the wire models in the catalog."""
    modules = imported_modules(path)
    if package == "events":
        modules -= WIRE_MODELS
    return {m.split(".")[0] for m in modules}


def test_every_installed_package_has_a_place() -> None:
    missing = set(installed_packages()) - set(ALLOWED)
    assert not missing, f"give {sorted(missing)} a place in ALLOWED (and in the README's layout)"


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_one_way(package: str) -> None:
    allowed = ALLOWED[package] | {package}
    wrong = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for name in imported_packages(path, package) & ours()
        if name not in allowed
    }
    assert not wrong, "imports that point the wrong way:\n" + "\n".join(sorted(wrong))


@pytest.mark.parametrize("module", DATA_ONLY)
def test_the_edl_model_the_catalog_carries_stays_pure_data(module: str) -> None:
    used = {m.split(".")[0] for m in imported_modules(ROOT / module)}
    assert not used & MEDIA_LIBRARIES, f"{module} imports {sorted(used & MEDIA_LIBRARIES)}"
    ours_used = {m for m in imported_modules(ROOT / module) if m.split(".")[0] in ours()}
    assert {m.replace(".", "/") + ".py" for m in ours_used} <= set(DATA_ONLY)


def test_the_check_sees_a_wrong_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from api.app import create_app\nimport engine.edl as edl\nfrom . import x\n")
    assert imported_packages(module, "agents") == {"api", "engine"}
    assert imported_packages(module, "events") == {"api"}
    module.write_text("from engine.clip import render_clip\n")
    assert imported_packages(module, "events") == {"engine"}


def test_the_api_reads_the_projections_through_one_module() -> None:
    # Routes, streams, status checks and the CLI ask api/read_models.py, so the tables can
    # change behind one module.
    readers = {
        str(path.relative_to(ROOT))
        for package in sorted(ALLOWED)
        if package != "projections"
        for path in sorted((ROOT / package).rglob("*.py"))
        if "projections.models" in imported_modules(path)
    }
    assert readers == {"api/read_models.py"}, f"read the projections through it: {readers}"
