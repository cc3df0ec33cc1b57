// Milliseconds → HAProxy time format. HAProxy reads a bare number as milliseconds, but a unit suffix
// keeps the rendered config readable ("inter 2s" rather than "inter 2000") and diffs stay obvious.

/** Largest unit first, so the exact-division search picks the shortest spelling. */
const UNITS: readonly (readonly [suffix: string, ms: number])[] = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1_000],
];

/**
 * Formats a whole number of milliseconds in the largest HAProxy unit that divides it exactly:
 * 2000 → "2s", 500 → "500ms", 90000 → "90s", 120000 → "2m", 0 → "0ms". Throws on negative or
 * fractional input: HAProxy has no sub-millisecond timer unit that every keyword accepts.
 */
export function formatHaproxyDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new RangeError(`formatHaproxyDuration: expected a non-negative integer of milliseconds, got ${ms}`);
  }
  if (ms === 0) return "0ms";
  for (const [suffix, unitMs] of UNITS) {
    if (ms % unitMs === 0) return `${ms / unitMs}${suffix}`;
  }
  return `${ms}ms`;
}
