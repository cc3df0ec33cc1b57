import { describe, expect, it } from "vitest";
import { teeGroups, teeTarget } from "./media";

describe("tee publishers", () => {
  it("splits streams into groups of the given size", () => {
    expect(teeGroups(["a", "b", "c", "d", "e"], 2)).toEqual([["a", "b"], ["c", "d"], ["e"]]);
    expect(teeGroups([], 2)).toEqual([]);
  });
  it("writes one flv output per stream, each allowed to fail alone", () => {
    expect(teeTarget("rtmp://h:1", ["g/1", "g/2"])).toBe(
      "[f=flv:onfail=ignore]rtmp://h:1/g/1|[f=flv:onfail=ignore]rtmp://h:1/g/2",
    );
  });
});
