// ConfigDir inputs as the gateway builds them (infra/components/gateway.ts), for tests that drive the
// provider directly.
import type { ReloadSpec, ServerWeight } from "../../infra/providers/config-dir";

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
      socket: "run/admin.sock",
      config: "haproxy.cfg",
      serverState: "run/server-state",
      successLog: "Loading success.",
      weights,
      configFingerprint,
    },
  };
}
