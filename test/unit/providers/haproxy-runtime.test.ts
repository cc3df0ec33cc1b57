import { describe, expect, it } from "vitest";
import {
  configuredWeights,
  stateWithConfiguredWeights,
  weightCommands,
  weightOnlyChanges,
} from "../../../infra/providers/haproxy-runtime";
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

describe("configuredWeights", () => {
  it("reads every backend server's weight from the rendered config", () => {
    const weights = configuredWeights(withWeights(base, "mtx-2", 7));
    expect(weights.get("rtmp/mtx-2")).toBe(7);
    expect(weights.get("hls/mtx-2")).toBe(7);
    expect(weights.get("webrtc/mtx-2")).toBe(7);
    expect(weights.get("rtmp/mtx-1")).toBeGreaterThan(0);
  });
});

describe("stateWithConfiguredWeights", () => {
  // Shape of `show servers state` (HAProxy 2.6-3.0): version line, header, one line per server.
  const state = [
    "1",
    "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change",
    "3 rtmp 1 mtx-1 10.0.0.10 2 0 3 1 12",
    "3 rtmp 2 mtx-2 10.0.0.11 0 0 1 1 4",
    "4 stats 1 other 127.0.0.1 2 0 5 5 1",
    "",
  ].join("\n");

  it("sets the saved user and initial weights to the new config's, keeping health state", () => {
    const out = stateWithConfiguredWeights(
      state,
      new Map([
        ["rtmp/mtx-1", 1],
        ["rtmp/mtx-2", 2],
      ]),
    ).split("\n");
    // A Runtime API weight (3) must not outlive a config that says 1.
    expect(out[2]).toBe("3 rtmp 1 mtx-1 10.0.0.10 2 0 1 1 12");
    // Health (srv_op_state 0 = DOWN) survives; only the weights move.
    expect(out[3]).toBe("3 rtmp 2 mtx-2 10.0.0.11 0 0 2 2 4");
    // Servers the new config does not name stay as they were.
    expect(out[4]).toBe("4 stats 1 other 127.0.0.1 2 0 5 5 1");
  });

  it("leaves a state without a header untouched", () => {
    expect(stateWithConfiguredWeights("1\n", new Map([["rtmp/mtx-1", 1]]))).toBe("1\n");
  });
});
