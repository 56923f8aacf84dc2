// The song's time axis the waveform draws on, shared so the timeline under it uses the very
// same ms → x mapping (a decoded MP3 can be a few ms longer than the analysis says).
import { signal } from "@preact/signals";

/** The length in ms the waveform's full width stands for; null before it is drawn. */
export const axisMs = signal<number | null>(null);

/** Where `ms` falls on an axis `totalMs` long, as a percentage of its width. */
export function percentAt(ms: number, totalMs: number): number {
  return totalMs > 0 ? Math.min(100, Math.max(0, (ms / totalMs) * 100)) : 0;
}
