// A transition's two inputs, its type and its duration, as both the project's cutting
// settings and one segment's editor ask for them.
import type { TransitionType } from "../types";

export const TRANSITION_CHOICES: [TransitionType, string][] = [
  ["cut", "Cut"],
  ["crossfade", "Crossfade"],
  ["fade_black", "Fade through black"],
  ["fade_white", "Fade through white"],
];

interface Props {
  typeLabel: string;
  durationLabel: string;
  type: TransitionType;
  duration: string;
  /** The most the input offers (the API still has the last word). */
  max?: number;
  onType: (type: TransitionType) => void;
  onDuration: (duration: string) => void;
}

/** The transition's type as a select and its duration in ms (0 and disabled for a cut). */
export function TransitionFields(props: Props) {
  const { type, duration } = props;
  return (
    <>
      <label>
        {props.typeLabel}
        <select
          value={type}
          onChange={(e) => props.onType(e.currentTarget.value as TransitionType)}
        >
          {TRANSITION_CHOICES.map(([value, words]) => (
            <option key={value} value={value}>
              {words}
            </option>
          ))}
        </select>
      </label>
      <label>
        {props.durationLabel}
        <input
          type="number"
          inputMode="numeric"
          min={0}
          max={props.max}
          step={1}
          value={type === "cut" ? "0" : duration}
          disabled={type === "cut"}
          onInput={(e) => props.onDuration(e.currentTarget.value)}
        />
      </label>
    </>
  );
}
