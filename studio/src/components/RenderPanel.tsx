// Render the timeline (preview or final), follow its progress live, cancel it.
import { useState } from "preact/hooks";
import {
  cancelRender,
  clips,
  currentJob,
  ended,
  renderError,
  startRender,
} from "../render-store";
import type { Project } from "../types";

const KINDS = {
  preview: "Render preview",
  final: "Render final",
} as const;

/** "3 done · 1 running · 8 queued": the followed render's clip tasks by state. */
function clipSummary(): string {
  const counts = new Map<string, number>();
  for (const c of clips.value) counts.set(c.state, (counts.get(c.state) ?? 0) + 1);
  return [...counts].map(([state, n]) => `${n} ${state}`).join(" · ");
}

/** The render buttons, the followed render's progress bar and sentence, and Cancel. */
export function RenderPanel({ project }: { project: Project }) {
  const [starting, setStarting] = useState(false);
  const job = currentJob.value;
  const running = job !== null && !ended(job.status);
  const start = async (kind: "preview" | "final") => {
    setStarting(true);
    await startRender(project.workspace_id, project.id, kind);
    setStarting(false);
  };
  const percent = job ? Math.round(job.progress) : 0;
  return (
    <section aria-labelledby="render-title" class="render-panel">
      <h2 id="render-title">Render</h2>
      <div class="actions">
        {(Object.keys(KINDS) as (keyof typeof KINDS)[]).map((kind) => (
          <button
            key={kind}
            type="button"
            class={kind === "preview" ? "quiet" : undefined}
            disabled={starting || running || project.status === "draft"}
            onClick={() => void start(kind)}
          >
            {KINDS[kind]}
          </button>
        ))}
        {running && (
          <button type="button" class="danger" onClick={() => void cancelRender()}>
            Cancel render
          </button>
        )}
      </div>
      {project.status === "draft" && (
        <p class="meta">Add a song and at least one photo or clip to render.</p>
      )}
      {job && (
        <div class="render-progress" data-testid="render-progress" data-status={job.status}>
          <label>
            <span>
              {job.kind ?? "render"} {job.job_id}: {job.status} · {percent} %
            </span>
            <progress max={100} value={job.progress} aria-valuetext={`${percent} %`} />
          </label>
          <p class="meta" aria-live="polite" data-testid="render-message">
            {job.message}
          </p>
          {clips.value.length > 0 && (
            <p class="meta" data-testid="clip-summary">
              Clips: {clipSummary()}
            </p>
          )}
          {job.status === "failed" && job.error_message && (
            <p class="error" role="alert">
              {job.error_message}
            </p>
          )}
        </div>
      )}
      {renderError.value && (
        <p class="error" role="alert">
          {renderError.value}
        </p>
      )}
    </section>
  );
}
