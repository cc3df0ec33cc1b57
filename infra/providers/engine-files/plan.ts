// The decisions of EngineFiles, from typed old and new inputs: what a change does to the resource
// (replace or update in place) and which files an apply writes and removes. Pure, and self-contained: the
// dynamic provider that calls it is serialized into the state.

import type { EngineFilesInputs } from "./inputs";

export interface EngineFilesDiff {
  readonly changes: boolean;
  /** Input names whose change replaces the resource. */
  readonly replaces: readonly string[];
  readonly deleteBeforeReplace: boolean;
}

/**
 * Internal. Exported for testing. `engine` or `volume` → replace: the files then live in another volume
 * object. Create-before-delete is right because that is a different object even under the same name on
 * another engine (each engine has its own volume namespace); deleting first would only take the files
 * away from the old instance earlier. The one case it gets wrong is one engine under two spellings
 * (unix:///var/run/docker.sock → unix:///run/docker.sock): the new resource adopts the same volume and
 * the old one's delete removes it — `docker volume rm` refuses while a container mounts it, and an
 * endpoint is not respelled without reason. `files`, `image`, `labels` → update in place: MediaMTX
 * reloads a changed file itself, so nothing that mounts the volume is replaced.
 */
export function diffEngineFiles(olds: Partial<EngineFilesInputs>, news: EngineFilesInputs): EngineFilesDiff {
  const changed = (a: unknown, b: unknown) => JSON.stringify(sorted(a)) !== JSON.stringify(sorted(b));
  const keys = ["engine", "volume", "image", "files", "labels"] as const;
  const diffs = keys.filter((k) => changed(olds[k], news[k]));
  return {
    changes: diffs.length > 0,
    replaces: diffs.filter((k) => k === "engine" || k === "volume"),
    deleteBeforeReplace: false,
  };
}

/** A record with its keys in order (the state may keep another order than the program gives). */
function sorted(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value !== "object" || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export interface FilePlan {
  /** Files to write, sorted: new, or with other content than the last apply wrote. */
  readonly write: readonly string[];
  /** Files the last apply wrote that the new map has no more, sorted. */
  readonly remove: readonly string[];
}

/** Internal. Exported for testing. `old` is what the last apply wrote; undefined: nothing (write all). */
export function planFiles(
  old: Readonly<Record<string, string>> | undefined,
  next: Readonly<Record<string, string>>,
): FilePlan {
  // Not Object.hasOwn: the engine compiles the program with ts-node's own lib (below ES2022).
  const has = (r: Readonly<Record<string, string>>, k: string) => Object.keys(r).includes(k);
  const before = old ?? {};
  return {
    write: Object.keys(next)
      .filter((name) => !has(before, name) || before[name] !== next[name])
      .sort(),
    remove: Object.keys(before)
      .filter((name) => !has(next, name))
      .sort(),
  };
}

/**
 * Internal. Exported for testing. One line per file name that is not a plain name, [] when all are.
 * Plain: the volume's root only, since a directory emptied later cannot be removed through `docker cp`
 * (engine.ts); not hidden, so no name meets the staging file; 100 bytes at most, the ustar name field.
 */
export function fileNameProblems(files: Readonly<Record<string, string>>): string[] {
  const plain = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
  return Object.keys(files)
    .sort()
    .filter((name) => !plain.test(name) || Buffer.byteLength(name) > 100)
    .map(
      (name) =>
        `EngineFiles: file name ${JSON.stringify(name)} not allowed: a plain name of letters, digits, ., _ and -, not starting with ., at most 100 bytes`,
    );
}
