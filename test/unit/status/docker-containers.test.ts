import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDockerInspect } from "../../../infra/status/docker-containers";

const inspect: unknown = JSON.parse(
  readFileSync(resolve(__dirname, "fixtures", "docker-inspect-one-down.json"), "utf8"),
);

describe("parseDockerInspect", () => {
  const containers = parseDockerInspect(inspect);
  const byName = (suffix: string) => containers.find((c) => c.name.endsWith(suffix));

  it("names containers without Docker's leading slash and keeps their labels", () => {
    expect(containers.map((c) => c.name).sort()).toEqual([
      "e2e-status-x-1e4617-haproxy",
      "e2e-status-x-1e4617-mediamtx-mtx-1",
      "e2e-status-x-1e4617-mediamtx-mtx-2",
      "e2e-status-x-1e4617-mediamtx-mtx-3",
    ]);
    expect(byName("mtx-1")?.labels["mediamtx-lb.instance"]).toBe("mtx-1");
  });

  it("reads a running instance: address on the stack network, start time, no finish time", () => {
    expect(byName("mtx-1")).toMatchObject({
      status: "running",
      running: true,
      exitCode: 0,
      startedAt: "2026-11-25T12:44:07.28070722Z",
      finishedAt: undefined,
      restartCount: 0,
      addresses: { "e2e-status-x-1e4617-net": "10.213.204.10" },
    });
  });

  it("reads a stopped instance: exited, finish time, no address", () => {
    expect(byName("mtx-3")).toMatchObject({
      status: "exited",
      running: false,
      finishedAt: "2026-11-25T12:44:46.496174426Z",
      addresses: { "e2e-status-x-1e4617-net": "" },
    });
  });

  it("reads HAProxy's bind mount (the admin socket lives below it)", () => {
    expect(byName("haproxy")?.mounts).toEqual([
      { source: "/tmp/mediamtx-lb-e2e/status-x/haproxy", destination: "/usr/local/etc/haproxy" },
    ]);
  });

  it.each([
    ["an object", {}, /expected a JSON array/],
    ["an item without State", [{ Name: "/x" }], /item 0 has no State/],
  ])("rejects %s", (_what, json, message) => {
    expect(() => parseDockerInspect(json)).toThrow(message);
  });
});
