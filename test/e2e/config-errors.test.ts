import { afterAll, expect, it } from "vitest";
import { docker, TestStack } from "../support/stack";

// Through the real engine: a malformed stack config fails `preview` and `up` with one line per problem,
// and nothing is created.
const stack = new TestStack("badcfg", {
  instances: [
    { name: "A", weight: 300 },
    { name: "b", weight: 0 },
  ],
  health: { interval: "2 seconds", fall: 0 },
  colour: "blue",
});

afterAll(async () => {
  await stack.destroy();
});

it("refuses the config before touching any resource, naming every bad key", async () => {
  await stack.init();
  for (const r of [await stack.preview(), await stack.up()]) {
    expect(r.code).not.toBe(0);
    const out = r.stdout + r.stderr;
    for (const line of [
      "mediamtx-lb:colour: unknown key",
      "mediamtx-lb:instances[0].name: must be a DNS label",
      "mediamtx-lb:instances[0].weight: must be an integer 0-256, got 300",
      'mediamtx-lb:health.interval: must be a duration 100ms-60s like "500ms", "2s" or "1m", got "2 seconds"',
      "mediamtx-lb:health.fall: must be an integer 1-100, got 0",
    ]) {
      expect(out).toContain(line);
    }
  }
  expect(
    await docker(["ps", "-a", "--filter", `label=mediamtx-lb.stack=${stack.name}`, "--format", "{{.Names}}"]),
  ).toBe("");
  expect(
    await docker([
      "network",
      "ls",
      "--filter",
      `label=mediamtx-lb.stack=${stack.name}`,
      "--format",
      "{{.Name}}",
    ]),
  ).toBe("");
});
