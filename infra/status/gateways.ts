// A gateway pair (model.floating): which gateway holds the floating address, which one the rest of the
// status is read from, and whether their stream maps agree. Pure: the collector hands in what each
// gateway's keepalived and admin socket answered.

import type { MapEntry } from "../haproxy/show-map";
import type { Result } from "./report";

/** One gateway of a pair, as collected. */
export interface GatewayInput {
  /** Config name (`gateways[].name`). */
  readonly name: string;
  /** Its host (`gateways[].host`). */
  readonly host: string | undefined;
  readonly haproxyContainer: string;
  readonly keepalivedContainer: string;
  /**
   * Whether its host holds the floating address (`ip -o -4 addr show` in its keepalived container, which
   * shares the host's network); an error when that could not be asked.
   */
  readonly holds: Result<boolean>;
  /** Its stream map (STREAMS_MAP) over its own admin socket. */
  readonly map: Result<readonly MapEntry[]>;
}

export interface FloatingInput {
  readonly address: string;
  /** Config order. */
  readonly gateways: readonly GatewayInput[];
}

/**
 * `ip -o -4 addr show` → every IPv4 address, without its prefix length. One line per address:
 *   521: eth0    inet 198.51.100.100/32 scope global eth0\       valid_lft forever preferred_lft forever
 */
export function parseIpv4Addresses(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const m = /\sinet\s+([0-9.]+)(?:\/\d+)?\s/.exec(line);
    if (m?.[1] !== undefined) out.push(m[1]);
  }
  return out;
}

/** The gateway the rest of the status is read from, and why that one. */
export interface UsedGateway {
  readonly name: string;
  readonly because: string;
}

/**
 * The holder of the address (what clients reach); with two holders the first of them whose admin socket
 * answered; with none the first gateway whose admin socket answered; else the first gateway. Config
 * order decides ties, so the same inputs always pick the same gateway.
 */
export function chooseGateway(floating: FloatingInput): UsedGateway {
  const { address, gateways } = floating;
  const holders = gateways.filter((g) => g.holds.ok && g.holds.value);
  const answered = (g: GatewayInput) => g.map.ok;
  const only = holders.length === 1 ? holders[0] : undefined;
  if (only !== undefined) return { name: only.name, because: `it holds ${address}` };
  const holder = holders.find(answered);
  if (holder !== undefined) {
    return { name: holder.name, because: `first of ${holders.length} holders of ${address} that answered` };
  }
  const first = gateways.find(answered);
  if (first !== undefined) {
    return { name: first.name, because: `no gateway is known to hold ${address}; first that answered` };
  }
  return { name: gateways[0]?.name ?? "?", because: "no gateway answered; the first one" };
}

/** A stream the maps do not agree on: each gateway's owner, null where its map lacks the stream. */
export interface MapDifference {
  readonly stream: string;
  readonly owners: Readonly<Record<string, string | null>>;
}

export interface MapAgreement {
  /** null when a map could not be read: nothing can be said about it. */
  readonly agree: boolean | null;
  /** Streams in any map that was read. */
  readonly streams: number;
  /** Sorted by stream; among the maps that were read. */
  readonly differences: readonly MapDifference[];
  /** The gateways whose maps could not be read, with why; empty when all were. */
  readonly unread: readonly string[];
}

/**
 * Whether every gateway routes every stream to the same owner. A stream one map has and another lacks
 * (that gateway's poll has not reached it yet, or learned it from a WHIP 201 the other never saw) is a
 * difference too: the two maps are read a few milliseconds apart, so a stream published or moved in
 * that moment may show up once and be gone at the next status.
 */
export function compareMaps(gateways: readonly GatewayInput[]): MapAgreement {
  const read = gateways.flatMap((g) =>
    g.map.ok ? [{ name: g.name, owners: new Map(g.map.value.map((e) => [e.stream, e.server])) }] : [],
  );
  const unread = gateways.flatMap((g) => (g.map.ok ? [] : [`${g.name}: ${g.map.error}`]));
  const streams = [...new Set(read.flatMap((r) => [...r.owners.keys()]))].sort();
  const differences = streams.flatMap((stream): MapDifference[] => {
    const owners = read.map((r) => r.owners.get(stream) ?? null);
    if (owners.every((o) => o === owners[0])) return [];
    return [{ stream, owners: Object.fromEntries(read.map((r, n) => [r.name, owners[n] ?? null])) }];
  });
  return {
    agree: unread.length > 0 ? null : differences.length === 0,
    streams: streams.length,
    differences,
    unread,
  };
}
