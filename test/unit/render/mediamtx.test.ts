import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import type { HlsVariant, InstanceModel, Model } from "../../../infra/config/model";
import { MEDIAMTX_PORTS } from "../../../infra/config/model";
import { renderMediamtxConfig, toMediamtxView } from "../../../infra/render/mediamtx";
import { testInstances, testModel } from "../../support/model";

const INSTANCES = testInstances([{ name: "a" }, { name: "b" }, { name: "c", iceTcpPort: 9000 }]);

/** Candidates name the public host without `hosts` (validateConfig sets candidateHosts so). */
function model(overrides: Partial<Model> = {}): Model {
  const publicHost = overrides.publicHost ?? "media.example.com";
  const instances = INSTANCES.map((i) => ({ ...i, candidateHosts: [publicHost] }));
  return testModel({ instances, publicHost, ...overrides });
}

const FIRST = INSTANCES[0] as InstanceModel;

/** The rendered file as MediaMTX's YAML loader would see it. */
function parsed(
  m: Model = model(),
  i: InstanceModel = m.instances[0] as InstanceModel,
): Record<string, unknown> {
  const doc: unknown = load(renderMediamtxConfig(m, i));
  if (typeof doc !== "object" || doc === null) throw new Error("not a mapping");
  return doc as Record<string, unknown>;
}

describe("toMediamtxView", () => {
  it.each([
    ["127.0.0.1", '["127.0.0.1"]'],
    ["media.example.com", '["media.example.com"]'],
  ])("advertises publicHost %s as %s", (publicHost, additionalHosts) => {
    const m = model({ publicHost });
    expect(toMediamtxView(m, m.instances[0] as InstanceModel).additionalHosts).toBe(additionalHosts);
  });

  it("names the instance in the publish hook URL, and trusts the subnet as proxy", () => {
    const view = toMediamtxView(model(), FIRST);
    expect(view.publishHookUrl).toBe(`"http://10.213.7.1:9990/auth/${FIRST.name}"`);
    expect(view.trustedProxies).toBe('["10.213.7.0/24"]');
  });

  it.each(
    INSTANCES.map((i) => [i.name, i.iceTcpPort] as const),
  )("instance %s listens for ICE-TCP on %i", (name, port) => {
    const target = INSTANCES.find((i) => i.name === name) as InstanceModel;
    expect(toMediamtxView(model(), target)).toMatchObject({ name, iceTcpPort: port });
  });
});

describe("renderMediamtxConfig", () => {
  it("is deterministic, \\n-only and ends with exactly one newline", () => {
    const text = renderMediamtxConfig(model(), FIRST);
    expect(renderMediamtxConfig(model(), FIRST)).toBe(text);
    expect(text).not.toContain("\r");
    expect(text.endsWith("\n") && !text.endsWith("\n\n")).toBe(true);
  });

  it.each([
    ["logLevel", "info"],
    ["api", true],
    ["apiAddress", `:${MEDIAMTX_PORTS.api}`],
    ["metrics", true],
    ["metricsAddress", `:${MEDIAMTX_PORTS.metrics}`],
    ["rtsp", false],
    ["srt", false],
    ["moq", false],
    ["rtmp", true],
    ["rtmpEncryption", "no"],
    ["rtmpAddress", `:${MEDIAMTX_PORTS.rtmp}`],
    ["hls", true],
    ["hlsAddress", `:${MEDIAMTX_PORTS.hls}`],
    ["hlsTrustedProxies", ["10.213.7.0/24"]],
    ["webrtc", true],
    ["webrtcAddress", `:${MEDIAMTX_PORTS.webrtc}`],
    ["webrtcTrustedProxies", ["10.213.7.0/24"]],
    ["webrtcLocalUDPAddress", ""],
    ["webrtcLocalTCPAddress", ":8189"],
    ["webrtcIPsFromInterfaces", false],
    ["webrtcAdditionalHosts", ["media.example.com"]],
    ["paths", { all_others: null }],
  ])("sets %s to %j", (key, value) => {
    expect(parsed()[key]).toEqual(value);
  });

  it.each(["lowLatency", "mpegts", "fmp4"] as const)("sets hlsVariant %s", (variant: HlsVariant) => {
    expect(parsed(model({ hls: { variant } })).hlsVariant).toBe(variant);
  });

  it.each(
    INSTANCES.map((i) => [i.name, `:${i.iceTcpPort}`] as const),
  )("instance %s listens for ICE-TCP on %s (the port HAProxy forwards 1:1)", (name, address) => {
    const target = INSTANCES.find((i) => i.name === name) as InstanceModel;
    expect(parsed(model(), target).webrtcLocalTCPAddress).toBe(address);
  });

  it("asks the gateway's hook for publish, api and metrics, never for read or playback", () => {
    const doc = parsed();
    expect(doc.authMethod).toBe("http");
    expect(doc.authHTTPAddress).toBe(`http://10.213.7.1:9990/auth/${FIRST.name}`);
    expect(doc.authHTTPExclude).toEqual([{ action: "read" }, { action: "playback" }]);
    expect(doc.authInternalUsers).toBeUndefined();
  });

  it("listens on no port other than MEDIAMTX_PORTS and the instance's ICE-TCP port", () => {
    const doc = parsed();
    // authHTTPAddress is where MediaMTX calls out to, not a listener.
    const addresses = Object.entries(doc).filter(
      ([key]) => key.endsWith("Address") && key !== "authHTTPAddress",
    );
    const allowed = new Set([...Object.values(MEDIAMTX_PORTS).map((p) => `:${p}`), ":8189", ""]);
    for (const [key, value] of addresses) expect(allowed.has(String(value)), key).toBe(true);
  });

  it("keeps an IP-literal public host a string", () => {
    const m = model({ publicHost: "203.0.113.7" });
    expect(parsed(m, m.instances[0] as InstanceModel).webrtcAdditionalHosts).toEqual(["203.0.113.7"]);
  });
});
