import * as pulumi from "@pulumi/pulumi";

const NAMESPACE = "mediamtx-lb:";

/**
 * The stack's `mediamtx-lb:` config as the validator wants it: short keys, object and list values
 * parsed from the JSON Pulumi stores them as. Plain strings stay strings (a user name "123" is not a number).
 */
export function readStackConfig(): { raw: Record<string, unknown>; statsPasswordSet: boolean } {
  const all = pulumi.runtime.allConfig();
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(all)) {
    if (!key.startsWith(NAMESPACE)) continue;
    const short = key.slice(NAMESPACE.length);
    if (short === "statsPassword") continue; // never handed to the validator: it only needs to know it is set
    raw[short] = parseConfigValue(value);
  }
  return { raw, statsPasswordSet: `${NAMESPACE}statsPassword` in all };
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
