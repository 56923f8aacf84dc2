// The song's waveform with its beat grid: a tick per beat (downbeats taller), the tempo and
// how sure the analysis is, a play/pause button, click-to-seek and a playhead.
import { useEffect, useRef, useState } from "preact/hooks";
import type { RefObject } from "preact";
import WaveSurfer from "wavesurfer.js";
import { api, ApiError, audioBytes } from "../api";
import { formatDuration } from "../format";
import type { Audio, BeatGrid } from "../types";
import { axisMs, stepTo } from "../time-axis";

// Enough bars for any screen; a 3-minute song decoded at 44.1 kHz is 8 M samples.
const PEAKS = 2000;

/** The loudest sample of each of `count` equal slices: what wavesurfer draws. */
export function peaksOf(samples: Float32Array, count: number): Float32Array {
  const out = new Float32Array(Math.min(count, samples.length));
  const step = samples.length / out.length;
  for (let i = 0; i < out.length; i++) {
    let top = 0;
    const end = Math.min(samples.length, Math.floor((i + 1) * step));
    for (let j = Math.floor(i * step); j < end; j++) top = Math.max(top, Math.abs(samples[j]!));
    out[i] = top;
  }
  return out;
}

interface Loaded {
  url: string;
  peaks: Float32Array;
  duration: number;
  grid: BeatGrid;
}

// The page's CSP allows fetch to 'self' only (not blob:), so the bytes are fetched once with
// the token, decoded here for the peaks, and only the <audio> element gets a blob: URL.
async function load(projectId: string, song: Audio): Promise<Loaded> {
  const [bytes, grid] = await Promise.all([
    audioBytes(`/api/v1/projects/${projectId}/audio/file`),
    api<BeatGrid>("GET", song.beats_url),
  ]);
  const decoded = await new OfflineAudioContext(1, 1, 44100).decodeAudioData(bytes.slice(0));
  return {
    url: URL.createObjectURL(new Blob([bytes], { type: song.content_type })),
    peaks: peaksOf(decoded.getChannelData(0), PEAKS),
    duration: decoded.duration,
    grid,
  };
}

function Ticks({ grid, duration }: { grid: BeatGrid; duration: number }) {
  // Percentages of the same width wavesurfer fills (no zoom, no scroll): the same time axis.
  return (
    <div class="beat-ticks" aria-hidden="true">
      {grid.beats.map((b) => (
        <span
          key={b.time_ms}
          class={b.is_downbeat ? "tick downbeat" : "tick"}
          data-beat={b.beat_number}
          data-downbeat={b.is_downbeat ? "" : undefined}
          style={{ left: `${Math.min(100, b.time_ms / 10 / duration)}%` }}
        />
      ))}
    </div>
  );
}

/** Move the playhead to `to` seconds, even while the previous move is still seeking:
 * wavesurfer defers a seek asked then (the element's readyState is below 3) and drops it once
 * the earlier seek lands, so quick arrow presses lost steps. The element takes a new seek at
 * any time. */
function seek(ws: WaveSurfer | null, to: number): void {
  if (!ws) return;
  ws.setTime(to);
  const media = ws.getMediaElement();
  if (media && Math.abs(media.currentTime - to) > 0.001) media.currentTime = to;
}

function tempo(grid: BeatGrid): string {
  const downbeats = grid.beats.filter((b) => b.is_downbeat).length;
  const sure = `${Math.round(grid.bpm_confidence * 100)}% sure`;
  if (grid.bpm === null) return `no clear beat (${sure})`;
  return `${grid.bpm.toFixed(1)} BPM · ${sure} · ${grid.beats.length} beats, ${downbeats} downbeats`;
}

/** The song's bytes and beat grid once the analysis completed, or the sentence why not. */
function useLoaded(projectId: string, song: Audio): [Loaded | null, string | null] {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const done = song.analysis_status === "completed";
  useEffect(() => {
    if (!done) return;
    let live = true;
    let url: string | null = null;
    load(projectId, song).then(
      (l) => {
        url = l.url;
        if (live) setLoaded(l);
        else URL.revokeObjectURL(l.url);
      },
      (err) => {
        if (live)
          setError(err instanceof ApiError ? err.message : "The song could not be loaded.");
      },
    );
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [projectId, song.id, done]);
  return [loaded, error];
}

/** wavesurfer drawn in `box`, with the playhead's time and whether it plays. */
function usePlayer(box: RefObject<HTMLDivElement>, loaded: Loaded | null) {
  const player = useRef<WaveSurfer | null>(null);
  const [time, setTime] = useState(0);
  const [playing, setPlaying] = useState(false);
  useEffect(() => {
    if (!loaded || !box.current) return;
    const media = document.createElement("audio");
    media.src = loaded.url;
    const ws = WaveSurfer.create({
      container: box.current,
      media,
      peaks: [loaded.peaks],
      duration: loaded.duration,
      height: 96,
      waveColor: "#8a94a6",
      progressColor: "#3b5bdb",
      cursorColor: "#e03131",
      cursorWidth: 2,
      normalize: true,
    });
    ws.on("timeupdate", (t) => setTime(t));
    ws.on("play", () => setPlaying(true));
    ws.on("pause", () => setPlaying(false));
    player.current = ws;
    return () => {
      ws.destroy();
      player.current = null;
    };
  }, [loaded]);
  return { player, time, playing };
}

/** The waveform of a song whose beats were found; nothing while the analysis runs. */
export function Waveform({ projectId, song }: { projectId: string; song: Audio }) {
  const box = useRef<HTMLDivElement>(null);
  const [loaded, error] = useLoaded(projectId, song);
  const { player, time, playing } = usePlayer(box, loaded);
  const done = song.analysis_status === "completed";
  // The timeline below lays its blocks on this same axis.
  useEffect(() => {
    axisMs.value = loaded ? loaded.duration * 1000 : null;
    return () => {
      axisMs.value = null;
    };
  }, [loaded]);

  if (!done) return null;
  if (error)
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  if (!loaded) return <p class="meta">Drawing the waveform…</p>;
  const duration = loaded.duration;
  return (
    <div class="waveform" data-testid="waveform">
      <p class="meta" data-testid="tempo">
        {tempo(loaded.grid)}
      </p>
      <div class="wave-area">
        <div
          ref={box}
          class="wave"
          data-testid="wave"
          role="slider"
          tabIndex={0}
          aria-label="Song position (arrow keys: previous or next beat)"
          aria-valuemin={0}
          aria-valuemax={Number(duration.toFixed(1))}
          aria-valuenow={Number(time.toFixed(1))}
          aria-valuetext={formatDuration(time * 1000)}
          onKeyDown={(e) => {
            const to = stepTo(e.key, time, loaded.grid, duration);
            if (to === null) return;
            e.preventDefault();
            seek(player.current, to);
          }}
        />
        <Ticks grid={loaded.grid} duration={duration} />
      </div>
      <div class="wave-controls">
        <button type="button" onClick={() => void player.current?.playPause()}>
          {playing ? "Pause" : "Play"}
        </button>
        <span
          data-testid="playhead"
          role="timer"
          aria-label="Playhead"
          data-seconds={time.toFixed(3)}
        >
          {formatDuration(time * 1000)} / {formatDuration(duration * 1000)}
        </span>
      </div>
    </div>
  );
}
