"""Payload models of every event in the flow (the newest version of each; older ones are in
superseded.py)."""

from events.payloads.analysis import (
    BeatAnalysisCompleted,
    BeatAnalysisRequested,
)
from events.payloads.clip import (
    ClipTaskFailed,
    ClipTaskFellBack,
    ClipTaskQueued,
    ClipTaskRetrying,
    ClipTaskStarted,
    ClipTaskSucceeded,
    ClipTaskSucceededV1,
)
from events.payloads.config import RenderClipConfig, RenderConfigUpdated, RenderConfigUpdatedV1
from events.payloads.generation import (
    VideoGenerationCompleted,
    VideoGenerationDeleted,
    VideoGenerationFailed,
    VideoGenerationProgress,
    VideoGenerationRequested,
    VideoGenerationStarted,
)
from events.payloads.proxies import MediaProxyCompleted, MediaProxyRequested
from events.payloads.render import (
    ClipStats,
    RenderCancelled,
    RenderCompleted,
    RenderFailed,
    RenderProgress,
    RenderRequested,
    RenderStarted,
)

__all__ = [
    "MediaProxyCompleted",
    "MediaProxyRequested",
    "BeatAnalysisCompleted",
    "BeatAnalysisRequested",
    "ClipStats",
    "ClipTaskFailed",
    "ClipTaskFellBack",
    "ClipTaskQueued",
    "ClipTaskRetrying",
    "ClipTaskStarted",
    "ClipTaskSucceeded",
    "ClipTaskSucceededV1",
    "RenderCancelled",
    "RenderClipConfig",
    "RenderCompleted",
    "RenderConfigUpdated",
    "RenderConfigUpdatedV1",
    "RenderFailed",
    "RenderProgress",
    "RenderRequested",
    "RenderStarted",
    "VideoGenerationCompleted",
    "VideoGenerationDeleted",
    "VideoGenerationFailed",
    "VideoGenerationProgress",
    "VideoGenerationRequested",
    "VideoGenerationStarted",
]
