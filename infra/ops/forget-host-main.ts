// Entry point of scripts/forget-host: export the stack's state, drop the lost host's resources
// (forget-host.ts), import it back. Wiring only.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { forgetHost } from "./forget-host";

const USAGE = `usage: scripts/forget-host STACK HOST
Forgets every resource of STACK that ran on HOST (its Docker provider, containers, images, network and
config volumes) without contacting HOST's engine, for a host that is gone. Then remove HOST from
mediamtx-lb:hosts, move or remove its instances, and run scripts/pulumi up.
`;

const PULUMI = resolve(__dirname, "..", "..", "scripts", "pulumi");

function main(argv: readonly string[]): number {
  if (argv.length !== 2 || argv.some((a) => a === "-h" || a === "--help")) {
    process.stderr.write(USAGE);
    return argv.some((a) => a === "-h" || a === "--help") ? 0 : 2;
  }
  const [stack, host] = argv as [string, string];
  // Kept: the export before the change is the way back (`scripts/pulumi stack import --file …`).
  const dir = mkdtempSync(join(tmpdir(), `mediamtx-lb-forget-${stack}-${host}-`));
  try {
    const before = join(dir, "before.json");
    const after = join(dir, "after.json");
    execFileSync(PULUMI, ["stack", "export", "--stack", stack, "--file", before], { stdio: "inherit" });
    const { exported, forgotten } = forgetHost(JSON.parse(readFileSync(before, "utf8")), stack, host);
    writeFileSync(after, JSON.stringify(exported, null, 2));
    execFileSync(PULUMI, ["stack", "import", "--stack", stack, "--file", after], { stdio: "inherit" });
    process.stdout.write(
      `state before the change: ${before}\n` +
        `forgot ${forgotten.length} resources of host ${host}:\n${forgotten.map((u) => `  ${u}`).join("\n")}\n` +
        `next: remove ${host} from mediamtx-lb:hosts, move or remove its instances, then scripts/pulumi up\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
