// The API's shapes the studio reads (api/schemas.py is the source of truth).

export type ProjectStatus = "draft" | "analyzing" | "ready" | "rendering" | "complete" | "error";

/** A project's newest render as its card shows it; the poster once it is complete. */
export interface LatestRender {
  job_id: string;
  kind: string | null;
  status: string;
  progress: number;
  status_url: string;
  poster_url: string | null;
}

export interface Project {
  workspace_id: string;
  id: string;
  name: string;
  status: ProjectStatus;
  media_count: number;
  audio_track_id: string | null;
  latest_render: LatestRender | null;
  created_at: string;
  updated_at: string;
}

export interface Media {
  id: string;
  position: number;
  kind: "image" | "video";
  content_type: string;
  filename: string;
  size_bytes: number;
  width: number;
  height: number;
  duration_ms: number | null;
  thumbnail_url: string;
}

export interface Audio {
  id: string;
  filename: string;
  size_bytes: number;
  duration_ms: number;
  analysis_status: "pending" | "completed" | "failed";
  content_type: string;
  bpm: number | null;
  bpm_confidence: number | null;
  beat_count: number;
  beats_url: string;
  beat_found: boolean | null;
  analysis_error: string | null;
}

export interface TokenOut {
  access_token: string;
  user_id: string;
  workspace_id: string;
  role: string;
}

export interface Beat {
  time_ms: number;
  beat_number: number;
  is_downbeat: boolean;
  confidence: number;
}

/** The beat grid JSON of `beats_url` (engine/beat_grid.py). */
export interface BeatGrid {
  bpm: number | null;
  bpm_confidence: number;
  downbeat_confidence: number;
  beats: Beat[];
  duration_ms: number;
}

/** A clip task's state as `GET …/render/jobs/{job}/clips` words it (api/clip_views.py). */
export type ClipState = "queued" | "running" | "done" | "fell back" | "placeholder" | "failed";

export interface ClipView {
  segment_index: number;
  timeline_in_ms: number;
  timeline_out_ms: number;
  state: ClipState;
  source_type: string;
  attempts: number;
  fallback_reasons: Record<string, string>;
  worker_id: string | null;
  slot: number | null;
  duration_ms: number | null;
  queued_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  error_message: string | null;
}

/** A render job as `GET …/render/jobs/{job}` shows it (RenderJobOut). */
export interface RenderJob {
  job_id: string;
  project_id: string | null;
  kind: string | null;
  status: string;
  progress: number;
  message: string;
  edl_hash: string | null;
  video_urls: string[];
  file_size: number | null;
  duration_ms: number | null;
  clip_stats: Record<string, unknown> | null;
  error_message: string | null;
  error_code: string | null;
  created_at: string | null;
  started_at: string | null;
  completed_at: string | null;
}

// The admin page's shapes: the render clip config (api/schemas.py ConfigOut and neighbours).

/** The render clip config in force; version 0 means never set (the defaults). */
export interface ConfigOut {
  version: number;
  config: Record<string, number>;
  updated_by: string | null;
  updated_at: string | null;
}

/** One setting with its range, from RenderClipConfig's JSON Schema. */
export interface ConfigField {
  name: string;
  type: string;
  minimum: number | null;
  maximum: number | null;
  default: number | null;
  description: string;
}

export interface ConfigFieldsOut {
  fields: ConfigField[];
  may_edit: boolean;
  why_not: string | null;
}

export interface ConfigChange {
  field: string;
  before: unknown;
  after: unknown;
}

export interface ConfigVersion extends ConfigOut {
  changes: ConfigChange[];
}

export interface ConfigVersionsOut {
  versions: ConfigVersion[];
  next_before: number | null;
}

// --- The timeline (engine/edl.py is the source of truth for the EDL's shape) ---------------

export type TransitionType = "cut" | "crossfade" | "fade_black" | "fade_white";

export interface Transition {
  type: TransitionType;
  duration_ms: number;
}

export interface KenBurns {
  start_zoom: number;
  end_zoom: number;
  start_x: number;
  start_y: number;
  end_x: number;
  end_y: number;
}

export interface Segment {
  index: number;
  asset_id: string;
  media_type: "image" | "video";
  timeline_in_ms: number;
  timeline_out_ms: number;
  render_duration_ms: number;
  source_in_ms: number;
  source_out_ms: number;
  transition_in: Transition;
  transition_out: Transition;
  effects: { ken_burns: KenBurns | null; generated?: unknown };
}

/** The EDL as GET …/timeline returns it under `edl`; the studio edits segments only and
 * sends every other field back untouched. */
export interface Edl {
  total_duration_ms: number;
  segments: Segment[];
  [other: string]: unknown;
}

export interface TimelineOut {
  project_id: string;
  edl_hash: string;
  origin: "generated" | "edited";
  segment_count: number;
  cutting: string;
  total_duration_ms: number;
  updated_at: string;
  edl: Edl;
}

/** The settings of a project that shape its timeline (engine/render_settings.py). */
export interface TimelineSettings {
  beats_per_cut: 1 | 2 | 4 | 8 | 16;
  transition: Transition;
  ken_burns: { enabled: boolean };
}

/** One entry of the 422 of PUT/POST …/timeline (api/errors.py unprocessable_edl). */
export interface EdlProblem {
  segment_index: number | null;
  field: string;
  code: string;
  message: string;
}
