// The song's time axis the waveform draws on, shared so the timeline under it uses the very
// same ms → x mapping (a decoded MP3 can be a few ms longer than the analysis says), and the
// keyboard's steps along it from beat to beat.
import { signal } from "@preact/signals";
import type { BeatGrid } from "./types";

/** The length in ms the waveform's full width stands for; null before it is drawn. */
export const axisMs = signal<number | null>(null);

/** Where `ms` falls on an axis `totalMs` long, as a percentage of its width. */
export function percentAt(ms: number, totalMs: number): number {
  return totalMs > 0 ? Math.min(100, Math.max(0, (ms / totalMs) * 100)) : 0;
}

/** Where an arrow key moves the playhead: the next (or previous) beat, Home/End the ends. */
export function stepTo(key: string, now: number, grid: BeatGrid, duration: number): number | null {
  const times = grid.beats.map((b) => b.time_ms / 1000);
  if (key === "Home") return 0;
  if (key === "End") return duration;
  if (key === "ArrowRight") return times.find((t) => t > now + 0.01) ?? duration;
  if (key === "ArrowLeft") return [...times].reverse().find((t) => t < now - 0.01) ?? 0;
  return null;
}
