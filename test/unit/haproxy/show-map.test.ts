import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseShowMap, showMapCommand } from "../../../infra/haproxy/show-map";
import { STREAMS_MAP } from "../../../infra/render/paths";
import { capturedAnswers } from "../../support/captured-answers";

/**
 * Runtime API answers captured from HAProxy 2.6.12 and 3.0.11 with a map loaded from a file (cam/1 a1),
 * after `set map … cam/1 b1` and `add map … live/x a1` (on 2.6 also `add map … live/x b1`, a second
 * entry for the key). The map's path is rewritten to STREAMS_MAP.
 */
describe.each(["2.6", "3.0"])("parseShowMap on HAProxy %s", (version) => {
  const captured = capturedAnswers(resolve(__dirname, "..", "status", "fixtures", `show-map-${version}.txt`));
  const answer = (file: string) => captured.get(showMapCommand(file)) ?? "";

  it("reads stream → server in HAProxy's order, the first of a duplicate key", () => {
    expect(parseShowMap(answer(STREAMS_MAP))).toEqual([
      { stream: "cam/1", server: "b1" },
      { stream: "live/x", server: "a1" },
    ]);
  });

  it("throws with HAProxy's words for a map it did not load", () => {
    expect(() => parseShowMap(answer("/usr/local/etc/haproxy/nope.map"))).toThrow(
      'show map: "Unknown map identifier. Please use #<id> or <file>."',
    );
  });
});

describe("parseShowMap", () => {
  it("an empty map is an empty answer", () => {
    expect(parseShowMap("\n")).toEqual([]);
  });
});
