// Where a stream lives, asked from the host straight at each instance's control API (the stack
// grants its subnet, and the host reaches the instances from the subnet's gateway address).
import type { Model } from "../../infra/config/model";
import { MEDIAMTX_PORTS } from "../../infra/config/model";

export interface Owner {
  readonly index: number;
  readonly name: string;
  readonly address: string;
  /** MediaMTX's readyTime for the path, ms since the epoch. */
  readonly readyAt: number;
}

/** RFC 3339 with nanoseconds → ms since the epoch (Date.parse wants at most milliseconds). */
export function parseRfc3339Ms(text: string): number {
  const trimmed = text.replace(/(\.\d{3})\d+/, "$1");
  const ms = Date.parse(trimmed);
  if (Number.isNaN(ms)) throw new Error(`cannot read time '${text}'`);
  return ms;
}

/** The first of the model's first `instances` instances that has `stream` ready. */
export async function findOwner(model: Model, instances: number, stream: string): Promise<Owner | undefined> {
  const answers = await Promise.all(
    model.instances.slice(0, instances).map(async ({ name, index, address }) => {
      const res = await fetch(`http://${address}:${MEDIAMTX_PORTS.api}/v3/paths/get/${stream}`, {
        signal: AbortSignal.timeout(2000),
      }).catch(() => undefined);
      if (!res || res.status !== 200) {
        await res?.arrayBuffer();
        return undefined;
      }
      const path = (await res.json()) as { ready?: boolean; readyTime?: string | null };
      if (!path.ready || !path.readyTime) return undefined;
      return { index, name, address, readyAt: parseRfc3339Ms(path.readyTime) };
    }),
  );
  return answers.find((a) => a !== undefined);
}

/** Live paths an instance lists (all pages), with the time and bytes one full listing takes. */
export async function listPaths(
  model: Model,
  index: number,
  perPage: number,
): Promise<{ items: number; pages: number; bytes: number; ms: number }> {
  const start = performance.now();
  let page = 0;
  let pageCount = 1;
  let items = 0;
  let bytes = 0;
  while (page < pageCount) {
    const res = await fetch(
      `http://${model.instances[index]?.address}:${MEDIAMTX_PORTS.api}/v3/paths/list?itemsPerPage=${perPage}&page=${page}`,
      { signal: AbortSignal.timeout(10_000) },
    );
    const text = await res.text();
    bytes += text.length;
    const body = JSON.parse(text) as { pageCount: number; items: unknown[] };
    items += body.items.length;
    pageCount = body.pageCount;
    page++;
  }
  return { items, pages: Math.max(1, pageCount), bytes, ms: performance.now() - start };
}
