"""The README's catalog stays in step with the code."""

from __future__ import annotations

import re
from pathlib import Path

from events.registry import ALL_PAYLOADS
from events.topics import TOPIC_TABLE

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_event_type_and_version_is_in_the_catalog_table() -> None:
    for p in ALL_PAYLOADS:
        link = f"schemas/{p.event_type}.v{p.event_version}.schema.json"
        assert f"| `{p.event_type}` | {p.event_version} | `{p.topic.value}` |" in README, link
        assert link in README


def test_every_topic_is_in_the_topic_table_with_its_partitions_and_key() -> None:
    for spec in TOPIC_TABLE:
        row = f"| `<prefix>.{spec.topic.value}` | {spec.partitions} | `{spec.key}` |"
        assert row in README


def test_schema_links_point_at_files() -> None:
    root = Path(__file__).resolve().parents[2]
    for link in re.findall(r"\(schemas/([^)]+)\)", README):
        assert (root / "schemas" / link).is_file(), link


def test_the_layout_and_the_import_table_name_every_package() -> None:
    from tests.unit.test_import_directions import ALLOWED

    layout = README.split("## Layout", 1)[1].split("## The event flow", 1)[0]
    for package in ALLOWED:
        assert re.search(rf"^{package}/ ", layout, re.MULTILINE), f"{package}/ not in the layout"
        assert re.search(rf"^\| [^|]*`{package}`", layout, re.MULTILINE), (
            f"{package} has no row in the import table"
        )
