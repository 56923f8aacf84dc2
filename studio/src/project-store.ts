// A project page's state: the project, its media, its song and the uploads under way.
// Later panels (waveform, timeline, render, result) read the same signals.
import { signal } from "@preact/signals";
import { api, ApiError, upload } from "./api";
import type { Audio, Media, Project } from "./types";

export interface UploadRow {
  key: number;
  name: string;
  size: number;
  progress: number;
  state: "sending" | "done" | "refused";
  error: string | null;
  status: number | null;
}

export const project = signal<Project | null>(null);
export const media = signal<Media[]>([]);
export const audio = signal<Audio | null>(null);
export const uploads = signal<UploadRow[]>([]);
export const pageError = signal<string | null>(null);
let nextKey = 1;

function sentence(err: unknown, fallback: string): string {
  return err instanceof ApiError ? err.message : fallback;
}

/** Load (or reload) the project, its media and its song. */
export async function loadProject(id: string): Promise<void> {
  try {
    const base = `/api/v1/projects/${id}`;
    const [p, m] = await Promise.all([
      api<Project>("GET", base),
      api<Media[]>("GET", `${base}/media`),
    ]);
    project.value = p;
    media.value = m;
    audio.value = p.audio_track_id ? await api<Audio>("GET", `${base}/audio`) : null;
    pageError.value = null;
  } catch (err) {
    pageError.value = sentence(err, "The project could not be loaded.");
  }
}

function isAudio(file: File): boolean {
  return file.type.startsWith("audio/") || /\.(wav|mp3|flac|ogg|oga|m4a|aac)$/i.test(file.name);
}

function patch(key: number, change: Partial<UploadRow>): void {
  uploads.value = uploads.value.map((row) => (row.key === key ? { ...row, ...change } : row));
}

/** Send each file to the API (music to /audio, the rest to /media), one row each. */
export async function uploadFiles(id: string, files: File[]): Promise<void> {
  const rows = files.map((file) => ({
    file,
    row: {
      key: nextKey++,
      name: file.name,
      size: file.size,
      progress: 0,
      state: "sending",
      error: null,
      status: null,
    } satisfies UploadRow,
  }));
  uploads.value = [...uploads.value, ...rows.map((r) => r.row)];
  // One at a time: the server checks each upload's size against the account's quota.
  for (const { file, row } of rows) {
    const route = isAudio(file) ? "audio" : "media";
    try {
      await upload(`/api/v1/projects/${id}/${route}`, file, (f) => patch(row.key, { progress: f }));
      patch(row.key, { state: "done", progress: 1 });
    } catch (err) {
      const status = err instanceof ApiError ? err.status : null;
      patch(row.key, { state: "refused", error: sentence(err, "The upload failed."), status });
    }
  }
  await loadProject(id);
}

/** Remove one photo or clip. */
export async function removeMedia(id: string, asset: Media): Promise<void> {
  try {
    await api("DELETE", `/api/v1/projects/${id}/media/${asset.id}`);
    media.value = media.value.filter((m) => m.id !== asset.id);
  } catch (err) {
    pageError.value = sentence(err, `${asset.filename} was not removed.`);
  }
}

/** Move the asset at `from` to `to` and tell the API the new order. */
export async function moveMedia(id: string, from: number, to: number): Promise<void> {
  const list = [...media.value];
  const [moved] = list.splice(from, 1);
  if (!moved || to < 0 || to > list.length) return;
  list.splice(to, 0, moved);
  const before = media.value;
  media.value = list;
  try {
    media.value = await api<Media[]>("PUT", `/api/v1/projects/${id}/media/order`, {
      asset_ids: list.map((m) => m.id),
    });
  } catch (err) {
    media.value = before;
    pageError.value = sentence(err, "The new order was not saved.");
  }
}
