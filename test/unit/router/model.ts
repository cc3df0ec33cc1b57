// Models for router tests: only the instances (name, address) and the poll interval matter to the router.
import type { Model } from "../../../infra/config/model";
import { testInstances, testModel } from "../../support/model";

export interface InstanceSpec {
  readonly name: string;
  readonly address: string;
}

/** Instances in the order given (index = position), each at its own address. */
export function routerModel(instances: readonly InstanceSpec[], pollIntervalMs = 1000): Model {
  return testModel({
    stack: "test",
    instances: testInstances(instances),
    routing: { pollIntervalMs, republish: "takeover" },
    network: { ...testModel().network, subnet: "172.30.0.0/24", gateway: "172.30.0.1" },
    gatewaySources: ["172.30.0.0/24"],
    hostDir: "/tmp/mediamtx-lb-test",
  });
}
