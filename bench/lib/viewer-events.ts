// What an HLS viewer in another network namespace reports (bench/lib/viewer-main.ts writes one JSON line
// per request) and what the bench reads from it: failures in a window, the first playable moment. Pure.

export type ViewerRequestKind = "session" | "playlist" | "segment";

export interface ViewerEvent {
  readonly stream: string;
  readonly kind: ViewerRequestKind;
  readonly url: string;
  /** ms since the epoch; the same clock as the bench (one machine). */
  readonly sentAt: number;
  readonly doneAt: number;
  /** HTTP status; 0 for a network error or a timeout. */
  readonly status: number;
  readonly error?: string;
}

const KINDS: readonly string[] = ["session", "playlist", "segment"];

/** A line that is one JSON object, as its fields; undefined for anything else (a stray or partial line). */
export function jsonObjectLine(line: string): Record<string, unknown> | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  return typeof v === "object" && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** One line of viewer-main's output; undefined for anything else (a stray log line). */
export function parseViewerEvent(line: string): ViewerEvent | undefined {
  const e = jsonObjectLine(line);
  if (e === undefined) return undefined;
  if (
    typeof e.stream !== "string" ||
    typeof e.kind !== "string" ||
    !KINDS.includes(e.kind) ||
    typeof e.url !== "string" ||
    typeof e.sentAt !== "number" ||
    typeof e.doneAt !== "number" ||
    typeof e.status !== "number"
  )
    return undefined;
  return {
    stream: e.stream,
    kind: e.kind as ViewerRequestKind,
    url: e.url,
    sentAt: e.sentAt,
    doneAt: e.doneAt,
    status: e.status,
    ...(typeof e.error === "string" ? { error: e.error } : {}),
  };
}

/** A request a player would count as failed: a network error, a timeout, or a status ≥ 400. */
export function isFailed(e: ViewerEvent): boolean {
  return e.status === 0 || e.status >= 400;
}

/**
 * When `stream` played again: the answer time of the first segment that came back 200 from a request
 * sent at or after `since` (the viewer asks for a segment only after its playlist answered 200).
 */
export function firstPlayable(
  events: readonly ViewerEvent[],
  stream: string,
  since: number,
): number | undefined {
  const hits = events
    .filter((e) => e.stream === stream && e.kind === "segment" && e.status === 200 && e.sentAt >= since)
    .map((e) => e.doneAt);
  return hits.length > 0 ? Math.min(...hits) : undefined;
}

export interface ViewerWindow {
  readonly requests: number;
  readonly failed: number;
  /** Up to five failures as `status kind stream +ms` (ms after `from`), with the error if any. */
  readonly samples: readonly string[];
}

/** Requests of the viewers of `streams` sent within [from, to], and those that failed. */
export function viewerWindow(
  events: readonly ViewerEvent[],
  streams: readonly string[],
  from: number,
  to: number,
): ViewerWindow {
  const sent = events.filter((e) => streams.includes(e.stream) && e.sentAt >= from && e.sentAt <= to);
  const failed = sent.filter(isFailed);
  return {
    requests: sent.length,
    failed: failed.length,
    samples: failed
      .slice(0, 5)
      .map(
        (e) =>
          `${e.status} ${e.kind} ${e.stream} +${e.sentAt - from} ms${e.error ? `: ${e.error.slice(0, 80)}` : ""}`,
      ),
  };
}
