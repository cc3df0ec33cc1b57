// versions.env for TypeScript: the one file of non-npm pins, which the scripts source as bash. Its
// lines are plain `KEY=VALUE` (or comments), so both read the same values; anything else is refused.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

const VERSIONS_ENV = resolve(__dirname, "..", "..", "versions.env");
const LINE = /^([A-Z][A-Z0-9_]*)=([A-Za-z0-9._:+=/-]+)$/;

/** `KEY=VALUE` lines → map; blank lines and `#` comments are skipped. Throws on any other line. */
export function parseVersionsEnv(text: string, file = "versions.env"): ReadonlyMap<string, string> {
  const pins = new Map<string, string>();
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const m = LINE.exec(line);
    const key = m?.[1];
    const value = m?.[2];
    if (key === undefined || value === undefined) {
      throw new Error(
        `${file}:${i + 1}: must be KEY=VALUE with nothing bash would expand, got ${JSON.stringify(raw)}`,
      );
    }
    pins.set(key, value);
  });
  return pins;
}

let cached: ReadonlyMap<string, string> | undefined;

/** The value of one pin in versions.env; throws if it has none. */
export function pin(name: string): string {
  cached ??= parseVersionsEnv(readFileSync(VERSIONS_ENV, "utf8"), VERSIONS_ENV);
  const value = cached.get(name);
  if (value === undefined) throw new Error(`${VERSIONS_ENV} has no ${name}`);
  return value;
}

/**
 * The images scripts/bootstrap builds from the pins.
 * Couplings: MEDIAMTX_IMAGE and HAPROXY_IMAGE in scripts/lib/common.sh.
 */
export function localImages(): { readonly haproxy: string; readonly mediamtx: string } {
  return {
    haproxy: `mediamtx-lb/haproxy:${pin("HAPROXY_MINOR")}`,
    mediamtx: `mediamtx-lb/mediamtx:${pin("MEDIAMTX_VERSION")}`,
  };
}

/**
 * The keepalived image scripts/bootstrap builds (the gateways' floating address). Apart from
 * localImages(), whose result tests pass as the stack config `images` as it is.
 * Couplings: KEEPALIVED_IMAGE in scripts/lib/common.sh.
 */
export function localKeepalivedImage(): string {
  return `mediamtx-lb/keepalived:${pin("KEEPALIVED_VERSION")}`;
}
