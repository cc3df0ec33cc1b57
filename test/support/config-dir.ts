// ConfigDir inputs as the gateway builds them (infra/components/gateway.ts), for tests that drive the
// provider directly.
import type { ReloadSpec, ServerWeight } from "../../infra/providers/config-dir";
import { ADMIN_SOCKET, HAPROXY_CONFIG, inHaproxyDir, SERVER_STATE_FILE } from "../../infra/render/paths";

/** A reload spec for HAProxy in `container`, with the gateway's paths inside the config directory. */
export function haproxyReloadSpec(
  container: string,
  weights: readonly ServerWeight[],
  configFingerprint: string,
): ReloadSpec {
  return {
    container,
    signal: "SIGUSR2",
    haproxy: {
      socket: inHaproxyDir(ADMIN_SOCKET),
      config: inHaproxyDir(HAPROXY_CONFIG),
      serverState: inHaproxyDir(SERVER_STATE_FILE),
      successLog: "Loading success.",
      weights,
      configFingerprint,
    },
  };
}
