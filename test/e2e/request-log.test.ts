import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchDroppedLogs, statsEndpoint } from "../../infra/haproxy/stats-frontend";
import { localImages } from "../../scripts/lib/versions";
import { HlsClient } from "../support/hls";
import { eventually, publishRtmp, stopProcess } from "../support/publisher";
import { docker, removeLeftoverE2eObjects, TEST_STATS_PASSWORD, TestStack } from "../support/stack";
import { statusReport } from "../support/status-cli";

// The per-request log on a real stack (issue 13): lines for HLS requests show up in the log sink's
// `docker logs` with stream, owner and server; with the sink paused a burst of requests all succeed while
// the gateway drops lines and counts them (/metrics and scripts/status --json); the sink takes its
// socket back after a restart and the gateway's lines survive a reload. Loopback only; ports and subnet
// are this test's own (28xxx, 10.213.208.0/24).
const ports = { rtmp: 28935, hls: 28888, webrtc: 28889, iceTcpBase: 28189, stats: 28404 };
const STREAM = "cam/log";
const HLS = `http://127.0.0.1:${ports.hls}`;
const stats = statsEndpoint(`http://127.0.0.1:${ports.stats}`, "admin", TEST_STATS_PASSWORD);

async function sinkLog(stack: TestStack): Promise<string> {
  return docker(["logs", stack.model.logSink.containerName]);
}

/** A GET whose answer is 200 or MediaMTX's cookie-check 302: both mean the request was served. */
async function served(url: string): Promise<number> {
  const res = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(10_000) });
  await res.arrayBuffer();
  return res.status;
}

/** `count` requests, `concurrency` at a time; the statuses in order. */
async function burst(url: string, count: number, concurrency: number): Promise<number[]> {
  const statuses: number[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let n = next++; n < count; n = next++) {
        statuses[n] = await served(url).catch(() => 0);
      }
    }),
  );
  return statuses;
}

/** The line of the request for `marker` (a unique query string) in the sink's log, once it is there. */
async function lineOf(stack: TestStack, marker: string): Promise<string> {
  return eventually(`a log line for ${marker}`, async () =>
    (await sinkLog(stack)).split("\n").find((l) => l.includes(marker)),
  );
}

describe("request log", () => {
  let stack: TestStack;
  let publisher: ReturnType<typeof publishRtmp> | undefined;

  beforeAll(async () => {
    await removeLeftoverE2eObjects("e2e-reqlog-");
    stack = new TestStack("reqlog", {
      images: localImages(),
      instances: [
        { name: "mtx-1", weight: 1 },
        { name: "mtx-2", weight: 1 },
      ],
      ports,
      subnet: "10.213.208.0/24",
      hostDir: `/tmp/mediamtx-lb-e2e/reqlog-${process.pid}`,
      health: { interval: "1s", timeout: "500ms", fall: 2, rise: 1 },
      // The burst below is 3000 requests from one address in a few seconds: over the default request
      // rate, which would answer most of them 429 (test/fast/limits.test.ts covers the limits).
      limits: { httpRequestRate: 0 },
    });
    await stack.init();
    const up = await stack.up();
    expect(up.code, up.stderr + up.stdout).toBe(0);
    publisher = publishRtmp(`rtmp://127.0.0.1:${ports.rtmp}/${STREAM}`);
    await eventually("the stream plays through the gateway", async () => {
      const r = await new HlsClient().play(`${HLS}/${STREAM}/index.m3u8`).catch(() => undefined);
      return r?.ok ? true : undefined;
    });
  });

  afterAll(async () => {
    if (publisher) await stopProcess(publisher);
    if (stack) {
      // A paused container cannot be removed gracefully.
      await docker(["unpause", stack.model.logSink.containerName]).catch(() => undefined);
      await stack.destroy();
    }
  });

  it("names the log sink container as a stack output", async () => {
    expect((await stack.outputs()).requestLog).toBe(stack.model.logSink.containerName);
  });

  it("logs an HLS request with its stream, owner and chosen server in the sink's docker logs", async () => {
    const marker = `reqlog-${Date.now()}`;
    expect(await served(`${HLS}/${STREAM}/index.m3u8?${marker}`)).toBeLessThan(400);
    const line = await lineOf(stack, marker);
    const owner = /owner=(\S+)/.exec(line)?.[1];
    expect(["mtx-1", "mtx-2"]).toContain(owner);
    expect(line).toContain(` ${stack.model.proxies.hls}/${owner} `);
    expect(line).toContain(`stream=${STREAM} owner=${owner} `);
    // Not in the gateway's own output any more: that is the master's notices and alerts only.
    expect(await docker(["logs", stack.model.gateway.containerName])).not.toContain(marker);
  });

  it("serves every request of a burst while the sink is stalled, and counts the dropped lines", async () => {
    const sink = stack.model.logSink.containerName;
    const before = await fetchDroppedLogs(stats);
    const statusBefore = (await statusReport(stack.name)).requestLog.droppedLines;
    expect(statusBefore).toBeGreaterThanOrEqual(before);
    await docker(["pause", sink]);
    let statuses: number[];
    try {
      // More lines than the sink's queue and the gateway's socket buffer hold (a few hundred).
      statuses = await burst(`${HLS}/${STREAM}/index.m3u8`, 3000, 20);
    } finally {
      await docker(["unpause", sink]);
    }
    expect(statuses.filter((s) => s !== 200 && s !== 302)).toEqual([]);
    const after = await fetchDroppedLogs(stats);
    expect(after).toBeGreaterThan(before + 1000);
    const report = await statusReport(stack.name);
    expect(report.requestLog.droppedLines).toBeGreaterThanOrEqual(after);
    expect(report.requestLog.container).toMatchObject({ name: sink, running: true });
    // The sink reads again once it runs: new requests are logged.
    const marker = `reqlog-resumed-${Date.now()}`;
    await served(`${HLS}/${STREAM}/index.m3u8?${marker}`);
    await lineOf(stack, marker);
  });

  it("keeps logging after the sink restarts and after the gateway reloads", async () => {
    await docker(["restart", stack.model.logSink.containerName]);
    const afterRestart = `reqlog-restart-${Date.now()}`;
    await eventually("a line after the sink restarted", async () => {
      await served(`${HLS}/${STREAM}/index.m3u8?${afterRestart}`);
      return (await sinkLog(stack)).includes(afterRestart) ? true : undefined;
    });
    await docker(["kill", "-s", "USR2", stack.model.gateway.containerName]);
    const afterReload = `reqlog-reload-${Date.now()}`;
    await eventually("a line after the gateway reloaded", async () => {
      await served(`${HLS}/${STREAM}/index.m3u8?${afterReload}`);
      return (await sinkLog(stack)).includes(afterReload) ? true : undefined;
    });
  });
});
