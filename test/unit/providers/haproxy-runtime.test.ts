import { describe, expect, it } from "vitest";
import { weightCommands, weightOnlyChanges } from "../../../infra/providers/haproxy-runtime";
import { renderHaproxyConfig } from "../../../infra/render/haproxy";
import { loadFixtureModel } from "../../support/stack-fixtures";

const base = renderHaproxyConfig(loadFixtureModel("dev"));
const withWeights = (cfg: string, name: string, w: number) =>
  cfg.replace(new RegExp(`(server ${name} \\S+ .*?weight )\\d+`, "g"), `$1${w}`);

describe("weightOnlyChanges", () => {
  it("is empty for identical configs", () => {
    expect(weightOnlyChanges(base, base)).toEqual([]);
  });

  it("lists every backend's server whose weight changed", () => {
    const changes = weightOnlyChanges(base, withWeights(base, "mtx-2", 5));
    expect(changes?.map((c) => `${c.backend}/${c.server}=${c.weight}`)).toEqual([
      "rtmp/mtx-2=5",
      "hls/mtx-2=5",
      "webrtc/mtx-2=5",
    ]);
    expect(weightCommands(changes ?? [])).toContain("set server rtmp/mtx-2 weight 5");
  });

  it.each([
    ["an interval change", (c: string) => c.replace(/inter \S+/g, "inter 9s")],
    ["an added line", (c: string) => `${c}# extra\n`],
    ["a changed server address", (c: string) => c.replace(/10\.213\.\d+\.10:1935/, "10.213.1.99:1935")],
    ["a weight change outside a backend", (c: string) => c.replace("maxconn", "maxconn weight 3 ")],
  ])("needs a reload for %s", (_label, edit) => {
    const next = edit(base);
    expect(next).not.toBe(base);
    expect(weightOnlyChanges(base, next)).toBeUndefined();
  });
});
