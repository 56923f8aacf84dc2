"""The domain floor: the rules several services share, above the catalog and the engine.

The render-request contract (engine types to and from `RenderRequested`), the clip_stats
fold and the render job's status vocabulary with its one fold. Imports `events` and
`engine`; imported by `projections`, `agents`, `api` and `cli`.
"""
