// What one gateway's keepalived needs from the model (renderKeepalivedConfig's input). Pure.
import type { GatewayModel, Model } from "../config/model";
import type { KeepalivedSpec } from "./keepalived";

/**
 * VRRP advertisement interval. A backup takes the address 3 intervals (plus a skew under one interval)
 * after the last advert of a lost master: 0.5 s gives about 1.8 s, inside the 3 s the issue asks for,
 * at 2 small packets a second per peer.
 */
export const VRRP_ADVERT_INTERVAL_MS = 500;

/** keepalived's input for `gateway` of a stack with a floating address. */
export function keepalivedSpec(model: Model, gateway: GatewayModel): KeepalivedSpec {
  const { floating } = model;
  if (floating === undefined) throw new Error("internal error: keepalived without a floating address");
  const hostOf = (name: string | undefined) => {
    const host = model.hosts.find((h) => h.name === name);
    if (host?.privateAddress === undefined)
      throw new Error(`internal error: gateway host ${name} has no address and private address`);
    return { address: host.address, privateAddress: host.privateAddress };
  };
  return {
    stack: model.stack,
    gateway: gateway.name,
    routerId: floating.routerId,
    priority: gateway.priority,
    preempt: floating.preempt,
    source: hostOf(gateway.host).address,
    peers: model.gateways.filter((g) => g.name !== gateway.name).map((g) => hostOf(g.host).address),
    floatingAddress: floating.address,
    privateSource: hostOf(gateway.host).privateAddress,
    privateFloatingAddress: floating.privateAddress,
    // The stats listener is on every gateway whatever the TLS settings: it answering means HAProxy serves.
    checkPort: model.ports.stats,
    advertIntervalMs: VRRP_ADVERT_INTERVAL_MS,
  };
}
