// Sizes and durations in the words of the API's sentences.
import { describe, expect, it } from "vitest";
import { formatBytes, formatDuration } from "./format";

describe("formatBytes", () => {
  it("uses binary units, one decimal under ten", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(40 * 1024)).toBe("40 KiB");
    expect(formatBytes(3 * 1024 ** 3)).toBe("3.0 GiB");
  });
});

describe("formatDuration", () => {
  it("writes minutes and tenths of seconds, and a photo as such", () => {
    expect(formatDuration(83_500)).toBe("1:23.5");
    expect(formatDuration(9_000)).toBe("0:09.0");
    expect(formatDuration(null)).toBe("photo");
  });
});
