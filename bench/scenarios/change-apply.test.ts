import { describe, expect, it } from "vitest";
import { changedSpec } from "./change-apply";

describe("changedSpec", () => {
  const base = { instances: 2 };
  it("toggles b's weight and nothing else", () => {
    const once = changedSpec(base, "weights");
    expect(once).toEqual({ instances: 2, weights: { b: 2 } });
    expect(changedSpec(once, "weights")).toEqual({ instances: 2, weights: { b: 1 } });
  });
  it("toggles the health interval and keeps the other health settings", () => {
    const once = changedSpec(base, "interval");
    expect(once.health).toEqual({ interval: "3s", timeout: "1s", fall: 3, rise: 2 });
    expect(changedSpec(once, "interval").health?.interval).toBe("2s");
  });
});
