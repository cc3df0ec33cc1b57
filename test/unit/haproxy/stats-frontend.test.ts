import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchRouterStatus, fetchStats, statsEndpoint } from "../../../infra/haproxy/stats-frontend";

const fixture = (name: string) => readFileSync(resolve(__dirname, "..", "status", "fixtures", name), "utf8");

// A stand-in for the stats frontend on loopback: the captured CSV and /router document behind basic auth.
const AUTH = `Basic ${Buffer.from("admin:secret").toString("base64")}`;
const PAGES: Readonly<Record<string, string>> = {
  "/stats;csv": fixture("show-stat-3.0-one-down.csv"),
  "/router": fixture("router-one-down.json"),
  "/broken/router": "<html>503</html>",
};

describe("stats frontend over HTTP", () => {
  let server: Server;
  let base = "";

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.headers.authorization !== AUTH) {
        res.writeHead(401).end();
        return;
      }
      const body = PAGES[req.url ?? ""];
      if (body === undefined) res.writeHead(404).end();
      else res.writeHead(200).end(body);
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it("reads the CSV with basic auth", async () => {
    const stats = await fetchStats(statsEndpoint(base, "admin", "secret"));
    expect(stats.servers).toHaveLength(12);
    expect(stats.backends.map((b) => b.backend)).toContain("ice_mtx-3");
  });

  it("reads and checks /router", async () => {
    const status = await fetchRouterStatus(statsEndpoint(base, "admin", "secret"));
    expect(status.counters.polls).toBe(1012);
    expect(status.instances.map((i) => i.name)).toEqual(["mtx-1", "mtx-2", "mtx-3"]);
  });

  it.each([
    ["a wrong password", () => fetchStats(statsEndpoint(base, "admin", "wrong")), /stats;csv answered 401$/],
    ["no credentials", () => fetchRouterStatus({ base }), /\/router answered 401$/],
    [
      "a body that is not JSON",
      () => fetchRouterStatus(statsEndpoint(`${base}/broken`, "admin", "secret")),
      /\/broken\/router: not JSON: "<html>503<\/html>"/,
    ],
  ])("fails clearly on %s", async (_what, call, message) => {
    await expect(call()).rejects.toThrow(message);
  });
});
