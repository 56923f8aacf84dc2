// A project's timeline: the API's EDL, the segment being edited and the problems the API
// found in the last edit. Project-wide settings are saved with PATCH and the timeline cut
// again with POST; a segment's own edits send the whole edited EDL with PUT.
import { signal } from "@preact/signals";
import { api, ApiError } from "./api";
import { media, project } from "./project-store";
import type {
  Edl,
  EdlProblem,
  KenBurns,
  Segment,
  TimelineOut,
  TimelineSettings,
  Transition,
} from "./types";

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
const STILL_ZOOM: KenBurns = {
  start_zoom: 1,
  end_zoom: 1.15,
  start_x: 0.5,
  start_y: 0.5,
  end_x: 0.5,
  end_y: 0.5,
};

function base(id: string): string {
  return `/api/v1/projects/${id}`;
}

function sentence(err: unknown, fallback: string): string {
  return err instanceof ApiError ? err.message : fallback;
}

/** Each problem of a 422 with its segment: api/errors.unprocessable_edl's list, or FastAPI's
 * own validation list (loc ["body", "segments", N, …]). */
export function problemsOf(detail: unknown): EdlProblem[] {
  if (!Array.isArray(detail)) return [];
  return detail.map((raw): EdlProblem => {
    const item = (raw ?? {}) as Record<string, unknown>;
    const message = String(item.message ?? item.msg ?? "The edit was refused.");
    let index = typeof item.segment_index === "number" ? item.segment_index : null;
    const loc = Array.isArray(item.loc) ? item.loc : [];
    const at = loc.indexOf("segments");
    if (index === null && at >= 0 && typeof loc[at + 1] === "number") index = loc[at + 1] as number;
    if (index === null) {
      const named = /^segment (\d+):/.exec(message);
      if (named) index = Number(named[1]);
    }
    return {
      segment_index: index,
      field: String(item.field ?? loc.slice(at + 2).join(".")),
      code: String(item.code ?? "schema"),
      message,
    };
  });
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

// --- pure edits of an EDL -----------------------------------------------------------------

function overlapBefore(t: Transition): number {
  return t.type === "crossfade" ? Math.floor(t.duration_ms / 2) : 0;
}

function overlapAfter(t: Transition): number {
  return t.type === "crossfade" ? t.duration_ms - Math.floor(t.duration_ms / 2) : 0;
}

/** A segment with its render duration (and a video's source range) fitted to its
 * transitions, as engine/edl.py's render window defines them. */
function refit(seg: Segment): Segment {
  const render =
    seg.timeline_out_ms +
    overlapAfter(seg.transition_out) -
    (seg.timeline_in_ms - overlapBefore(seg.transition_in));
  if (seg.media_type !== "video") return { ...seg, render_duration_ms: render };
  const length = media.value.find((m) => m.id === seg.asset_id)?.duration_ms ?? null;
  const room = length === null ? render : Math.min(render, length - seg.source_in_ms);
  const span = seg.source_out_ms - seg.source_in_ms;
  // Never sped up: the span fits the render window, and grows back as far as the clip lasts.
  const fitted = span > render || length !== null ? Math.max(1, room) : span;
  return { ...seg, render_duration_ms: render, source_out_ms: seg.source_in_ms + fitted };
}

/** The EDL with segment `index`'s outgoing transition (the next one's incoming) set to `t`. */
export function withTransition(edl: Edl, index: number, t: Transition): Edl {
  const segments = edl.segments.map((seg) => {
    if (seg.index === index) return refit({ ...seg, transition_out: t });
    if (seg.index === index + 1) return refit({ ...seg, transition_in: t });
    return seg;
  });
  return { ...edl, segments };
}

/** The EDL with segment `index`'s Ken Burns move on or off. */
export function withKenBurns(edl: Edl, index: number, on: boolean): Edl {
  const segments = edl.segments.map((seg) => {
    if (seg.index !== index) return seg;
    const key = `${seg.asset_id}:${seg.index}`;
    const now = seg.effects.ken_burns;
    if (!on && now) rememberedMoves.set(key, now);
    const move = on ? (now ?? rememberedMoves.get(key) ?? STILL_ZOOM) : null;
    return { ...seg, effects: { ...seg.effects, ken_burns: move } };
  });
  return { ...edl, segments };
}
