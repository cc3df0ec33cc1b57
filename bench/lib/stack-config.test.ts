import { describe, expect, it } from "vitest";
import { benchStackConfig, durationMs, instanceAddress, instanceNames } from "./stack-config";

describe("bench stack config", () => {
  it("gives every instance weight 1 unless told, on the bench ports and subnet", () => {
    const c = benchStackConfig({ instances: 2, weights: { b: 3 } }, "/tmp/h");
    expect(c.instances).toEqual([
      { name: "a", weight: 1 },
      { name: "b", weight: 3 },
    ]);
    expect(c.subnet).toBe("10.213.206.0/24");
    expect(c.health).toEqual({ interval: "2s", timeout: "1s", fall: 3, rise: 2 });
    expect(c.routing).toEqual({ pollInterval: "1s" });
    expect(c.hostDir).toBe("/tmp/h");
  });

  it.each([0, 9])("refuses %d instances", (n) => {
    expect(() => instanceNames(n)).toThrow(/instances must be 1-8/);
  });

  it("places instance i at .10 + i", () => {
    expect(instanceAddress(0)).toBe("10.213.206.10");
    expect(instanceAddress(7)).toBe("10.213.206.17");
  });

  it.each([
    ["2s", 2000],
    ["500ms", 500],
  ])("%s is %d ms", (text, ms) => {
    expect(durationMs(text)).toBe(ms);
  });
});
