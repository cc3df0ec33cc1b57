// Player-like HLS viewers started inside a network namespace (`nsenter --net=… node … viewer-main.ts`),
// since a Node process cannot change its own network namespace. One viewer per stream: session
// handshake, then media playlist → newest segment, `--pause` ms apart, each request bounded by
// `--timeout` ms as a player's would be. Every request is one JSON line on stdout (viewer-events.ts);
// SIGTERM stops the viewers after their current request.
// Usage: viewer-main.ts --base URL --pause MS --timeout MS STREAM...
import { type HlsSession, newestSegment, openSession } from "./hls";
import type { ViewerEvent, ViewerRequestKind } from "./viewer-events";

function option(argv: readonly string[], name: string): string {
  const at = argv.indexOf(name);
  const v = at >= 0 ? argv[at + 1] : undefined;
  if (v === undefined) throw new Error(`viewer-main: ${name} is required`);
  return v;
}

function emit(e: ViewerEvent): void {
  process.stdout.write(`${JSON.stringify(e)}\n`);
}

async function main(argv: readonly string[]): Promise<void> {
  const base = option(argv, "--base");
  const pauseMs = Number(option(argv, "--pause"));
  const timeoutMs = Number(option(argv, "--timeout"));
  const streams = argv.filter((a, i) => !a.startsWith("--") && !argv[i - 1]?.startsWith("--"));
  let running = true;
  process.once("SIGTERM", () => {
    running = false;
  });

  const timed = async <T>(
    stream: string,
    kind: ViewerRequestKind,
    url: string,
    call: () => Promise<{ status: number; value?: T }>,
  ): Promise<T | undefined> => {
    const sentAt = Date.now();
    try {
      const { status, value } = await call();
      emit({ stream, kind, url, sentAt, doneAt: Date.now(), status });
      return status < 400 ? value : undefined;
    } catch (err) {
      const cause = (err as Error).cause;
      const error = String(cause ?? (err as Error).message);
      emit({ stream, kind, url, sentAt, doneAt: Date.now(), status: 0, error });
      return undefined;
    }
  };

  const get = (url: string, cookie: string) => async () => {
    const res = await fetch(url, { headers: { cookie }, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, value: await res.text() };
  };

  const viewer = async (stream: string) => {
    const dir = `${base}/${stream}`;
    let session: HlsSession | undefined;
    while (running) {
      if (session === undefined) {
        // openSession throws on anything but 302 then 200: a failed handshake counts as status 0.
        session = await timed(stream, "session", `${dir}/index.m3u8`, async () => ({
          status: 200,
          value: await openSession(base, stream, timeoutMs),
        }));
      }
      if (session !== undefined) {
        const playlist = await timed(
          stream,
          "playlist",
          `${dir}/${session.variant}`,
          get(`${dir}/${session.variant}`, session.cookie),
        );
        const segment = playlist === undefined ? undefined : newestSegment(playlist);
        if (playlist === undefined) session = undefined;
        else if (segment !== undefined)
          await timed(stream, "segment", `${dir}/${segment}`, get(`${dir}/${segment}`, session.cookie));
      }
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  };
  await Promise.all(streams.map(viewer));
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`viewer-main: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
