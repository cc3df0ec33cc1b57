// The error lines of one validation run. Every reader (fields.ts) and rule (rules.ts) records into one
// `Problems`; validateConfig throws them all at once. House style ("Config errors"): one line each,
// "<full key>: <what is allowed>, got <what was found>", in the order the keys are read.

export const NAMESPACE = "mediamtx-lb";

/** The full key of a short path: `instances[2].weight` → `mediamtx-lb:instances[2].weight`. */
export function at(path: string): string {
  return `${NAMESPACE}:${path}`;
}

/** Collects error lines; `add` turns a short path into the full key. */
export class Problems {
  readonly lines: string[] = [];

  add(path: string, message: string): void {
    this.lines.push(`${at(path)}: ${message}`);
  }
}
