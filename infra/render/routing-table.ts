// A compact routing table for reviewers: `preview --diff` shows it as a line diff beside haproxy.cfg's,
// so a weight or health change reads at a glance. Pure and deterministic (config order, fixed columns).
import type { Model } from "../config/model";
import { formatHaproxyDuration } from "./durations";

export function renderRoutingTable(model: Model): string {
  // With `hosts`: where each instance runs and where the gateway dials it (its private address).
  const onHosts = model.hosts.length > 0;
  const rows = [
    ["instance", "weight", "ice-tcp", "address", ...(onHosts ? ["host", "webrtc-udp"] : [])],
    ...model.instances.map((i) => [
      i.name,
      String(i.weight),
      String(i.iceTcpPort),
      onHosts ? `${i.dial.address}:${i.dial.rtmp}` : i.address,
      ...(onHosts ? [i.host ?? "", String(i.webrtcUdpPort ?? "")] : []),
    ]),
  ];
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length))) ?? [];
  const lines = rows.map((r) =>
    r
      .map((cell, c) => cell.padEnd(widths[c] ?? 0))
      .join("  ")
      .trimEnd(),
  );
  const h = model.health;
  const d = formatHaproxyDuration;
  lines.push(
    `health: inter ${d(h.intervalMs)} timeout ${d(h.timeoutMs)} fall ${h.fall} rise ${h.rise}; router poll ${d(model.routing.pollIntervalMs)}`,
  );
  const { floating } = model;
  if (floating !== undefined) {
    const gateways = model.gateways.map(
      (g) => `${g.name} on ${g.host ?? "this host"} (priority ${g.priority})`,
    );
    lines.push(
      `gateways: ${gateways.join(", ")}; floating ${floating.address} (vrid ${floating.routerId}, ${floating.preempt ? "preempt" : "nopreempt"})`,
    );
  }
  return `${lines.join("\n")}\n`;
}
