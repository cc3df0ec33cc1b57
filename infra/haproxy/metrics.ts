// The gateway's Prometheus exporter (`/metrics` on the stats frontend), for the one value the status
// needs from it when the admin socket is out of reach: the dropped request-log lines.

/**
 * Log lines HAProxy could not hand to a log target: every datagram whose non-blocking send found the
 * target's queue full (EAGAIN/EWOULDBLOCK, src/log.c `dropped_logs`), in 2.6, 2.8 and 3.0 alike. The
 * same number is `show info` DroppedLogs. Per worker process: a reload or restart starts it at 0.
 * Lines sent to a target that does not exist or refuses (no socket, ECONNREFUSED) are not counted.
 */
export const DROPPED_LOGS_METRIC = "haproxy_process_dropped_logs_total";

/**
 * The value of an unlabelled sample `name` in Prometheus text format, or undefined when absent.
 * Internal. Exported for testing.
 */
export function prometheusValue(text: string, name: string): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name} `)) continue;
    const value = Number(
      line
        .slice(name.length + 1)
        .trim()
        .split(" ")[0],
    );
    return Number.isFinite(value) ? value : undefined;
  }
  return undefined;
}

/** `/metrics` text → dropped log lines; throws when the exporter did not list the counter. */
export function parseDroppedLogs(text: string): number {
  const value = prometheusValue(text, DROPPED_LOGS_METRIC);
  if (value === undefined) throw new Error(`/metrics has no ${DROPPED_LOGS_METRIC}`);
  return value;
}
