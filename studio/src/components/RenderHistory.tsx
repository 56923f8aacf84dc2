// The project's renders, newest first; choosing one shows its clips and its result.
import { formatDuration } from "../format";
import { currentJob, history, show } from "../render-store";

function when(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString() : "—";
}

/** A table of the project's renders with a button to show each. */
export function RenderHistory() {
  const jobs = history.value;
  if (jobs.length === 0) return null;
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">Render history</h2>
      <div class="table-scroll">
        <table class="renders" data-testid="render-history">
          <thead>
            <tr>
              <th scope="col">Asked</th>
              <th scope="col">Kind</th>
              <th scope="col">Status</th>
              <th scope="col">Length</th>
              <th scope="col">
                <span class="visually-hidden">Show</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((job) => (
              <tr key={job.job_id} data-job={job.job_id} aria-current={job.job_id === currentJob.value?.job_id}>
                <td>{when(job.created_at)}</td>
                <td>{job.kind ?? "render"}</td>
                <td>{job.status}</td>
                <td>{job.duration_ms === null ? "—" : formatDuration(job.duration_ms)}</td>
                <td>
                  <button
                    type="button"
                    class="quiet"
                    disabled={job.job_id === currentJob.value?.job_id}
                    onClick={() => void show(job)}
                    aria-label={`Show the ${job.kind ?? ""} render asked ${when(job.created_at)}`}
                  >
                    Show
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
