import { describe, expect, it } from "vitest";
import { median, percentile, rotation, spread } from "./summary";

describe("median", () => {
  it.each([
    [[], Number.NaN],
    [[3], 3],
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
  ])("median(%j) = %d", (values, expected) => {
    expect(median(values)).toEqual(expected);
  });
});

describe("percentile", () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  it.each([
    [50, 50],
    [99, 99],
    [100, 100],
    [0, 1],
  ])("p%d of 1..100 is %d", (p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });
  it("is NaN for no values", () => {
    expect(percentile([], 50)).toBeNaN();
  });
});

describe("spread", () => {
  it("gives median, min, max and count", () => {
    expect(spread([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5, n: 3 });
  });
});

describe("rotation", () => {
  it.each([
    [0, ["r", "p", "d"]],
    [1, ["p", "d", "r"]],
    [2, ["d", "r", "p"]],
    [3, ["r", "p", "d"]],
  ])("round %d runs %j", (round, expected) => {
    expect(rotation(["r", "p", "d"], round)).toEqual(expected);
  });
});
