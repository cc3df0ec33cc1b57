import * as pulumi from "@pulumi/pulumi";

const NAMESPACE = "mediamtx-lb:";

/**
 * The stack's `mediamtx-lb:` config as the validator wants it: short keys, object and list values
 * parsed from the JSON Pulumi stores them as. Plain strings stay strings (a user name "123" is not a number).
 */
export function readStackConfig(): {
  raw: Record<string, unknown>;
  statsPasswordSet: boolean;
  secretKeys: ReadonlySet<string> | undefined;
} {
  const all = pulumi.runtime.allConfig();
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(all)) {
    if (!key.startsWith(NAMESPACE)) continue;
    const short = key.slice(NAMESPACE.length);
    if (short === "statsPassword") continue; // never handed to the validator: it only needs to know it is set
    raw[short] = parseConfigValue(value);
  }
  return {
    raw,
    statsPasswordSet: `${NAMESPACE}statsPassword` in all,
    secretKeys: parseSecretKeys(process.env[SECRET_KEYS_ENV]),
  };
}

/**
 * Where the language host lists the config keys stored as secrets (full names, a JSON array). The SDK
 * reads it too (runtime/config.js, isConfigSecret) but does not export a typed accessor.
 */
const SECRET_KEYS_ENV = "PULUMI_CONFIG_SECRET_KEYS";

/**
 * Short names of the secret `mediamtx-lb:` keys; undefined when the list is missing or unreadable, so
 * the validator skips the "must be a secret" rule rather than failing every stack. Internal. Exported
 * for testing.
 */
export function parseSecretKeys(text: string | undefined): ReadonlySet<string> | undefined {
  if (text === undefined) return undefined;
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(list)) return undefined;
  return new Set(
    list
      .filter((key): key is string => typeof key === "string" && key.startsWith(NAMESPACE))
      .map((key) => key.slice(NAMESPACE.length)),
  );
}

/** Internal. Exported for testing. */
export function parseConfigValue(value: string): unknown {
  const t = value.trimStart();
  if (t.startsWith("{") || t.startsWith("[")) {
    try {
      return JSON.parse(value);
    } catch {
      return value; // the validator names the key and shows the text
    }
  }
  return value;
}
