// Entry point of scripts/status: arguments → collect → report → text or JSON. Only wiring; the
// decisions live in the modules beside it.

import { ConfigError } from "../config/validate";
import { parseStatusArgs, USAGE } from "./args";
import { collectStatus } from "./collect";
import { StackNotUpError } from "./deployment";
import { renderJson, renderText } from "./render";
import { buildReport, staleAfterMs } from "./report";

export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Runs the command; resolves with the exit status (see USAGE). */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const command = parseStatusArgs(argv);
  if (command.kind === "help") {
    io.stdout(USAGE);
    return 0;
  }
  if (command.kind === "error") {
    io.stderr(`error: ${command.message}\n`);
    return 2;
  }
  try {
    const inputs = await collectStatus({
      stack: command.stack,
      ...(command.stream === undefined ? {} : { stream: command.stream }),
    });
    const report = buildReport(inputs);
    io.stdout(command.json ? renderJson(report) : renderText(report, staleAfterMs(inputs.pollIntervalMs)));
    return 0;
  } catch (err) {
    if (err instanceof StackNotUpError) {
      io.stderr(`${err.message}\n`);
    } else if (err instanceof ConfigError) {
      const lines = err.message.split("\n");
      const more = lines.length > 1 ? ` (and ${lines.length - 1} more)` : "";
      io.stderr(`error: stack ${command.stack} has an invalid config: ${lines[0]}${more}\n`);
    } else {
      io.stderr(`error: ${(err as Error).message ?? String(err)}\n`);
    }
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
