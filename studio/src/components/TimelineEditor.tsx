// One segment's own edits: the transition into the next segment and its Ken Burns move,
// saved by sending the whole edited EDL (PUT …/timeline).
import { useState } from "preact/hooks";
import { formatDuration } from "../format";
import {
  editKenBurns,
  editTransition,
  problems,
  saveEdl,
  selected,
  timelineBusy,
} from "../timeline-store";
import type { TimelineOut, TransitionType } from "../types";
import { TransitionFields } from "./TransitionFields";

interface Props {
  projectId: string;
  out: TimelineOut;
  index: number;
}

/** The editor of segment `index`; its fields start from the saved EDL (the parent keys it by
 * segment and save, so a new one starts afresh without an effect racing the person's input). */
export function TimelineEditor({ projectId, out, index }: Props) {
  const seg = out.edl.segments.find((s) => s.index === index);
  const [type, setType] = useState<TransitionType>(seg?.transition_out.type ?? "cut");
  const [duration, setDuration] = useState(String(seg?.transition_out.duration_ms ?? 0));
  const [kenBurns, setKenBurns] = useState(Boolean(seg?.effects.ken_burns));
  if (!seg) return null;
  const last = index === out.edl.segments.length - 1;
  const length = seg.timeline_out_ms - seg.timeline_in_ms;
  const mine = problems.value.filter((p) => p.segment_index === index);
  const save = (e: Event) => {
    e.preventDefault();
    let edl = out.edl;
    if (!last) {
      const ms = type === "cut" ? 0 : Math.round(Number(duration));
      edl = editTransition(edl, index, { type, duration_ms: Number.isFinite(ms) ? ms : 0 });
    }
    edl = editKenBurns(edl, index, kenBurns);
    void saveEdl(projectId, edl);
  };
  return (
    <form
      class="card segment-editor"
      data-testid="segment-editor"
      onSubmit={save}
      noValidate
      aria-labelledby="segment-editor-title"
    >
      <h3 id="segment-editor-title">
        Segment {index} · {formatDuration(seg.timeline_in_ms)}–
        {formatDuration(seg.timeline_out_ms)} ({length} ms)
      </h3>
      {last ? (
        <p class="meta">The last segment ends with the song: no transition after it.</p>
      ) : (
        <div class="fields">
          <TransitionFields
            typeLabel={`Transition into segment ${index + 1}`}
            durationLabel="Its duration (ms)"
            type={type}
            duration={duration}
            onType={setType}
            onDuration={setDuration}
          />
        </div>
      )}
      <label class="check">
        <input
          type="checkbox"
          checked={kenBurns}
          onChange={(e) => setKenBurns(e.currentTarget.checked)}
        />
        Ken Burns pan and zoom on this segment
      </label>
      {mine.length > 0 && (
        <p class="error" data-testid="editor-problem">
          {mine.map((p) => p.message).join(" ")}
        </p>
      )}
      <div class="actions">
        <button type="submit" disabled={timelineBusy.value !== null}>
          Save segment {index}
        </button>
        <button type="button" class="quiet" onClick={() => (selected.value = null)}>
          Close the editor
        </button>
      </div>
    </form>
  );
}
