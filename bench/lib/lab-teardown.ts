// The end of a scenario with a lab of its own (host-loss, gateway-failover): its stack, the lab, its files.
import { rmSync } from "node:fs";
import type { TestHosts } from "../../test/support/test-hosts";
import type { BenchStack } from "./bench-stack";
import type { BenchContext } from "./context";

/** Stack destroy (through the lab's engines), then the lab, then the work files; each step whatever the last did. */
export async function teardownLab(
  ctx: BenchContext,
  scenario: string,
  stack: BenchStack | undefined,
  lab: TestHosts | undefined,
  root: string,
): Promise<void> {
  if (stack) {
    const d = await stack.destroy().catch((err: unknown) => ({ code: 1, stdout: "", stderr: String(err) }));
    // The lab's destroy below powers the engines off and removes their data roots: nothing of the
    // stack outlives it, only this stack's state, which goes with the work directory.
    if (d.code !== 0)
      ctx.log(`${scenario}: pulumi destroy failed (the lab goes anyway):\n${d.stderr.slice(-2000)}`);
  }
  if (lab) await lab.destroy().catch((err: unknown) => ctx.log(`${scenario}: lab destroy failed: ${err}`));
  rmSync(root, { recursive: true, force: true });
}
