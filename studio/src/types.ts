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
