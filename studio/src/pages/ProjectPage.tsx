import { useEffect } from "preact/hooks";
import { StatusBadge } from "../components/StatusBadge";
import { MediaGrid } from "../components/MediaGrid";
import { Uploader } from "../components/Uploader";
import { Waveform } from "../components/Waveform";
import { RenderHistory } from "../components/RenderHistory";
import { RenderPanel } from "../components/RenderPanel";
import { ResultView } from "../components/ResultView";
import { currentJob, loadRenders, resetRenders } from "../render-store";
import { Timeline } from "../components/Timeline";
import { formatBytes, formatDuration } from "../format";
import type { Audio } from "../types";
import { audio, loadProject, media, pageError, project, uploads } from "../project-store";

function beats(song: Audio): string {
  if (song.analysis_status === "pending") return "finding the beats…";
  if (song.analysis_status === "failed") return song.analysis_error ?? "the beats were not found";
  if (!song.beat_found || song.bpm === null) return "no clear beat: cut at a steady pace";
  return `${song.bpm.toFixed(1)} BPM · ${song.beat_count} beats`;
}

function Song({ projectId }: { projectId: string }) {
  const song = audio.value;
  return (
    <section aria-labelledby="song-title">
      <h2 id="song-title">Song</h2>
      {song ? (
        <p data-testid="song">
          <span class="name">{song.filename}</span>{" "}
          <span class="meta">
            {formatDuration(song.duration_ms)} · {formatBytes(song.size_bytes)} · {beats(song)}
          </span>
        </p>
      ) : (
        <p>No song yet: drop a WAV, MP3, FLAC, Ogg or M4A file above.</p>
      )}
      {song && <Waveform projectId={projectId} song={song} />}
    </section>
  );
}

/** One project: upload, its song, its media grid; the timeline, render and result panels
 * are added below these. */
export function ProjectPage({ id }: { id: string }) {
  useEffect(() => {
    project.value = null;
    media.value = [];
    audio.value = null;
    uploads.value = [];
    void loadProject(id);
  }, [id]);
  const p = project.value;
  // The renders are the workspace's: asked for once the project (and its workspace) is known.
  const workspaceId = p?.workspace_id ?? null;
  useEffect(() => {
    if (workspaceId) void loadRenders(workspaceId, id);
  }, [id, workspaceId]);
  useEffect(() => resetRenders, [id]);
  // A render that starts or ends changes the project's status: ask for it again.
  const renderStatus = currentJob.value?.status;
  useEffect(() => {
    if (renderStatus) void loadProject(id);
  }, [id, renderStatus]);
  // While a worker finds the beats (or renders), look again every 2 s; the render's own
  // progress will come from its server-sent events.
  const busy = p?.status === "analyzing" || p?.status === "rendering";
  useEffect(() => {
    if (!busy) return;
    const timer = window.setInterval(() => void loadProject(id), 2000);
    return () => window.clearInterval(timer);
  }, [id, busy]);
  return (
    <article aria-labelledby="project-title">
      <h1 id="project-title">
        {p ? p.name : "Project"} {p && <StatusBadge status={p.status} />}
      </h1>
      {pageError.value && (
        <p class="error" role="alert">
          {pageError.value}
        </p>
      )}
      <Uploader projectId={id} />
      <MediaGrid projectId={id} />
      <Song projectId={id} />
      <Timeline projectId={id} />
      {p && <RenderPanel project={p} />}
      <ResultView />
      <RenderHistory />
    </article>
  );
}
