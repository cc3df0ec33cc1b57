// Runtime API answers captured from a real HAProxy, kept as text fixtures: `=== <command>` on a line of
// its own precedes each answer.

import { readFileSync } from "node:fs";

/** A capture file → command → HAProxy's whole answer to it. */
export function capturedAnswers(file: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of readFileSync(file, "utf8").split(/^=== /m).slice(1)) {
    const newline = part.indexOf("\n");
    out.set(part.slice(0, newline), part.slice(newline + 1));
  }
  return out;
}
