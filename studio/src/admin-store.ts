// The admin page's state: the render clip config in force, its settings' ranges, the values
// being edited, the API's refusals by field, and the version history.
import { signal } from "@preact/signals";
import { api, ApiError } from "./api";
import type {
  ConfigField,
  ConfigFieldsOut,
  ConfigOut,
  ConfigVersion,
  ConfigVersionsOut,
} from "./types";

export const inForce = signal<ConfigOut | null>(null);
export const fields = signal<ConfigField[]>([]);
/** False for a non-administrator; `whyNot` is then the API's sentence saying who may. */
export const mayEdit = signal(false);
export const whyNot = signal<string | null>(null);
/** The inputs' text, by setting name (sent as typed: the API judges the value). */
export const drafts = signal<Record<string, string>>({});
/** The API's sentence for a setting it refused, by setting name. */
export const fieldErrors = signal<Record<string, string>>({});
export const formError = signal<string | null>(null);
export const notice = signal<string | null>(null);
export const busy = signal(false);
export const versions = signal<ConfigVersion[]>([]);
/** The version below which older versions start, when there are more. */
export const olderBelow = signal<number | null>(null);

const VERSIONS = "/api/v1/render/config/versions";

function sentence(err: unknown, fallback: string): string {
  return err instanceof ApiError ? err.message : fallback;
}

function draftsOf(config: ConfigOut): Record<string, string> {
  return Object.fromEntries(Object.entries(config.config).map(([k, v]) => [k, String(v)]));
}

/** Load the config in force, the settings' ranges and the newest versions. */
export async function loadAdmin(): Promise<void> {
  try {
    const [config, described, page] = await Promise.all([
      api<ConfigOut>("GET", "/api/v1/render/config"),
      api<ConfigFieldsOut>("GET", "/api/v1/render/config/fields"),
      api<ConfigVersionsOut>("GET", VERSIONS),
    ]);
    inForce.value = config;
    fields.value = described.fields;
    mayEdit.value = described.may_edit;
    whyNot.value = described.why_not;
    drafts.value = draftsOf(config);
    versions.value = page.versions;
    olderBelow.value = page.next_before;
    formError.value = null;
  } catch (err) {
    formError.value = sentence(err, "The render config could not be loaded.");
  }
}

/** Append the next page of older versions. */
export async function loadOlder(): Promise<void> {
  if (olderBelow.value === null) return;
  try {
    const page = await api<ConfigVersionsOut>("GET", `${VERSIONS}?before=${olderBelow.value}`);
    versions.value = [...versions.value, ...page.versions];
    olderBelow.value = page.next_before;
  } catch (err) {
    formError.value = sentence(err, "The older versions could not be loaded.");
  }
}

export function setDraft(name: string, text: string): void {
  drafts.value = { ...drafts.value, [name]: text };
}

/** The edited settings, as the PATCH body: a whole number as a number, anything else as typed
 * (so the API's sentence says what is wrong with it). */
function changedValues(): Record<string, unknown> {
  const config = inForce.value?.config ?? {};
  const patch: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(drafts.value)) {
    const trimmed = text.trim();
    if (trimmed === String(config[name])) continue;
    patch[name] = /^-?\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
  }
  return patch;
}

function refused(err: unknown): void {
  if (err instanceof ApiError && err.status === 403) {
    // The role changed since the page loaded: show why, and stop offering the form.
    mayEdit.value = false;
    whyNot.value = err.message;
    return;
  }
  const field = err instanceof ApiError ? err.field : null;
  if (field && field in drafts.value) {
    const text = sentence(err, "");
    // ApiError prefixes the field's name; beside its own input the sentence alone reads better.
    const alone = text.startsWith(`${field}: `) ? text.slice(field.length + 2) : text;
    fieldErrors.value = { ...fieldErrors.value, [field]: alone };
  } else {
    formError.value = sentence(err, "The change was not saved.");
  }
}

/** Send the changed settings (only those); on success the new version heads the history. */
export async function saveConfig(): Promise<void> {
  const patch = changedValues();
  fieldErrors.value = {};
  formError.value = null;
  notice.value = null;
  if (Object.keys(patch).length === 0) {
    notice.value = "Nothing to save: no value differs from the config in force.";
    return;
  }
  busy.value = true;
  try {
    // The API answers once the projector has folded the new version (read your writes).
    const saved = await api<ConfigOut>("PATCH", "/api/v1/render/config", patch);
    await loadAdmin();
    notice.value = `Saved: version ${saved.version} is in force.`;
  } catch (err) {
    refused(err);
  } finally {
    busy.value = false;
  }
}
