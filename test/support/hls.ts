// A player-like HLS client: follows MediaMTX's cookieCheck redirect, keeps its cookies, carries the
// `session=` query the playlists hand out, and walks index → variant playlist → media (init, segment, part).

export interface HlsFetch {
  url: string;
  status: number;
}

export class HlsClient {
  private cookies = new Map<string, string>();
  readonly requests: HlsFetch[] = [];

  private async get(url: string): Promise<{ url: string; status: number; body: Buffer }> {
    let current = url;
    for (let hop = 0; hop < 5; hop++) {
      const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
      const res = await fetch(current, {
        redirect: "manual",
        headers: cookie ? { cookie } : {},
        signal: AbortSignal.timeout(10_000),
      });
      this.requests.push({ url: current, status: res.status });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(";");
        const eq = pair?.indexOf("=") ?? -1;
        if (pair && eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
      }
      const location = res.headers.get("location");
      if (res.status >= 300 && res.status < 400 && location) {
        await res.arrayBuffer();
        current = new URL(location, current).toString();
        continue;
      }
      return { url: current, status: res.status, body: Buffer.from(await res.arrayBuffer()) };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** Fetches the multivariant playlist, the first variant and its newest media; returns every status seen. */
  async play(indexUrl: string): Promise<{ ok: boolean; statuses: number[]; mediaBytes: number }> {
    const start = this.requests.length;
    const index = await this.get(indexUrl);
    if (index.status !== 200) return this.result(start, 0);
    const variantUri = uris(index.body.toString("utf8"))[0];
    if (!variantUri) return this.result(start, 0);
    const variant = await this.get(new URL(variantUri, index.url).toString());
    if (variant.status !== 200) return this.result(start, 0);
    const text = variant.body.toString("utf8");
    const media = [...mapUris(text), ...uris(text).slice(-2), ...partUris(text).slice(-2)];
    let bytes = 0;
    for (const m of media) {
      const r = await this.get(new URL(m, variant.url).toString());
      bytes += r.status === 200 ? r.body.length : 0;
    }
    return this.result(start, bytes);
  }

  private result(start: number, mediaBytes: number) {
    const statuses = this.requests.slice(start).map((r) => r.status);
    const ok = statuses.length > 0 && statuses.every((s) => s >= 200 && s < 400) && mediaBytes > 0;
    return { ok, statuses, mediaBytes };
  }
}

function uris(playlist: string): string[] {
  return playlist
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}
function mapUris(playlist: string): string[] {
  return [...playlist.matchAll(/#EXT-X-MAP:.*URI="([^"]+)"/g)].map((m) => m[1] ?? "");
}
function partUris(playlist: string): string[] {
  return [...playlist.matchAll(/#EXT-X-PART:.*URI="([^"]+)"/g)].map((m) => m[1] ?? "");
}
