// The pack's entry point, run by the Pulumi engine. Constructing PolicyPack starts the analyzer's gRPC
// server, so nothing else lives here: rules and their tests import ./rules, never this file.
import { PolicyPack } from "@pulumi/policy";
import { MEDIAMTX_LB_POLICIES } from "./rules";

new PolicyPack("mediamtx-lb", { enforcementLevel: "mandatory", policies: MEDIAMTX_LB_POLICIES });
