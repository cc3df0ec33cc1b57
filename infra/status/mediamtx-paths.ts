// MediaMTX control API `GET /v3/paths/list` → the paths an instance holds. Pure.
// Upstream: items carry name, ready (deprecated, still emitted by v1.20), available (v1.16+), source
// {type, id} or null, tracks, readers [{type, id}], bytesReceived. A configured path can exist before
// anyone publishes, so "live" means available/ready, never mere presence.

import { isRecord, numberOr, recordsIn, stringOr, stringsIn } from "../lib/untyped";

export interface PathReader {
  /** e.g. hlsSession, hlsMuxer, webRTCSession, rtmpConn. */
  readonly type: string;
  readonly id: string;
}

export interface LivePath {
  readonly name: string;
  /** A publisher is attached and has sent its tracks. */
  readonly ready: boolean;
  /** Publisher kind (rtmpConn, webRTCSession, …), undefined when nobody publishes. */
  readonly sourceType: string | undefined;
  readonly tracks: readonly string[];
  readonly readers: readonly PathReader[];
  readonly bytesReceived: number | undefined;
}

export interface PathsPage {
  readonly items: readonly LivePath[];
  readonly pageCount: number;
}

/** One page of /v3/paths/list. Throws on a body that is not a path list. */
export function parsePathsPage(json: unknown): PathsPage {
  if (!isRecord(json) || !Array.isArray(json.items)) {
    throw new Error("MediaMTX /v3/paths/list: expected an object with an items array");
  }
  const items = json.items.filter(isRecord).map((item): LivePath => {
    const source = isRecord(item.source) ? item.source : undefined;
    return {
      name: stringOr(item.name, ""),
      ready: item.available === true || item.ready === true,
      sourceType: stringOr(source?.type, undefined),
      tracks: stringsIn(item.tracks),
      readers: recordsIn(item.readers).map((r) => ({ type: stringOr(r.type, ""), id: stringOr(r.id, "") })),
      bytesReceived: numberOr(item.bytesReceived, undefined),
    };
  });
  const pageCount = numberOr(json.pageCount, 1);
  return { items: items.filter((p) => p.name !== ""), pageCount };
}
