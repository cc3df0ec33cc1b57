// scripts/testhosts: the test-hosts lab for humans and the bench. `up N` prints the lab as JSON and
// leaves it running (engines and mirror are detached); `down [ID]` removes recorded labs; `clean`
// removes everything any run left behind.
import { cleanupLeftoverTestHosts, createTestHosts, recordedTestHosts } from "./test-hosts";

const USAGE = "usage: scripts/testhosts up N [--no-client] [--id ID] | down [ID] | clean";

async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "up": {
      const hosts = Number(rest[0]);
      const idAt = rest.indexOf("--id");
      const id = idAt >= 0 ? rest[idAt + 1] : undefined;
      const lab = await createTestHosts({
        hosts,
        client: !rest.includes("--no-client"),
        ...(id ? { id } : {}),
      });
      const { id: labId, hosts: list, client, mirror } = lab;
      process.stdout.write(`${JSON.stringify({ id: labId, hosts: list, client, mirror }, null, 2)}\n`);
      return 0;
    }
    case "down": {
      const labs = recordedTestHosts().filter((lab) => rest[0] === undefined || lab.id === rest[0]);
      if (rest[0] !== undefined && labs.length === 0)
        throw new Error(`no test-hosts lab ${rest[0]} is recorded`);
      for (const lab of labs) await lab.destroy();
      return 0;
    }
    case "clean":
      await cleanupLeftoverTestHosts();
      return 0;
    default:
      process.stderr.write(`${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
