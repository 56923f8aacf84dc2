// The EDL's pure logic as the timeline uses it: edits fitted as engine/edl.py fits them,
// the 422's problems by segment, words and angles.
import { describe, expect, it } from "vitest";
import { moveAngle, problemsOf, refit, transitionWords, withKenBurns, withTransition } from "./edl";
import type { Edl, KenBurns, Segment, Transition } from "./types";

const CUT: Transition = { type: "cut", duration_ms: 0 };

function segment(index: number, inMs: number, outMs: number, over: Partial<Segment> = {}): Segment {
  return {
    index,
    asset_id: `asset-${index}`,
    media_type: "image",
    timeline_in_ms: inMs,
    timeline_out_ms: outMs,
    render_duration_ms: outMs - inMs,
    source_in_ms: 0,
    source_out_ms: 0,
    transition_in: CUT,
    transition_out: CUT,
    effects: { ken_burns: null },
    ...over,
  };
}

function edl(...segments: Segment[]): Edl {
  return { total_duration_ms: segments[segments.length - 1]!.timeline_out_ms, segments, fps: 30 };
}

const unknownLength = () => null;

describe("withTransition", () => {
  it("sets the outgoing and the next incoming transition and widens both render windows", () => {
    const before = edl(segment(0, 0, 2000), segment(1, 2000, 4000), segment(2, 4000, 6000));
    const fade: Transition = { type: "crossfade", duration_ms: 501 };
    const after = withTransition(before, 0, fade, unknownLength);
    const [first, second, third] = after.segments;
    expect(first!.transition_out).toEqual(fade);
    expect(second!.transition_in).toEqual(fade);
    // A crossfade overlaps ⌊d/2⌋ before the cut and the rest after it (engine/edl.py).
    expect(first!.render_duration_ms).toBe(2000 + 251);
    expect(second!.render_duration_ms).toBe(2000 + 250);
    expect(third).toBe(before.segments[2]);
    expect(after.fps).toBe(30);
    expect(before.segments[0]!.transition_out).toEqual(CUT);
  });

  it("adds no overlap for a fade through a colour", () => {
    const before = edl(segment(0, 0, 2000), segment(1, 2000, 4000));
    const after = withTransition(before, 0, { type: "fade_black", duration_ms: 400 }, unknownLength);
    expect(after.segments.map((s) => s.render_duration_ms)).toEqual([2000, 2000]);
  });

  it("fits a video's source range to its window without going past the clip's end", () => {
    const clip = segment(1, 2000, 4000, {
      media_type: "video",
      source_in_ms: 500,
      source_out_ms: 2500,
    });
    const before = edl(segment(0, 0, 2000), clip);
    const fade: Transition = { type: "crossfade", duration_ms: 1000 };
    // The window grows to 2500 ms; the clip (2800 ms) has 2300 ms left after 500 ms.
    const short = withTransition(before, 0, fade, () => 2800).segments[1]!;
    expect(short.render_duration_ms).toBe(2500);
    expect(short.source_out_ms).toBe(500 + 2300);
    // A long clip fills the whole window.
    const long = withTransition(before, 0, fade, () => 60_000).segments[1]!;
    expect(long.source_out_ms).toBe(500 + 2500);
    // An unknown length keeps the span that already fits.
    expect(withTransition(before, 0, fade, unknownLength).segments[1]!.source_out_ms).toBe(2500);
  });

  it("never leaves a video's span longer than its window (the engine does not speed up)", () => {
    const clip = segment(0, 0, 1000, { media_type: "video", source_in_ms: 0, source_out_ms: 3000 });
    expect(refit(clip, unknownLength).source_out_ms).toBe(1000);
  });
});

describe("withKenBurns", () => {
  const move: KenBurns = { start_zoom: 1, end_zoom: 1.2, start_x: 0.2, start_y: 0.5, end_x: 0.8, end_y: 0.5 };

  it("switches a move off and brings the same move back", () => {
    const remembered = new Map<string, KenBurns>();
    const before = edl(segment(0, 0, 2000, { effects: { ken_burns: move } }), segment(1, 2000, 4000));
    const off = withKenBurns(before, 0, false, remembered);
    expect(off.segments[0]!.effects.ken_burns).toBeNull();
    expect(withKenBurns(off, 0, true, remembered).segments[0]!.effects.ken_burns).toEqual(move);
  });

  it("gives a segment that never had a move a slow zoom in on the centre", () => {
    const on = withKenBurns(edl(segment(0, 0, 2000)), 0, true, new Map());
    const kb = on.segments[0]!.effects.ken_burns!;
    expect(kb.end_zoom).toBeGreaterThan(kb.start_zoom);
    expect([kb.start_x, kb.end_x, kb.start_y, kb.end_y]).toEqual([0.5, 0.5, 0.5, 0.5]);
  });
});

describe("problemsOf", () => {
  it("reads the API's own list with its segment numbers", () => {
    const found = problemsOf([
      { segment_index: 2, field: "transition_out.duration_ms", code: "too_long", message: "segment 2: too long" },
      { segment_index: null, field: "total_duration_ms", code: "mismatch", message: "the total is wrong" },
    ]);
    expect(found.map((p) => [p.segment_index, p.field, p.code])).toEqual([
      [2, "transition_out.duration_ms", "too_long"],
      [null, "total_duration_ms", "mismatch"],
    ]);
  });

  it("finds the segment in FastAPI's loc and in a message that names it", () => {
    const found = problemsOf([
      { loc: ["body", "segments", 3, "source_in_ms"], msg: "Input should be >= 0", type: "greater_than_equal" },
      { message: "segment 4: media asset missing" },
    ]);
    expect(found.map((p) => [p.segment_index, p.field, p.message])).toEqual([
      [3, "source_in_ms", "Input should be >= 0"],
      [4, "", "segment 4: media asset missing"],
    ]);
  });

  it("gives nothing for a body that is not a list", () => {
    expect(problemsOf("Not JSON")).toEqual([]);
    expect(problemsOf({ message: "no" })).toEqual([]);
  });
});

describe("words and angles", () => {
  it("names a transition with its duration, a cut without", () => {
    expect(transitionWords({ type: "fade_white", duration_ms: 300 })).toBe("fade through white 300 ms");
    expect(transitionWords(CUT)).toBe("cut");
  });

  it("points the arrow along the pan, or diagonally for a zoom in place", () => {
    const still = { start_zoom: 1, end_zoom: 1.2, start_x: 0.5, start_y: 0.5, end_x: 0.5, end_y: 0.5 };
    expect(moveAngle({ ...still, start_x: 0.2, end_x: 0.8 })).toBeCloseTo(0);
    expect(moveAngle({ ...still, start_y: 0.2, end_y: 0.8 })).toBeCloseTo(90);
    expect(moveAngle(still)).toBe(-45);
    expect(moveAngle({ ...still, start_zoom: 1.2, end_zoom: 1 })).toBe(135);
  });
});
