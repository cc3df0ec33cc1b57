import * as pulumi from "@pulumi/pulumi";
import { createCertificateAuthority, issueServerCertificate } from "./generate";

// The stack's own CA and server certificate (`tls.selfSigned`), made once and kept in the state (the key
// as a secret). A dynamic provider, like ConfigDir: no plugin binary to build; serialized into the state,
// so the generator it calls is self-contained.
//
// Renewal is a replacement: new names, or a leaf within RENEW_BEFORE_DAYS of its end at the next
// `up`, make a new CA and leaf. The CA is not kept across it (its key would have to outlive the leaf in
// the state); clients that trust the stack's CA re-import caFile after a renewal.

export interface SelfSignedInputs {
  /** CA subject: names the stack so an imported CA says where it came from. */
  readonly commonName: string;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

export interface SelfSignedOutputs extends SelfSignedInputs {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** ISO time the leaf expires. */
  readonly notAfter: string;
}

/**
 * Why the certificate in `olds` must be replaced for `news` at time `now`, as the property names Pulumi
 * shows; empty: keep it. Internal. Exported for testing.
 */
export function replaceReasons(olds: SelfSignedOutputs, news: SelfSignedInputs, now: number): string[] {
  const renewBeforeMs = 30 * 86_400_000;
  const same = (a: readonly string[] | undefined, b: readonly string[]) =>
    JSON.stringify(a ?? []) === JSON.stringify(b);
  const reasons: string[] = [];
  if (olds.commonName !== news.commonName) reasons.push("commonName");
  if (!same(olds.dnsNames, news.dnsNames)) reasons.push("dnsNames");
  if (!same(olds.ipAddresses, news.ipAddresses)) reasons.push("ipAddresses");
  const notAfter = Date.parse(olds.notAfter ?? "");
  if (!(notAfter - now > renewBeforeMs)) reasons.push("notAfter");
  return reasons;
}

const provider: pulumi.dynamic.ResourceProvider = {
  async diff(
    _id: string,
    olds: SelfSignedOutputs,
    news: SelfSignedInputs,
  ): Promise<pulumi.dynamic.DiffResult> {
    const replaces = replaceReasons(olds, news, Date.now());
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
  },

  async create(inputs: SelfSignedInputs): Promise<pulumi.dynamic.CreateResult> {
    const ca = await createCertificateAuthority(inputs.commonName);
    const leaf = await issueServerCertificate(ca, inputs);
    const outs: SelfSignedOutputs = {
      ...inputs,
      caPem: ca.certPem,
      certPem: leaf.certPem,
      keyPem: leaf.keyPem,
      notAfter: leaf.notAfter,
    };
    // The CA's key is dropped here: nothing signs with it after this.
    return { id: `${inputs.commonName}-${leaf.notAfter}`, outs };
  },
};

export class SelfSignedCertificate extends pulumi.dynamic.Resource {
  declare readonly caPem: pulumi.Output<string>;
  declare readonly certPem: pulumi.Output<string>;
  declare readonly keyPem: pulumi.Output<string>;
  declare readonly notAfter: pulumi.Output<string>;

  constructor(name: string, args: SelfSignedInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        commonName: args.commonName,
        dnsNames: [...args.dnsNames],
        ipAddresses: [...args.ipAddresses],
        caPem: undefined,
        certPem: undefined,
        keyPem: undefined,
        notAfter: undefined,
      },
      { ...opts, additionalSecretOutputs: ["keyPem"] },
    );
  }
}
