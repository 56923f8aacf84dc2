import { useEffect } from "preact/hooks";
import {
  busy,
  drafts,
  fieldErrors,
  fields,
  formError,
  inForce,
  loadAdmin,
  loadOlder,
  mayEdit,
  notice,
  olderBelow,
  saveConfig,
  setDraft,
  versions,
  whyNot,
} from "../admin-store";
import type { ConfigChange, ConfigField, ConfigVersion } from "../types";

/** "max_parallelism" → "Max parallelism". */
function labelOf(name: string): string {
  const words = name.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** "1–6, default 4", from the API's range of the setting. */
export function rangeOf(field: ConfigField): string {
  const range =
    field.minimum !== null && field.maximum !== null
      ? `${field.minimum}–${field.maximum}`
      : field.minimum !== null
        ? `at least ${field.minimum}`
        : field.maximum !== null
          ? `at most ${field.maximum}`
          : "any value";
  return field.default === null ? range : `${range}, default ${field.default}`;
}

/** "2026-12-02T21:40:05Z" → "2026-12-02 21:40:05 UTC" (the API's times are UTC). */
function whenOf(iso: string | null): string {
  if (!iso) return "—";
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

function FieldRow({ field }: { field: ConfigField }) {
  const id = `cfg-${field.name}`;
  const error = fieldErrors.value[field.name];
  const described = [`${id}-range`, `${id}-about`, error ? `${id}-error` : ""].join(" ").trim();
  return (
    <div class="cfg-field" data-testid="config-field" data-field={field.name}>
      <label for={id}>{labelOf(field.name)}</label>
      <input
        id={id}
        name={field.name}
        type="number"
        inputMode="numeric"
        step={1}
        min={field.minimum ?? undefined}
        max={field.maximum ?? undefined}
        value={drafts.value[field.name] ?? ""}
        readOnly={!mayEdit.value}
        aria-invalid={error ? true : undefined}
        aria-describedby={described}
        onInput={(e) => setDraft(field.name, (e.currentTarget as HTMLInputElement).value)}
      />
      <span class="meta range" id={`${id}-range`}>
        {rangeOf(field)}
      </span>
      <span class="meta about" id={`${id}-about`}>
        {field.description}
      </span>
      {error && (
        <p class="error" id={`${id}-error`} role="alert" data-testid="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

function ConfigForm() {
  const config = inForce.value;
  return (
    <form
      class="card cfg-form"
      aria-labelledby="config-title"
      aria-describedby={whyNot.value ? "config-why-not" : undefined}
      // The API judges every value and names the field it refuses: the browser's own range
      // check would stop the request and show a different sentence.
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void saveConfig();
      }}
    >
      <h2 id="config-title">
        Render clip config{config ? `: version ${config.version}` : ""}
      </h2>
      {config && (
        <p class="meta">
          {config.version === 0
            ? "Never changed: the defaults are in force."
            : `Set by ${config.updated_by ?? "—"} at ${whenOf(config.updated_at)}.`}
        </p>
      )}
      {whyNot.value && (
        <p class="notice" id="config-why-not" data-testid="why-not">
          {whyNot.value}
        </p>
      )}
      {fields.value.map((f) => (
        <FieldRow key={f.name} field={f} />
      ))}
      {formError.value && (
        <p class="error" role="alert">
          {formError.value}
        </p>
      )}
      <p class="ok" role="status">
        {notice.value ?? ""}
      </p>
      <button type="submit" disabled={!mayEdit.value || busy.value}>
        Save
      </button>
    </form>
  );
}

function Changes({ changes }: { changes: ConfigChange[] }) {
  if (changes.length === 0) return <span class="meta">no value changed</span>;
  return (
    <ul class="changes">
      {changes.map((c) => (
        <li key={c.field}>
          {c.field}: {String(c.before)} → {String(c.after)}
        </li>
      ))}
    </ul>
  );
}

function History() {
  return (
    <section class="card" aria-labelledby="history-title">
      <h2 id="history-title">Version history</h2>
      {versions.value.length === 0 ? (
        <p>No version yet: the defaults have always been in force.</p>
      ) : (
        <table class="history" data-testid="history">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Who</th>
              <th scope="col">When</th>
              <th scope="col">What changed</th>
            </tr>
          </thead>
          <tbody>
            {versions.value.map((v: ConfigVersion) => (
              <tr key={v.version} data-testid="history-row">
                <td>{v.version}</td>
                <td class="who">{v.updated_by ?? "—"}</td>
                <td>
                  <time dateTime={v.updated_at ?? undefined}>{whenOf(v.updated_at)}</time>
                </td>
                <td>
                  <Changes changes={v.changes} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {olderBelow.value !== null && (
        <button type="button" class="quiet" onClick={() => void loadOlder()}>
          Show older versions
        </button>
      )}
    </section>
  );
}

export function Admin() {
  useEffect(() => {
    void loadAdmin();
  }, []);
  return (
    <section aria-labelledby="admin-title" class="admin">
      <h1 id="admin-title">Admin</h1>
      <ConfigForm />
      <History />
    </section>
  );
}
