import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseRouterStatus, requiredCounter } from "../../../infra/haproxy/router-status";

describe("parseRouterStatus", () => {
  it("reads the captured /router document of a stack with one instance down", () => {
    const json: unknown = JSON.parse(
      readFileSync(resolve(__dirname, "..", "status", "fixtures", "router-one-down.json"), "utf8"),
    );
    const status = parseRouterStatus(json);
    // Captured before the poll request and whole-decode counters existed: they read as null.
    expect(status.decoder).toBeNull();
    expect(status.counters).toEqual({
      polls: 1012,
      pollErrors: 28,
      pollRequests: null,
      wholeDecodes: null,
      lookups: 2,
      lookupHits: 0,
      misses: 6,
      learned: 0,
      mapSize: 4,
      lastPollAgeMs: 105,
    });
    expect(status.entries[0]).toEqual({ stream: "cam/a", server: "mtx-3", source: "poll", ageMs: 464703 });
    expect(status.instances.map((i) => [i.name, i.pollOk, i.claimed])).toEqual([
      ["mtx-1", true, 2],
      ["mtx-2", true, 1],
      ["mtx-3", false, 1],
    ]);
  });

  it("reads the decoder, the poll request counters and what each instance's last poll decided", () => {
    const status = parseRouterStatus({
      decoder: "cjson",
      counters: { polls: 16, pollRequests: 16, wholeDecodes: 0 },
      entries: [],
      instances: [
        { name: "a", pollOk: true, claimed: 1000, lastPollAgeMs: 12, lastPollDecided: 3 },
        { name: "b", pollOk: false, claimed: 0, lastPollAgeMs: null, lastPollDecided: null },
      ],
    });
    expect(status.decoder).toBe("cjson");
    expect([status.counters.pollRequests, status.counters.wholeDecodes]).toEqual([16, 0]);
    expect(status.instances.map((i) => i.lastPollDecided)).toEqual([3, null]);
  });

  it("turns a missing or JSON-null counter into null (before the first poll lastPollAgeMs is null)", () => {
    const status = parseRouterStatus({
      counters: { polls: 0, lastPollAgeMs: null },
      entries: [],
      instances: [],
    });
    expect(status.counters.polls).toBe(0);
    expect(status.counters.lastPollAgeMs).toBeNull();
    expect(status.counters.mapSize).toBeNull();
  });

  it("rejects a document that is not the router's (an HTML error page parsed as JSON elsewhere)", () => {
    expect(() => parseRouterStatus({ message: "nope" })).toThrow(/counters, entries, instances/);
  });

  it("gives a counter the caller needs as a number, or an error naming it", () => {
    const status = parseRouterStatus({ counters: { polls: 7, mapSize: null }, entries: [], instances: [] });
    expect(requiredCounter(status, "polls")).toBe(7);
    expect(() => requiredCounter(status, "mapSize")).toThrow("router status: counter mapSize missing");
    expect(() => requiredCounter(status, "lookups")).toThrow(/counter lookups missing/);
  });
});
