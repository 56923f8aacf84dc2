"""When a render's transition pieces can start, and when one must be rendered again (pure).

A transition piece renders both of its sides from what their clips render from
(assemble.render_transition), not from the clip files, so it can start as soon as both
clips' sources are known, long before either clip is done; started right behind the
clips it sits between, it enters the pool in timeline order. A clip that ends up
rendering from something else (a fallback, the placeholder) makes a piece started from
the old source show what the clip does not, so that piece is rendered again.

engine.render and the assembler agent both follow plan_pieces; each names what a clip
renders from in its own terms (equal names mean the same pixels).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# What the outgoing and the incoming clip of a piece render from.
Sides = tuple[str, str]


@dataclass(frozen=True)
class PieceSteps:
    """Pieces to start now, and started pieces to render again, with the sides to use."""

    start: dict[int, Sides]
    restart: dict[int, Sides]


def plan_pieces(
    boundaries: Iterable[int], sources: Mapping[int, str], started: Mapping[int, Sides]
) -> PieceSteps:
    """What to do about the piece after each segment in `boundaries` (its non-cut ones).

    `sources` maps a segment's index to what its clip renders from, for the clips known
    so far; `started` maps a boundary to the sides its piece was started with (or found
    in a cache for). A piece starts once both of its clips' sources are known; a started
    piece whose sides no longer match is to be rendered again.
    """
    start: dict[int, Sides] = {}
    restart: dict[int, Sides] = {}
    for b in boundaries:
        if b not in sources or b + 1 not in sources:
            continue
        sides = (sources[b], sources[b + 1])
        if b not in started:
            start[b] = sides
        elif started[b] != sides:
            restart[b] = sides
    return PieceSteps(start=start, restart=restart)
