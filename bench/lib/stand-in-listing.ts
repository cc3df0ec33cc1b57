// A stand-in for MediaMTX's control API that lists many ready paths: what the router's poll tasks read,
// without publishing thousands of real streams. The bench replays a 10 000-path listing behind the real
// router with it; hand measurements of the poll cost (docs/operations.md) used it too.
//
// Items have the shape MediaMTX 1.20 answers, field for field and in its order (captured in
// test/unit/status/fixtures/paths-list.json: a published RTMP stream with one HLS reader, about 700
// bytes): that order decides where the router cuts the answer into pieces, and the size what a poll
// costs. Byte counters grow on every request, as a live stream's do, so no two answers are the same.
// Paging follows MediaMTX: itemsPerPage 1..2^31-1 (default 100), page from 0, pageCount =
// ceil(items / itemsPerPage); a bad parameter gets 400.
//
// Use: `const api = await startStandInListing({ host: "127.0.0.2", port: 9997, paths: standInNames(10_000) })`,
// point the router's instance at host:port, read `api.listRequests()`, `await api.close()`.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

/** MediaMTX parses itemsPerPage as a 31-bit unsigned integer and refuses 0. */
const MAX_ITEMS_PER_PAGE = 2 ** 31 - 1;
const DEFAULT_ITEMS_PER_PAGE = 100;

/** `count` path names, `live/cam-0` …, the way a camera fleet names its streams. */
export function standInNames(count: number, prefix = "live/cam-"): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}

/** A UUID-shaped id derived from `n`, so answers are deterministic. */
function fakeUuid(n: number, salt: number): string {
  const hex = ((n * 2654435761 + salt) >>> 0).toString(16).padStart(8, "0");
  return `${hex}-${hex.slice(0, 4)}-4${hex.slice(1, 4)}-8${hex.slice(5, 8)}-${hex}${hex.slice(0, 4)}`;
}

/**
 * One path item as MediaMTX 1.20 lists it, up to (not including) the byte counters, which change per
 * answer: `{"name":…,…,"readers":[…],` ready to be followed by the counters and `}`.
 */
function itemHead(name: string, serial: number): string {
  const time = "2026-11-25T12:44:16.471398906Z";
  const item = {
    name,
    confName: "all_others",
    ready: true,
    readyTime: time,
    available: true,
    availableTime: time,
    online: true,
    onlineTime: time,
    source: { type: "rtmpConn", id: fakeUuid(serial, 1) },
    tracks: ["H264", "MPEG-4 Audio"],
    tracks2: [
      { codec: "H264", codecProps: { width: 320, height: 240, profile: "Baseline", level: "1.3" } },
      { codec: "MPEG-4 Audio", codecProps: { sampleRate: 44100, channelCount: 1 } },
    ],
    readers: [{ type: "hlsSession", id: fakeUuid(serial, 2) }],
  };
  return `${JSON.stringify(item).slice(0, -1)},`;
}

function counters(serial: number, tick: number): string {
  const inbound = 14_580_998 + serial * 1000 + tick * 48_000;
  const outbound = 208_272 + tick * 1_500;
  return `"inboundBytes":${inbound},"outboundBytes":${outbound},"inboundFramesInError":0,"bytesReceived":${inbound},"bytesSent":${outbound}}`;
}

/** The items of one listing, ready to page: heads are built once, counters per answer. */
export interface StandInPaths {
  readonly names: readonly string[];
  readonly heads: readonly string[];
}

export function standInPaths(names: readonly string[]): StandInPaths {
  return { names, heads: names.map((name, i) => itemHead(name, i)) };
}

/**
 * The /v3/paths/list answer for `query` (the URL's search part), compact as Go writes it, or a 400 with
 * MediaMTX's error shape. `tick` advances the byte counters. Internal. Exported for testing.
 */
export function standInListingAnswer(
  paths: StandInPaths,
  query: URLSearchParams,
  tick: number,
): { status: number; body: string } {
  const perPage = parseParam(query.get("itemsPerPage"), DEFAULT_ITEMS_PER_PAGE, 1);
  const page = parseParam(query.get("page"), 0, 0);
  if (perPage === undefined || page === undefined) {
    return { status: 400, body: '{"status":"error","error":"invalid pagination"}' };
  }
  const count = paths.heads.length;
  const pageCount = Math.ceil(count / perPage);
  const from = Math.min(count, page * perPage);
  const to = Math.min(count, from + perPage);
  const items: string[] = [];
  for (let i = from; i < to; i++) items.push(`${paths.heads[i]}${counters(i, tick)}`);
  return {
    status: 200,
    body: `{"itemCount":${count},"pageCount":${pageCount},"items":[${items.join(",")}]}`,
  };
}

function parseParam(text: string | null, fallback: number, min: number): number | undefined {
  if (text === null) return fallback;
  if (!/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return value >= min && value <= MAX_ITEMS_PER_PAGE ? value : undefined;
}

export interface StandInListing {
  /** host:port it listens on. */
  readonly endpoint: string;
  /** Replaces the listed paths (all ready). */
  setPaths(names: readonly string[]): void;
  /** /v3/paths/list requests answered so far, health checks (itemsPerPage=1) not counted. */
  listRequests(): number;
  close(): Promise<void>;
}

export async function startStandInListing(opts: {
  readonly host: string;
  readonly port: number;
  readonly paths: readonly string[];
}): Promise<StandInListing> {
  let paths = standInPaths(opts.paths);
  let tick = 0;
  let requests = 0;
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? "/", "http://stand-in");
    const reply = (status: number, body: string) => {
      res.writeHead(status, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
      });
      res.end(body);
    };
    if (req.method === "GET" && url.pathname === "/v3/paths/list") {
      if (url.searchParams.get("itemsPerPage") !== "1") requests++;
      const answer = standInListingAnswer(paths, url.searchParams, tick++);
      reply(answer.status, answer.body);
    } else if (req.method === "GET" && url.pathname.startsWith("/v3/paths/get/")) {
      const name = url.pathname.slice("/v3/paths/get/".length);
      const index = paths.names.indexOf(name);
      if (index < 0) reply(404, '{"status":"error","error":"path not found"}');
      else reply(200, `${paths.heads[index]}${counters(index, tick++)}`);
    } else {
      reply(404, '{"status":"error","error":"not found"}');
    }
  };
  const server: Server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : opts.port;
  return {
    endpoint: `${opts.host}:${port}`,
    setPaths: (names) => {
      paths = standInPaths(names);
    },
    listRequests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
