// A small history router: the API serves index.html for every studio path.
import { signal } from "@preact/signals";

export const path = signal(location.pathname);

window.addEventListener("popstate", () => {
  path.value = location.pathname;
});

export function navigate(to: string): void {
  if (to === location.pathname) return;
  history.pushState(null, "", to);
  path.value = to;
}

/** The project id of a `/projects/<id>` path, or null. */
export function projectIdOf(p: string): string | null {
  const match = /^\/projects\/([A-Za-z0-9_-]{1,64})\/?$/.exec(p);
  return match ? (match[1] ?? null) : null;
}

/** The admin page's path (the render clip config and its history). */
export const ADMIN_PATH = "/admin";

export function isAdminPath(p: string): boolean {
  return p === ADMIN_PATH || p === `${ADMIN_PATH}/`;
}
