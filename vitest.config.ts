import { defineConfig } from "vitest/config";

// Three lanes, run in this order by scripts/test:
// - `unit`: pure functions, golden files, Pulumi mocks, the bench's parsers, real `haproxy -c` on the
//   host — seconds.
// - `fast`: the rendered haproxy.cfg and router.lua in the host's HAProxy in front of real MediaMTX
//   processes on loopback, real clients, no Docker or Pulumi — a routing bug shows in about a minute.
// - `e2e`: real stacks on the local Docker engine through the real Pulumi engine, real clients.
// `fast` and `e2e` files start their own processes and assert on timings, so scripts/test runs them
// with --no-file-parallelism.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: [
            "test/unit/**/*.test.ts",
            "test/golden/**/*.test.ts",
            "policies/**/*.test.ts",
            "bench/**/*.test.ts",
          ],
          exclude: ["**/node_modules/**"],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "fast",
          include: ["test/fast/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
