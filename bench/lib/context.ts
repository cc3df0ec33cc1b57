// Everything a measurement needs, built once by main.ts.

import type { Model } from "../../infra/config/model";
import type { StatsEndpoint } from "../../infra/haproxy/stats-frontend";
import type { BenchStack, WorkPaths } from "./bench-stack";
import { openSession } from "./hls";
import { findOwner, type Owner } from "./instances";
import type { Clips, Publishers } from "./media";
import { docker, waitFor } from "./process";
import type { Profile } from "./profile";

export interface BenchContext {
  /** The bench stack as the program models it (benchModel): every container name, address and URL. */
  readonly model: Model;
  readonly work: WorkPaths;
  readonly stack: BenchStack;
  readonly stats: StatsEndpoint;
  readonly publishers: Publishers;
  readonly clips: Clips;
  readonly profile: Profile;
  readonly log: (message: string) => void;
}

/** The Linux bridge of the stack network (Docker names it br-<first 12 hex of the network id>). */
export async function bridgeInterface(model: Model): Promise<string> {
  const [id, name] = (
    await docker([
      "network",
      "inspect",
      model.network.name,
      "-f",
      '{{.Id}}|{{index .Options "com.docker.network.bridge.name"}}',
    ])
  ).split("|");
  return name && name !== "<no value>" ? name : `br-${(id ?? "").slice(0, 12)}`;
}

/** Waits until `stream` is ready on some instance and plays through `base`. */
export async function waitPlayable(
  model: Model,
  instances: number,
  stream: string,
  base = model.local.hls,
): Promise<Owner> {
  const owner = await waitFor(
    `${stream} ready on an instance`,
    () => findOwner(model, instances, stream),
    30_000,
    200,
  );
  await waitFor(`${stream} playable through ${base}`, () => openSession(base, stream), 30_000, 500);
  return owner;
}
