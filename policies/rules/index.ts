// Every rule of the pack, in the order `pulumi preview` lists them. Adding a rule: a file here named
// after it, exporting one named const, plus a *.test.ts beside it with a passing and a failing case.

import { registerPolicies } from "../registry";
import { haproxyVersion } from "./haproxy-version";
import { healthIntervalSane } from "./health-interval-sane";
import { icePortsUnique } from "./ice-ports-unique";
import { imagesPinned } from "./images-pinned";
import { mediamtxApiUnpublished } from "./mediamtx-api-unpublished";
import { minimumInstances } from "./minimum-instances";
import { publishCredentialsRequired } from "./publish-credentials-required";
import { restartPolicy } from "./restart-policy";
import { serversHealthChecked } from "./servers-health-checked";
import { statsAuthSecret } from "./stats-auth-secret";
import { tlsRequired } from "./tls-required";
import { webrtcUdpPortsUnique } from "./webrtc-udp-ports-unique";
import { weightsValid } from "./weights-valid";

export const MEDIAMTX_LB_POLICIES = registerPolicies([
  imagesPinned,
  haproxyVersion,
  mediamtxApiUnpublished,
  restartPolicy,
  statsAuthSecret,
  tlsRequired,
  publishCredentialsRequired,
  serversHealthChecked,
  weightsValid,
  icePortsUnique,
  webrtcUdpPortsUnique,
  healthIntervalSane,
  minimumInstances,
]);
