import { defineConfig } from "vitest/config";

// Two lanes: `unit` (pure functions, golden files, Pulumi mocks, real haproxy -c on the host) runs in
// seconds; `e2e` brings up real stacks on the local Docker engine and drives real clients through them.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts", "test/golden/**/*.test.ts", "policies/**/*.test.ts"],
          exclude: ["**/node_modules/**"],
          testTimeout: 30_000,
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
