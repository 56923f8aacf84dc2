// The project-wide settings that cut the timeline: beats per cut, the transition at every
// cut and Ken Burns on photos. Saving them (PATCH) cuts the timeline again (POST).
import { useState } from "preact/hooks";
import { currentSettings, saveSettings, timelineBusy } from "../timeline-store";
import type { TimelineSettings, TransitionType } from "../types";
import { TransitionFields } from "./TransitionFields";
const BEATS: TimelineSettings["beats_per_cut"][] = [1, 2, 4, 8, 16];

/** The settings form; its fields start from the project's saved settings (the parent keys it
 * by them, so saved settings from the API start a fresh form). */
export function TimelineSettingsForm({ projectId }: { projectId: string }) {
  const saved = currentSettings();
  const [beats, setBeats] = useState(saved.beats_per_cut);
  const [type, setType] = useState<TransitionType>(saved.transition.type);
  const [duration, setDuration] = useState(String(saved.transition.duration_ms));
  const [kenBurns, setKenBurns] = useState(saved.ken_burns.enabled);
  const save = (e: Event) => {
    e.preventDefault();
    const ms = type === "cut" ? 0 : Math.round(Number(duration));
    void saveSettings(projectId, {
      beats_per_cut: beats,
      transition: { type, duration_ms: Number.isFinite(ms) ? ms : 0 },
      ken_burns: { enabled: kenBurns },
    });
  };
  return (
    <form
      class="card timeline-settings"
      data-testid="timeline-settings"
      onSubmit={save}
      noValidate
      aria-labelledby="timeline-settings-title"
    >
      <h3 id="timeline-settings-title">Cutting</h3>
      <div class="fields">
        <label>
          Beats per cut
          <select
            value={String(beats)}
            onChange={(e) => setBeats(Number(e.currentTarget.value) as typeof beats)}
          >
            {BEATS.map((n) => (
              <option key={n} value={String(n)}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <TransitionFields
          typeLabel="Transition at every cut"
          durationLabel="Transition duration (ms)"
          type={type}
          duration={duration}
          max={2000}
          onType={setType}
          onDuration={setDuration}
        />
      </div>
      <label class="check">
        <input
          type="checkbox"
          checked={kenBurns}
          onChange={(e) => setKenBurns(e.currentTarget.checked)}
        />
        Ken Burns pan and zoom on photos
      </label>
      <p class="meta">
        Saving cuts the timeline again: edits made segment by segment are replaced.
      </p>
      <div class="actions">
        <button type="submit" disabled={timelineBusy.value !== null}>
          Save and cut again
        </button>
      </div>
    </form>
  );
}
