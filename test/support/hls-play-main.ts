// Player-like HLS viewers for a client that must run elsewhere (inside a network namespace: the gateway
// pair e2e and the failover bench start it with nsenter). Usage:
//   hls-play-main.ts <ms> <url>...
// Plays every URL for <ms> with cookies and hls.js-like in-place retries (HLSJS_LIKE), then prints
// one JSON line per viewer: its requests ([startedAt, endedAt, status]), restarts, sessions and media bytes.
// Wiring only.

import { HLSJS_LIKE, HlsPlayer, isAnswered } from "./hls-player";

export interface PlayedViewer {
  readonly url: string;
  readonly requests: readonly (readonly [number, number, number])[];
  /** The requests that got no answer or a non-2xx/3xx one, with their URLs (path and query). */
  readonly failed: readonly { readonly path: string; readonly status: number; readonly startedAt: number }[];
  readonly restarts: number;
  readonly sessions: readonly string[];
  readonly mediaBytes: number;
}

async function main(ms: number, urls: readonly string[]): Promise<void> {
  const players = urls.map((url) =>
    new HlsPlayer(url, { cookies: true, ...HLSJS_LIKE, retryDelayMs: 500 }).start(),
  );
  await new Promise((resolve) => setTimeout(resolve, ms));
  await Promise.all(players.map((p) => p.stop()));
  for (const [n, p] of players.entries()) {
    const viewer: PlayedViewer = {
      url: urls[n] ?? "",
      requests: p.requests.map((r) => [r.startedAt, r.endedAt, r.status] as const),
      failed: p.requests
        .filter((r) => !isAnswered(r.status))
        .map((r) => ({
          path: new URL(r.url).pathname + new URL(r.url).search,
          status: r.status,
          startedAt: r.startedAt,
        })),
      restarts: p.restarts,
      sessions: p.sessions,
      mediaBytes: p.mediaBytes,
    };
    process.stdout.write(`${JSON.stringify(viewer)}\n`);
  }
}

const [ms, ...urls] = process.argv.slice(2);
main(Number(ms), urls).catch((err: unknown) => {
  process.stderr.write(`hls-play-main: ${(err as Error).message}\n`);
  process.exit(1);
});
