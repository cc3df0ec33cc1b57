import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { standInListingAnswer, standInNames, standInPaths, startStandInListing } from "./stand-in-listing";

const CAPTURED = resolve(__dirname, "..", "..", "test", "unit", "status", "fixtures", "paths-list.json");

/** Keys of an object and of every object inside it, in order: the shape a listing's item has. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value !== null && typeof value === "object") {
    return Object.entries(value).map(([key, inner]) => [key, shape(inner)]);
  }
  return typeof value;
}

const answer = (count: number, query: string, tick = 0) =>
  standInListingAnswer(standInPaths(standInNames(count)), new URLSearchParams(query), tick);

describe("standInListingAnswer", () => {
  it("lists items shaped like a captured MediaMTX 1.20 item, field for field and in order", () => {
    const captured = JSON.parse(readFileSync(CAPTURED, "utf8")) as { items: unknown[] };
    const ours = JSON.parse(answer(2, "itemsPerPage=10").body) as { items: unknown[] };
    expect(shape(ours.items[0])).toEqual(shape(captured.items[0]));
    expect(ours.items.map((item) => (item as { name: string }).name)).toEqual(["live/cam-0", "live/cam-1"]);
  });

  // [query, itemCount, pageCount, names on the page]
  it.each([
    ["", 250, 3, 100],
    ["itemsPerPage=100&page=2", 250, 3, 50],
    ["itemsPerPage=2147483647&page=0", 250, 1, 250],
    ["itemsPerPage=100&page=9", 250, 3, 0],
  ] as const)("pages like MediaMTX: %s", (query, itemCount, pageCount, items) => {
    const body = JSON.parse(answer(250, query).body) as {
      itemCount: number;
      pageCount: number;
      items: unknown[];
    };
    expect([body.itemCount, body.pageCount, body.items.length]).toEqual([itemCount, pageCount, items]);
  });

  it.each([
    "itemsPerPage=0",
    "itemsPerPage=2147483648",
    "itemsPerPage=x",
    "page=-1",
  ])("refuses %s", (query) => {
    expect(answer(3, query).status).toBe(400);
  });

  it("answers differently on every request (byte counters grow)", () => {
    expect(answer(3, "", 1).body).not.toBe(answer(3, "", 2).body);
  });
});

describe("startStandInListing", () => {
  it("serves the listing and counts list requests but not health checks", async () => {
    const api = await startStandInListing({ host: "127.0.0.1", port: 0, paths: standInNames(3) });
    try {
      const port = api.endpoint.split(":")[1];
      expect(port).not.toBe("0");
      const list = await (await fetch(`http://${api.endpoint}/v3/paths/list?itemsPerPage=2147483647`)).json();
      expect(list).toMatchObject({ itemCount: 3, pageCount: 1 });
      await (await fetch(`http://${api.endpoint}/v3/paths/list?itemsPerPage=1`)).text();
      expect((await fetch(`http://${api.endpoint}/v3/paths/get/live/cam-2`)).status).toBe(200);
      expect((await fetch(`http://${api.endpoint}/v3/paths/get/nope`)).status).toBe(404);
      expect(api.listRequests()).toBe(1);
    } finally {
      await api.close();
    }
  });
});
