// Rules over several config keys at once: unique instance names and slots, at least one weight above 0,
// derived ICE-TCP ports in range, and no two listeners on one port. Each takes values the readers in
// fields.ts already checked (`undefined` where a reader recorded an error, so one mistake is one line)
// and records its own lines into the same `Problems`. Pure.

import { describe, isRecord } from "../lib/untyped";
import { MEDIAMTX_PORTS, type PortsModel } from "./model";
import { at, type Problems } from "./problems";

/** What the rules need of one instance after its keys were read; `undefined` where a reader failed. */
export interface InstanceDraft {
  readonly index: number;
  readonly name: string | undefined;
  readonly weight: number | undefined;
  /** Fixes the address (.10 + slot) and the derived ICE port; the position unless pinned. */
  readonly slot: number | undefined;
  /** A pinned port, or "derived" (iceTcpBase + slot). */
  readonly iceTcpPort: number | "derived" | undefined;
}

/** Frontend port keys, in the order collisions are reported. */
export type FrontendPortKey = "rtmp" | "hls" | "webrtc" | "stats" | "rtmps" | "hlsTls" | "webrtcTls";

/**
 * The frontend ports HAProxy binds on the host for a `tls` value (raw: this runs before `tls` is read, so
 * it only looks at whether the key is there and at `tls.plain`). Without TLS: the plain ones, as before.
 */
export function boundFrontendPorts(rawTls: unknown): readonly FrontendPortKey[] {
  if (rawTls === undefined) return ["rtmp", "hls", "webrtc", "stats"];
  const plain = isRecord(rawTls) ? rawTls.plain : undefined;
  const plainHttp: FrontendPortKey[] = plain === "redirect" || plain === "on" ? ["hls", "webrtc"] : [];
  const plainRtmp: FrontendPortKey[] = plain === "on" ? ["rtmp"] : [];
  return [...plainRtmp, ...plainHttp, "stats", "rtmps", "hlsTls", "webrtcTls"];
}

/** Instance names name containers and HAProxy servers, so each may occur once. */
export class UniqueNames {
  private readonly firstIndex = new Map<string, number>();

  /** Records an error on `instances[index].name` when an earlier instance has the same name. */
  check(problems: Problems, index: number, name: string | undefined): void {
    if (name === undefined) return;
    const first = this.firstIndex.get(name);
    if (first === undefined) {
      this.firstIndex.set(name, index);
      return;
    }
    problems.add(
      `instances[${index}].name`,
      `must be unique, got ${describe(name)} (also ${at(`instances[${first}].name`)})`,
    );
  }
}

/**
 * The slot, not the position, fixes the address: removing an instance from the middle of the list must
 * not move (and so replace) the ones after it once their slots are pinned. Two instances on one slot
 * would share an address and an ICE port.
 */
export class UniqueSlots {
  private readonly first = new Map<number, { readonly index: number; readonly pinned: boolean }>();

  /**
   * `slot` when no earlier instance holds it; otherwise records an error and returns undefined, so the
   * clash is not reported a second time through its derived ICE port. `pinned`: the slot was set, not
   * taken from the position.
   */
  claim(problems: Problems, index: number, slot: number | undefined, pinned: boolean): number | undefined {
    if (slot === undefined) return undefined;
    const first = this.first.get(slot);
    if (first === undefined) {
      this.first.set(slot, { index, pinned });
      return slot;
    }
    const how = (isPinned: boolean) => (isPinned ? "" : ", its position");
    problems.add(
      `instances[${index}].slot`,
      `must be unique, got ${slot}${how(pinned)} (also ${at(`instances[${first.index}]`)}${how(first.pinned)}); pin the slots of the instances after a removed one`,
    );
    return undefined;
  }
}

/** Weight 0 drains an instance; draining all of them would leave HAProxy with no server for new sessions. */
export function checkSomeWeight(problems: Problems, instances: readonly InstanceDraft[]): void {
  if (instances.every((instance) => instance.weight === 0)) {
    problems.add("instances", "at least one instance must have weight 1-256, got all weights 0");
  }
}

/** Resolves each instance's ICE-TCP port (pinned or iceTcpBase + slot); undefined where unknown. */
export function resolveIcePorts(
  problems: Problems,
  instances: readonly InstanceDraft[],
  iceTcpBase: number | undefined,
): readonly (number | undefined)[] {
  return instances.map((instance) => {
    if (instance.iceTcpPort !== "derived") return instance.iceTcpPort;
    if (iceTcpBase === undefined || instance.slot === undefined) return undefined;
    const port = iceTcpBase + instance.slot;
    if (port > 65535) {
      problems.add(
        `instances[${instance.index}].iceTcpPort`,
        `must be at most 65535 (lower ports.iceTcpBase or pin iceTcpPort), got ${port} (ports.iceTcpBase ${iceTcpBase} + slot ${instance.slot})`,
      );
      return undefined;
    }
    return port;
  });
}

/**
 * HAProxy binds the frontend ports and every instance publishes its ICE-TCP port on the same host, so
 * any two equal ports would fail at bind time, long after `pulumi preview` said yes.
 */
export function checkPortCollisions(
  problems: Problems,
  ports: Partial<PortsModel>,
  icePorts: readonly (number | undefined)[],
  instances: readonly InstanceDraft[],
  frontendKeys: readonly FrontendPortKey[],
): void {
  const claims: { readonly path: string; readonly port: number | undefined; readonly note: string }[] = [
    ...frontendKeys.map((key) => ({ path: `ports.${key}`, port: ports[key], note: "" })),
    ...icePorts.map((port, index) => ({
      path: `instances[${index}].iceTcpPort`,
      port,
      note:
        instances[index]?.iceTcpPort === "derived"
          ? ` (ports.iceTcpBase + slot ${instances[index]?.slot})`
          : "",
    })),
  ];
  // MediaMTX binds the ICE port inside its container next to its own listeners.
  const reserved: number[] = [...new Set<number>(Object.values(MEDIAMTX_PORTS))].sort((x, y) => x - y);
  const firstByPort = new Map<number, string>();
  for (const claim of claims) {
    if (claim.port === undefined) continue;
    if (claim.path.startsWith("instances[") && reserved.includes(claim.port)) {
      problems.add(
        claim.path,
        `must not be one of the ports MediaMTX itself listens on inside the instance (${reserved.join(", ")}), got ${claim.port}${claim.note}`,
      );
      continue;
    }
    const first = firstByPort.get(claim.port);
    if (first === undefined) {
      firstByPort.set(claim.port, claim.path);
    } else {
      problems.add(claim.path, `must differ from ${at(first)}, got ${claim.port} for both${claim.note}`);
    }
  }
}
