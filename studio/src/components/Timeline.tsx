// The timeline under the waveform, on its time axis: a block per segment with its media's
// thumbnail, each transition drawn over the cut it belongs to, an arrow for a Ken Burns move,
// the render's state of each clip, and the API's refusal next to the block it names.
import { signal } from "@preact/signals";
import { useEffect, useState } from "preact/hooks";
import { imageUrl } from "../api";
import { TimelineEditor } from "./TimelineEditor";
import { TimelineSettingsForm } from "./TimelineSettings";
import { formatDuration } from "../format";
import { audio, media } from "../project-store";
import { clipStates, currentJob } from "../render-store";
import { moveAngle, transitionWords } from "../edl";
import { axisMs, percentAt } from "../time-axis";
import {
  currentSettings,
  generateTimeline,
  loadTimeline,
  problems,
  selected,
  timeline,
  timelineBusy,
  timelineError,
  timelineLoad,
} from "../timeline-store";
import type { ClipState, EdlProblem, KenBurns, Media, Segment, TimelineOut } from "../types";

function moveWords(kb: KenBurns): string {
  const zoom = kb.end_zoom >= kb.start_zoom ? "zooms in" : "zooms out";
  return `Ken Burns: ${zoom} from ${kb.start_zoom.toFixed(2)}× to ${kb.end_zoom.toFixed(2)}×`;
}

function KenBurnsArrow({ kb }: { kb: KenBurns }) {
  return (
    <span class="kb-arrow" data-testid="ken-burns" role="img" aria-label={moveWords(kb)}>
      <span
        class="kb-glyph"
        style={{ transform: `rotate(${moveAngle(kb)}deg)` }}
        aria-hidden="true"
      >
        ➜
      </span>
    </span>
  );
}

// One tab stop for the whole track (the selected block, else the last one focused); the
// arrow keys, Home and End move between blocks, Enter or Space opens one's editor.
const focused = signal(0);

function moveFocus(e: KeyboardEvent, index: number, last: number): void {
  const to =
    e.key === "ArrowRight" ? Math.min(last, index + 1)
    : e.key === "ArrowLeft" ? Math.max(0, index - 1)
    : e.key === "Home" ? 0
    : e.key === "End" ? last
    : null;
  if (to === null) return;
  e.preventDefault();
  const track = (e.currentTarget as HTMLElement).parentElement;
  track?.querySelector<HTMLElement>(`[data-segment="${to}"]`)?.focus();
}

// Every block of an asset shows the same picture: one fetch per thumbnail, not per block
// (a long song cut on every beat has hundreds of blocks), let go when the project changes.
const thumbs = new Map<string, Promise<string>>();

function forgetThumbs(): void {
  for (const made of thumbs.values()) {
    made.then((url) => URL.revokeObjectURL(url)).catch(() => undefined);
  }
  thumbs.clear();
}

function BlockThumb({ src }: { src: string }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    let made = thumbs.get(src);
    if (!made) {
      made = imageUrl(src);
      thumbs.set(src, made);
      made.catch(() => thumbs.delete(src));
    }
    made.then((u) => live && setUrl(u), () => undefined);
    return () => {
      live = false;
    };
  }, [src]);
  return url ? <img class="thumb" src={url} alt="" /> : <span class="thumb empty" />;
}

interface BlockProps {
  seg: Segment;
  last: number;
  total: number;
  asset: Media | undefined;
  state: ClipState | undefined;
  notes: EdlProblem[];
}

function Block({ seg, last, total, asset, state, notes }: BlockProps) {
  const left = percentAt(seg.timeline_in_ms, total);
  const width = percentAt(seg.timeline_out_ms, total) - left;
  const name = asset?.filename ?? (seg.effects.generated ? "a generated clip" : seg.asset_id);
  const kb = seg.effects.ken_burns;
  const label =
    `Segment ${seg.index}: ${name}, ${formatDuration(seg.timeline_in_ms)} to ` +
    `${formatDuration(seg.timeline_out_ms)}, then ${transitionWords(seg.transition_out)}` +
    (kb ? ", Ken Burns" : "") +
    (state ? `, render: ${state}` : "");
  const invalid = notes.length > 0;
  return (
    <button
      type="button"
      class={`timeline-block state-${(state ?? "idle").replace(" ", "-")}`}
      data-testid="timeline-block"
      data-segment={seg.index}
      data-state={state ?? "idle"}
      data-transition-out={seg.transition_out.type}
      aria-label={label}
      aria-pressed={selected.value === seg.index}
      aria-invalid={invalid ? "true" : undefined}
      aria-describedby={invalid ? `segment-problem-${seg.index}` : undefined}
      tabIndex={seg.index === Math.min(selected.value ?? focused.value, last) ? 0 : -1}
      style={{ left: `${left}%`, width: `${width}%` }}
      onClick={() => (selected.value = selected.value === seg.index ? null : seg.index)}
      onFocus={() => (focused.value = seg.index)}
      onKeyDown={(e) => moveFocus(e, seg.index, last)}
    >
      {asset ? <BlockThumb src={asset.thumbnail_url} /> : <span class="thumb empty" />}
      <span class="block-number" aria-hidden="true">
        {seg.index}
      </span>
      {kb && <KenBurnsArrow kb={kb} />}
    </button>
  );
}

/** The transition at each cut, over the part of the timeline it covers. */
function Transitions({ segments, total }: { segments: Segment[]; total: number }) {
  return (
    <>
      {segments.slice(0, -1).map((seg) => {
        const t = seg.transition_out;
        const from = seg.timeline_out_ms - Math.floor(t.duration_ms / 2);
        const left = percentAt(from, total);
        const width = percentAt(from + t.duration_ms, total) - left;
        return (
          <span
            key={seg.index}
            class={`transition transition-${t.type}`}
            data-testid="transition"
            data-boundary={seg.index}
            data-type={t.type}
            aria-hidden="true"
            style={{ left: `${left}%`, width: t.type === "cut" ? undefined : `${width}%` }}
          />
        );
      })}
    </>
  );
}

/** The problems of the last refused edit, each under the block it names. */
interface NotesProps {
  list: EdlProblem[];
  segments: Segment[];
  total: number;
}

function ProblemNotes({ list, segments, total }: NotesProps) {
  const bySegment = new Map<number, string[]>();
  for (const p of list) {
    if (p.segment_index === null) continue;
    bySegment.set(p.segment_index, [...(bySegment.get(p.segment_index) ?? []), p.message]);
  }
  return (
    <div class="segment-problems" role="alert">
      {[...bySegment.entries()].map(([index, messages]) => {
        const seg = segments.find((s) => s.index === index);
        const at = seg ? percentAt(seg.timeline_in_ms, total) : 0;
        return (
          <p
            key={index}
            id={`segment-problem-${index}`}
            class="segment-problem error"
            data-testid="segment-problem"
            data-segment={index}
            style={{ marginLeft: `min(${at}%, calc(100% - min(100%, 22rem)))` }}
          >
            {messages.join(" ")}
          </p>
        );
      })}
    </div>
  );
}

function Track({ out }: { out: TimelineOut }) {
  const segments = out.edl.segments;
  const total = axisMs.value ?? out.total_duration_ms;
  const states = clipStates.value;
  const list = problems.value;
  return (
    <>
      <div
        class="timeline-track"
        data-testid="timeline-track"
        role="group"
        aria-label="Segments (arrow keys move between them, Enter opens one)"
      >
        {segments.map((seg) => (
          <Block
            key={seg.index}
            seg={seg}
            last={segments.length - 1}
            total={total}
            asset={media.value.find((m) => m.id === seg.asset_id)}
            state={states[seg.index]}
            notes={list.filter((p) => p.segment_index === seg.index)}
          />
        ))}
        <Transitions segments={segments} total={total} />
      </div>
      <ProblemNotes list={list} segments={segments} total={total} />
    </>
  );
}

/** The timeline panel: summary, track, the selected segment's editor and the settings. */
export function Timeline({ projectId }: { projectId: string }) {
  const song = audio.value;
  const ready = song?.analysis_status === "completed";
  const mediaKey = media.value.map((m) => m.id).join(",");
  // A render asked for before any timeline existed generated one: read it when a job appears.
  const jobId = currentJob.value?.job_id;
  useEffect(() => {
    forgetThumbs();
    timeline.value = null;
    timelineLoad.value = "loading";
    selected.value = null;
    problems.value = [];
    timelineError.value = null;
  }, [projectId]);
  useEffect(() => {
    if (ready) void loadTimeline(projectId);
  }, [projectId, ready, mediaKey, jobId]);
  if (!song) return null;
  const out = timeline.value;
  return (
    <section
      class="timeline"
      data-testid="timeline"
      aria-labelledby="timeline-title"
      aria-busy={timelineBusy.value !== null}
    >
      <h2 id="timeline-title">Timeline</h2>
      {out && (
        <p class="meta" data-testid="timeline-summary">
          <span data-testid="segment-count">{out.segment_count} segments</span> ·{" "}
          <span data-testid="timeline-duration">
            {formatDuration(out.total_duration_ms)}
          </span>{" "}
          ·{" "}
          {out.cutting}
        </p>
      )}
      {out && <Track out={out} />}
      {!ready && <p class="meta">The timeline is cut once the beats are found.</p>}
      {ready && timelineLoad.value === "none" && !out && (
        <p>
          <button
            type="button"
            onClick={() => void generateTimeline(projectId)}
            disabled={timelineBusy.value !== null}
          >
            Generate timeline
          </button>
        </p>
      )}
      <p class="meta" role="status" data-testid="timeline-busy">
        {timelineBusy.value ?? ""}
      </p>
      {timelineError.value && (
        <p class="error" role="alert" data-testid="timeline-error">
          {timelineError.value}
        </p>
      )}
      {out && selected.value !== null && (
        <TimelineEditor
          key={`${selected.value}@${out.updated_at}`}
          projectId={projectId}
          out={out}
          index={selected.value}
        />
      )}
      {ready && (
        <TimelineSettingsForm
          key={`${projectId}:${JSON.stringify(currentSettings())}`}
          projectId={projectId}
        />
      )}
    </section>
  );
}
