// A continuous, player-like HLS client for routing tests: it keeps playing a live stream for a while
// and records every request it makes (time, URL, status), so a test can count failures per time window.
//
// What it does, in the order a real player does it:
// - GET index.m3u8 and follow MediaMTX's cookieCheck redirect (302 → `?cookieCheck=1`). With cookies the
//   session rides in the `hlsSession` cookie; without them MediaMTX writes `session=` into every URI
//   of the playlists it hands out, and the player just keeps those query strings.
// - GET every rendition playlist once, then the first variant playlist.
// - lowLatency (the playlist has CAN-BLOCK-RELOAD=YES): fetch the init section, the newest segment and the
//   trailing parts, then loop on blocking reloads (`_HLS_msn`/`_HLS_part` for the next part) and fetch
//   every new part and segment.
// - mpegts/fmp4 without blocking reloads: reload every half target duration and fetch new segments.
// On any failed request it starts over from index.m3u8 after `retryDelayMs`, as hls.js does after a
// fatal error; every request of every attempt stays in the log. With `retry`, a request that got no
// answer or a 5xx is first sent again in place (same URL, same cookies), as hls.js's load policies do
// before an error turns fatal, so a short outage need not start a new session.

export interface PlayerRequest {
  readonly url: string;
  /** HTTP status; 0 when the request failed without one (connection refused, reset, timeout). */
  readonly status: number;
  /** Date.now() when the request was sent. */
  readonly startedAt: number;
  readonly endedAt: number;
}

export interface HlsPlayerOptions {
  /** Keep cookies like a browser (true) or not (false: the session rides in `session=`). */
  readonly cookies: boolean;
  /** Pause before starting over after a failed request. */
  readonly retryDelayMs?: number;
  /** Per-request budget; blocking reloads wait at most a few part durations. */
  readonly requestTimeoutMs?: number;
  /** The fetch to use; default the global one. HTTPS tests pass one that trusts the stack's CA. */
  readonly fetch?: typeof fetch;
  /**
   * In-place retries of a request that got no answer or a 5xx: up to `count`, `delayMs` apart (hls.js
   * defaults to a few retries about a second apart). Default: none.
   */
  readonly retry?: { readonly count: number; readonly delayMs: number };
}

/**
 * A viewer as hls.js behaves by default, for runs in a namespace (hls-play-main.ts) and the bench:
 * each request gives up after `requestTimeoutMs` (hls.js waits 10 s for a first byte), and a failed load
 * is retried in place a few times about half a second apart before the player starts over.
 */
export const HLSJS_LIKE = { requestTimeoutMs: 8_000, retry: { count: 6, delayMs: 500 } } as const;

/** 2xx and 3xx count as answered; anything else (and no answer at all) is a failure. */
export function isAnswered(status: number): boolean {
  return status >= 200 && status < 400;
}

interface Fetched {
  readonly url: string;
  readonly status: number;
  readonly body: string;
}

/** Thrown inside a play attempt to start over from index.m3u8. */
class AttemptFailed extends Error {}

export class HlsPlayer {
  readonly requests: PlayerRequest[] = [];
  /** Bytes of media (init, segments, parts) received with a 2xx. */
  mediaBytes = 0;
  /** Times it started over from index.m3u8 after a failure (a new session). */
  restarts = 0;
  /** Every MediaMTX session id seen (`hlsSession` cookie or `session=` parameter), in first-seen order. */
  readonly sessions: string[] = [];
  private readonly cookies = new Map<string, string>();
  private stopped = false;
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;

  constructor(
    private readonly indexUrl: string,
    private readonly options: HlsPlayerOptions,
  ) {}

  /** Starts playing in the background; `stop()` ends it. */
  start(): this {
    this.running = this.loop();
    return this;
  }

  /** Plays for `ms` and stops. */
  async playFor(ms: number): Promise<this> {
    this.start();
    await sleep(ms, this.abort.signal);
    await this.stop();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.running;
  }

  /** Requests that were sent at or after `from` (ms epoch) and before `to`. */
  requestsBetween(from: number, to = Number.POSITIVE_INFINITY): PlayerRequest[] {
    return this.requests.filter((r) => r.startedAt >= from && r.startedAt < to);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.attempt();
      } catch (err) {
        if (!(err instanceof AttemptFailed) && !this.stopped) throw err;
      }
      if (!this.stopped) {
        this.restarts++;
        await sleep(this.options.retryDelayMs ?? 250, this.abort.signal);
      }
    }
  }

  private async attempt(): Promise<void> {
    this.cookies.clear();
    const index = await this.getFollowing(this.indexUrl);
    const renditions = [...index.body.matchAll(/#EXT-X-MEDIA:[^\n]*URI="([^"]+)"/g)].map((m) => m[1] ?? "");
    const variant = uriLines(index.body)[0];
    if (variant === undefined) throw new AttemptFailed("no variant in the multivariant playlist");
    for (const uri of renditions) await this.getFollowing(resolveUrl(uri, index.url));
    const variantUrl = resolveUrl(variant, index.url);
    let playlist = await this.getFollowing(variantUrl);
    const seen = new Set<string>();
    const lowLatency = /CAN-BLOCK-RELOAD=YES/.test(playlist.body);

    const parsed = parseMediaPlaylist(playlist.body);
    // Start at the live edge: the init section, the newest complete segment and the parts after it.
    const first = [...parsed.maps, ...parsed.segments.slice(-1), ...parsed.trailingParts];
    for (const uri of [...parsed.maps, ...parsed.segments, ...parsed.parts]) seen.add(uri);
    for (const uri of first) await this.getMedia(resolveUrl(uri, playlist.url));

    while (!this.stopped) {
      const current = parseMediaPlaylist(playlist.body);
      let nextUrl = variantUrl;
      if (lowLatency) {
        nextUrl = withQuery(variantUrl, {
          _HLS_msn: String(current.nextMsn),
          _HLS_part: String(current.nextPart),
        });
      } else {
        await sleep(Math.max(100, (current.targetDuration * 1000) / 2), this.abort.signal);
        if (this.stopped) return;
      }
      playlist = await this.getFollowing(nextUrl);
      const fresh = parseMediaPlaylist(playlist.body);
      for (const uri of [...fresh.maps, ...fresh.parts, ...fresh.segments]) {
        if (seen.has(uri)) continue;
        seen.add(uri);
        await this.getMedia(resolveUrl(uri, playlist.url));
      }
    }
  }

  private async getMedia(url: string): Promise<void> {
    const r = await this.getFollowing(url);
    this.mediaBytes += Buffer.byteLength(r.body, "latin1");
  }

  /** getFollowingOnce, sent again in place on no answer or a 5xx while `retry` allows. */
  private async getFollowing(url: string): Promise<Fetched> {
    const retry = this.options.retry ?? { count: 0, delayMs: 0 };
    for (let n = 0; ; n++) {
      try {
        // hls.js retries a failed playlist load without its delivery directives: a blocking reload's
        // _HLS_msn is stale by then, and MediaMTX answers a stale one 400.
        return await this.getFollowingOnce(n === 0 ? url : withoutDirectives(url));
      } catch (err) {
        const last = this.requests.at(-1)?.status ?? 0;
        const retriable = last === 0 || last >= 500;
        if (!(err instanceof AttemptFailed) || this.stopped || !retriable || n >= retry.count) throw err;
        await sleep(retry.delayMs, this.abort.signal);
      }
    }
  }

  private noteSession(url: string): void {
    const id = this.cookies.get("hlsSession") ?? new URL(url).searchParams.get("session") ?? undefined;
    if (id !== undefined && id !== "" && !this.sessions.includes(id)) this.sessions.push(id);
  }

  /** GET with redirects followed (each hop logged) and cookies kept; a non-2xx ends the attempt. */
  private async getFollowingOnce(url: string): Promise<Fetched> {
    let current = url;
    for (let hop = 0; hop < 5; hop++) {
      const r = await this.getOnce(current);
      if (r.status >= 300 && r.status < 400 && r.location !== undefined) {
        current = resolveUrl(r.location, current);
        continue;
      }
      if (r.status < 200 || r.status >= 300) throw new AttemptFailed(`${r.status} for ${current}`);
      this.noteSession(current);
      return { url: current, status: r.status, body: r.body };
    }
    throw new AttemptFailed(`too many redirects from ${url}`);
  }

  private async getOnce(url: string): Promise<{ status: number; body: string; location?: string }> {
    if (this.stopped) throw new AttemptFailed("stopped");
    const startedAt = Date.now();
    const headers: Record<string, string> = {};
    if (this.options.cookies && this.cookies.size > 0) {
      headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    }
    const request = requestSignal(this.abort.signal, this.options.requestTimeoutMs ?? 10_000);
    try {
      const res = await (this.options.fetch ?? fetch)(url, {
        redirect: "manual",
        headers,
        signal: request.signal,
      });
      // latin1 keeps binary media byte-for-byte countable.
      const body = Buffer.from(await res.arrayBuffer()).toString("latin1");
      if (this.stopped && this.abort.signal.aborted) throw new AttemptFailed("stopped");
      this.requests.push({ url, status: res.status, startedAt, endedAt: Date.now() });
      if (this.options.cookies) {
        for (const line of res.headers.getSetCookie()) {
          const [pair] = line.split(";");
          const eq = pair?.indexOf("=") ?? -1;
          if (pair && eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
        }
      }
      const location = res.headers.get("location") ?? undefined;
      return location === undefined ? { status: res.status, body } : { status: res.status, body, location };
    } catch (err) {
      if (err instanceof AttemptFailed) throw err;
      // A request cut short by stop() is not a failure of the system under test: leave it out.
      if (this.stopped) throw new AttemptFailed("stopped");
      this.requests.push({ url, status: 0, startedAt, endedAt: Date.now() });
      throw new AttemptFailed(`${(err as Error).message} for ${url}`);
    } finally {
      request.release();
    }
  }
}

export interface MediaPlaylist {
  readonly targetDuration: number;
  readonly maps: readonly string[];
  /** Complete segments, oldest first. */
  readonly segments: readonly string[];
  /** Every part, oldest first. */
  readonly parts: readonly string[];
  /** Parts after the last complete segment (of the segment in progress). */
  readonly trailingParts: readonly string[];
  /** Blocking reload target: the part after the newest one. */
  readonly nextMsn: number;
  readonly nextPart: number;
}

/** Parses the lines of a media playlist a player needs. Internal. Exported for testing. */
export function parseMediaPlaylist(text: string): MediaPlaylist {
  const lines = text.split("\n").map((l) => l.trim());
  let sequence = 0;
  let targetDuration = 1;
  const maps: string[] = [];
  const segments: string[] = [];
  const parts: string[] = [];
  let trailing: string[] = [];
  let expectSegment = false;
  for (const line of lines) {
    if (line.startsWith("#EXT-X-MEDIA-SEQUENCE:")) sequence = Number(line.slice(22)) || 0;
    else if (line.startsWith("#EXT-X-TARGETDURATION:")) targetDuration = Number(line.slice(22)) || 1;
    else if (line.startsWith("#EXT-X-MAP:")) {
      const uri = /URI="([^"]+)"/.exec(line)?.[1];
      if (uri) maps.push(uri);
    } else if (line.startsWith("#EXT-X-PART:")) {
      const uri = /URI="([^"]+)"/.exec(line)?.[1];
      if (uri) {
        parts.push(uri);
        trailing.push(uri);
      }
    } else if (line.startsWith("#EXTINF:")) expectSegment = true;
    else if (line !== "" && !line.startsWith("#") && expectSegment) {
      segments.push(line);
      trailing = [];
      expectSegment = false;
    }
  }
  return {
    targetDuration,
    maps,
    segments,
    parts,
    trailingParts: trailing,
    nextMsn: sequence + segments.length,
    nextPart: trailing.length,
  };
}

function uriLines(playlist: string): string[] {
  return playlist
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

function resolveUrl(uri: string, base: string): string {
  return new URL(uri, base).toString();
}

/** `url` without LL-HLS delivery directives (`_HLS_msn`, `_HLS_part`, `_HLS_skip`), other parameters kept. */
function withoutDirectives(url: string): string {
  const u = new URL(url);
  for (const name of ["_HLS_msn", "_HLS_part", "_HLS_skip"]) u.searchParams.delete(name);
  return u.toString();
}

/** Adds or replaces query parameters, keeping the others (`session=`). */
function withQuery(url: string, params: Readonly<Record<string, string>>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

/** Resolves after `ms`, or at once when `signal` aborts; leaves no listener behind on the long-lived signal. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * A signal for one request: aborted by `parent` or after `timeoutMs`. Unlike AbortSignal.any, whose
 * listeners on the player's long-lived signal pile up until GC (Node's MaxListenersExceededWarning in
 * the fast lane), `release` removes them when the request is done.
 */
function requestSignal(parent: AbortSignal, timeoutMs: number): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const abort = () => controller.abort(parent.reason);
  const timer = setTimeout(() => controller.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  if (parent.aborted) abort();
  else parent.addEventListener("abort", abort, { once: true });
  return {
    signal: controller.signal,
    release: () => {
      clearTimeout(timer);
      parent.removeEventListener("abort", abort);
    },
  };
}
