import { describe, expect, it } from "vitest";
import { routesByBid } from "./discovery";

describe("routesByBid", () => {
  it("reads server and owner of tagged requests from the hls frontend's log", () => {
    const log = [
      '127.0.0.1:54848 [25/Nov/2026:13:00:12.808] hls hls/b 0/0/0/0/0 404 244 ---- 3/1/0/0/0 0/0 stream=disc/t1 owner=- "GET /disc/t1/index.m3u8?cookieCheck=1&bid=disc_t1.15 HTTP/1.1"',
      '127.0.0.1:54850 [25/Nov/2026:13:00:13.100] hls hls/a 0/0/0/2700/2700 200 512 ---- 3/1/0/0/0 0/0 stream=disc/t1 owner=a "GET /disc/t1/index.m3u8?bid=disc_t1.16 HTTP/1.1"',
      '-:- [25/Nov/2026:13:00:13.092] <HTTPCLIENT> -/- 2/0/0/2/2 200 696 - - ---- 3/0/0/0/0 0/0 {} "GET http://10.213.206.10:9997/v3/paths/get/disc/t1 HTTP/1.1"',
    ].join("\n");
    expect([...routesByBid(log)]).toEqual([
      ["disc_t1.15", { server: "b", owner: "-" }],
      ["disc_t1.16", { server: "a", owner: "a" }],
    ]);
  });
});
