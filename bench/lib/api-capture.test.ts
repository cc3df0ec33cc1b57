import { describe, expect, it } from "vitest";
import { classifyApiPath, countByKind, TcpdumpParser } from "./api-capture";

describe("classifyApiPath", () => {
  it.each([
    ["/v3/paths/list?itemsPerPage=1", "health"],
    ["/v3/paths/list?itemsPerPage=100&page=0", "poll"],
    ["/v3/paths/list?itemsPerPage=100&page=12", "poll"],
    ["/v3/paths/get/live/cam", "lookup"],
    ["/v3/info", "other"],
  ])("%s is a %s call", (path, kind) => {
    expect(classifyApiPath(path)).toBe(kind);
  });
});

describe("TcpdumpParser", () => {
  it("attributes request lines to the packet header before them", () => {
    const p = new TcpdumpParser();
    for (const line of [
      "1764075685.123456 IP 10.213.206.1.52344 > 10.213.206.10.9997: Flags [P.], seq 1:120, length 119",
      "E....@.@......GET /v3/paths/list?itemsPerPage=1 HTTP/1.1",
      "host: 10.213.206.10:9997",
      "1764075685.500000 IP 10.213.206.1.52346 > 10.213.206.11.9997: Flags [P.], seq 1:90, length 89",
      "E..x..@.@.....GET /v3/paths/get/live/a HTTP/1.1",
      "1764075685.600000 IP 10.213.206.1.52348 > 10.213.206.11.9997: Flags [P.], seq 1:90, length 89",
      "E..x..@.@.....GET /v3/paths/list?itemsPerPage=100&page=0 HTTP/1.1",
    ]) {
      p.push(line);
    }
    expect(p.calls).toEqual([
      { at: 1764075685123, instance: "10.213.206.10", path: "/v3/paths/list?itemsPerPage=1", kind: "health" },
      { at: 1764075685500, instance: "10.213.206.11", path: "/v3/paths/get/live/a", kind: "lookup" },
      {
        at: 1764075685600,
        instance: "10.213.206.11",
        path: "/v3/paths/list?itemsPerPage=100&page=0",
        kind: "poll",
      },
    ]);
    expect(countByKind(p.calls)).toEqual({ health: 1, poll: 1, lookup: 1, other: 0 });
  });
});
