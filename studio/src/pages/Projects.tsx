import { signal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { api, ApiError } from "../api";
import { StatusBadge } from "../components/StatusBadge";
import { Thumbnail } from "../components/Thumbnail";
import { navigate } from "../router";
import type { Project } from "../types";

const projects = signal<Project[] | null>(null);
const error = signal<string | null>(null);
const createError = signal<string | null>(null);

async function load(): Promise<void> {
  try {
    projects.value = await api<Project[]>("GET", "/api/v1/projects");
    error.value = null;
  } catch (err) {
    error.value = err instanceof ApiError ? err.message : "The projects could not be loaded.";
  }
}

async function create(e: Event): Promise<void> {
  e.preventDefault();
  const form = e.currentTarget as HTMLFormElement;
  const name = String(new FormData(form).get("name")).trim();
  createError.value = null;
  try {
    const project = await api<Project>("POST", "/api/v1/projects", { name });
    form.reset();
    navigate(`/projects/${project.id}`);
  } catch (err) {
    createError.value = err instanceof ApiError ? err.message : "The project was not created.";
  }
}

function open(e: Event, id: string): void {
  e.preventDefault();
  navigate(`/projects/${id}`);
}

export function Projects() {
  useEffect(() => {
    void load();
  }, []);
  return (
    <section aria-labelledby="projects-title">
      <h1 id="projects-title">Projects</h1>
      <form class="inline" onSubmit={(e) => void create(e)}>
        <label>
          New project name
          <input name="name" required maxLength={200} />
        </label>
        <button type="submit">Create project</button>
        {createError.value && (
          <p class="error" role="alert">
            {createError.value}
          </p>
        )}
      </form>
      {error.value && (
        <p class="error" role="alert">
          {error.value}
        </p>
      )}
      {projects.value?.length === 0 && <p>No projects yet: create one above.</p>}
      <ul class="projects">
        {projects.value?.map((p) => (
          <li key={p.id} class="card project">
            {p.latest_render?.poster_url ? (
              <Thumbnail src={p.latest_render.poster_url} alt={`The newest render of ${p.name}`} />
            ) : (
              <div class="thumb empty" aria-hidden="true" />
            )}
            <a href={`/projects/${p.id}`} onClick={(e) => open(e, p.id)}>
              {p.name}
            </a>
            <StatusBadge status={p.status} />
            <span class="meta">
              {p.media_count} {p.media_count === 1 ? "file" : "files"}
              {p.audio_track_id ? " · song" : ""}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
