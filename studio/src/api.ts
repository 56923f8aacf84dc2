// The API's own routes and tokens, same origin: the studio has no backend of its own.
import { signal } from "@preact/signals";

const TOKEN_KEY = "beatstitch.token";

/** The bearer token: in memory, and in sessionStorage so a reload keeps the session. */
export const token = signal<string | null>(sessionStorage.getItem(TOKEN_KEY));

export function setToken(value: string | null): void {
  token.value = value;
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** An answer that was not 2xx, with the API's sentence for the person. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field: string | null = null,
    // The answer's `detail` as sent, for callers that show more than the first sentence.
    readonly detail: unknown = null,
  ) {
    super(message);
  }
}

type FieldProblem = { loc?: unknown[]; msg?: string; message?: string };

/** The sentence of an error body: the API answers {detail: str}, {detail: {message}} or a
 * list of FastAPI validation problems. */
export function errorOf(status: number, body: unknown, fallback?: string): ApiError {
  const detail = (body as { detail?: unknown } | null)?.detail;
  if (typeof detail === "string") return new ApiError(status, detail);
  if (detail && typeof detail === "object" && !Array.isArray(detail)) {
    const message = (detail as { message?: unknown }).message;
    if (typeof message === "string") return new ApiError(status, message);
  }
  if (Array.isArray(detail) && detail.length > 0) {
    const first = detail[0] as FieldProblem;
    const loc = Array.isArray(first.loc) ? first.loc : [];
    const field = loc.length > 0 ? String(loc[loc.length - 1]) : null;
    const text = first.msg ?? first.message ?? "The request was refused.";
    return new ApiError(status, field ? `${field}: ${text}` : text, field, detail);
  }
  return new ApiError(status, fallback ?? `The server answered ${status}.`);
}

function headers(json: boolean): Record<string, string> {
  const h: Record<string, string> = { Accept: "application/json" };
  if (json) h["Content-Type"] = "application/json";
  if (token.value) h["Authorization"] = `Bearer ${token.value}`;
  return h;
}

/** A JSON request to the API; throws ApiError with the API's sentence. A 401 signs out. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: headers(body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const parsed: unknown = text ? safeJson(text) : null;
  if (!response.ok) {
    if (response.status === 401 && token.value) setToken(null);
    throw errorOf(response.status, parsed);
  }
  return parsed as T;
}

/** The parsed JSON of a body, or null when it is not JSON. */
export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** Upload one file as multipart field `file`, reporting progress from 0 to 1. fetch has no
 * upload progress events, XMLHttpRequest has. */
export function upload<T>(
  path: string,
  file: File,
  onProgress: (fraction: number) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    for (const [name, value] of Object.entries(headers(false))) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      const parsed = xhr.responseText ? safeJson(xhr.responseText) : null;
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(parsed as T);
      } else {
        reject(errorOf(xhr.status, parsed));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, "The upload could not reach the server."));
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

/** A stored object's route asked to stream its bytes through the API: the page may not
 * follow a redirect to an S3 store (its policy allows this server only). */
export function streamed(path: string): string {
  return `${path}${path.includes("?") ? "&" : "?"}stream=true`;
}

/** An object URL of a protected file (an <img> or <video> src cannot send the bearer token). */
export async function objectUrl(path: string, what: string): Promise<string> {
  const response = await fetch(streamed(path), { headers: headers(false) });
  if (!response.ok) {
    const text = await response.text();
    throw errorOf(response.status, text ? safeJson(text) : null, `${what} could not be loaded.`);
  }
  return URL.createObjectURL(await response.blob());
}

/** An object URL of a protected image. */
export function imageUrl(path: string): Promise<string> {
  return objectUrl(path, "The image");
}

/** The Authorization header for a request the page makes by other means (its SSE stream). */
export function authHeaders(): Record<string, string> {
  return headers(false);
}

/** The bytes of a protected file (an <audio src> cannot send the bearer token either). */
export async function audioBytes(path: string): Promise<ArrayBuffer> {
  const response = await fetch(path, { headers: headers(false) });
  if (!response.ok) throw new ApiError(response.status, "The song could not be loaded.");
  return response.arrayBuffer();
}
