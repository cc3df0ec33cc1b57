import { describe, expect, it } from "vitest";
import {
  defaultSubnet,
  fnv1a32,
  isPinnedImageReference,
  parseDuration,
  parseIpv4,
} from "../../../infra/config/fields";
import type { Model } from "../../../infra/config/model";
import { type ConfigContext, ConfigError, validateConfig } from "../../../infra/config/validate";

const CTX: ConfigContext = { stack: "dev", homeDir: "/home/ops", statsPasswordSet: true };
const ONE = [{ name: "a" }];
const TWO = [{ name: "a" }, { name: "b" }];

/** The error lines `validateConfig` throws; fails the test if it returns or throws something else. */
function errorsOf(
  raw: Readonly<Record<string, unknown>>,
  ctx: Partial<ConfigContext> = {},
): readonly string[] {
  try {
    validateConfig(raw, { ...CTX, ...ctx });
  } catch (error) {
    if (error instanceof ConfigError) return error.errors;
    throw error;
  }
  throw new Error("expected validateConfig to throw a ConfigError");
}

interface BadCase {
  readonly name: string;
  readonly raw: Readonly<Record<string, unknown>>;
  readonly ctx?: Partial<ConfigContext>;
  /** The one and only error line expected: a second line would mean a cascade from the same mistake. */
  readonly error: string;
}

const INSTANCES_ALLOWED = "a list of 1-32 objects {name, weight?, slot?, iceTcpPort?, host?}";
const NAME_ALLOWED = "a DNS label: 1-63 of a-z, 0-9 and '-', no leading or trailing '-'";
const DURATION_LIKE = 'like "500ms", "2s" or "1m"';
const HOST_ALLOWED = "a host name (RFC 1123) or IPv4 address clients can reach, without scheme or port";
const IMAGE_ALLOWED =
  'an image reference pinned by a tag other than latest or an @sha256 digest, like "haproxy:2.8"';
const HOST_DIR_ALLOWED = 'an absolute path (no whitespace, no "." or ".." segments, not "/")';
const TOP_LEVEL_ALLOWED =
  "bindAddress, floatingAddress, gateway, gateways, health, hls, hostDir, hosts, images, instances, limits, logging, ports, privateFloatingAddress, publicHost, publishers, readers, routing, statsPassword, statsUser, subnet, tls";

const BAD: readonly BadCase[] = [
  // instances
  {
    name: "instances missing",
    raw: {},
    error: `mediamtx-lb:instances: required (${INSTANCES_ALLOWED}), got nothing`,
  },
  {
    name: "instances is an object",
    raw: { instances: { name: "a" } },
    error: `mediamtx-lb:instances: must be ${INSTANCES_ALLOWED}, got an object`,
  },
  {
    name: "instances is null",
    raw: { instances: null },
    error: `mediamtx-lb:instances: must be ${INSTANCES_ALLOWED}, got null`,
  },
  {
    name: "instances empty",
    raw: { instances: [] },
    error: `mediamtx-lb:instances: must be ${INSTANCES_ALLOWED}, got an empty list`,
  },
  {
    name: "more than 32 instances",
    raw: { instances: Array.from({ length: 33 }, (_, i) => ({ name: `i${i}` })) },
    error: `mediamtx-lb:instances: must be ${INSTANCES_ALLOWED}, got 33 items`,
  },
  {
    name: "instance is a string",
    raw: { instances: ["a"] },
    error: 'mediamtx-lb:instances[0]: must be an object {name, weight?, slot?, iceTcpPort?, host?}, got "a"',
  },
  {
    name: "instance without name",
    raw: { instances: [{ weight: 2 }] },
    error: `mediamtx-lb:instances[0].name: required (${NAME_ALLOWED}), got nothing`,
  },
  {
    name: "uppercase instance name",
    raw: { instances: [{ name: "a" }, { name: "Edge1" }] },
    error: `mediamtx-lb:instances[1].name: must be ${NAME_ALLOWED}, got "Edge1"`,
  },
  {
    name: "instance name with leading dash",
    raw: { instances: [{ name: "-a" }] },
    error: `mediamtx-lb:instances[0].name: must be ${NAME_ALLOWED}, got "-a"`,
  },
  {
    name: "instance name of 64 chars",
    raw: { instances: [{ name: "a".repeat(64) }] },
    error: `mediamtx-lb:instances[0].name: must be ${NAME_ALLOWED}, got "${"a".repeat(64)}"`,
  },
  {
    name: "instance name with a newline",
    raw: { instances: [{ name: "a\nb" }] },
    error: `mediamtx-lb:instances[0].name: must be ${NAME_ALLOWED}, got "a\\nb"`,
  },
  {
    name: "numeric instance name (config set --path turns 123 into a number)",
    raw: { instances: [{ name: 123 }] },
    error: `mediamtx-lb:instances[0].name: must be ${NAME_ALLOWED}, got 123`,
  },
  {
    name: "duplicate instance names",
    raw: { instances: [{ name: "a" }, { name: "b" }, { name: "a" }] },
    error: 'mediamtx-lb:instances[2].name: must be unique, got "a" (also mediamtx-lb:instances[0].name)',
  },
  {
    name: "weight 300",
    raw: { instances: [{ name: "a" }, { name: "b" }, { name: "c", weight: 300 }] },
    error: "mediamtx-lb:instances[2].weight: must be an integer 0-256, got 300",
  },
  {
    name: "negative weight",
    raw: { instances: [{ name: "a", weight: -1 }] },
    error: "mediamtx-lb:instances[0].weight: must be an integer 0-256, got -1",
  },
  {
    name: "fractional weight",
    raw: { instances: [{ name: "a", weight: 1.5 }] },
    error: "mediamtx-lb:instances[0].weight: must be an integer 0-256, got 1.5",
  },
  {
    name: "weight as a string",
    raw: { instances: [{ name: "a", weight: "5" }] },
    error: 'mediamtx-lb:instances[0].weight: must be an integer 0-256, got "5"',
  },
  {
    name: "all weights 0",
    raw: {
      instances: [
        { name: "a", weight: 0 },
        { name: "b", weight: 0 },
      ],
    },
    error: "mediamtx-lb:instances: at least one instance must have weight 1-256, got all weights 0",
  },
  {
    name: "unknown instance field",
    raw: { instances: [{ name: "a", port: 1935 }] },
    error: "mediamtx-lb:instances[0].port: unknown key (allowed: host, iceTcpPort, name, slot, weight)",
  },
  {
    name: "privileged pinned iceTcpPort",
    raw: { instances: [{ name: "a", iceTcpPort: 80 }] },
    error: "mediamtx-lb:instances[0].iceTcpPort: must be an integer 1024-65535, got 80",
  },
  // health
  {
    name: "health is a string",
    raw: { instances: ONE, health: "fast" },
    error: 'mediamtx-lb:health: must be an object {fall?, interval?, rise?, timeout?}, got "fast"',
  },
  {
    name: "unknown nested health key",
    raw: { instances: ONE, health: { intervall: "2s" } },
    error: "mediamtx-lb:health.intervall: unknown key (allowed: fall, interval, rise, timeout)",
  },
  {
    name: "fall 0",
    raw: { instances: ONE, health: { fall: 0 } },
    error: "mediamtx-lb:health.fall: must be an integer 1-100, got 0",
  },
  {
    name: "rise 101",
    raw: { instances: ONE, health: { rise: 101 } },
    error: "mediamtx-lb:health.rise: must be an integer 1-100, got 101",
  },
  {
    name: 'interval "2 seconds"',
    raw: { instances: ONE, health: { interval: "2 seconds" } },
    error: `mediamtx-lb:health.interval: must be a duration 100ms-60s ${DURATION_LIKE}, got "2 seconds"`,
  },
  {
    name: 'interval "2" (no unit)',
    raw: { instances: ONE, health: { interval: "2" } },
    error: `mediamtx-lb:health.interval: must be a duration 100ms-60s ${DURATION_LIKE}, got "2"`,
  },
  {
    name: "interval empty string",
    raw: { instances: ONE, health: { interval: "" } },
    error: `mediamtx-lb:health.interval: must be a duration 100ms-60s ${DURATION_LIKE}, got ""`,
  },
  {
    name: "interval as a number",
    raw: { instances: ONE, health: { interval: 2 } },
    error: `mediamtx-lb:health.interval: must be a duration 100ms-60s ${DURATION_LIKE}, got 2`,
  },
  {
    name: "interval above 60s",
    raw: { instances: ONE, health: { interval: "2m" } },
    error: `mediamtx-lb:health.interval: must be a duration 100ms-60s ${DURATION_LIKE}, got "2m"`,
  },
  {
    name: "timeout above interval",
    raw: { instances: ONE, health: { interval: "1s", timeout: "1500ms" } },
    error: `mediamtx-lb:health.timeout: must be a duration 50ms-1s (at most health.interval) ${DURATION_LIKE}, got "1500ms"`,
  },
  {
    name: "default timeout above a short interval",
    raw: { instances: ONE, health: { interval: "500ms" } },
    error: `mediamtx-lb:health.timeout: must be a duration 50ms-500ms (at most health.interval) ${DURATION_LIKE}, got nothing (default "1s")`,
  },
  {
    name: "timeout below 50ms",
    raw: { instances: ONE, health: { timeout: "10ms" } },
    error: `mediamtx-lb:health.timeout: must be a duration 50ms-2s (at most health.interval) ${DURATION_LIKE}, got "10ms"`,
  },
  // ports
  {
    name: "port 0",
    raw: { instances: ONE, ports: { rtmp: 0 } },
    error: "mediamtx-lb:ports.rtmp: must be an integer 1024-65535, got 0",
  },
  {
    name: "port above 65535",
    raw: { instances: ONE, ports: { stats: 70000 } },
    error: "mediamtx-lb:ports.stats: must be an integer 1024-65535, got 70000",
  },
  {
    name: "unknown nested ports key",
    raw: { instances: ONE, ports: { rtsp: 8554 } },
    error:
      "mediamtx-lb:ports.rtsp: unknown key (allowed: hls, hlsTls, iceTcpBase, privateBase, rtmp, rtmps, stats, webrtc, webrtcTls, webrtcUdpBase)",
  },
  {
    name: "frontend port collision",
    raw: { instances: ONE, ports: { hls: 1935 } },
    error: "mediamtx-lb:ports.hls: must differ from mediamtx-lb:ports.rtmp, got 1935 for both",
  },
  {
    name: "frontend port vs derived ICE port",
    raw: { instances: ONE, ports: { iceTcpBase: 8888 } },
    error:
      "mediamtx-lb:instances[0].iceTcpPort: must not be one of the ports MediaMTX itself listens on inside the instance (1935, 8888, 8889, 9997, 9998), got 8888 (ports.iceTcpBase + slot 0)",
  },
  {
    name: "ICE port on MediaMTX's own API port (no host clash)",
    raw: { instances: [{ name: "a", iceTcpPort: 9997 }] },
    error:
      "mediamtx-lb:instances[0].iceTcpPort: must not be one of the ports MediaMTX itself listens on inside the instance (1935, 8888, 8889, 9997, 9998), got 9997",
  },
  {
    name: "privileged frontend port",
    raw: { instances: ONE, ports: { hls: 80 } },
    error: "mediamtx-lb:ports.hls: must be an integer 1024-65535, got 80",
  },
  {
    name: "slot out of range",
    raw: { instances: [{ name: "a", slot: 240 }] },
    error: "mediamtx-lb:instances[0].slot: must be an integer 0-239, got 240",
  },
  {
    name: "pinned slot taken by another instance's position",
    raw: { instances: [{ name: "a" }, { name: "b", slot: 0 }] },
    error:
      "mediamtx-lb:instances[1].slot: must be unique, got 0 (also mediamtx-lb:instances[0], its position); pin the slots of the instances after a removed one",
  },
  {
    name: "a removed middle instance without pinned slots",
    raw: { instances: [{ name: "a" }, { name: "c", slot: 2 }, { name: "d" }] },
    error:
      "mediamtx-lb:instances[2].slot: must be unique, got 2, its position (also mediamtx-lb:instances[1]); pin the slots of the instances after a removed one",
  },
  {
    name: "frontend port vs pinned ICE port",
    raw: { instances: [{ name: "a", iceTcpPort: 8404 }] },
    error: "mediamtx-lb:instances[0].iceTcpPort: must differ from mediamtx-lb:ports.stats, got 8404 for both",
  },
  {
    name: "pinned ICE port vs another instance's derived one",
    raw: { instances: [{ name: "a" }, { name: "b", iceTcpPort: 8189 }] },
    error:
      "mediamtx-lb:instances[1].iceTcpPort: must differ from mediamtx-lb:instances[0].iceTcpPort, got 8189 for both",
  },
  {
    name: "derived ICE port beyond 65535",
    raw: { instances: TWO, ports: { iceTcpBase: 65535 } },
    error:
      "mediamtx-lb:instances[1].iceTcpPort: must be at most 65535 (lower ports.iceTcpBase or pin iceTcpPort), got 65536 (ports.iceTcpBase 65535 + slot 1)",
  },
  // top level
  {
    name: "unknown top-level key",
    raw: { instances: ONE, replicas: 3 },
    error: `mediamtx-lb:replicas: unknown key (allowed: ${TOP_LEVEL_ALLOWED})`,
  },
  {
    name: "bindAddress is a name",
    raw: { instances: ONE, bindAddress: "localhost" },
    error: 'mediamtx-lb:bindAddress: must be an IPv4 address (dotted quad) or 0.0.0.0, got "localhost"',
  },
  {
    name: "bindAddress octet above 255",
    raw: { instances: ONE, bindAddress: "256.0.0.1" },
    error: 'mediamtx-lb:bindAddress: must be an IPv4 address (dotted quad) or 0.0.0.0, got "256.0.0.1"',
  },
  {
    name: "bindAddress with a leading zero",
    raw: { instances: ONE, bindAddress: "10.0.0.010" },
    error: 'mediamtx-lb:bindAddress: must be an IPv4 address (dotted quad) or 0.0.0.0, got "10.0.0.010"',
  },
  {
    name: "bindAddress IPv6",
    raw: { instances: ONE, bindAddress: "::1" },
    error: 'mediamtx-lb:bindAddress: must be an IPv4 address (dotted quad) or 0.0.0.0, got "::1"',
  },
  {
    name: "bindAddress 0.0.0.0 without publicHost",
    raw: { instances: ONE, bindAddress: "0.0.0.0" },
    error:
      "mediamtx-lb:publicHost: required when mediamtx-lb:bindAddress is 0.0.0.0 (the host name or IPv4 address clients connect to), got nothing",
  },
  {
    name: "publicHost with a scheme",
    raw: { instances: ONE, publicHost: "http://media.example.com" },
    error: `mediamtx-lb:publicHost: must be ${HOST_ALLOWED}, got "http://media.example.com"`,
  },
  {
    name: "publicHost with a port",
    raw: { instances: ONE, publicHost: "media.example.com:443" },
    error: `mediamtx-lb:publicHost: must be ${HOST_ALLOWED}, got "media.example.com:443"`,
  },
  {
    name: "publicHost 0.0.0.0",
    raw: { instances: ONE, bindAddress: "0.0.0.0", publicHost: "0.0.0.0" },
    error: `mediamtx-lb:publicHost: must be ${HOST_ALLOWED}, got "0.0.0.0"`,
  },
  {
    name: "publicHost that is neither IPv4 nor a name",
    raw: { instances: ONE, publicHost: "300.1.1.1" },
    error: `mediamtx-lb:publicHost: must be ${HOST_ALLOWED}, got "300.1.1.1"`,
  },
  {
    name: "image tag latest",
    raw: { instances: ONE, images: { haproxy: "haproxy:latest" } },
    error: `mediamtx-lb:images.haproxy: must be ${IMAGE_ALLOWED}, got "haproxy:latest"`,
  },
  {
    name: "image without tag",
    raw: { instances: ONE, images: { mediamtx: "bluenviron/mediamtx" } },
    error: `mediamtx-lb:images.mediamtx: must be ${IMAGE_ALLOWED}, got "bluenviron/mediamtx"`,
  },
  {
    name: "image with whitespace",
    raw: { instances: ONE, images: { haproxy: "haproxy: 2.8" } },
    error: `mediamtx-lb:images.haproxy: must be ${IMAGE_ALLOWED}, got "haproxy: 2.8"`,
  },
  {
    name: "image with a short digest",
    raw: { instances: ONE, images: { haproxy: "haproxy@sha256:abc" } },
    error: `mediamtx-lb:images.haproxy: must be ${IMAGE_ALLOWED}, got "haproxy@sha256:abc"`,
  },
  {
    name: "unknown nested images key",
    raw: { instances: ONE, images: { router: "lua:5.4" } },
    error: "mediamtx-lb:images.router: unknown key (allowed: haproxy, keepalived, mediamtx)",
  },
  {
    name: "pollInterval below 100ms",
    raw: { instances: ONE, routing: { pollInterval: "50ms" } },
    error: `mediamtx-lb:routing.pollInterval: must be a duration 100ms-60s ${DURATION_LIKE}, got "50ms"`,
  },
  {
    name: "unknown republish mode",
    raw: { instances: ONE, routing: { republish: "replace" } },
    error: 'mediamtx-lb:routing.republish: must be one of takeover, refuse, got "replace"',
  },
  {
    name: "unknown hls variant",
    raw: { instances: ONE, hls: { variant: "ll" } },
    error: 'mediamtx-lb:hls.variant: must be one of lowLatency, mpegts, fmp4, got "ll"',
  },
  {
    name: "unknown request logging",
    raw: { instances: ONE, logging: { requests: "none" } },
    error: 'mediamtx-lb:logging.requests: must be one of all, errors, got "none"',
  },
  {
    name: "unknown logging key",
    raw: { instances: ONE, logging: { level: "debug" } },
    error: "mediamtx-lb:logging.level: unknown key (allowed: requests)",
  },
  {
    name: "subnet with host bits",
    raw: { instances: ONE, subnet: "10.213.7.5/24" },
    error:
      'mediamtx-lb:subnet: must be an IPv4 /24 CIDR with host bits zero like "10.213.7.0/24", got "10.213.7.5/24"',
  },
  {
    name: "subnet /16",
    raw: { instances: ONE, subnet: "10.213.0.0/16" },
    error:
      'mediamtx-lb:subnet: must be an IPv4 /24 CIDR with host bits zero like "10.213.7.0/24", got "10.213.0.0/16"',
  },
  {
    name: "subnet without prefix",
    raw: { instances: ONE, subnet: "10.213.7.0" },
    error:
      'mediamtx-lb:subnet: must be an IPv4 /24 CIDR with host bits zero like "10.213.7.0/24", got "10.213.7.0"',
  },
  {
    name: "relative hostDir",
    raw: { instances: ONE, hostDir: "state/dev" },
    error: `mediamtx-lb:hostDir: must be ${HOST_DIR_ALLOWED}, got "state/dev"`,
  },
  {
    name: "hostDir with whitespace",
    raw: { instances: ONE, hostDir: "/srv/media lb" },
    error: `mediamtx-lb:hostDir: must be ${HOST_DIR_ALLOWED}, got "/srv/media lb"`,
  },
  {
    name: "hostDir escaping with ..",
    raw: { instances: ONE, hostDir: "/srv/../etc" },
    error: `mediamtx-lb:hostDir: must be ${HOST_DIR_ALLOWED}, got "/srv/../etc"`,
  },
  {
    name: "hostDir /",
    raw: { instances: ONE, hostDir: "/" },
    error: `mediamtx-lb:hostDir: must be ${HOST_DIR_ALLOWED}, got "/"`,
  },
  {
    name: "default hostDir under a home directory with a space",
    raw: { instances: ONE },
    ctx: { homeDir: "/home/o ps" },
    error: `mediamtx-lb:hostDir: must be ${HOST_DIR_ALLOWED}; set it, the default is "/home/o ps/.local/state/mediamtx-lb/dev"`,
  },
  {
    name: "statsUser with a space",
    raw: { instances: ONE, statsUser: "ops admin" },
    error: 'mediamtx-lb:statsUser: must be a user name matching ^[A-Za-z0-9_.-]{1,64}$, got "ops admin"',
  },
  {
    name: "statsPassword not set",
    raw: { instances: ONE },
    ctx: { statsPasswordSet: false },
    error: "mediamtx-lb:statsPassword: required (set it with: pulumi config set --secret statsPassword …)",
  },
  {
    name: "stack name unusable in Docker names",
    raw: { instances: ONE },
    ctx: { stack: "Dev" },
    error: 'stack: must match ^[a-z0-9][a-z0-9_.-]*$ (it prefixes Docker names), got "Dev"',
  },
];

describe("validateConfig: malformed configs", () => {
  it.each(BAD)("$name", ({ raw, ctx, error }) => {
    expect(errorsOf(raw, ctx)).toEqual([error]);
  });

  it("reports every error at once, in key order, one per line", () => {
    let thrown: unknown;
    try {
      validateConfig(
        {
          instances: [{ name: "a", weight: 300 }, { name: "a" }],
          health: { fall: 0 },
          ports: { iceTcpBase: 8888 },
          images: { haproxy: "haproxy:latest" },
          colour: "blue",
        },
        { ...CTX, statsPasswordSet: false },
      );
    } catch (error) {
      thrown = error;
    }
    const expected = [
      `mediamtx-lb:colour: unknown key (allowed: ${TOP_LEVEL_ALLOWED})`,
      "mediamtx-lb:instances[0].weight: must be an integer 0-256, got 300",
      'mediamtx-lb:instances[1].name: must be unique, got "a" (also mediamtx-lb:instances[0].name)',
      "mediamtx-lb:health.fall: must be an integer 1-100, got 0",
      "mediamtx-lb:instances[0].iceTcpPort: must not be one of the ports MediaMTX itself listens on inside the instance (1935, 8888, 8889, 9997, 9998), got 8888 (ports.iceTcpBase + slot 0)",
      "mediamtx-lb:instances[1].iceTcpPort: must not be one of the ports MediaMTX itself listens on inside the instance (1935, 8888, 8889, 9997, 9998), got 8889 (ports.iceTcpBase + slot 1)",
      `mediamtx-lb:images.haproxy: must be ${IMAGE_ALLOWED}, got "haproxy:latest"`,
      "mediamtx-lb:statsPassword: required (set it with: pulumi config set --secret statsPassword …)",
    ];
    expect(thrown).toBeInstanceOf(ConfigError);
    const configError = thrown as ConfigError;
    expect(configError.errors).toEqual(expected);
    expect(configError.message).toBe(expected.join("\n"));
    expect(configError.name).toBe("ConfigError");
  });

  it("never echoes the statsPassword value and does not treat the key as unknown", () => {
    const lines = errorsOf({ instances: ONE, statsPassword: "hunter2", statsUser: "" });
    expect(lines).toEqual([
      'mediamtx-lb:statsUser: must be a user name matching ^[A-Za-z0-9_.-]{1,64}$, got ""',
    ]);
  });

  it("does not report a bad default hostDir on top of a bad stack name", () => {
    expect(errorsOf({ instances: ONE }, { stack: "my stack" })).toEqual([
      'stack: must match ^[a-z0-9][a-z0-9_.-]*$ (it prefixes Docker names), got "my stack"',
    ]);
  });
});

describe("validateConfig: valid configs", () => {
  it("fills in exactly the documented defaults for a minimal config", () => {
    const expected: Model = {
      stack: "dev",
      hosts: [],
      gatewayHost: undefined,
      gatewaySources: ["10.213.57.0/24"],
      instances: [
        {
          name: "a",
          weight: 1,
          index: 0,
          slot: 0,
          iceTcpPort: 8189,
          // fnv1a32("dev") = 0xd55997bc; 0xd55997bc % 250 + 1 = 57
          address: "10.213.57.10",
          containerName: "dev-mediamtx-a",
          resourceName: "dev-mediamtx-a",
          configDir: "/home/ops/.local/state/mediamtx-lb/dev/mediamtx-a",
          iceProxy: "ice_a",
          publishHookUrl: "http://10.213.57.1:9990/auth/a",
          labels: [
            { label: "mediamtx-lb.project", value: "mediamtx-lb" },
            { label: "mediamtx-lb.role", value: "mediamtx" },
            { label: "mediamtx-lb.stack", value: "dev" },
            { label: "mediamtx-lb.instance", value: "a" },
          ],
          host: undefined,
          dial: {
            address: "10.213.57.10",
            rtmp: 1935,
            hls: 8888,
            webrtc: 8889,
            api: 9997,
            metrics: 9998,
            iceTcp: 8189,
          },
          published: [],
          webrtcUdpPort: undefined,
          candidateHosts: ["127.0.0.1"],
        },
      ],
      health: { intervalMs: 2000, timeoutMs: 1000, fall: 3, rise: 2 },
      ports: {
        rtmp: 1935,
        hls: 8888,
        webrtc: 8889,
        iceTcpBase: 8189,
        stats: 8404,
        rtmps: 1936,
        hlsTls: 8443,
        webrtcTls: 8444,
        privateBase: 19000,
        webrtcUdpBase: 8189,
      },
      bindAddress: "127.0.0.1",
      publicHost: "127.0.0.1",
      images: {
        haproxy: "haproxy:2.8",
        mediamtx: "bluenviron/mediamtx:1.20.0",
        keepalived: "mediamtx-lb/keepalived:2.3.3",
      },
      routing: { pollIntervalMs: 1000, republish: "takeover" },
      hls: { variant: "lowLatency" },
      logging: { requests: "all" },
      network: {
        name: "dev-net",
        resourceName: "dev",
        labels: [
          { label: "mediamtx-lb.project", value: "mediamtx-lb" },
          { label: "mediamtx-lb.role", value: "network" },
          { label: "mediamtx-lb.stack", value: "dev" },
        ],
        subnet: "10.213.57.0/24",
        gateway: "10.213.57.1",
      },
      publishHook: { bind: "10.213.57.1:9990", sources: ["10.213.57.0/24"] },
      hostDir: "/home/ops/.local/state/mediamtx-lb/dev",
      stats: { user: "admin" },
      gateway: {
        containerName: "dev-haproxy",
        resourceName: "dev-haproxy",
        configDir: "/home/ops/.local/state/mediamtx-lb/dev/haproxy",
        adminSocket: "/home/ops/.local/state/mediamtx-lb/dev/haproxy/run/admin.sock",
        caFile: "/home/ops/.local/state/mediamtx-lb/dev/haproxy/tls/ca.pem",
        labels: [
          { label: "mediamtx-lb.project", value: "mediamtx-lb" },
          { label: "mediamtx-lb.role", value: "haproxy" },
          { label: "mediamtx-lb.stack", value: "dev" },
        ],
      },
      logSink: {
        containerName: "dev-haproxy-log",
        resourceName: "dev-haproxy-log",
        runDir: "/home/ops/.local/state/mediamtx-lb/dev/haproxy/run",
        labels: [
          { label: "mediamtx-lb.project", value: "mediamtx-lb" },
          { label: "mediamtx-lb.role", value: "log-sink" },
          { label: "mediamtx-lb.stack", value: "dev" },
        ],
      },
      gateways: [
        expect.objectContaining({
          name: "gateway",
          host: undefined,
          priority: 100,
          containerName: "dev-haproxy",
          configDir: "/home/ops/.local/state/mediamtx-lb/dev/haproxy",
          keepalived: undefined,
          localHost: "127.0.0.1",
          logSink: expect.objectContaining({ containerName: "dev-haproxy-log" }),
        }),
      ],
      floating: undefined,
      proxies: {
        stats: "stats",
        rtmp: "rtmp",
        hls: "hls",
        webrtc: "webrtc",
        health: "hls",
        publishHook: "publish_hook",
      },
      resources: {
        images: { haproxy: "dev-image-haproxy", mediamtx: "dev-image-mediamtx" },
        smokeChecks: "dev-smoke",
        tlsCertificate: "dev-tls",
      },
      local: {
        host: "127.0.0.1",
        stats: "http://127.0.0.1:8404",
        hls: "http://127.0.0.1:8888",
        webrtc: "http://127.0.0.1:8889",
        tls: undefined,
      },
      endpoints: {
        rtmp: "rtmp://127.0.0.1:1935",
        hls: "http://127.0.0.1:8888",
        webrtc: "http://127.0.0.1:8889",
        stats: "http://127.0.0.1:8404/stats",
        metrics: "http://127.0.0.1:8404/metrics",
      },
      tls: undefined,
      auth: { publishers: undefined, readers: undefined },
      limits: { httpRequestRate: 2000, httpConnections: 500, rtmpConnections: 20, rtmpConnectionRate: 60 },
    };
    expect(validateConfig({ instances: ONE }, CTX)).toEqual(expected);
  });

  it("maps a fully specified config, keeping config order", () => {
    const digest = `sha256:${"ab".repeat(32)}`;
    const model = validateConfig(
      {
        instances: [
          { name: "edge-2", weight: 0 },
          { name: "edge-1", weight: 256, iceTcpPort: 20000 },
          { name: "edge-3", slot: 5 },
        ],
        health: { interval: "500ms", timeout: "500ms", fall: 1, rise: 100 },
        ports: { rtmp: 1936, hls: 8080, webrtc: 8443, iceTcpBase: 30000, stats: 9000 },
        bindAddress: "0.0.0.0",
        publicHost: "Media.Example.com",
        images: {
          haproxy: "docker.io/library/haproxy:2.8.14",
          mediamtx: `localhost:5000/mediamtx@${digest}`,
        },
        routing: { pollInterval: "1m", republish: "refuse" },
        hls: { variant: "fmp4" },
        logging: { requests: "errors" },
        subnet: "192.168.40.0/24",
        hostDir: "/srv//mediamtx-lb/",
        statsUser: "ops.admin_1",
        statsPassword: "not-inspected",
      },
      { ...CTX, stack: "prod.eu-1" },
    );
    expect(
      model.instances.map(
        ({
          configDir,
          iceProxy,
          resourceName,
          labels,
          publishHookUrl,
          dial,
          published,
          host,
          webrtcUdpPort,
          candidateHosts,
          ...rest
        }) => rest,
      ),
    ).toEqual([
      {
        name: "edge-2",
        weight: 0,
        index: 0,
        slot: 0,
        iceTcpPort: 30000,
        address: "192.168.40.10",
        containerName: "prod.eu-1-mediamtx-edge-2",
      },
      {
        name: "edge-1",
        weight: 256,
        index: 1,
        slot: 1,
        iceTcpPort: 20000,
        address: "192.168.40.11",
        containerName: "prod.eu-1-mediamtx-edge-1",
      },
      {
        name: "edge-3",
        weight: 1,
        index: 2,
        // A pinned slot fixes the address and the derived ICE port, whatever the position.
        slot: 5,
        iceTcpPort: 30005,
        address: "192.168.40.15",
        containerName: "prod.eu-1-mediamtx-edge-3",
      },
    ]);
    expect(model.health).toEqual({ intervalMs: 500, timeoutMs: 500, fall: 1, rise: 100 });
    expect(model.ports).toEqual({
      rtmp: 1936,
      hls: 8080,
      webrtc: 8443,
      iceTcpBase: 30000,
      stats: 9000,
      rtmps: 1936,
      hlsTls: 8443,
      webrtcTls: 8444,
      privateBase: 19000,
      webrtcUdpBase: 8189,
    });
    expect(model.bindAddress).toBe("0.0.0.0");
    expect(model.publicHost).toBe("Media.Example.com");
    expect(model.images).toEqual({
      haproxy: "docker.io/library/haproxy:2.8.14",
      mediamtx: `localhost:5000/mediamtx@${digest}`,
      keepalived: "mediamtx-lb/keepalived:2.3.3",
    });
    expect(model.routing).toEqual({ pollIntervalMs: 60_000, republish: "refuse" });
    expect(model.hls).toEqual({ variant: "fmp4" });
    expect(model.logging).toEqual({ requests: "errors" });
    expect(model.network).toMatchObject({
      name: "prod.eu-1-net",
      subnet: "192.168.40.0/24",
      gateway: "192.168.40.1",
    });
    expect(model.hostDir).toBe("/srv/mediamtx-lb");
    expect(model.stats).toEqual({ user: "ops.admin_1" });
    // Derived names follow the stack and the normalised hostDir.
    expect(model.instances[0]).toMatchObject({
      configDir: "/srv/mediamtx-lb/mediamtx-edge-2",
      iceProxy: "ice_edge-2",
      resourceName: "prod.eu-1-mediamtx-edge-2",
    });
    expect(model.gateway).toMatchObject({
      containerName: "prod.eu-1-haproxy",
      configDir: "/srv/mediamtx-lb/haproxy",
      adminSocket: "/srv/mediamtx-lb/haproxy/run/admin.sock",
    });
    // The host dials the bind address (0.0.0.0 as loopback); clients get the public host.
    expect(model.local).toEqual({
      host: "127.0.0.1",
      stats: "http://127.0.0.1:9000",
      hls: "http://127.0.0.1:8080",
      webrtc: "http://127.0.0.1:8443",
    });
    expect(model.endpoints).toEqual({
      rtmp: "rtmp://Media.Example.com:1936",
      hls: "http://Media.Example.com:8080",
      webrtc: "http://Media.Example.com:8443",
      stats: "http://Media.Example.com:9000/stats",
      metrics: "http://Media.Example.com:9000/metrics",
    });
  });

  it("dials a specific bind address as it is", () => {
    const model = validateConfig({ instances: ONE, bindAddress: "10.1.2.3", ports: { stats: 9404 } }, CTX);
    expect(model.local.stats).toBe("http://10.1.2.3:9404");
  });

  it("accepts 32 instances and a pinned ICE port equal to its own derived one", () => {
    const instances = Array.from({ length: 32 }, (_, i) => ({ name: `i${i}` }));
    const model = validateConfig(
      { instances: [...instances.slice(0, 31), { name: "i31", iceTcpPort: 8220 }] },
      CTX,
    );
    expect(model.instances.map((instance) => instance.iceTcpPort)).toEqual(
      Array.from({ length: 32 }, (_, i) => 8189 + i),
    );
    expect(model.instances[31]?.address).toBe("10.213.57.41");
  });

  it("defaults publicHost to an explicit bindAddress", () => {
    const model = validateConfig({ instances: ONE, bindAddress: "192.0.2.7" }, CTX);
    expect(model.publicHost).toBe("192.0.2.7");
  });

  it("is deterministic: the same config gives an equal model", () => {
    const raw = { instances: TWO, health: { interval: "3s" } };
    expect(validateConfig(raw, CTX)).toEqual(validateConfig(raw, CTX));
  });
});

describe("parseDuration", () => {
  it.each([
    ["500ms", 500],
    ["0ms", 0],
    ["2s", 2000],
    ["1m", 60_000],
    ["007s", 7000],
  ] as const)("%s → %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "2", "2 seconds", "2S", "1.5s", "-1s", "2h", " 2s", "2s ", "ms"])("rejects %j", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe("parseIpv4", () => {
  it.each([
    ["0.0.0.0", [0, 0, 0, 0]],
    ["127.0.0.1", [127, 0, 0, 1]],
    ["255.255.255.255", [255, 255, 255, 255]],
  ] as const)("%s", (text, octets) => {
    expect(parseIpv4(text)).toEqual(octets);
  });

  it.each([
    "",
    "1.2.3",
    "1.2.3.4.5",
    "256.1.1.1",
    "01.2.3.4",
    "1.2.3.-4",
    "a.b.c.d",
    "1.2.3.4 ",
  ])("rejects %j", (text) => {
    expect(parseIpv4(text)).toBeUndefined();
  });
});

describe("isPinnedImageReference", () => {
  const digest = `sha256:${"0123456789abcdef".repeat(4)}`;

  it.each([
    "haproxy:2.8",
    "bluenviron/mediamtx:1.20.0",
    "docker.io/library/haproxy:2.8-alpine",
    "ghcr.io/org/team/image:v1_2.3",
    "localhost:5000/mediamtx:dev",
    `haproxy@${digest}`,
    `haproxy:2.8@${digest}`,
    "my_image__x:1",
  ])("accepts %s", (ref) => {
    expect(isPinnedImageReference(ref)).toBe(true);
  });

  it.each([
    "",
    "haproxy",
    "haproxy:latest",
    `haproxy:latest@${digest}`,
    "Haproxy:2.8",
    "haproxy:",
    "haproxy:.2",
    "haproxy :2.8",
    "haproxy:2.8\n",
    "haproxy@sha256:ABC",
    `haproxy@sha512:${"0".repeat(128)}`,
    `haproxy@${digest}@${digest}`,
    "/haproxy:2.8",
    "org//haproxy:2.8",
    "-org/haproxy:2.8",
    "localhost:5000/mediamtx",
  ])("rejects %j", (ref) => {
    expect(isPinnedImageReference(ref)).toBe(false);
  });
});

describe("defaultSubnet", () => {
  it("uses 32-bit FNV-1a (reference vectors)", () => {
    expect(fnv1a32("")).toBe(0x811c9dc5);
    expect(fnv1a32("a")).toBe(0xe40c292c);
    expect(fnv1a32("foobar")).toBe(0xbf9cf968);
  });

  // Pinned because a different subnet for an existing stack replaces its network and every container.
  it.each([
    ["dev", "10.213.57.0/24"],
    ["prod", "10.213.85.0/24"],
    ["staging", "10.213.173.0/24"],
  ] as const)("%s → %s", (stack, subnet) => {
    expect(defaultSubnet(stack)).toBe(subnet);
  });

  it("is deterministic, stays within 10.213.1-250.0/24 and spreads stacks out", () => {
    const thirdOctets = new Set<number>();
    for (let i = 0; i < 5_000; i++) {
      const stack = `stack-${i.toString(36)}${i % 7 === 0 ? ".eu_1" : ""}`;
      const subnet = defaultSubnet(stack);
      expect(defaultSubnet(stack)).toBe(subnet);
      const match = /^10\.213\.([0-9]+)\.0\/24$/.exec(subnet);
      const octet = Number(match?.[1]);
      expect(octet).toBeGreaterThanOrEqual(1);
      expect(octet).toBeLessThanOrEqual(250);
      thirdOctets.add(octet);
    }
    expect(thirdOctets.size).toBe(250);
  });

  it("yields a subnet validateConfig accepts for any valid stack name", () => {
    for (const stack of ["a", "0", "x.y_z-1", "z".repeat(200)]) {
      const { network } = validateConfig({ instances: ONE }, { ...CTX, stack });
      expect(network.subnet).toBe(defaultSubnet(stack));
      expect(network.gateway).toBe(defaultSubnet(stack).replace(/\.0\/24$/, ".1"));
    }
  });
});
