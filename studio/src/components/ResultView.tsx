// The followed render's result: the video, its download, its clip_stats and charts.
import { useMemo } from "preact/hooks";
import { formatBytes, formatDuration } from "../format";
import { clips, currentJob, videoUrl } from "../render-store";
import { ClipCharts } from "./ClipCharts";

const STATS: [key: string, label: string, unit: "" | "ms"][] = [
  ["total_tasks", "Clip tasks", ""],
  ["success_tasks", "Succeeded", ""],
  ["failed_tasks", "Failed (placeholders included)", ""],
  ["placeholder_tasks", "Placeholders", ""],
  ["avg_task_duration_ms", "Average task time", "ms"],
  ["p95_task_duration_ms", "95th percentile task time", "ms"],
  ["peak_parallelism", "Most tasks at once", ""],
];

function shown(value: unknown, unit: "" | "ms"): string {
  if (typeof value !== "number") return "—";
  return unit === "ms" ? `${Math.round(value)} ms` : String(value);
}

/** The player, the download link and the clip statistics of a complete render. */
export function ResultView() {
  const job = currentJob.value;
  const url = videoUrl.value;
  const rows = clips.value;
  const stats = job?.clip_stats ?? null;
  const reasons = useMemo(
    () => Object.entries((stats?.fallback_reason_counts as Record<string, number>) ?? {}),
    [stats],
  );
  if (!job || job.status !== "complete") return null;
  return (
    <section aria-labelledby="result-title" class="result">
      <h2 id="result-title">Result</h2>
      {url ? (
        <>
          <video
            class="player"
            controls
            preload="metadata"
            src={url}
            data-testid="result-video"
            data-duration-ms={job.duration_ms ?? undefined}
            aria-label={`The ${job.kind ?? ""} render`}
          />
          <p class="actions">
            <a class="button" href={url} download={`${job.job_id}.mp4`}>
              Download MP4
            </a>
            <span class="meta">
              {job.duration_ms !== null && formatDuration(job.duration_ms)}
              {job.file_size !== null && ` · ${formatBytes(job.file_size)}`}
            </span>
          </p>
        </>
      ) : (
        <p class="meta">Loading the video…</p>
      )}
      {stats && (
        <div class="table-scroll">
          <table class="stats" data-testid="clip-stats">
            <caption>Clip statistics</caption>
            <tbody>
              {STATS.map(([key, label, unit]) => (
                <tr key={key} data-stat={key}>
                  <th scope="row">{label}</th>
                  <td>{shown(stats[key], unit)}</td>
                </tr>
              ))}
              {reasons.map(([reason, count]) => (
                <tr key={reason} data-stat={`fallback:${reason}`}>
                  <th scope="row">Fell back: {reason}</th>
                  <td>{count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {rows.length > 0 && <ClipCharts clips={rows} />}
    </section>
  );
}
