import { useSignal } from "@preact/signals";
import { formatBytes } from "../format";
import { uploadFiles, uploads } from "../project-store";

const ACCEPT = "image/*,video/*,audio/*";

/** The drop zone: drop files on it, or choose them with its file input (keyboard too). */
export function Uploader({ projectId }: { projectId: string }) {
  const over = useSignal(false);
  const send = (list: FileList | null) => {
    if (list && list.length > 0) void uploadFiles(projectId, Array.from(list));
  };
  return (
    <section aria-labelledby="upload-title">
      <h2 id="upload-title">Add photos, clips and the song</h2>
      <div
        class={over.value ? "dropzone over" : "dropzone"}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          over.value = true;
        }}
        onDragLeave={() => {
          over.value = false;
        }}
        onDrop={(e) => {
          e.preventDefault();
          over.value = false;
          send(e.dataTransfer?.files ?? null);
        }}
      >
        <p>Drop files here, or</p>
        <label class="button">
          Choose files
          <input
            id="file-input"
            class="visually-hidden-input"
            type="file"
            multiple
            accept={ACCEPT}
            onChange={(e) => {
              const input = e.currentTarget;
              send(input.files);
              input.value = "";
            }}
          />
        </label>
      </div>
      {uploads.value.length > 0 && (
        <ul class="uploads" aria-label="Uploads" aria-live="polite">
          {uploads.value.map((u) => (
            <li key={u.key} class={`upload ${u.state}`} data-testid="upload-row">
              <span class="name">{u.name}</span>
              <span class="meta">{formatBytes(u.size)}</span>
              <progress max={1} value={u.progress} aria-label={`Upload of ${u.name}`} />
              {u.state === "done" && <span class="ok">Uploaded</span>}
              {u.error && (
                <span class="error" role="alert">
                  {u.status ? `${u.status}: ` : ""}
                  {u.error}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
