// A project page's renders: the job being followed, its clips' states, the project's history.
// The timeline reads `clipStates` to draw each block's state as the render's events arrive.
import { signal } from "@preact/signals";
import type { ClipState, ClipView, RenderJob } from "./types";

/** The render the page follows (the newest one), or null before any. */
export const currentJob = signal<RenderJob | null>(null);
/** The followed render's clip tasks, in timeline order. */
export const clips = signal<ClipView[]>([]);
/** Each segment's clip state in the followed render, keyed by segment index. */
export const clipStates = signal<Record<number, ClipState>>({});
/** The project's renders, newest first. */
export const history = signal<RenderJob[]>([]);
