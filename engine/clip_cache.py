"""Content-addressed cache of rendered clips, transition pieces and encoded music.

A key is the sha256 of everything that shapes the bytes: the source's checksum, the
source range, the clip's frame layout, the effects and the encoder settings. Timeline
position is deliberately not in it, so a clip that only moved (same frames) is reused.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from engine.clip import clip_layout
from engine.edl import Segment, Transition, canonical_json
from engine.encoding import EncodeSettings
from engine.media import MediaAsset
from engine.proxy import proxy_checksum

# 2: clips held their head and tail in a separate edge track, transition pieces were
# blended from it.
# 3: clips hold only their body; transition pieces render both sides from the sources
# (clip.segment_frames). Version 2 clips (with edge tracks) must never be reused.
CACHE_VERSION = 3


def _digest(kind: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json({"v": CACHE_VERSION, "kind": kind, **fields})).hexdigest()


def clip_key(
    segment: Segment, asset: MediaAsset, enc: EncodeSettings, *, source_tag: str = "original"
) -> str:
    """Cache key of a segment's clip; source_tag tells originals from other copies.

    An asset with a proxy renders from it (clip.render_clip), so the key then names the
    proxy's sha256 as well: a clip's pixels come from the proxy's bytes, so clips from
    the source and from the proxy, or from proxies made by another recipe or for other
    output settings, must not be taken for one another. Without a proxy (or with a
    missing one, which render_clip passes over) the key is what it always was.
    """
    layout = clip_layout(segment, enc.fps)
    proxy = proxy_checksum(asset.proxy_path) if asset.proxy_path else None
    fields: dict[str, Any] = {
        "checksum": asset.checksum,
        "media_type": segment.media_type,
        "source_tag": "proxy" if proxy else source_tag,
        "rotation": asset.rotation,
        "display_aspect_ratio": asset.display_aspect_ratio,
        "frames": layout.frames,
        "head": layout.head,
        "tail": layout.tail,
        "effects": segment.effects.model_dump(mode="json"),
        "encode": enc.as_dict(),
    }
    if proxy:
        fields["proxy_checksum"] = proxy
    if segment.media_type == "video":
        # For stills the source range means nothing (edl.py), so it stays out of the key.
        fields["source"] = [segment.source_in_ms, segment.source_out_ms]
    return _digest("clip", fields)


def transition_key(
    outgoing_key: str, incoming_key: str, transition: Transition, frames: tuple[int, int, int]
) -> str:
    """Cache key of a transition piece: both clips, the transition and its frame split.

    A piece no longer reads the clips, but it renders its sides from exactly what they
    were rendered from (source, proxy, range, effects, layout, encoder): their keys.
    """
    return _digest(
        "transition",
        {
            "outgoing": outgoing_key,
            "incoming": incoming_key,
            "transition": transition.model_dump(mode="json"),
            "frames": list(frames),
        },
    )


def audio_key(audio_checksum: str, total_ms: int, proxy_path: str | None = None) -> str:
    """Cache key of the encoded music for a timeline length.

    Music encoded from a proxy (engine.music) is partly the proxy's bytes, so the key
    then names the proxy's sha256; without one it is the key of before music proxies.
    """
    fields: dict[str, object] = {"checksum": audio_checksum, "total_ms": total_ms}
    proxy = proxy_checksum(proxy_path) if proxy_path else None
    if proxy:
        fields["proxy_checksum"] = proxy
    return _digest("audio", fields)


class ClipCache:
    """Files under root/<2 hex>/<key><suffix>; put() is atomic, so readers never see halves."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, key: str, suffix: str = ".mp4") -> Path:
        """Where the entry for `key` lives (whether or not it exists)."""
        return self.root / key[:2] / f"{key}{suffix}"

    def get(self, key: str, suffix: str = ".mp4") -> Path | None:
        """The cached file for `key`, or None."""
        path = self.path(key, suffix)
        return path if path.is_file() and path.stat().st_size > 0 else None

    def put(self, key: str, produced: Path, suffix: str = ".mp4") -> Path:
        """Move a produced file into the cache under `key` and return its cached path."""
        path = self.path(key, suffix)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(produced, path)
        return path
