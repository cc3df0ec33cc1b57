// The bench stack: its own name, ports (26000-26999) and subnet, so it runs beside dev and e2e stacks
// without touching them. Pure: spec → the `mediamtx-lb:` config the stack reads.

import type { Model } from "../../infra/config/model";
import { validateConfig } from "../../infra/config/validate";
import { localImages, localKeepalivedImage } from "../../scripts/lib/versions";

export const BENCH_STACK = "bench";
const BENCH_SUBNET_PREFIX = "10.213.206";
const BENCH_PORTS = {
  rtmp: 26935,
  hls: 26888,
  webrtc: 26889,
  iceTcpBase: 26189,
  stats: 26404,
  rtmps: 26936,
  hlsTls: 26443,
  webrtcTls: 26444,
} as const;
/** The plain proxy listens on PLAIN_PORT_BASE + i (logged like the stack) and BARE_PORT_BASE + i (no
 * log) for instance i (see plain-proxy.ts). */
export const PLAIN_PORT_BASE = 26801;
export const BARE_PORT_BASE = 26821;
export const STATS_USER = "admin";
/** A throw-away stack on loopback: a fixed, plain password is fine here. */
export const STATS_PASSWORD = "bench-stats-password";
/** The images scripts/bootstrap builds, tagged with the pins in versions.env. */
export const IMAGES = localImages();
/** Instance names in config order; 8 is the largest growth step. */
const INSTANCE_NAMES = ["a", "b", "c", "d", "e", "f", "g", "h"] as const;

export interface BenchHealth {
  /** Duration strings as the stack config takes them ("2s"). */
  readonly interval: string;
  readonly timeout: string;
  readonly fall: number;
  readonly rise: number;
}

/** The project's documented defaults, written out so the report can quote them. */
export const DEFAULT_HEALTH: BenchHealth = { interval: "2s", timeout: "1s", fall: 3, rise: 2 };
export const DEFAULT_POLL_INTERVAL = "1s";

export interface BenchSpec {
  readonly instances: number;
  /** Weight per instance name; 1 when not listed. */
  readonly weights?: Readonly<Record<string, number>>;
  readonly health?: BenchHealth;
  readonly pollInterval?: string;
}

export function instanceNames(count: number): string[] {
  if (count < 1 || count > INSTANCE_NAMES.length) {
    throw new Error(`bench: instances must be 1-${INSTANCE_NAMES.length}, got ${count}`);
  }
  return INSTANCE_NAMES.slice(0, count);
}

/**
 * The bench stack as the program models it, with every instance the bench may run (`spec` defaults to
 * the largest): container names, addresses, the admin socket and the stats URL come from the program's
 * own derivation (infra/config/names.ts), so a rename there reaches the bench at compile time.
 */
export function benchModel(hostDir: string, spec: BenchSpec = { instances: INSTANCE_NAMES.length }): Model {
  const model = validateConfig(benchStackConfig(spec, hostDir), {
    stack: BENCH_STACK,
    homeDir: hostDir,
    statsPasswordSet: true,
  });
  // The bench stack runs TLS beside its plain listeners (tls.plain: on) so the data plane can measure
  // HTTPS next to HTTP on the same frontend (target `tls`). Every other scenario keeps measuring the
  // plain listeners it measured before TLS existed, so their figures stay comparable.
  const host = model.local.host;
  return {
    ...model,
    local: {
      ...model.local,
      hls: `http://${host}:${model.ports.hls}`,
      webrtc: `http://${host}:${model.ports.webrtc}`,
      tls: undefined,
    },
  };
}

/** `mediamtx-lb:` keys (short) → values for one spec. */
export function benchStackConfig(spec: BenchSpec, hostDir: string): Record<string, unknown> {
  return {
    images: { ...IMAGES },
    instances: instanceNames(spec.instances).map((name) => ({ name, weight: spec.weights?.[name] ?? 1 })),
    health: { ...(spec.health ?? DEFAULT_HEALTH) },
    ports: { ...BENCH_PORTS },
    routing: { pollInterval: spec.pollInterval ?? DEFAULT_POLL_INTERVAL },
    subnet: `${BENCH_SUBNET_PREFIX}.0/24`,
    hostDir,
    statsUser: STATS_USER,
    statsPassword: STATS_PASSWORD,
    limits: { ...BENCH_LIMITS },
    // HTTPS beside HTTP on the same frontends: the data plane's `tls` target (benchModel keeps the
    // other scenarios on the plain listeners).
    tls: { selfSigned: true, plain: "on" },
  };
}

/** The host-loss scenario's own stack (bench/scenarios/host-loss.ts), in its own state backend. */
export const HOST_LOSS_STACK = "bench-hosts";

/** A test host as the host-loss stack needs it (test/support/test-hosts.ts TestHost). */
export interface LabHost {
  readonly docker: string;
  readonly address: string;
  readonly privateAddress: string;
}

/**
 * The host-loss stack: the lab's hosts as h1..hN, `perHost` instances on each (h2-a, h2-b, …), the
 * gateway on h1 and bound on every address of its namespace, clients told to use h1's public address.
 * Same health, poll interval and limits as the bench stack, the default ports (each namespace has its own).
 */
export function hostLossStackConfig(
  hosts: readonly LabHost[],
  perHost: number,
  hostDir: string,
  health: BenchHealth = DEFAULT_HEALTH,
): Record<string, unknown> {
  const names = hosts.map((_, i) => `h${i + 1}`);
  const gateway = hosts[0];
  if (gateway === undefined) throw new Error("bench host-loss: the lab has no host");
  return {
    images: { ...IMAGES },
    hosts: hosts.map((h, i) => ({
      name: names[i],
      docker: h.docker,
      address: h.address,
      privateAddress: h.privateAddress,
    })),
    gateway: { host: names[0] },
    bindAddress: "0.0.0.0",
    publicHost: gateway.address,
    instances: names.flatMap((host) =>
      INSTANCE_NAMES.slice(0, perHost).map((suffix) => ({ name: `${host}-${suffix}`, host })),
    ),
    health: { ...health },
    routing: { pollInterval: DEFAULT_POLL_INTERVAL },
    hostDir,
    statsUser: STATS_USER,
    statsPassword: STATS_PASSWORD,
    limits: { ...BENCH_LIMITS },
  };
}

/** The gateway-failover scenario's own stack (bench/scenarios/gateway-failover.ts), in its own state backend. */
export const GATEWAY_PAIR_STACK = "bench-pair";

/** Checks as test/e2e/gateway-pair.test.ts runs them: the pair's figures are read beside that test's. */
export const GATEWAY_PAIR_HEALTH: BenchHealth = { interval: "1s", timeout: "500ms", fall: 2, rise: 1 };

/**
 * The gateway pair as test/e2e/gateway-pair.test.ts configures it: gateway ga on h1, gb on h2 (equal
 * priorities: the holder keeps the address), both instances on h3 (cutting either gateway's host loses
 * no instance), `floating` and `privateFloating` held by keepalived. Only the stats credentials differ (the bench's own).
 * Couplings: the e2e's config in its beforeAll; change both together.
 */
export function gatewayPairStackConfig(
  hosts: readonly LabHost[],
  floating: string,
  privateFloating: string,
  hostDir: string,
): Record<string, unknown> {
  if (hosts.length < 3) throw new Error(`bench gateway-failover: needs 3 lab hosts, got ${hosts.length}`);
  return {
    images: { ...IMAGES, keepalived: localKeepalivedImage() },
    hosts: hosts.map((h, i) => ({
      name: `h${i + 1}`,
      docker: h.docker,
      address: h.address,
      privateAddress: h.privateAddress,
    })),
    gateways: [
      { name: "ga", host: "h1" },
      { name: "gb", host: "h2" },
    ],
    floatingAddress: floating,
    privateFloatingAddress: privateFloating,
    instances: [
      { name: "h3-a", host: "h3" },
      { name: "h3-b", host: "h3" },
    ],
    health: { ...GATEWAY_PAIR_HEALTH },
    routing: { pollInterval: DEFAULT_POLL_INTERVAL },
    hostDir,
    statsUser: STATS_USER,
    statsPassword: STATS_PASSWORD,
  };
}

/**
 * Every abuse limit at its maximum: the load generators are one address doing far more than a client
 * would (wrk: thousands of requests a second), so the defaults would answer them 429. At the maximum
 * the stick tables still track every request, so their cost stays in the figures, and nothing is refused.
 */
const BENCH_LIMITS = {
  httpRequestRate: 1_000_000,
  httpConnections: 1_000_000,
  rtmpConnections: 1_000_000,
  rtmpConnectionRate: 1_000_000,
} as const;

/** "2s" / "500ms" → milliseconds (the subset the bench writes). */
export function durationMs(text: string): number {
  const m = /^(\d+)(ms|s)$/.exec(text);
  if (!m) throw new Error(`bench: cannot read duration '${text}'`);
  return Number(m[1]) * (m[2] === "s" ? 1000 : 1);
}
