// A fake MediaMTX instance on loopback: the two control API calls the router makes, an HLS playlist
// and a WHIP endpoint, all on one port. Every answer names the instance (x-instance header), so a test
// can tell where HAProxy sent a request.

import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mtxPath, mtxPathList } from "./mediamtx-api";

export interface FakeInstance {
  readonly id: string;
  /** Publishes `stream`: listed by /v3/paths/list unless `listed` is false (then only /v3/paths/get knows it). */
  publish(stream: string, opts?: { readonly listed?: boolean }): void;
  unpublish(stream: string): void;
  /** /v3/paths/get requests seen for `stream`. */
  apiGets(stream: string): number;
  close(): Promise<void>;
}

export async function startFakeInstance(id: string, host: string, port: number): Promise<FakeInstance> {
  const streams = new Map<string, { listed: boolean }>();
  const gets = new Map<string, number>();

  const reply = (res: ServerResponse, status: number, type: string, body: string, extra = {}): void => {
    res.writeHead(status, { "content-type": type, "x-instance": id, ...extra });
    res.end(body);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? "/", "http://fake");
    const path = url.pathname;
    if (req.method === "GET" && path === "/v3/paths/list") {
      const listed = [...streams].filter(([, s]) => s.listed).map(([name]) => mtxPath(name));
      reply(res, 200, "application/json", mtxPathList(listed));
    } else if (req.method === "GET" && path.startsWith("/v3/paths/get/")) {
      const name = path.slice("/v3/paths/get/".length);
      gets.set(name, (gets.get(name) ?? 0) + 1);
      if (streams.has(name)) reply(res, 200, "application/json", JSON.stringify(mtxPath(name)));
      else reply(res, 404, "application/json", '{"status":"error","error":"path not found"}');
    } else if (req.method === "GET" && path.endsWith("/index.m3u8")) {
      const name = path.slice(1, -"/index.m3u8".length);
      if (streams.has(name)) reply(res, 200, "application/vnd.apple.mpegurl", `#EXTM3U\n# ${id}\n`);
      else reply(res, 404, "application/json", '{"status":"error","error":"no stream is available"}');
    } else if (req.method === "POST" && path.endsWith("/whip")) {
      // Like MediaMTX: the path exists once the session is created, but is not ready (listed) yet.
      const name = path.slice(1, -"/whip".length);
      if (!streams.has(name)) streams.set(name, { listed: false });
      reply(res, 201, "application/sdp", "v=0\r\n", { location: `/${name}/whip/${randomUUID()}` });
    } else {
      reply(res, 404, "text/plain", "not found");
    }
  };

  const server: Server = createServer((req, res) => {
    // Drain the body (WHIP offers) before answering.
    req.resume();
    req.on("end", () => handle(req, res));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });

  return {
    id,
    publish: (stream, opts = {}) => {
      streams.set(stream, { listed: opts.listed ?? true });
    },
    unpublish: (stream) => {
      streams.delete(stream);
    },
    apiGets: (stream) => gets.get(stream) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
