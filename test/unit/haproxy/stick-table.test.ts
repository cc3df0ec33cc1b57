import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseShowTable, showTableOverCommand } from "../../../infra/haproxy/stick-table";
import { capturedAnswers } from "../../support/captured-answers";

/**
 * Runtime API answers captured from HAProxy 2.6.12 and 3.0.11 running the abuse limits' rules (hls:
 * 429 over 5 req/10s or 3 conns; rtmp: content reject over 2 conns, connection reject over 4): 9
 * requests each from 127.0.0.2 and .3, 1 from .4, then 7 RTMP connections one by one from .2 and a burst
 * of 12 from .3 (2 of each kept). `=== <command>` precedes each answer.
 */
function answers(version: string): Map<string, string> {
  return capturedAnswers(resolve(__dirname, "..", "status", "fixtures", `show-table-${version}.txt`));
}

describe.each(["2.6", "3.0"])("parseShowTable on HAProxy %s", (version) => {
  const captured = answers(version);
  const answer = (command: string) => captured.get(command) ?? "";

  it("reads the header and every row with its counters, periods and 3.0's shard left out", () => {
    const hls = parseShowTable(answer("show table hls"));
    expect({ ...hls, entries: [] }).toEqual({ table: "hls", type: "ip", size: 102400, used: 3, entries: [] });
    const byKey = Object.fromEntries(hls.entries.map((e) => [e.key, e.data]));
    expect(byKey).toEqual({
      "127.0.0.2": { conn_cur: 0, http_req_rate: 9 },
      "127.0.0.3": { conn_cur: 0, http_req_rate: 9 },
      "127.0.0.4": { conn_cur: 0, http_req_rate: 1 },
    });
    expect(hls.entries.every((e) => e.use === 0 && e.expiresInMs > 20_000 && e.expiresInMs <= 30_000)).toBe(
      true,
    );
    const rtmp = parseShowTable(answer("show table rtmp"));
    expect(rtmp.entries).toEqual([
      expect.objectContaining({ key: "127.0.0.2", use: 2, data: { conn_rate: 7, conn_cur: 2 } }),
      expect.objectContaining({ key: "127.0.0.3", use: 2, data: { conn_rate: 12, conn_cur: 2 } }),
    ]);
  });

  it("keeps counting every row in a filtered answer's header", () => {
    const over = parseShowTable(answer(showTableOverCommand("hls", "http_req_rate", 5)));
    expect(over.used).toBe(3);
    expect(over.entries.map((e) => e.key).sort()).toEqual(["127.0.0.2", "127.0.0.3"]);
    const none = parseShowTable(answer(showTableOverCommand("hls", "conn_cur", 3)));
    expect(none).toEqual({ table: "hls", type: "ip", size: 102400, used: 3, entries: [] });
  });

  it("throws with HAProxy's words for a table that does not exist", () => {
    expect(() => parseShowTable(answer("show table nosuch"))).toThrow('show table: "No such table"');
  });
});

describe("parseShowTable", () => {
  it("throws on an empty answer", () => {
    expect(() => parseShowTable("\n")).toThrow("show table: empty answer");
  });
});
