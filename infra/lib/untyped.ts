// Reading untyped JSON (stack config, Docker, MediaMTX, HAProxy and Pulumi output) without casts: every
// parser takes `unknown` at its boundary and narrows with these. Pure, no imports, no module state, so
// the dynamic providers serialized into the Pulumi state may call them too.

/** A JSON object: not null, not a list. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `value` when it is a string, else `fallback`. */
export function stringOr<F>(value: unknown, fallback: F): string | F {
  return typeof value === "string" ? value : fallback;
}

/** `value` when it is a finite number, else `fallback`. */
export function numberOr<F>(value: unknown, fallback: F): number | F {
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}

/** The objects in a list, skipping anything else; `[]` when `value` is not a list. */
export function recordsIn(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** The strings in a list, skipping anything else; `[]` when `value` is not a list. */
export function stringsIn(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

/**
 * What was found, for the "got …" part of an error line: strings quoted (cut at 80 characters), lists
 * and objects named by kind only, always a single line.
 */
export function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") {
    const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value;
    // JSON escapes \n and \r; U+2028/2029 are left raw by JSON.stringify but break lines in some viewers.
    return JSON.stringify(shown)
      .replace(/\u2028/g, "\\u2028")
      .replace(/\u2029/g, "\\u2029");
  }
  return String(value);
}
