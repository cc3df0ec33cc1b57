import { describe, expect, it } from "vitest";
import { firstPlayable, parseViewerEvent, type ViewerEvent, viewerWindow } from "./viewer-events";

const ev = (stream: string, kind: ViewerEvent["kind"], sentAt: number, status: number, error?: string) => ({
  stream,
  kind,
  url: `http://gw/${stream}/x`,
  sentAt,
  doneAt: sentAt + 10,
  status,
  ...(error ? { error } : {}),
});

describe("parseViewerEvent", () => {
  it("reads a line viewer-main wrote", () => {
    const e = ev("s1", "segment", 1000, 200);
    expect(parseViewerEvent(JSON.stringify(e))).toEqual(e);
  });

  it.each([
    ["not json", "ffmpeg says hello"],
    ["no stream", JSON.stringify({ kind: "segment", url: "u", sentAt: 1, doneAt: 2, status: 200 })],
    ["unknown kind", JSON.stringify({ ...ev("s1", "segment", 1, 200), kind: "manifest" })],
    ["a number as a string", JSON.stringify({ ...ev("s1", "segment", 1, 200), status: "200" })],
  ])("ignores %s", (_, line) => {
    expect(parseViewerEvent(line)).toBeUndefined();
  });
});

describe("firstPlayable", () => {
  const events = [
    ev("s1", "segment", 900, 200),
    ev("s1", "playlist", 1000, 0, "timeout"),
    ev("s1", "session", 1500, 404),
    ev("s2", "segment", 1600, 200),
    ev("s1", "playlist", 2000, 200),
    ev("s1", "segment", 2100, 200),
    ev("s1", "segment", 2400, 200),
  ];

  it("is the answer to the first segment sent after the cut that came back 200, on that stream only", () => {
    expect(firstPlayable(events, "s1", 1000)).toBe(2110);
  });

  it("is undefined when nothing played after the cut", () => {
    expect(firstPlayable(events, "s1", 3000)).toBeUndefined();
    expect(firstPlayable(events, "s3", 0)).toBeUndefined();
  });
});

describe("viewerWindow", () => {
  it("counts the requests of the named streams sent in the window, network errors and ≥ 400 as failed", () => {
    const w = viewerWindow(
      [
        ev("s1", "playlist", 999, 0),
        ev("s1", "playlist", 1000, 200),
        ev("s1", "segment", 1100, 503),
        ev("s2", "segment", 1200, 0, "timeout"),
        ev("s2", "segment", 1300, 302),
        ev("s3", "segment", 1400, 0),
        ev("s1", "segment", 2001, 0),
      ],
      ["s1", "s2"],
      1000,
      2000,
    );
    expect(w).toEqual({
      requests: 4,
      failed: 2,
      samples: ["503 segment s1 +100 ms", "0 segment s2 +200 ms: timeout"],
    });
  });
});
