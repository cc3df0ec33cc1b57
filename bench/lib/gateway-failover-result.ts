// A gateway-failover result around given cycles, the settings as the scenario runs them: for the tests
// of gateway-failover.ts and report.ts.
import type { GatewayFailoverCycle, GatewayFailoverResult } from "./results";

export function gatewayFailoverResult(cycles: readonly GatewayFailoverCycle[]): GatewayFailoverResult {
  return {
    hosts: 3,
    gateways: ["ga@h1", "gb@h2"],
    floatingAddress: "10.254.90.100",
    advertIntervalMs: 500,
    intervalMs: 1000,
    timeoutMs: 500,
    fall: 2,
    rise: 1,
    pollerEveryMs: 50,
    pollerTimeoutMs: 1000,
    holderPollMs: 50,
    viewersPerCycle: 2,
    viewerTimeoutMs: 8000,
    viewerRetryCount: 6,
    viewerRetryDelayMs: 500,
    settleStepMs: 500,
    labMs: 600,
    upMs: 60_000,
    cycles,
  };
}
