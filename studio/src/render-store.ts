// A project page's renders: the job being followed, its clips' states, the project's history.
// The timeline reads `clipStates` to draw each block's state as the render's events arrive.
import { fetchEventSource } from "@microsoft/fetch-event-source";
import { signal } from "@preact/signals";
import { api, ApiError, authHeaders, errorOf, objectUrl, safeJson } from "./api";
import type { ClipState, ClipView, RenderJob } from "./types";

/** The render the page follows (the newest one), or null before any. */
export const currentJob = signal<RenderJob | null>(null);
/** The followed render's clip tasks, in timeline order. */
export const clips = signal<ClipView[]>([]);
/** Each segment's clip state in the followed render, keyed by segment index. */
export const clipStates = signal<Record<number, ClipState>>({});
/** The project's renders, newest first. */
export const history = signal<RenderJob[]>([]);
/** An object URL of the followed render's MP4 once it is complete (for the player and the
 * download link: neither can send the bearer token). */
export const videoUrl = signal<string | null>(null);
/** A sentence about the render panel's last failure (start, cancel, stream, video). */
export const renderError = signal<string | null>(null);

const ENDED = new Set(["complete", "failed", "cancelled"]);

/** True once a render has ended; nothing changes it after that. */
export function ended(status: string): boolean {
  return ENDED.has(status);
}

/** The status URL of a job (api/routes/renders.job_urls). */
export function jobUrl(workspaceId: string, jobId: string): string {
  return `/api/v1/video/workspaces/${workspaceId}/render/jobs/${jobId}`;
}

interface Progress {
  status: string;
  progress: number;
  message: string;
}

interface Accepted {
  job_id: string;
  status_url: string;
  events_url: string;
}

// The page follows one job at a time: opening another project or another render stops it.
let following: AbortController | null = null;
let workspace = "";

class StreamEnded extends Error {}

function sentence(err: unknown, fallback: string): string {
  return err instanceof ApiError ? err.message : fallback;
}

/** Stop following the current render and forget it (the page is left or changes project). */
export function resetRenders(): void {
  following?.abort();
  following = null;
  if (videoUrl.value) URL.revokeObjectURL(videoUrl.value);
  videoUrl.value = null;
  currentJob.value = null;
  clips.value = [];
  clipStates.value = {};
  history.value = [];
  renderError.value = null;
}

/** Load the project's render history and follow the newest render (live if it runs). */
export async function loadRenders(workspaceId: string, projectId: string): Promise<void> {
  workspace = workspaceId;
  try {
    history.value = await api<RenderJob[]>(
      "GET",
      `/api/v1/video/workspaces/${workspaceId}/render/jobs?project_id=${projectId}`,
    );
  } catch (err) {
    renderError.value = sentence(err, "The project's renders could not be loaded.");
    return;
  }
  const newest = history.value[0];
  if (newest && newest.job_id !== currentJob.value?.job_id) await show(newest);
}

/** Show one render of the history: its clips, its result, and its live progress if it runs. */
export async function show(job: RenderJob): Promise<void> {
  following?.abort();
  following = null;
  if (videoUrl.value) URL.revokeObjectURL(videoUrl.value);
  videoUrl.value = null;
  currentJob.value = job;
  renderError.value = null;
  await refreshClips(job.job_id);
  if (ended(job.status)) await finished(job.job_id);
  else void follow(job.job_id);
}

/** Ask for a render of the project's timeline (preview or final) and follow it. */
export async function startRender(
  workspaceId: string,
  projectId: string,
  kind: "preview" | "final",
): Promise<void> {
  workspace = workspaceId;
  renderError.value = null;
  try {
    const accepted = await api<Accepted>(
      "POST",
      `/api/v1/video/workspaces/${workspaceId}/render/${projectId}`,
      { kind },
    );
    const job = await api<RenderJob>("GET", accepted.status_url);
    history.value = [job, ...history.value.filter((j) => j.job_id !== job.job_id)];
    await show(job);
  } catch (err) {
    renderError.value = sentence(err, "The render was not started.");
  }
}

/** Cancel the followed render; its stream then brings the `cancelled` end. */
export async function cancelRender(): Promise<void> {
  const job = currentJob.value;
  if (!job) return;
  try {
    const now = await api<RenderJob>("POST", `${jobUrl(workspace, job.job_id)}/cancel`);
    currentJob.value = { ...job, ...now };
  } catch (err) {
    renderError.value = sentence(err, "The render was not cancelled.");
  }
}

// One clips request at a time; an event arriving meanwhile asks for one more after it.
let clipsBusy = false;
let clipsAgain = false;

async function refreshClips(jobId: string): Promise<void> {
  if (clipsBusy) {
    clipsAgain = true;
    return;
  }
  clipsBusy = true;
  try {
    do {
      clipsAgain = false;
      const rows = await api<ClipView[]>("GET", `${jobUrl(workspace, jobId)}/clips`);
      if (currentJob.value?.job_id !== jobId) return;
      clips.value = rows;
      clipStates.value = Object.fromEntries(rows.map((c) => [c.segment_index, c.state]));
    } while (clipsAgain);
  } catch (err) {
    renderError.value = sentence(err, "The render's clips could not be loaded.");
  } finally {
    clipsBusy = false;
  }
}

/** Follow the render's server-sent events until it ends, resuming after a dropped stream
 * (the library sends the last event's id back as Last-Event-ID). EventSource itself cannot
 * send the bearer token; fetch can. */
async function follow(jobId: string): Promise<void> {
  const controller = new AbortController();
  following = controller;
  let done = false;
  try {
    await fetchEventSource(`${jobUrl(workspace, jobId)}/events`, {
      headers: authHeaders(),
      signal: controller.signal,
      openWhenHidden: true,
      async onopen(response) {
        // 204: the id sent back was the render's end; nothing is left to send.
        if (response.status === 204) {
          done = true;
          throw new StreamEnded();
        }
        if (!response.ok) {
          const text = await response.text();
          throw errorOf(response.status, text ? safeJson(text) : null);
        }
      },
      onmessage(message) {
        if (message.event !== "progress") return;
        const event = JSON.parse(message.data) as Progress;
        const job = currentJob.value;
        if (!job || job.job_id !== jobId) return;
        currentJob.value = { ...job, ...event };
        void refreshClips(jobId);
        if (ended(event.status)) done = true;
      },
      onclose() {
        // The stream's lifetime is over (`reconnect`) or it dropped: resume unless it ended.
        throw done ? new StreamEnded() : new Error("the stream closed early");
      },
      onerror(err) {
        if (err instanceof StreamEnded || err instanceof ApiError) throw err;
        return 1000;
      },
    });
  } catch (err) {
    if (!(err instanceof StreamEnded)) {
      renderError.value = sentence(err, "The render's progress stopped arriving.");
      return;
    }
  }
  if (!controller.signal.aborted) await finished(jobId);
}

/** The render has ended: its final state, clips and history; its video once complete. */
async function finished(jobId: string): Promise<void> {
  try {
    const job = await endedJob(jobId);
    if (currentJob.value?.job_id !== jobId) return;
    currentJob.value = job;
    history.value = history.value.map((j) => (j.job_id === jobId ? job : j));
    await refreshClips(jobId);
    if (job.status === "complete") {
      const url = await objectUrl(`${jobUrl(workspace, jobId)}/download`, "The video");
      if (currentJob.value?.job_id === jobId) videoUrl.value = url;
      else URL.revokeObjectURL(url);
    }
  } catch (err) {
    renderError.value = sentence(err, "The render's result could not be loaded.");
  }
}

/** The job once the read model has folded its end: the stream reads the log, the job's row
 * may be a moment behind it. */
async function endedJob(jobId: string): Promise<RenderJob> {
  for (let tries = 0; ; tries++) {
    const job = await api<RenderJob>("GET", jobUrl(workspace, jobId));
    if (ended(job.status) || tries >= 40) return job;
    await new Promise((resolve) => window.setTimeout(resolve, 500));
  }
}
