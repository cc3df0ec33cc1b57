import { describe, expect, it } from "vitest";
import { formatHaproxyDuration } from "../../../infra/render/durations";

describe("formatHaproxyDuration", () => {
  it.each([
    [0, "0ms"],
    [1, "1ms"],
    [50, "50ms"],
    [500, "500ms"],
    [1_000, "1s"],
    [1_500, "1500ms"],
    [2_000, "2s"],
    [59_000, "59s"],
    [60_000, "1m"],
    [90_000, "90s"],
    [120_000, "2m"],
    [3_600_000, "1h"],
    [5_400_000, "90m"],
    [86_400_000, "1d"],
  ])("%i ms → %s", (ms, expected) => {
    expect(formatHaproxyDuration(ms)).toBe(expected);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])("rejects %s", (ms) => {
    expect(() => formatHaproxyDuration(ms)).toThrow(/non-negative integer of milliseconds/);
  });
});
