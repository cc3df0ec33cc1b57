import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { haproxyReloadSpec } from "../../../../infra/components/gateway";
import { carryOut, stateWithConfiguredWeights } from "../../../../infra/providers/config-dir/haproxy";
import type { ConfigDirInputs } from "../../../../infra/providers/config-dir/inputs";

describe("carryOut", () => {
  let dir: string;
  let socket: Server;
  let received: string[];
  let answer: (command: string) => string;
  const news = (): ConfigDirInputs => ({
    dir,
    files: {},
    secretFiles: {},
    writableDirs: [],
    initialFiles: {},
    summary: "",
    reload: haproxyReloadSpec("unused", [], ""),
  });

  // A stand-in admin socket: one command per connection, answered and closed, as HAProxy does.
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "mlb-carry-"));
    mkdirSync(join(dir, "run"));
    received = [];
    answer = () => "\n";
    socket = createServer((conn) => {
      conn.setEncoding("utf8");
      conn.on("data", (d: string) => {
        const command = d.trim();
        received.push(command);
        conn.end(answer(command));
      });
    });
    await new Promise<void>((r) => socket.listen(join(dir, "run/admin.sock"), r));
  });

  afterEach(async () => {
    await new Promise((r) => socket.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it("sends a runtime plan's commands in order", async () => {
    const commands = ["set server rtmp/mtx-2 weight 3", "set server hls/mtx-2 weight 3"];
    expect(await carryOut({ action: "runtime", commands }, news())).toBe("written+runtime-api");
    expect(received).toEqual(commands);
  });

  it("fails on the first command HAProxy answers with an error", async () => {
    answer = (c) => (c.includes("mtx-9") ? "No such server.\n" : "\n");
    const commands = ["set server rtmp/mtx-9 weight 3", "set server hls/mtx-9 weight 3"];
    await expect(carryOut({ action: "runtime", commands }, news())).rejects.toThrow(
      'HAProxy Runtime API refused "set server rtmp/mtx-9 weight 3": No such server.',
    );
    expect(received).toEqual(commands.slice(0, 1));
  });

  it("writes files only for a write plan", async () => {
    expect(await carryOut({ action: "write", reason: "created" }, news())).toBe("written");
    expect(received).toEqual([]);
  });
});

describe("stateWithConfiguredWeights", () => {
  // Shape of `show servers state` (HAProxy 2.6-3.0): version line, header, one line per server.
  const state = [
    "1",
    "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change",
    "3 rtmp 1 mtx-1 10.0.0.10 2 0 3 1 12",
    "3 rtmp 2 mtx-2 10.0.0.11 0 0 1 1 4",
    "4 stats 1 other 127.0.0.1 2 0 5 5 1",
    "",
  ].join("\n");

  it("sets the saved user and initial weights to the configured ones, keeping health state", () => {
    const out = stateWithConfiguredWeights(state, [
      { backend: "rtmp", server: "mtx-1", weight: 1 },
      { backend: "rtmp", server: "mtx-2", weight: 2 },
    ]).split("\n");
    // A Runtime API weight (3) must not outlive a config that says 1.
    expect(out[2]).toBe("3 rtmp 1 mtx-1 10.0.0.10 2 0 1 1 12");
    // Health (srv_op_state 0 = DOWN) survives; only the weights move.
    expect(out[3]).toBe("3 rtmp 2 mtx-2 10.0.0.11 0 0 2 2 4");
    // Servers without a configured weight stay as they were.
    expect(out[4]).toBe("4 stats 1 other 127.0.0.1 2 0 5 5 1");
  });

  it("leaves a state without a header untouched", () => {
    expect(stateWithConfiguredWeights("1\n", [{ backend: "rtmp", server: "mtx-1", weight: 1 }])).toBe("1\n");
  });
});
