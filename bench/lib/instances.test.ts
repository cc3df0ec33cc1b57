import { describe, expect, it } from "vitest";
import { parseRfc3339Ms } from "./instances";

describe("parseRfc3339Ms", () => {
  it("keeps milliseconds of a nanosecond timestamp", () => {
    expect(parseRfc3339Ms("2026-11-25T13:00:12.819521434Z")).toBe(Date.UTC(2026, 10, 25, 13, 0, 12, 819));
  });
  it("rejects garbage", () => {
    expect(() => parseRfc3339Ms("yesterday")).toThrow(/cannot read/);
  });
});
