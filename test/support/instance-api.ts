// Reads MediaMTX's control API on each instance directly (not through HAProxy): the ground truth for
// "which instance holds this stream" that routing tests compare the proxy against. The API answers the
// stack subnet, and the host reaches the Docker network from its gateway address, which is in it.

import { isRecord, numberOr, stringOr } from "../../infra/lib/untyped";

export interface ApiInstance {
  readonly name: string;
  /** `http://<address>:9997` */
  readonly apiUrl: string;
}

export interface PathState {
  readonly name: string;
  /** Has a publisher with tracks (`available` since v1.16; the deprecated `ready` still emitted). */
  readonly ready: boolean;
  /** `rtmpConn`, `webRTCSession`, … or undefined without a source. */
  readonly sourceType: string | undefined;
  readonly bytesReceived: number;
  readonly readers: number;
}

/** The path on one instance, or undefined when it does not exist there (404) or the instance is unreachable. */
export async function getPath(
  instance: ApiInstance,
  stream: string,
  timeoutMs = 2_000,
): Promise<PathState | undefined> {
  try {
    const res = await fetch(`${instance.apiUrl}/v3/paths/get/${stream}`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.status !== 200) {
      await res.arrayBuffer();
      return undefined;
    }
    return toPathState((await res.json()) as unknown);
  } catch {
    return undefined;
  }
}

/** Names of the instances on which `stream` is ready, in instance order. */
export async function ownersOf(instances: readonly ApiInstance[], stream: string): Promise<string[]> {
  const states = await Promise.all(instances.map((i) => getPath(i, stream)));
  return instances.filter((_, n) => states[n]?.ready === true).map((i) => i.name);
}

export interface Ready {
  readonly owner: string;
  /** Date.now() when the API first reported the path ready. */
  readonly readyAt: number;
}

/**
 * Polls every instance every `stepMs` until `stream` is ready on exactly one of them. Fine-grained on
 * purpose: tests start clients the moment a stream exists, before any router poll could have seen it.
 */
export async function waitReady(
  instances: readonly ApiInstance[],
  stream: string,
  timeoutMs = 15_000,
  stepMs = 10,
): Promise<Ready> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const owners = await ownersOf(instances, stream);
    if (owners.length === 1 && owners[0] !== undefined) return { owner: owners[0], readyAt: Date.now() };
    if (owners.length > 1) throw new Error(`${stream} is ready on several instances: ${owners.join(", ")}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${stream} to be ready on an instance`);
}

export interface Moved extends Ready {
  /** The most instances that listed `stream` ready in one sample: 1 unless two were live at once. */
  readonly maxLive: number;
}

/**
 * Samples every instance every `stepMs` until `stream` is ready on exactly one instance other than
 * `from` (a takeover or a move), recording the most instances ever seen ready at once on the way.
 */
export async function waitMoved(
  instances: readonly ApiInstance[],
  stream: string,
  from: string,
  timeoutMs = 20_000,
  stepMs = 10,
): Promise<Moved> {
  const deadline = Date.now() + timeoutMs;
  let maxLive = 0;
  while (Date.now() < deadline) {
    const owners = await ownersOf(instances, stream);
    maxLive = Math.max(maxLive, owners.length);
    const [owner] = owners;
    if (owners.length === 1 && owner !== undefined && owner !== from) {
      return { owner, readyAt: Date.now(), maxLive };
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${stream} to leave ${from}`);
}

/** Waits until `stream` is ready nowhere (e.g. after a publisher stopped). */
export async function waitGone(
  instances: readonly ApiInstance[],
  stream: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await ownersOf(instances, stream)).length === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${stream} to disappear`);
}

function toPathState(item: unknown): PathState | undefined {
  if (!isRecord(item)) return undefined;
  return {
    name: String(item.name),
    ready: item.available === true || item.ready === true,
    sourceType: isRecord(item.source) ? stringOr(item.source.type, undefined) : undefined,
    bytesReceived: numberOr(item.inboundBytes, numberOr(item.bytesReceived, 0)),
    readers: Array.isArray(item.readers) ? item.readers.length : 0,
  };
}
