"""The shape of every id in the catalog: ids name folders and files and come from any producer."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field

# Ids name folders and files (render_tmp/job_<id>/, clip names, renders/<id>.mp4) and travel
# in events that a producer which is not ours may write: letters, digits, `_` and `-`, with
# single dots between them; no `/`, no `..`, no leading dot or dash. Every id we make fits:
# UUIDs, `<prefix>-<hex>`, `<job>-seg0000`, `<host>-<pid>`.
ID_PATTERN = r"^[A-Za-z0-9](?:\.?[A-Za-z0-9_-])*$"
# The longest id an event carries (ids, keys); ids derived from others must fit in it too.
ID_MAX_LENGTH = 128
Id = Annotated[str, Field(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]
# An event id: the same shape, as long as the read models' event_id column.
EventId = Annotated[str, Field(min_length=1, max_length=64, pattern=ID_PATTERN)]

# A trace id is only logged and carried, never a path; the API keeps a caller's if it fits.
TRACE_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
TraceId = Annotated[str, Field(min_length=1, max_length=64, pattern=TRACE_ID_PATTERN)]

_ID = re.compile(ID_PATTERN)


def is_id(value: str) -> bool:
    """Whether `value` is a valid id of the catalog (the pattern and the length)."""
    return len(value) <= ID_MAX_LENGTH and _ID.fullmatch(value) is not None
