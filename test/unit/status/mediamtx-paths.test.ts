import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parsePathsPage } from "../../../infra/status/mediamtx-paths";

describe("parsePathsPage", () => {
  it("reads the captured v1.20 answer: publisher, tracks and an HLS reader", () => {
    const json: unknown = JSON.parse(readFileSync(resolve(__dirname, "fixtures", "paths-list.json"), "utf8"));
    const page = parsePathsPage(json);
    expect(page.pageCount).toBe(1);
    expect(
      page.items.map((p) => [p.name, p.ready, p.sourceType, p.tracks, p.readers.map((r) => r.type)]),
    ).toEqual([
      ["cam/b", true, "rtmpConn", ["H264", "MPEG-4 Audio"], ["hlsSession"]],
      ["cam/c", true, "rtmpConn", ["H264", "MPEG-4 Audio"], []],
    ]);
    expect(page.items[0]?.bytesReceived).toBeGreaterThan(0);
  });

  it.each([
    ["available (v1.16+)", { available: true }, true],
    ["only the deprecated ready", { ready: true }, true],
    ["neither: a path waiting for its publisher", { available: false, ready: false, source: null }, false],
  ])("readiness from %s", (_what, fields, ready) => {
    const page = parsePathsPage({ pageCount: 1, items: [{ name: "s", readers: [], ...fields }] });
    expect(page.items[0]?.ready).toBe(ready);
    expect(page.items[0]?.sourceType).toBeUndefined();
  });

  it("skips items without a name and rejects a body that is not a list", () => {
    expect(parsePathsPage({ items: [{ ready: true }] }).items).toEqual([]);
    expect(() => parsePathsPage({ error: "unauthorized" })).toThrow(/items array/);
  });
});
