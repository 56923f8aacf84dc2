// A render's clip tasks as the result's charts plot them (pure: no page, no requests).
import type { ClipView } from "./types";

/** [segment indexes, task durations in seconds] of the tasks that ran. */
export function durations(clips: ClipView[]): [number[], number[]] {
  const ran = clips.filter((c) => c.duration_ms !== null);
  return [ran.map((c) => c.segment_index), ran.map((c) => (c.duration_ms ?? 0) / 1000)];
}

/** [seconds since the first task started, tasks running from then on]: a step at each
 * start (+1) and finish (−1); a finish and a start at the same instant net out. */
export function parallelism(clips: ClipView[]): [number[], number[]] {
  const steps: [number, number][] = [];
  for (const c of clips) {
    if (!c.started_at || !c.finished_at) continue;
    steps.push([Date.parse(c.started_at), 1], [Date.parse(c.finished_at), -1]);
  }
  if (steps.length === 0) return [[], []];
  // Finishes first at a tie, so two tasks handing over a slot never count as both running.
  steps.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const first = steps[0]![0];
  const xs: number[] = [];
  const ys: number[] = [];
  let running = 0;
  for (const [at, change] of steps) {
    running += change;
    const x = (at - first) / 1000;
    if (xs.length > 0 && xs[xs.length - 1] === x) ys[ys.length - 1] = running;
    else {
      xs.push(x);
      ys.push(running);
    }
  }
  return [xs, ys];
}

/** The most tasks running at once in these steps. */
export function peak(series: [number[], number[]]): number {
  return series[1].reduce((a, b) => Math.max(a, b), 0);
}
