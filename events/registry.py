"""Every payload model, indexed by (type, version), and the latest version of each type."""

from __future__ import annotations

from events.base import Payload
from events.payloads import (
    BeatAnalysisCompleted,
    BeatAnalysisRequested,
    ClipTaskFailed,
    ClipTaskFellBack,
    ClipTaskQueued,
    ClipTaskRetrying,
    ClipTaskStarted,
    ClipTaskSucceeded,
    ClipTaskSucceededV1,
    MediaProxyCompleted,
    MediaProxyRequested,
    RenderCancelled,
    RenderCompleted,
    RenderConfigUpdated,
    RenderConfigUpdatedV1,
    RenderFailed,
    RenderProgress,
    RenderRequested,
    RenderStarted,
    VideoGenerationCompleted,
    VideoGenerationDeleted,
    VideoGenerationFailed,
    VideoGenerationProgress,
    VideoGenerationRequested,
    VideoGenerationStarted,
)
from events.payloads import superseded as v

ALL_PAYLOADS: tuple[type[Payload], ...] = (
    v.RenderRequested,
    RenderRequested,
    RenderStarted,
    RenderProgress,
    v.RenderCompleted,
    RenderCompleted,
    RenderFailed,
    RenderCancelled,
    v.ClipTaskQueued,
    ClipTaskQueued,
    v.ClipTaskStarted,
    ClipTaskStarted,
    ClipTaskRetrying,
    ClipTaskSucceededV1,
    v.ClipTaskSucceeded,
    ClipTaskSucceeded,
    ClipTaskFellBack,
    ClipTaskFailed,
    RenderConfigUpdatedV1,
    RenderConfigUpdated,
    v.BeatAnalysisRequested,
    BeatAnalysisRequested,
    v.BeatAnalysisCompleted,
    BeatAnalysisCompleted,
    v.VideoGenerationRequested,
    VideoGenerationRequested,
    VideoGenerationStarted,
    VideoGenerationProgress,
    v.VideoGenerationCompleted,
    VideoGenerationCompleted,
    VideoGenerationFailed,
    VideoGenerationDeleted,
    MediaProxyRequested,
    MediaProxyCompleted,
)

REGISTRY: dict[tuple[str, int], type[Payload]] = {
    (p.event_type, p.event_version): p for p in ALL_PAYLOADS
}

LATEST_VERSION: dict[str, int] = {}
for _p in ALL_PAYLOADS:
    LATEST_VERSION[_p.event_type] = max(LATEST_VERSION.get(_p.event_type, 0), _p.event_version)
