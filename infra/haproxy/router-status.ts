// The router's `/router` JSON (service lua.mtx_router_status) → types, checked: status, bench and tests
// read it only through parseRouterStatus. Pure. Coupling: the field names below are status_document()
// in the Lua router; a renamed counter there shows up here as null, and a removed list as a parse error.

import { isRecord, numberOr, recordsIn } from "../lib/untyped";

export interface RouterCounters {
  /** Polls of instance path lists, successful or not (one per instance per poll interval). */
  readonly polls: number | null;
  readonly pollErrors: number | null;
  /** /v3/paths/list requests the polls made: one per poll while every listing fits one page. */
  readonly pollRequests: number | null;
  /**
   * Listings decoded whole, in one Lua run, because their cut into pieces could not be trusted (another
   * field order or formatting than MediaMTX 1.20's): should stay 0.
   */
  readonly wholeDecodes: number | null;
  /** On-miss lookups (a request for a stream the map did not know) and how many found an owner. */
  readonly lookups: number | null;
  readonly lookupHits: number | null;
  /** Requests that found no owner (balanced by stream hash instead). */
  readonly misses: number | null;
  /** Owners learned from a WHIP 201. */
  readonly learned: number | null;
  readonly mapSize: number | null;
  /** Age of the newest successful poll of any instance; null before the first. */
  readonly lastPollAgeMs: number | null;
}

export const ROUTER_COUNTER_NAMES = [
  "polls",
  "pollErrors",
  "pollRequests",
  "wholeDecodes",
  "lookups",
  "lookupHits",
  "misses",
  "learned",
  "mapSize",
  "lastPollAgeMs",
] as const satisfies readonly (keyof RouterCounters)[];

export interface RouterEntry {
  readonly stream: string;
  readonly server: string;
  /** How the router learned the owner: poll, lookup or learn (WHIP 201). */
  readonly source: string;
  /** Since the entry was set (not since it was last confirmed by a poll). */
  readonly ageMs: number;
}

export interface RouterInstance {
  readonly name: string;
  /** Whether the last finished poll succeeded. A poll still in flight keeps the previous value. */
  readonly pollOk: boolean;
  readonly claimed: number;
  readonly lastPollAgeMs: number | null;
  /** Streams its last poll decided (added, removed, watched; all of them when its poll state flipped). */
  readonly lastPollDecided: number | null;
}

export interface RouterStatus {
  /** The JSON decoder the router runs: "cjson" (Debian's lua-cjson) or "lua" (the pure fallback). */
  readonly decoder: string | null;
  readonly counters: RouterCounters;
  readonly entries: readonly RouterEntry[];
  readonly instances: readonly RouterInstance[];
}

function num(value: unknown): number | null {
  return numberOr(value, null);
}

/** Parsed /router body. Throws when it is not the router's document. */
export function parseRouterStatus(json: unknown): RouterStatus {
  if (!isRecord(json) || !isRecord(json.counters) || !Array.isArray(json.entries)) {
    throw new Error("router status: expected {counters, entries, instances}");
  }
  const raw = json.counters;
  const counters = Object.fromEntries(ROUTER_COUNTER_NAMES.map((k) => [k, num(raw[k])])) as Record<
    keyof RouterCounters,
    number | null
  >;
  const entries = json.entries.filter(isRecord).map((e) => ({
    stream: String(e.stream ?? ""),
    server: String(e.server ?? ""),
    source: String(e.source ?? ""),
    ageMs: num(e.ageMs) ?? 0,
  }));
  const instances = recordsIn(json.instances).map((i) => ({
    name: String(i.name ?? ""),
    pollOk: i.pollOk === true,
    claimed: num(i.claimed) ?? 0,
    lastPollAgeMs: num(i.lastPollAgeMs),
    lastPollDecided: num(i.lastPollDecided),
  }));
  const decoder = typeof json.decoder === "string" ? json.decoder : null;
  return { decoder, counters, entries, instances };
}

/**
 * A counter the caller cannot do without (the bench subtracts them): throws naming it when the router
 * did not report it, instead of computing with null.
 */
export function requiredCounter(status: RouterStatus, name: keyof RouterCounters): number {
  const value = status.counters[name];
  if (value === null) throw new Error(`router status: counter ${name} missing or not a number`);
  return value;
}
