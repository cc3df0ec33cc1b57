// HLS as MediaMTX 1.20 serves it: the first index.m3u8 answers 302 to ?cookieCheck=1 (any instance
// does, with or without the stream), the second sets the hlsSession cookie that later playlist and
// segment requests must carry from the same client address (another address gets 401).

/** Non-comment lines of a playlist: variant playlists in an index, full segments in a media playlist. */
export function playlistUris(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

/** The newest complete segment of a media playlist: the one furthest from leaving the window. */
export function newestSegment(text: string): string | undefined {
  return playlistUris(text).at(-1);
}

/** Number of complete segments listed. */
export function segmentCount(text: string): number {
  return playlistUris(text).length;
}

/** Cookie pairs (`name=value`) from Set-Cookie headers, last one wins per name. */
export function cookiePairs(setCookies: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const header of setCookies) {
    const pair = header.split(";")[0] ?? "";
    const eq = pair.indexOf("=");
    if (eq > 0) out.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
  return out;
}

export interface HlsSession {
  /** Cookie header value to send with playlist and segment requests. */
  readonly cookie: string;
  /** Media playlist URI relative to the stream directory (e.g. video1_stream.m3u8). */
  readonly variant: string;
}

const TIMEOUT_MS = 15_000;

/** Runs the cookieCheck handshake against `base` (router, plain proxy or an instance) for one stream. */
export async function openSession(base: string, stream: string, timeoutMs = TIMEOUT_MS): Promise<HlsSession> {
  const first = await fetch(`${base}/${stream}/index.m3u8`, {
    redirect: "manual",
    signal: AbortSignal.timeout(timeoutMs),
  });
  await first.arrayBuffer();
  const location = first.headers.get("location");
  if (first.status !== 302 || !location)
    throw new Error(`${base}/${stream}/index.m3u8: ${first.status}, not 302`);
  const cookies = cookiePairs(first.headers.getSetCookie());
  const second = await fetch(new URL(location, `${base}/${stream}/index.m3u8`), {
    redirect: "manual",
    headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join("; ") },
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = await second.text();
  if (second.status !== 200) throw new Error(`${base}/${stream}/index.m3u8?cookieCheck=1: ${second.status}`);
  const session = cookiePairs(second.headers.getSetCookie()).get("hlsSession");
  const variant = playlistUris(body)[0];
  if (!session || !variant)
    throw new Error(`${base}/${stream}: no hlsSession cookie or variant in the index`);
  return { cookie: `hlsSession=${session}`, variant };
}

export async function fetchText(url: string, cookie: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { headers: { cookie }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  return { status: res.status, text: await res.text() };
}

export interface ViewerFailure {
  readonly at: number;
  readonly url: string;
  /** HTTP status, or 0 for a network error (reset, refused, timeout). */
  readonly status: number;
  readonly error?: string;
}

/**
 * A player-like viewer: session handshake once, then media playlist → newest segment, repeated with a
 * pause, over keep-alive connections (Node's fetch pools them, as players do). Every request outside
 * 2xx/3xx, and every network error, is a failure.
 */
export class HlsViewer {
  /** Send time of every request (ms since the epoch). */
  readonly sentAt: number[] = [];
  readonly failures: ViewerFailure[] = [];
  private session: HlsSession | undefined;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly base: string,
    private readonly stream: string,
    private readonly pauseMs: number,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Requests sent and failures seen between two wall-clock times (ms since the epoch). */
  window(from: number, to: number): { requests: number; failures: ViewerFailure[] } {
    return {
      requests: this.sentAt.filter((t) => t >= from && t <= to).length,
      failures: this.failures.filter((f) => f.at >= from && f.at <= to),
    };
  }

  private async run(): Promise<void> {
    while (this.running) {
      await this.playOnce();
      await new Promise((r) => setTimeout(r, this.pauseMs));
    }
  }

  private async get(url: string, cookie: string): Promise<string | undefined> {
    const at = Date.now();
    this.sentAt.push(at);
    try {
      const res = await fetch(url, { headers: { cookie }, signal: AbortSignal.timeout(TIMEOUT_MS) });
      const text = await res.text();
      if (res.status >= 400) {
        this.failures.push({ at, url, status: res.status });
        return undefined;
      }
      return text;
    } catch (err) {
      this.failures.push({
        at,
        url,
        status: 0,
        error: (err as Error).cause ? String((err as Error).cause) : String(err),
      });
      return undefined;
    }
  }

  private async playOnce(): Promise<void> {
    const dir = `${this.base}/${this.stream}`;
    if (!this.session) {
      const at = Date.now();
      this.sentAt.push(at, at);
      try {
        this.session = await openSession(this.base, this.stream);
      } catch (err) {
        this.failures.push({ at, url: `${dir}/index.m3u8`, status: 0, error: String(err) });
        return;
      }
    }
    const playlist = await this.get(`${dir}/${this.session.variant}`, this.session.cookie);
    if (playlist === undefined) {
      this.session = undefined;
      return;
    }
    const segment = newestSegment(playlist);
    if (segment) await this.get(`${dir}/${segment}`, this.session.cookie);
  }
}
