// The result's chart series from clip tasks: durations by segment, tasks running over time.
import { describe, expect, it } from "vitest";
import { durations, parallelism, peak } from "./clip-timing";
import type { ClipView } from "./types";

function clip(segment: number, start: number | null, end: number | null): ClipView {
  const at = (s: number | null) => (s === null ? null : new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString());
  return {
    segment_index: segment,
    timeline_in_ms: segment * 1000,
    timeline_out_ms: segment * 1000 + 1000,
    state: end === null ? "queued" : "done",
    source_type: "image",
    attempts: 1,
    fallback_reasons: {},
    worker_id: "w1",
    slot: 0,
    duration_ms: start === null || end === null ? null : (end - start) * 1000,
    queued_at: at(0),
    started_at: at(start),
    finished_at: at(end),
    error_message: null,
  };
}

describe("durations", () => {
  it("plots each task that ran, in seconds, by its segment", () => {
    expect(durations([clip(0, 1, 3), clip(1, null, null), clip(2, 2, 3)])).toEqual([
      [0, 2],
      [2, 1],
    ]);
  });
});

describe("parallelism", () => {
  it("steps up at each start and down at each finish, from the first start", () => {
    const series = parallelism([clip(0, 10, 14), clip(1, 11, 12), clip(2, 13, 15)]);
    expect(series).toEqual([
      [0, 1, 2, 3, 4, 5],
      [1, 2, 1, 2, 1, 0],
    ]);
    expect(peak(series)).toBe(2);
  });

  it("counts a slot handed over at one instant once, not twice", () => {
    const series = parallelism([clip(0, 0, 2), clip(1, 2, 4)]);
    expect(series).toEqual([
      [0, 2, 4],
      [1, 1, 0],
    ]);
    expect(peak(series)).toBe(1);
  });

  it("is empty before any task has finished", () => {
    expect(parallelism([clip(0, 1, null), clip(1, null, null)])).toEqual([[], []]);
    expect(peak([[], []])).toBe(0);
  });
});
