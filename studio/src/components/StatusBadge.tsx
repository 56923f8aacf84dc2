import type { ProjectStatus } from "../types";

/** A project's status as a word and a colour (the word carries the meaning). */
export function StatusBadge({ status }: { status: ProjectStatus }) {
  return <span class={`status status-${status}`}>{status}</span>;
}
