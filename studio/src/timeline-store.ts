// A project's timeline: the API's EDL, the segment being edited and the problems the API
// found in the last edit. Project-wide settings are saved with PATCH and the timeline cut
// again with POST; a segment's own edits send the whole edited EDL with PUT.
import { signal } from "@preact/signals";
import { api, ApiError } from "./api";
import { problemsOf, withKenBurns, withTransition } from "./edl";
import { media, project } from "./project-store";
import type { Edl, EdlProblem, KenBurns, TimelineOut, TimelineSettings, Transition } from "./types";

/** The project's current timeline; null before one is generated (or while loading). */
export const timeline = signal<TimelineOut | null>(null);
/** Whether the API has answered yet, and whether it had a timeline. */
export const timelineLoad = signal<"loading" | "none" | "ready">("loading");
/** What the timeline is doing now ("Cutting the timeline…"), or null when idle. */
export const timelineBusy = signal<string | null>(null);
/** A sentence about the whole timeline (a refused PATCH or POST, a problem of no segment). */
export const timelineError = signal<string | null>(null);
/** The problems of the last refused edit, each naming its segment. */
export const problems = signal<EdlProblem[]>([]);
/** The segment whose editor is open. */
export const selected = signal<number | null>(null);

// A segment's Ken Burns move, kept when it is switched off so switching it on brings it back.
const rememberedMoves = new Map<string, KenBurns>();

function base(id: string): string {
  return `/api/v1/projects/${id}`;
}

function sentence(err: unknown, fallback: string): string {
  return err instanceof ApiError ? err.message : fallback;
}

function settle(out: TimelineOut): void {
  timeline.value = out;
  timelineLoad.value = "ready";
  problems.value = [];
  timelineError.value = null;
  if (selected.value !== null && selected.value >= out.edl.segments.length) selected.value = null;
}

/** Read the project's timeline; a 404 means none was generated yet. */
export async function loadTimeline(id: string): Promise<void> {
  try {
    settle(await api<TimelineOut>("GET", `${base(id)}/timeline`));
  } catch (err) {
    timeline.value = null;
    if (err instanceof ApiError && err.status === 404) {
      timelineLoad.value = "none";
      return;
    }
    timelineLoad.value = "none";
    timelineError.value = sentence(err, "The timeline could not be loaded.");
  }
}

/** Cut the timeline again from the project's beats, media and settings. */
export async function generateTimeline(id: string): Promise<void> {
  timelineBusy.value = "Cutting the timeline…";
  try {
    settle(await api<TimelineOut>("POST", `${base(id)}/timeline`));
  } catch (err) {
    refused(err, "The timeline could not be generated.");
  } finally {
    timelineBusy.value = null;
  }
}

/** Save the project-wide settings, then cut the timeline again with them. */
export async function saveSettings(id: string, settings: TimelineSettings): Promise<void> {
  timelineBusy.value = "Saving the settings…";
  try {
    project.value = await api("PATCH", base(id), { settings });
  } catch (err) {
    timelineBusy.value = null;
    timelineError.value = sentence(err, "The settings were not saved.");
    return;
  }
  await generateTimeline(id);
}

/** Send an edited EDL; on 422 the problems are kept to be shown on their segments. */
export async function saveEdl(id: string, edl: Edl): Promise<void> {
  timelineBusy.value = "Saving the edit…";
  try {
    settle(await api<TimelineOut>("PUT", `${base(id)}/timeline`, edl));
  } catch (err) {
    refused(err, "The edit was not saved.");
  } finally {
    timelineBusy.value = null;
  }
}

function refused(err: unknown, fallback: string): void {
  const found = err instanceof ApiError && err.status === 422 ? problemsOf(err.detail) : [];
  problems.value = found;
  const general = found.filter((p) => p.segment_index === null).map((p) => p.message);
  timelineError.value = found.length ? general.join(" ") || null : sentence(err, fallback);
}

/** The project's timeline settings as its ProjectOut carries them (defaults if absent). */
export function currentSettings(): TimelineSettings {
  const given = (project.value as { settings?: Partial<TimelineSettings> } | null)?.settings;
  return {
    beats_per_cut: given?.beats_per_cut ?? 4,
    transition: given?.transition ?? { type: "cut", duration_ms: 0 },
    ken_burns: given?.ken_burns ?? { enabled: true },
  };
}

/** The EDL with segment `index`'s outgoing transition set to `t`, fitted to the clips' lengths. */
export function editTransition(edl: Edl, index: number, t: Transition): Edl {
  const clipLength = (id: string) => media.value.find((m) => m.id === id)?.duration_ms ?? null;
  return withTransition(edl, index, t, clipLength);
}

/** The EDL with segment `index`'s Ken Burns move on or off (an earlier move comes back). */
export function editKenBurns(edl: Edl, index: number, on: boolean): Edl {
  return withKenBurns(edl, index, on, rememberedMoves);
}
