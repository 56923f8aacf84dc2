import { useSignal } from "@preact/signals";
import { formatBytes, formatDuration } from "../format";
import { media, moveMedia, removeMedia } from "../project-store";
import { Thumbnail as Thumb } from "./Thumbnail";

/** The project's photos and clips in timeline order: drag a card (or use its arrow buttons)
 * to reorder, remove with its button. */
export function MediaGrid({ projectId }: { projectId: string }) {
  const dragging = useSignal<number | null>(null);
  const list = media.value;
  return (
    <section aria-labelledby="media-title">
      <h2 id="media-title">Photos and clips ({list.length})</h2>
      {list.length === 0 && <p>Nothing yet: add photos and clips above.</p>}
      <ol class="grid" data-testid="media-grid">
        {list.map((m, index) => (
          <li
            key={m.id}
            class="card tile"
            draggable
            data-testid="media-tile"
            onDragStart={(e) => {
              dragging.value = index;
              e.dataTransfer?.setData("text/plain", m.id);
            }}
            onDragOver={(e) => e.preventDefault()}
            onDrop={(e) => {
              e.preventDefault();
              const from = dragging.value;
              dragging.value = null;
              if (from !== null && from !== index) void moveMedia(projectId, from, index);
            }}
          >
            <Thumb src={m.thumbnail_url} alt={`Thumbnail of ${m.filename}`} />
            <span class="name" title={m.filename}>
              {m.filename}
            </span>
            <span class="meta">
              {m.kind === "video" ? formatDuration(m.duration_ms) : "photo"} · {m.width}×{m.height}{" "}
              · {formatBytes(m.size_bytes)}
            </span>
            <div class="actions">
              <button
                type="button"
                class="quiet"
                disabled={index === 0}
                aria-label={`Move ${m.filename} earlier`}
                onClick={() => void moveMedia(projectId, index, index - 1)}
              >
                ←
              </button>
              <button
                type="button"
                class="quiet"
                disabled={index === list.length - 1}
                aria-label={`Move ${m.filename} later`}
                onClick={() => void moveMedia(projectId, index, index + 1)}
              >
                →
              </button>
              <button
                type="button"
                class="danger"
                aria-label={`Remove ${m.filename}`}
                onClick={() => void removeMedia(projectId, m)}
              >
                Remove
              </button>
            </div>
          </li>
        ))}
      </ol>
    </section>
  );
}

