import { describe, expect, it } from "vitest";
import { validateConfig } from "../../../infra/config/validate";
import {
  adminSocketPath,
  configDrift,
  deployedInstances,
  frontendLimits,
  gatewaySocketPath,
  gatewayStatsUrl,
  instanceMetricsUrl,
  parseOutputs,
  pathsListUrl,
  pulumiFailure,
  rawConfigFromPulumiJson,
  StackNotUpError,
} from "../../../infra/status/deployment";
import { loadFixtureModel } from "../../support/stack-fixtures";
import { container } from "./inputs";

/** `scripts/pulumi config --json` of a stack like dev, as Pulumi prints it. */
const CONFIG_JSON = {
  "mediamtx-lb:images": {
    value: '{"haproxy":"mediamtx-lb/haproxy:3.0","mediamtx":"mediamtx-lb/mediamtx:1.20.0"}',
    objectValue: { haproxy: "mediamtx-lb/haproxy:3.0", mediamtx: "mediamtx-lb/mediamtx:1.20.0" },
    secret: false,
  },
  "mediamtx-lb:instances": {
    value: '[{"name":"mtx-1","weight":2},{"name":"mtx-2","weight":1}]',
    objectValue: [
      { name: "mtx-1", weight: 2 },
      { name: "mtx-2", weight: 1 },
    ],
    secret: false,
  },
  "mediamtx-lb:subnet": { value: "10.213.204.0/24", secret: false },
  "mediamtx-lb:statsPassword": { secret: true },
  "other:key": { value: "x", secret: false },
};

const model = (raw = rawConfigFromPulumiJson(CONFIG_JSON), stack = "s1") =>
  validateConfig(raw, { stack, homeDir: "/home/op", statsPasswordSet: true });

describe("rawConfigFromPulumiJson", () => {
  it("takes objects from objectValue and scalars from value, without the secret or other namespaces", () => {
    expect(rawConfigFromPulumiJson(CONFIG_JSON)).toEqual({
      images: { haproxy: "mediamtx-lb/haproxy:3.0", mediamtx: "mediamtx-lb/mediamtx:1.20.0" },
      instances: [
        { name: "mtx-1", weight: 2 },
        { name: "mtx-2", weight: 1 },
      ],
      subnet: "10.213.204.0/24",
    });
  });
});

describe("parseOutputs", () => {
  it("reads the deployed instances", () => {
    expect(
      parseOutputs("s1", {
        instances: [{ name: "mtx-1", weight: 2, container: "s1-mediamtx-mtx-1", iceTcpPort: 1 }],
      }),
    ).toEqual([{ name: "mtx-1", weight: 2, container: "s1-mediamtx-mtx-1" }]);
  });

  it("reads each instance's host when the stack has hosts", () => {
    expect(
      parseOutputs("s1", { instances: [{ name: "b1", weight: 1, container: "c", host: "h2" }] }),
    ).toEqual([{ name: "b1", weight: 1, container: "c", host: "h2" }]);
  });

  it("calls a stack without outputs not up, in one line", () => {
    expect(() => parseOutputs("s1", {})).toThrow(StackNotUpError);
    expect(() => parseOutputs("s1", {})).toThrow(
      "stack s1 is not up: its state has no deployment (bring it up with scripts/up s1)",
    );
  });
});

describe("pulumiFailure", () => {
  it("turns Pulumi's missing-stack error into not up", () => {
    const err = pulumiFailure("nosuch", "stack output --json", "error: no stack named 'nosuch' found\n");
    expect(err).toBeInstanceOf(StackNotUpError);
    expect(err.message).toBe(
      "stack nosuch is not up: it has no Pulumi state (bring it up with scripts/up nosuch)",
    );
  });

  it("keeps any other failure as itself, first line only", () => {
    const err = pulumiFailure("dev", "config get statsPassword", "\nerror: incorrect passphrase\nmore\n");
    expect(err).not.toBeInstanceOf(StackNotUpError);
    expect(err.message).toBe(
      "scripts/pulumi config get statsPassword --stack dev failed: error: incorrect passphrase",
    );
  });
});

describe("deployedInstances and configDrift", () => {
  it("uses the config's static address and the output's container name", () => {
    const outputs = [{ name: "mtx-1", weight: 2, container: "s1-mediamtx-mtx-1" }];
    expect(deployedInstances(outputs, model(), [])).toEqual([
      { name: "mtx-1", weight: 2, address: "10.213.204.10", containerName: "s1-mediamtx-mtx-1" },
    ]);
  });

  it("falls back to Docker's address for an instance removed from the config but still deployed", () => {
    const outputs = [{ name: "old", weight: 1, container: undefined }];
    const containers = [container("s1-mediamtx-old", { addresses: { "s1-net": "10.213.204.15" } })];
    expect(deployedInstances(outputs, model(), containers)).toEqual([
      { name: "old", weight: 1, address: "10.213.204.15", containerName: "s1-mediamtx-old" },
    ]);
    expect(configDrift(outputs, model())).toEqual([
      "old deployed but no longer in the config",
      "mtx-1 in the config but not deployed",
      "mtx-2 in the config but not deployed",
    ]);
  });
});

describe("deployedInstances with hosts", () => {
  const hosts = loadFixtureModel("hosts");

  it("adds the host and where the API and metrics answer: the host's private address, published ports", () => {
    const outputs = [{ name: "b2", weight: 1, container: "hosts-mediamtx-b2", host: "h2" }];
    expect(deployedInstances(outputs, hosts, [])).toEqual([
      {
        name: "b2",
        weight: 1,
        address: expect.any(String),
        containerName: "hosts-mediamtx-b2",
        host: "h2",
        dial: { address: "10.9.0.12", api: 19075, metrics: 19076 },
      },
    ]);
  });

  it("takes the address of a removed instance from the container on its own host", () => {
    const outputs = [{ name: "old", weight: 1, container: undefined, host: "h3" }];
    const containers = [
      { ...container("hosts-mediamtx-old", { addresses: { "hosts-net": "10.0.0.99" } }), host: "h1" },
      { ...container("hosts-mediamtx-old", { addresses: { "hosts-net": "10.0.0.15" } }), host: "h3" },
    ];
    expect(deployedInstances(outputs, hosts, containers)).toEqual([
      {
        name: "old",
        weight: 1,
        address: "10.0.0.15",
        containerName: "hosts-mediamtx-old",
        host: "h3",
        dial: { address: "10.0.0.15", api: 9997, metrics: 9998 },
      },
    ]);
  });
});

describe("endpoints", () => {
  it("finds the admin socket below HAProxy's bind mount, else below the config's hostDir", () => {
    const haproxy = container("s1-haproxy", {
      mounts: [{ source: "/srv/mlb/s1/haproxy", destination: "/usr/local/etc/haproxy" }],
    });
    expect(adminSocketPath(model(), haproxy)).toBe("/srv/mlb/s1/haproxy/run/admin.sock");
    expect(adminSocketPath(model(), undefined)).toBe(
      "/home/op/.local/state/mediamtx-lb/s1/haproxy/run/admin.sock",
    );
  });

  it("a pair: each gateway's own socket and stats frontend, on its own host", () => {
    const pair = loadFixtureModel("pair");
    const [ga, gb] = pair.gateways;
    if (ga === undefined || gb === undefined) throw new Error("fixture");
    expect(gatewaySocketPath(gb, undefined)).toBe(
      "/home/tester/.local/state/mediamtx-lb/pair/haproxy-gb/run/admin.sock",
    );
    const moved = container(gb.containerName, {
      mounts: [{ source: "/srv/pair/haproxy-gb", destination: "/usr/local/etc/haproxy" }],
    });
    expect(gatewaySocketPath(gb, moved)).toBe("/srv/pair/haproxy-gb/run/admin.sock");
    expect([gatewayStatsUrl(ga), gatewayStatsUrl(gb)]).toEqual([
      "http://198.51.100.11:8404",
      "http://198.51.100.12:8404",
    ]);
  });

  it("builds MediaMTX URLs on the stack network", () => {
    expect(instanceMetricsUrl("10.0.0.10")).toBe("http://10.0.0.10:9998/metrics");
    expect(pathsListUrl("10.0.0.10", 2)).toBe("http://10.0.0.10:9997/v3/paths/list?itemsPerPage=500&page=2");
  });

  it("builds them on published ports with hosts", () => {
    expect(instanceMetricsUrl("10.9.0.12", 19076)).toBe("http://10.9.0.12:19076/metrics");
    expect(pathsListUrl("10.9.0.12", 0, 19075)).toBe(
      "http://10.9.0.12:19075/v3/paths/list?itemsPerPage=500&page=0",
    );
  });
});

describe("frontendLimits", () => {
  it("names each limited frontend's counters, leaving out limits that are 0", () => {
    expect(frontendLimits(model())).toEqual([
      {
        frontend: "hls",
        limits: [
          { counter: "http_req_rate", limit: 2000 },
          { counter: "conn_cur", limit: 500 },
        ],
      },
      {
        frontend: "webrtc",
        limits: [
          { counter: "http_req_rate", limit: 2000 },
          { counter: "conn_cur", limit: 500 },
        ],
      },
      {
        frontend: "rtmp",
        limits: [
          { counter: "conn_cur", limit: 20 },
          { counter: "conn_rate", limit: 60 },
        ],
      },
    ]);
    const raw = {
      ...rawConfigFromPulumiJson(CONFIG_JSON),
      limits: { httpConnections: 0, rtmpConnections: 0, rtmpConnectionRate: 0 },
    };
    expect(frontendLimits(model(raw))).toEqual([
      { frontend: "hls", limits: [{ counter: "http_req_rate", limit: 2000 }] },
      { frontend: "webrtc", limits: [{ counter: "http_req_rate", limit: 2000 }] },
      { frontend: "rtmp", limits: [] },
    ]);
  });
});
