import { describe, expect, it } from "vitest";
import type { ServerWeight } from "../../../../infra/providers/config-dir/inputs";
import {
  type AppliedConfig,
  type ApplyPlan,
  type PlanFacts,
  planApply,
} from "../../../../infra/providers/config-dir/plan";
import {
  haproxyConfigFingerprint,
  haproxyWeights,
  renderHaproxyConfig,
} from "../../../../infra/render/haproxy";
import { loadFixtureModel } from "../../../support/stack-fixtures";

const w = (backend: string, server: string, weight: number): ServerWeight => ({ backend, server, weight });
const weights = (mtx2: number): ServerWeight[] => [
  w("rtmp", "mtx-1", 2),
  w("rtmp", "mtx-2", mtx2),
  w("hls", "mtx-1", 2),
  w("hls", "mtx-2", mtx2),
];
/** The gateway's inputs in miniature: the config text carries its weights, the fingerprint the rest. */
function gateway(
  ws: readonly ServerWeight[],
  options: { fingerprint?: string; cfg?: string; files?: Record<string, string> } = {},
): AppliedConfig {
  return {
    files: {
      "haproxy.cfg":
        options.cfg ??
        `${options.fingerprint ?? "fp-1"} ${ws.map((x) => `${x.backend}/${x.server}=${x.weight}`).join(" ")}\n`,
      "router.lua": "-- router\n",
      "secrets.cfg": "userlist stats_users\n",
      ...options.files,
    },
    reload: {
      haproxy: { config: "haproxy.cfg", weights: ws, configFingerprint: options.fingerprint ?? "fp-1" },
    },
  };
}
/** An update of a running gateway whose directory held the old files. */
const update = (old: AppliedConfig | undefined, next: AppliedConfig, facts: Partial<PlanFacts> = {}) =>
  planApply({ old, next, liveIsNext: false, liveIsOld: true, running: true, ...facts });
const reload = (reason: string, pin: readonly ServerWeight[] = weights(3)): ApplyPlan => ({
  action: "reload",
  reason,
  haproxy: { pinWeights: pin },
});

describe("planApply", () => {
  it.each<[string, () => ApplyPlan, ApplyPlan]>([
    [
      "the same files, already on disk",
      () => update(gateway(weights(1)), gateway(weights(1)), { liveIsNext: true }),
      { action: "unchanged" },
    ],
    [
      "the same files and only the reload spec's new fields (an upgrade): no reload",
      () =>
        update({ files: gateway(weights(1)).files, reload: {} }, gateway(weights(1)), { liveIsNext: true }),
      { action: "unchanged" },
    ],
    [
      "a weight in two backends",
      () => update(gateway(weights(1)), gateway(weights(3))),
      { action: "runtime", commands: ["set server rtmp/mtx-2 weight 3", "set server hls/mtx-2 weight 3"] },
    ],
    [
      "a weight in one backend",
      () => update(gateway(weights(1)), gateway([...weights(1).slice(0, 3), w("hls", "mtx-2", 5)])),
      { action: "runtime", commands: ["set server hls/mtx-2 weight 5"] },
    ],
    [
      "a drain to weight 0",
      () => update(gateway(weights(1)), gateway(weights(0))),
      { action: "runtime", commands: ["set server rtmp/mtx-2 weight 0", "set server hls/mtx-2 weight 0"] },
    ],
    [
      "a created directory",
      () => update(undefined, gateway(weights(1))),
      { action: "write", reason: "created: the container reads the files when it starts" },
    ],
    [
      "a directory without a reload spec (MediaMTX)",
      () => update({ files: { "mediamtx.yml": "a\n" } }, { files: { "mediamtx.yml": "b\n" } }),
      { action: "write", reason: "no container to signal" },
    ],
    [
      "a stopped container",
      () => update(gateway(weights(1)), gateway(weights(3)), { running: false }),
      { action: "write", reason: "the container is not running: it reads the files when it starts" },
    ],
    [
      "the same files with a writable dir missing",
      () => update(gateway(weights(1)), gateway(weights(1))),
      { action: "write", reason: "only writable dirs or initial files were missing; the config is the same" },
    ],
    [
      "a change with a plain signal spec",
      () => update({ files: { "a.cfg": "1\n" }, reload: {} }, { files: { "a.cfg": "2\n" }, reload: {} }),
      { action: "reload", reason: "the files changed" },
    ],
    [
      "a weight and router.lua",
      () => update(gateway(weights(1)), gateway(weights(3), { files: { "router.lua": "-- v2\n" } })),
      reload("router.lua changed"),
    ],
    [
      "a weight and the stats password",
      () => update(gateway(weights(1)), gateway(weights(3), { files: { "secrets.cfg": "userlist x\n" } })),
      reload("secrets.cfg changed"),
    ],
    [
      "a rotated certificate (a secret file one directory deep), weights unchanged",
      () =>
        update(
          gateway(weights(3), { files: { "tls/server.pem": "cert A\n" } }),
          gateway(weights(3), { files: { "tls/server.pem": "cert B\n" } }),
        ),
      reload("tls/server.pem changed"),
    ],
    [
      "a removed file",
      () => update(gateway(weights(1), { files: { "streams.map": "" } }), gateway(weights(3))),
      reload("streams.map changed"),
    ],
    [
      "a change beyond weights (fingerprint)",
      () => update(gateway(weights(1)), gateway(weights(3), { fingerprint: "fp-2" })),
      reload("haproxy.cfg changed beyond server weights"),
    ],
    [
      "an added server",
      () => update(gateway(weights(1)), gateway([...weights(1), w("rtmp", "mtx-3", 1)])),
      reload("the servers changed", [...weights(1), w("rtmp", "mtx-3", 1)]),
    ],
    [
      "a renamed server",
      () => update(gateway(weights(1)), gateway([...weights(1).slice(0, 3), w("hls", "mtx-9", 1)])),
      reload("the servers changed", [...weights(1).slice(0, 3), w("hls", "mtx-9", 1)]),
    ],
    [
      "a server listed twice",
      () => update(gateway(weights(1)), gateway([...weights(3).slice(0, 3), w("rtmp", "mtx-2", 3)])),
      reload("the servers changed", [...weights(3).slice(0, 3), w("rtmp", "mtx-2", 3)]),
    ],
    [
      "other weights with the same files: the files are what runs",
      () =>
        update(gateway(weights(1), { cfg: "same\n" }), gateway(weights(3), { cfg: "same\n" }), {
          liveIsNext: true,
        }),
      { action: "unchanged" },
    ],
    [
      "another config text with the same weights and fingerprint",
      () => update(gateway(weights(1), { cfg: "a\n" }), gateway(weights(1), { cfg: "b\n" })),
      reload("haproxy.cfg changed but neither its fingerprint nor its weights did", weights(1)),
    ],
    [
      "a directory that did not hold the last applied files",
      () => update(gateway(weights(1)), gateway(weights(3)), { liveIsOld: false }),
      reload("the directory did not hold the last applied files"),
    ],
    [
      "a server name that would be a second socket command",
      () => update(gateway([w("rtmp", "a;shutdown", 1)]), gateway([w("rtmp", "a;shutdown", 2)])),
      reload("a weight cannot be sent over the Runtime API", [w("rtmp", "a;shutdown", 2)]),
    ],
    [
      "a weight HAProxy does not take",
      () => update(gateway([w("rtmp", "a", 1)]), gateway([w("rtmp", "a", 300)])),
      reload("a weight cannot be sent over the Runtime API", [w("rtmp", "a", 300)]),
    ],
  ])("%s", (_label, plan, expected) => {
    expect(plan()).toEqual(expected);
  });

  // State written before the weights existed: every change reloads; nothing may throw.
  it.each<[string, AppliedConfig]>([
    ["no weights", { files: gateway(weights(1)).files, reload: { haproxy: { config: "haproxy.cfg" } } }],
    [
      "no fingerprint",
      {
        files: gateway(weights(1)).files,
        reload: { haproxy: { config: "haproxy.cfg", weights: weights(1) } },
      },
    ],
    ["no HAProxy spec", { files: gateway(weights(1)).files, reload: {} }],
    ["no reload spec", { files: gateway(weights(1)).files }],
  ])("reloads over old state with %s", (_label, old) => {
    expect(update(old, gateway(weights(3)))).toEqual(
      reload("the state records no weights for the running haproxy.cfg (an older version wrote it)"),
    );
  });

  it("reloads, pinning nothing, when the new side carries no weights", () => {
    const next: AppliedConfig = {
      files: gateway(weights(3)).files,
      reload: { haproxy: { config: "haproxy.cfg" } },
    };
    expect(update(gateway(weights(1)), next)).toEqual(reload("no weights given for the new haproxy.cfg", []));
  });
});

describe("planApply over rendered stacks", () => {
  const dev = loadFixtureModel("dev");
  const applied = (model: typeof dev): AppliedConfig => ({
    files: { "haproxy.cfg": renderHaproxyConfig(model) },
    reload: {
      haproxy: {
        config: "haproxy.cfg",
        weights: haproxyWeights(model),
        configFingerprint: haproxyConfigFingerprint(model),
      },
    },
  });
  const withInstances = (edit: (i: (typeof dev.instances)[number]) => typeof i) => ({
    ...dev,
    instances: dev.instances.map(edit),
  });

  it("sets a changed instance weight in every weighted backend, in config order", () => {
    const next = withInstances((i) => (i.name === "mtx-2" ? { ...i, weight: 3 } : i));
    expect(update(applied(dev), applied(next))).toEqual({
      action: "runtime",
      commands: [
        "set server rtmp/mtx-2 weight 3",
        "set server hls/mtx-2 weight 3",
        "set server webrtc/mtx-2 weight 3",
      ],
    });
  });

  it("reloads for a health interval change, pinning the configured weights", () => {
    const next = { ...dev, health: { ...dev.health, intervalMs: dev.health.intervalMs * 2 } };
    expect(update(applied(dev), applied(next))).toEqual(
      reload("haproxy.cfg changed beyond server weights", haproxyWeights(next)),
    );
  });
});
