// 3. Discovery: a publish appears on one instance; how soon do viewers reach it through the router,
// and how many of their requests fail meanwhile? Two kinds of viewer:
// - eager: starts with the publish and retries every retryMs (a player opened before the stream is live);
// - after-ready: starts the moment the owner reports the path ready (a player opened on a "live" signal).
// Every viewer request carries a `bid` query parameter, so the hls frontend's log says which instance
// served it (read from the log sink container). The ready time is MediaMTX's own readyTime for the path.
import type { BenchContext } from "../lib/context";
import { findOwner, type Owner } from "../lib/instances";
import { mustRun, sleep, waitFor } from "../lib/process";
import type { DiscoveryResult, PublishTrace, ViewerRequest } from "../lib/results";

interface SentRequest {
  readonly bid: string;
  readonly sentAt: number;
  readonly ms: number;
  readonly status: number;
}

/** One GET, never throwing: status 0 stands for a network error. */
async function get(bid: string, url: string, cookie?: string): Promise<SentRequest> {
  const sentAt = Date.now();
  let status = 0;
  try {
    const res = await fetch(url, {
      redirect: "manual",
      headers: cookie ? { cookie } : {},
      signal: AbortSignal.timeout(15_000),
    });
    await res.arrayBuffer();
    status = res.status;
  } catch {
    status = 0;
  }
  return { bid, sentAt, ms: Date.now() - sentAt, status };
}

export interface LoggedRoute {
  /** The server HAProxy forwarded to. */
  readonly server: string;
  /** txn.mtx_owner when the request was routed ("-": no owner known, the hash fallback chose). */
  readonly owner: string;
}

/**
 * HAProxy hls frontend log lines → bid → route. Coupling: the log-format in haproxy.cfg.mustache
 * (`%ft %b/%s ... owner=%[var(txn.mtx_owner)] %{+Q}r`). Internal. Exported for testing.
 */
export function routesByBid(log: string): Map<string, LoggedRoute> {
  const out = new Map<string, LoggedRoute>();
  for (const line of log.split("\n")) {
    const m = /\] hls hls\/(\S+) \S+ \d{3} .* owner=(\S*) "GET \S*[?&]bid=([^&\s"]+)/.exec(line);
    if (m?.[1] && m[3]) out.set(m[3], { server: m[1], owner: m[2] || "-" });
  }
  return out;
}

async function tracePublish(
  ctx: BenchContext,
  stream: string,
  eager: boolean,
): Promise<PublishTrace & { sent: SentRequest[] }> {
  const { retryMs, tailMs } = ctx.profile.discovery;
  const instances = ctx.stack.spec.instances;
  const publishedAt = Date.now();
  const child = ctx.publishers.one(ctx.clips.tiny, stream);
  const ownerFound = waitFor(
    `${stream} ready`,
    () => findOwner(ctx.model, instances, stream),
    20_000,
    20,
  ).catch(() => undefined);
  const sent: SentRequest[] = [];
  const tag = stream.replaceAll("/", "_");
  let owner: Owner | undefined;
  if (!eager) owner = await ownerFound;
  let playableAt: number | undefined;
  let n = 0;
  while (
    Date.now() - publishedAt < 30_000 &&
    (playableAt === undefined || Date.now() < playableAt + tailMs)
  ) {
    const dir = `${ctx.model.local.hls}/${stream}`;
    // A player's start: index.m3u8 (302 to ?cookieCheck=1 from any instance), then the check itself
    // (200 only from the instance that has the stream).
    const first = `${tag}.${n++}`;
    sent.push(await get(first, `${dir}/index.m3u8?bid=${first}`));
    const second = `${tag}.${n++}`;
    const check = await get(second, `${dir}/index.m3u8?cookieCheck=1&bid=${second}`, "cookieCheck=1");
    sent.push(check);
    if (check.status === 200 && playableAt === undefined) playableAt = Date.now();
    await sleep(retryMs);
  }
  owner ??= await ownerFound;
  await ctx.publishers.stop(child);
  return {
    stream,
    publishedAt,
    owner: owner?.name,
    readyAt: owner?.readyAt,
    requests: [],
    sent,
  };
}

async function traceAll(ctx: BenchContext, prefix: string, eager: boolean): Promise<PublishTrace[]> {
  const { publishes, concurrency } = ctx.profile.discovery;
  const since = (Date.now() / 1000 - 1).toFixed(3);
  const traces: (PublishTrace & { sent: SentRequest[] })[] = [];
  let next = 0;
  const worker = async () => {
    while (next < publishes) {
      const i = next++;
      traces[i] = await tracePublish(ctx, `disc/${prefix}${String(i + 1).padStart(3, "0")}`, eager);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await sleep(1000);
  const log = await mustRun("docker", ["logs", "--since", since, ctx.model.logSink.containerName]);
  const routes = routesByBid(log);
  return traces.map(({ sent, ...trace }) => ({
    ...trace,
    requests: sent.map(
      (r): ViewerRequest => ({
        sentAt: r.sentAt,
        ms: r.ms,
        status: r.status,
        server: routes.get(r.bid)?.server,
        ownerKnown: routes.has(r.bid) ? routes.get(r.bid)?.owner !== "-" : undefined,
      }),
    ),
  }));
}

export async function runDiscovery(ctx: BenchContext): Promise<DiscoveryResult> {
  const { publishes, concurrency, retryMs } = ctx.profile.discovery;
  ctx.log(`discovery: ${publishes} eager + ${publishes} after-ready publishes, ${concurrency} at a time`);
  const eager = await traceAll(ctx, "e", true);
  ctx.log(`  eager done (${eager.filter((t) => t.owner).length}/${publishes} became ready)`);
  const afterReady = await traceAll(ctx, "r", false);
  ctx.log(`  after-ready done (${afterReady.filter((t) => t.owner).length}/${publishes} became ready)`);
  return { retryMs, eager, afterReady };
}
