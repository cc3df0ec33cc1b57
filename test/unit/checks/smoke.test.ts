// The smoke checks run as a dynamic provider: Pulumi serializes runSmokeChecks, with every function it
// calls (the stats parser in infra/haproxy/), into the state and later runs that text without this tree.
// So serialize it here and run the text in a bare Node process against a stand-in stats frontend.

import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSmokeChecks, type SmokeInputs } from "../../../infra/checks/smoke";

const CSV = readFileSync(
  resolve(__dirname, "..", "status", "fixtures", "show-stat-3.0-one-down.csv"),
  "utf8",
);
const AUTH = `Basic ${Buffer.from("admin:secret").toString("base64")}`;

describe("runSmokeChecks after serialization", () => {
  let server: Server;
  let base = "";
  const dir = mkdtempSync(join(tmpdir(), "mediamtx-lb-smoke-"));

  beforeAll(async () => {
    // Only the stats page: 401 without credentials, the captured CSV (mtx-3 DOWN) with them.
    server = createServer((req, res) => {
      if (req.url === "/stats;csv" && req.headers.authorization === AUTH) res.writeHead(200).end(CSV);
      else res.writeHead(401).end();
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((done) => server.close(() => done()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads server states through the serialized stats parser", async () => {
    const serialized = await pulumi.runtime.serializeFunction(runSmokeChecks, { isFactoryFunction: false });
    const file = join(dir, "smoke.js");
    writeFileSync(file, serialized.text);
    const inputs: SmokeInputs = {
      statsUrl: base,
      statsUser: "admin",
      statsPassword: "secret",
      hlsUrl: base,
      webrtcUrl: base,
      tcpPorts: [],
      servers: { rtmp: ["mtx-1", "mtx-3"], hls: ["mtx-2"], webrtc: ["gone"] },
      trigger: "",
      timeoutMs: 0,
    };
    // One round (timeoutMs 0), then the error listing every failed check.
    const script = `require(${JSON.stringify(file)}).${serialized.exportName}(${JSON.stringify(inputs)})
      .then(() => console.log("passed"), (err) => console.log(err.message));`;
    const { stdout } = await promisify(execFile)(process.execPath, ["-e", script], { cwd: dir });
    const lines = stdout.split("\n");
    expect(lines).toContain("  every server UP: not UP: rtmp/mtx-3=DOWN webrtc/gone=missing");
    expect(stdout).not.toContain("stats requires auth");
  });
});
