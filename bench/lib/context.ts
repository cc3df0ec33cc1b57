// Everything a measurement needs, built once by main.ts.
import type { StatsEndpoint } from "../../infra/haproxy/stats-frontend";
import type { BenchStack, WorkPaths } from "./bench-stack";
import { openSession } from "./hls";
import { findOwner, type Owner } from "./instances";
import type { Clips, Publishers } from "./media";
import { docker, waitFor } from "./process";
import type { Profile } from "./profile";
import { BENCH_PORTS, BENCH_STACK } from "./stack-config";

export interface BenchContext {
  readonly work: WorkPaths;
  readonly stack: BenchStack;
  readonly stats: StatsEndpoint;
  readonly publishers: Publishers;
  readonly clips: Clips;
  readonly profile: Profile;
  readonly log: (message: string) => void;
}

export const HLS_BASE = `http://127.0.0.1:${BENCH_PORTS.hls}`;
export const RTMP_BASE = `rtmp://127.0.0.1:${BENCH_PORTS.rtmp}`;
export const STATS_BASE = `http://127.0.0.1:${BENCH_PORTS.stats}`;
export const GATEWAY_CONTAINER = `${BENCH_STACK}-haproxy`;
export const ADMIN_SOCKET_IN_HOST_DIR = "haproxy/run/admin.sock";

export function instanceContainer(name: string): string {
  return `${BENCH_STACK}-mediamtx-${name}`;
}

/** The Linux bridge of the stack network (Docker names it br-<first 12 hex of the network id>). */
export async function bridgeInterface(): Promise<string> {
  const [id, name] = (
    await docker([
      "network",
      "inspect",
      `${BENCH_STACK}-net`,
      "-f",
      '{{.Id}}|{{index .Options "com.docker.network.bridge.name"}}',
    ])
  ).split("|");
  return name && name !== "<no value>" ? name : `br-${(id ?? "").slice(0, 12)}`;
}

/** Waits until `stream` is ready on some instance and plays through `base`. */
export async function waitPlayable(instances: number, stream: string, base = HLS_BASE): Promise<Owner> {
  const owner = await waitFor(
    `${stream} ready on an instance`,
    () => findOwner(instances, stream),
    30_000,
    200,
  );
  await waitFor(`${stream} playable through ${base}`, () => openSession(base, stream), 30_000, 500);
  return owner;
}
