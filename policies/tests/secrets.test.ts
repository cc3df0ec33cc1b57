// What a policy sees of a secret, pinned against @pulumi/policy's real analyzer code: the engine sends
// secrets wrapped in the secret signature, and the server unwraps them before validateResource runs
// (deserializeProperties(…, false)). stats-auth-secret relies on this: it cannot test the value for
// secretness and checks additionalSecretOutputs instead. If an upgrade starts passing wrappers, this
// test fails and the rule can check the value itself.

import type { ResourceValidationPolicy } from "@pulumi/policy";
import * as analyzerproto from "@pulumi/pulumi/proto/analyzer_pb";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { describe, expect, it } from "vitest";

// Internal modules without typings: the analyzer's RPC handler and protobuf's Struct.
type AnalyzeRpc = (
  call: { request: analyzerproto.AnalyzeRequest },
  callback: (err: unknown, response?: analyzerproto.AnalyzeResponse) => void,
) => void;
const server = require("@pulumi/policy/server") as {
  makeAnalyzeRpcFun(
    pack: string,
    version: string,
    level: string,
    policies: ResourceValidationPolicy[],
  ): AnalyzeRpc;
};
const { Struct } = require("google-protobuf/google/protobuf/struct_pb") as {
  Struct: { fromJavaScript(value: Record<string, unknown>): unknown };
};

async function analyze(
  props: Record<string, unknown>,
  additionalSecretOutputs: string[],
  policy: ResourceValidationPolicy,
): Promise<analyzerproto.AnalyzeResponse | undefined> {
  const options = new analyzerproto.AnalyzerResourceOptions();
  options.setAdditionalsecretoutputsList(additionalSecretOutputs);
  const request = new analyzerproto.AnalyzeRequest();
  request.setType("pulumi-nodejs:dynamic:Resource");
  request.setName("dev-haproxy-config");
  request.setUrn("urn:pulumi:dev::mediamtx-lb::pulumi-nodejs:dynamic:Resource::dev-haproxy-config");
  // biome-ignore lint/suspicious/noExplicitAny: setProperties wants google-protobuf's untyped Struct
  request.setProperties(Struct.fromJavaScript(props) as any);
  request.setOptions(options);
  const rpc = server.makeAnalyzeRpcFun("mediamtx-lb", "0.0.0", "mandatory", [policy]);
  return new Promise((resolve, reject) => {
    rpc({ request }, (err, response) => (err ? reject(err) : resolve(response)));
  });
}

describe("secrets in policy arguments", () => {
  it("arrive unwrapped in validateResource; only additionalSecretOutputs tells them apart", async () => {
    const seen: { props?: Record<string, unknown>; secretOutputs?: string[] } = {};
    const capture: ResourceValidationPolicy = {
      name: "capture",
      description: "records its arguments",
      validateResource: (args) => {
        seen.props = { ...args.props };
        seen.secretOutputs = args.opts.additionalSecretOutputs;
      },
    };
    const secretFiles = { "secrets.cfg": "userlist stats_users\n" };
    await analyze(
      { secretFiles: { [specialSigKey]: specialSecretSig, value: secretFiles } },
      ["secretFiles"],
      capture,
    );
    expect(seen.props?.secretFiles).toEqual(secretFiles);
    expect(seen.secretOutputs).toEqual(["secretFiles"]);
  });

  it("reach reportViolation messages as the rule writes them (so rules must never echo them)", async () => {
    const leaky: ResourceValidationPolicy = {
      name: "leaky",
      description: "echoes a secret",
      validateResource: (args, report) => report(String(args.props.password)),
    };
    const response = await analyze(
      { password: { [specialSigKey]: specialSecretSig, value: "hunter2" } },
      [],
      leaky,
    );
    expect(response?.getDiagnosticsList().map((d) => d.getMessage())).toEqual(["echoes a secret\nhunter2"]);
  });
});
