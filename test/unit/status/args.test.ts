import { describe, expect, it } from "vitest";
import { parseStatusArgs } from "../../../infra/status/args";

describe("parseStatusArgs", () => {
  it.each([
    [[], { kind: "run", stack: "dev", json: false }],
    [["prod"], { kind: "run", stack: "prod", json: false }],
    [["--json"], { kind: "run", stack: "dev", json: true }],
    [["prod", "--json"], { kind: "run", stack: "prod", json: true }],
    [["--stream", "cam/a"], { kind: "run", stack: "dev", json: false, stream: "cam/a" }],
    [["--stream=cam/a", "e2e-x"], { kind: "run", stack: "e2e-x", json: false, stream: "cam/a" }],
    [["-h"], { kind: "help" }],
    [["prod", "--help"], { kind: "help" }],
  ])("%j → %j", (argv, command) => {
    expect(parseStatusArgs(argv)).toEqual(command);
  });

  it.each([
    [["--yaml"], "unknown option --yaml (see --help)"],
    [["a", "b"], "one stack at a time, got a and b"],
    [["--stream"], "--stream needs a stream name"],
    [["Dev"], 'stack name must match ^[a-z0-9][a-z0-9_.-]*$, got "Dev"'],
  ])("%j is a usage error", (argv, message) => {
    expect(parseStatusArgs(argv)).toEqual({ kind: "error", message });
  });
});
