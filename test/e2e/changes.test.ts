import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Model } from "../../infra/config/model";
import { instanceNames } from "../../infra/config/names";
import { localImages } from "../../scripts/lib/versions";
import { HlsClient } from "../support/hls";
import { eventually, publishRtmp, stopProcess } from "../support/publisher";
import { pulumi, removeLeftoverE2eObjects, TEST_STATS_PASSWORD, TestStack } from "../support/stack";

// Routing changes on a live stack, in numbered steps like an operator would make them. Each step checks
// what `preview` plans (replace counts), applies it under load (HLS viewers on every stream and live
// RTMP publishers), and checks that nothing failed, the RTMP sessions survived, and a re-preview is empty.
const ports = { rtmp: 23935, hls: 23888, webrtc: 23889, iceTcpBase: 23189, stats: 23404 };
const subnet = "10.213.203";
const auth = `Basic ${Buffer.from(`admin:${TEST_STATS_PASSWORD}`).toString("base64")}`;
const streams = ["load/a", "load/b", "load/c"];

interface Step {
  op: string;
  urn: string;
}
async function plan(stack: TestStack): Promise<{ summary: Record<string, number>; steps: Step[] }> {
  const r = await pulumi(["preview", "--stack", stack.name, "--json"]);
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as { changeSummary: Record<string, number>; steps: Step[] };
  return { summary: out.changeSummary, steps: out.steps };
}
const containerSteps = (steps: Step[], op: string) =>
  steps
    .filter((s) => s.op === op && s.urn.includes("docker:index/container:Container"))
    .map((s) => s.urn.split("::").pop());

/** The backends that carry instance `name`: one per protocol and its own ICE-TCP proxy. */
function backendsOf(model: Model, name: string): string[] {
  const instance = model.instances.find((i) => i.name === name);
  if (instance === undefined) throw new Error(`no instance ${name} in the config`);
  return [model.proxies.rtmp, model.proxies.hls, model.proxies.webrtc, instance.iceProxy];
}

/** Reloads the HAProxy master confirmed so far (it logs to stderr). */
function reloads(stack: TestStack): number {
  const r = spawnSync("docker", ["logs", stack.model.gateway.containerName], { encoding: "utf8" });
  return `${r.stdout ?? ""}${r.stderr ?? ""}`.split("Loading success.").length - 1;
}

async function statsRows(): Promise<string[][]> {
  const res = await fetch(`http://127.0.0.1:${ports.stats}/stats;csv`, { headers: { authorization: auth } });
  return (await res.text()).split("\n").map((l) => l.split(","));
}

/** The MediaMTX source (connection) id of each stream, read from the owner's API. */
async function sourceIds(instances: number): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (let i = 0; i < instances; i++) {
    const res = await fetch(`http://${subnet}.${10 + i}:9997/v3/paths/list`).catch(() => undefined);
    if (!res?.ok) continue;
    const body = (await res.json()) as {
      items: { name: string; ready: boolean; source: { id: string } | null }[];
    };
    for (const p of body.items) if (p.ready && p.source) ids.set(p.name, `${i}:${p.source.id}`);
  }
  return ids;
}

/** HLS viewers on every stream until stopped; counts requests and failures. */
function startViewers(): { stop: () => Promise<{ requests: number; failures: string[] }> } {
  let running = true;
  let requests = 0;
  const failures: string[] = [];
  const loops = streams.map(async (s) => {
    const client = new HlsClient();
    while (running) {
      const r = await client.play(`http://127.0.0.1:${ports.hls}/${s}/index.m3u8`).catch((e: Error) => ({
        ok: false,
        statuses: [0],
        error: e.message,
      }));
      requests += r.statuses.length;
      if (!r.ok) failures.push(`${s}: ${JSON.stringify(r)}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return { requests, failures };
    },
  };
}

describe("routing changes on a live stack", () => {
  let stack: TestStack;
  const base = {
    images: localImages(),
    ports,
    subnet: `${subnet}.0/24`,
    hostDir: `/tmp/mediamtx-lb-e2e/changes-${process.pid}`,
    health: { interval: "1s", timeout: "500ms", fall: 3, rise: 2 },
  };
  const two = [
    { name: "a", weight: 1 },
    { name: "b", weight: 1 },
  ];
  let publishers: ReturnType<typeof publishRtmp>[] = [];

  beforeAll(async () => {
    await removeLeftoverE2eObjects();
    stack = new TestStack("changes", { ...base, instances: two });
    await stack.init();
  });

  afterAll(async () => {
    await Promise.all(publishers.map(stopProcess));
    await stack?.destroy();
  });

  it("step 1: comes up, and a re-preview plans nothing", async () => {
    const r = await stack.up();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await plan(stack)).summary).toEqual({ same: expect.any(Number) });
    publishers = streams.map((s) => publishRtmp(`rtmp://127.0.0.1:${ports.rtmp}/${s}`));
    await eventually(
      "every stream playable",
      async () => {
        for (const s of streams) {
          if (!(await new HlsClient().play(`http://127.0.0.1:${ports.hls}/${s}/index.m3u8`)).ok)
            return undefined;
        }
        return true;
      },
      60_000,
    );
  });

  it("step 2: a weights-only change replaces nothing, reloads nothing, and drops nothing", async () => {
    stack.writeConfig({
      ...base,
      instances: [
        { name: "a", weight: 1 },
        { name: "b", weight: 3 },
      ],
    });
    const p = await plan(stack);
    expect(p.summary.replace ?? 0).toBe(0);
    expect(p.summary.create ?? 0).toBe(0);
    const diff = await stack.preview(["--diff"]);
    expect(diff.stdout).toMatch(/-\s+server b \S+ weight 1/);
    expect(diff.stdout).toMatch(/\+\s+server b \S+ weight 3/);
    expect(diff.stdout).toMatch(/b\s+3\s+23190/); // the routing table line

    const before = { reloads: reloads(stack), sources: await sourceIds(2) };
    const viewers = startViewers();
    await new Promise((r) => setTimeout(r, 2000));
    const r = await stack.up();
    await new Promise((res) => setTimeout(res, 2000));
    const load = await viewers.stop();
    expect(r.code, r.stdout + r.stderr).toBe(0);

    expect(load.failures).toEqual([]);
    expect(load.requests).toBeGreaterThan(10);
    expect(reloads(stack)).toBe(before.reloads);
    expect(await sourceIds(2)).toEqual(before.sources);
    const rows = await statsRows();
    expect(rows.find((f) => f[0] === "rtmp" && f[1] === "b")?.[18]).toBe("3");
    expect((await plan(stack)).summary).toEqual({ same: expect.any(Number) });
  });

  it("step 3: an interval change reloads gracefully: no replace, RTMP sessions survive, no failed request", async () => {
    stack.writeConfig({
      ...base,
      health: { ...base.health, interval: "2s" },
      instances: [
        { name: "a", weight: 1 },
        { name: "b", weight: 3 },
      ],
    });
    const p = await plan(stack);
    expect(p.summary.replace ?? 0).toBe(0);

    const before = { reloads: reloads(stack), sources: await sourceIds(2) };
    expect(before.sources.size).toBe(streams.length);
    const viewers = startViewers();
    await new Promise((r) => setTimeout(r, 2000));
    const r = await stack.up();
    await new Promise((res) => setTimeout(res, 3000));
    const load = await viewers.stop();
    expect(r.code, r.stdout + r.stderr).toBe(0);

    expect(load.failures).toEqual([]);
    expect(reloads(stack)).toBe(before.reloads + 1);
    expect(await sourceIds(2)).toEqual(before.sources);
    for (const p of publishers) expect(p.exitCode).toBeNull();
    // Health state survived the reload: every server is still UP (not back to an unchecked start).
    const rows = await statsRows();
    for (const be of ["rtmp", "hls", "webrtc"])
      for (const s of ["a", "b"]) expect(rows.find((f) => f[0] === be && f[1] === s)?.[17]).toBe("UP");
    expect((await plan(stack)).summary).toEqual({ same: expect.any(Number) });
  });

  it("step 4: adding an instance creates exactly its container and replaces none", async () => {
    const three = [
      { name: "a", weight: 1 },
      { name: "b", weight: 3 },
      { name: "c", weight: 1 },
    ];
    stack.writeConfig({ ...base, health: { ...base.health, interval: "2s" }, instances: three });
    const p = await plan(stack);
    const c = stack.model.instances.find((i) => i.name === "c");
    expect(containerSteps(p.steps, "create")).toEqual([`${c?.resourceName}-container`]);
    expect(containerSteps(p.steps, "replace")).toEqual([]);
    expect(containerSteps(p.steps, "delete")).toEqual([]);
    const r = await stack.up();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // The smoke checks of this `up` already waited for every server to be steadily UP.
    const rows = await statsRows();
    for (const be of backendsOf(stack.model, "c"))
      expect(rows.find((f) => f[0] === be && f[1] === "c")?.[17]).toBe("UP");
    expect((await plan(stack)).summary).toEqual({ same: expect.any(Number) });
  });

  it("step 5: removing a middle instance with the next one's slot pinned deletes exactly its container", async () => {
    const withoutB = [
      { name: "a", weight: 1 },
      { name: "c", weight: 1, slot: 2 },
    ];
    stack.writeConfig({ ...base, health: { ...base.health, interval: "2s" }, instances: withoutB });
    const p = await plan(stack);
    const removed = instanceNames(stack.name, stack.hostDir, "b");
    expect(containerSteps(p.steps, "delete")).toEqual([`${removed.resourceName}-container`]);
    expect(containerSteps(p.steps, "replace")).toEqual([]);
    expect(containerSteps(p.steps, "create")).toEqual([]);
    const r = await stack.up();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const rows = await statsRows();
    expect(rows.some((f) => f[1] === "b")).toBe(false);
    for (const be of backendsOf(stack.model, "c"))
      expect(rows.find((f) => f[0] === be && f[1] === "c")?.[17]).toBe("UP");
    expect((await plan(stack)).summary).toEqual({ same: expect.any(Number) });
  });
});
