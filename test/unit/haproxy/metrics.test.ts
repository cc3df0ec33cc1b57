import { describe, expect, it } from "vitest";
import { DROPPED_LOGS_METRIC, parseDroppedLogs, prometheusValue } from "../../../infra/haproxy/metrics";

// As HAProxy 3.0's exporter writes it (HELP/TYPE lines, then the unlabelled sample).
const METRICS = `# HELP haproxy_process_max_connections Maximum number of concurrent connections.
# TYPE haproxy_process_max_connections gauge
haproxy_process_max_connections 8000
# HELP haproxy_process_dropped_logs_total Total number of dropped logs.
# TYPE haproxy_process_dropped_logs_total counter
haproxy_process_dropped_logs_total 15764
# HELP haproxy_process_dropped_logs_totalx not the same metric
haproxy_process_dropped_logs_totalx 3
`;

describe("prometheusValue", () => {
  it.each([
    [DROPPED_LOGS_METRIC, 15764],
    ["haproxy_process_max_connections", 8000],
    ["haproxy_process_nbthread", undefined],
  ])("%s → %s", (name, expected) => {
    expect(prometheusValue(METRICS, name)).toBe(expected);
  });

  it("does not take a longer name for the one asked", () => {
    expect(prometheusValue("haproxy_process_dropped_logs_totalx 3\n", DROPPED_LOGS_METRIC)).toBeUndefined();
  });
});

describe("parseDroppedLogs", () => {
  it("reads the counter", () => {
    expect(parseDroppedLogs(METRICS)).toBe(15764);
  });

  it("throws when the exporter has no such counter", () => {
    expect(() => parseDroppedLogs("up 1\n")).toThrow(`/metrics has no ${DROPPED_LOGS_METRIC}`);
  });
});
