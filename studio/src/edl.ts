// The EDL's pure logic in the page (engine/edl.py is the source of truth): a segment's
// transition and Ken Burns edits fitted as the engine fits them, the 422's problems by
// segment, and the words and angles the timeline draws. No page, no requests.
import type { Edl, EdlProblem, KenBurns, Segment, Transition } from "./types";

// The move a segment gets when Ken Burns is switched on and it never had one: a slow zoom
// in on the centre.
const STILL_ZOOM: KenBurns = {
  start_zoom: 1,
  end_zoom: 1.15,
  start_x: 0.5,
  start_y: 0.5,
  end_x: 0.5,
  end_y: 0.5,
};

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

const TRANSITION_WORDS: Record<string, string> = {
  cut: "cut",
  crossfade: "crossfade",
  fade_black: "fade through black",
  fade_white: "fade through white",
};

/** "crossfade 500 ms", or "cut". */
export function transitionWords(t: { type: string; duration_ms: number }): string {
  const name = TRANSITION_WORDS[t.type] ?? t.type;
  return t.type === "cut" ? name : `${name} ${t.duration_ms} ms`;
}

/** The arrow's angle in degrees: the pan's direction, or up-right (in) / down-left (out)
 * for a zoom that does not move. */
export function moveAngle(kb: KenBurns): number {
  const dx = kb.end_x - kb.start_x;
  const dy = kb.end_y - kb.start_y;
  if (Math.hypot(dx, dy) > 0.01) return (Math.atan2(dy, dx) * 180) / Math.PI;
  return kb.end_zoom >= kb.start_zoom ? -45 : 135;
}

function overlapBefore(t: Transition): number {
  return t.type === "crossfade" ? Math.floor(t.duration_ms / 2) : 0;
}

function overlapAfter(t: Transition): number {
  return t.type === "crossfade" ? t.duration_ms - Math.floor(t.duration_ms / 2) : 0;
}

/** A video's length in ms by asset id, or null when unknown. */
export type ClipLength = (assetId: string) => number | null;

/** A segment with its render duration (and a video's source range) fitted to its
 * transitions, as engine/edl.py's render window defines them. */
export function refit(seg: Segment, clipLength: ClipLength): Segment {
  const render =
    seg.timeline_out_ms +
    overlapAfter(seg.transition_out) -
    (seg.timeline_in_ms - overlapBefore(seg.transition_in));
  if (seg.media_type !== "video") return { ...seg, render_duration_ms: render };
  const length = clipLength(seg.asset_id);
  const room = length === null ? render : Math.min(render, length - seg.source_in_ms);
  const span = seg.source_out_ms - seg.source_in_ms;
  // Never sped up: the span fits the render window, and grows back as far as the clip lasts.
  const fitted = span > render || length !== null ? Math.max(1, room) : span;
  return { ...seg, render_duration_ms: render, source_out_ms: seg.source_in_ms + fitted };
}

/** The EDL with segment `index`'s outgoing transition (the next one's incoming) set to `t`. */
export function withTransition(
  edl: Edl,
  index: number,
  t: Transition,
  clipLength: ClipLength,
): Edl {
  const segments = edl.segments.map((seg) => {
    if (seg.index === index) return refit({ ...seg, transition_out: t }, clipLength);
    if (seg.index === index + 1) return refit({ ...seg, transition_in: t }, clipLength);
    return seg;
  });
  return { ...edl, segments };
}

/** The EDL with segment `index`'s Ken Burns move on or off; a move switched off is kept in
 * `remembered` (by asset and segment) and comes back when switched on again. */
export function withKenBurns(
  edl: Edl,
  index: number,
  on: boolean,
  remembered: Map<string, KenBurns>,
): Edl {
  const segments = edl.segments.map((seg) => {
    if (seg.index !== index) return seg;
    const key = `${seg.asset_id}:${seg.index}`;
    const now = seg.effects.ken_burns;
    if (!on && now) remembered.set(key, now);
    const move = on ? (now ?? remembered.get(key) ?? STILL_ZOOM) : null;
    return { ...seg, effects: { ...seg.effects, ken_burns: move } };
  });
  return { ...edl, segments };
}
