// The shared time axis and the keyboard's steps along the song, beat to beat.
import { describe, expect, it } from "vitest";
import { percentAt, stepTo } from "./time-axis";
import type { BeatGrid } from "./types";

const grid: BeatGrid = {
  bpm: 120,
  bpm_confidence: 0.9,
  downbeat_confidence: 0.8,
  beats: [500, 1000, 1500, 2000].map((time_ms, i) => ({
    time_ms,
    beat_number: i + 1,
    is_downbeat: i === 0,
    confidence: 0.9,
  })),
  duration_ms: 2500,
};

describe("percentAt", () => {
  it("places a time on the width and clamps to it", () => {
    expect(percentAt(1250, 2500)).toBe(50);
    expect(percentAt(-10, 2500)).toBe(0);
    expect(percentAt(9999, 2500)).toBe(100);
    expect(percentAt(100, 0)).toBe(0);
  });
});

describe("stepTo", () => {
  it("moves to the next and the previous beat, the ends with Home and End", () => {
    expect(stepTo("ArrowRight", 1.2, grid, 2.5)).toBe(1.5);
    expect(stepTo("ArrowLeft", 1.2, grid, 2.5)).toBe(1);
    expect(stepTo("Home", 1.2, grid, 2.5)).toBe(0);
    expect(stepTo("End", 1.2, grid, 2.5)).toBe(2.5);
  });

  it("leaves a beat it stands on, and runs to the ends past the last one", () => {
    expect(stepTo("ArrowRight", 1.5, grid, 2.5)).toBe(2);
    expect(stepTo("ArrowLeft", 1.5, grid, 2.5)).toBe(1);
    expect(stepTo("ArrowRight", 2.1, grid, 2.5)).toBe(2.5);
    expect(stepTo("ArrowLeft", 0.3, grid, 2.5)).toBe(0);
  });

  it("ignores other keys", () => {
    expect(stepTo("a", 1, grid, 2.5)).toBeNull();
  });
});
