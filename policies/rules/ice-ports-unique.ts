import type { ResourceValidationPolicy } from "@pulumi/policy";
import { instanceOfIceProxy } from "../../infra/config/names";
import { bindLines } from "../lib/haproxy-cfg";
import { cfgLocation, requireHaproxyCfg } from "../lib/resources";

const FIX =
  "give every instance its own port, distinct from ports.rtmp/hls/webrtc/stats (mediamtx-lb:ports.iceTcpBase or instances[].iceTcpPort)";

/**
 * Each instance advertises its own ICE-TCP port and pion routes a connection by the ufrag in its first
 * STUN packet, so two instances behind one port get each other's sessions; a port shared with another
 * frontend fails at bind time. Ports are compared regardless of address: the renderer binds every
 * frontend on one address, and 0.0.0.0 overlaps any other.
 */
export const icePortsUnique: ResourceValidationPolicy = {
  name: "ice-ports-unique",
  description: "ICE-TCP frontend ports (frontend ice_*) are unique and collide with no other frontend.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    const cfg = requireHaproxyCfg(args);
    const binds = bindLines(cfg);
    const firstBinder = new Map<number, { section: string; lineNo: number }>();
    // Other frontends first, so an ICE port is reported against the rtmp/hls/… frontend it collides with.
    // ICE-TCP frontends carry one instance's port each; the program names them (infra/config/names.ts).
    const isIce = (name: string) => instanceOfIceProxy(name) !== undefined;
    const ordered = [
      ...binds.filter((b) => !isIce(b.section.name)),
      ...binds.filter((b) => isIce(b.section.name)),
    ];
    for (const bind of ordered) {
      for (const port of bind.ports) {
        const first = firstBinder.get(port);
        if (first === undefined) {
          firstBinder.set(port, { section: bind.section.name, lineNo: bind.lineNo });
        } else if (isIce(bind.section.name) && first.section !== bind.section.name) {
          reportViolation(
            `${cfgLocation(args.name, bind.lineNo)}: frontend ${bind.section.name} binds port ${port}, ` +
              `already bound by frontend ${first.section} (line ${first.lineNo}); ${FIX}`,
          );
        }
      }
    }
  },
};
