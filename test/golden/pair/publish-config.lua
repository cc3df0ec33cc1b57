-- publish-config.lua for stack pair: rendered by infra/render/publish.ts. Do not edit by hand.
-- Data only: the publish hook itself is infra/lua/publish.lua, shipped unchanged. haproxy.cfg lua-loads
-- this file after the router and before publish.lua, which refuses to load without MTX_PUBLISH_CONFIG.

MTX_PUBLISH_CONFIG = {
  -- routing.republish: a publish of a name live on another instance kicks it (takeover) or fails (refuse).
  republish = "takeover",
  -- Each instance's authHTTPAddress path: this prefix, then the instance's name.
  pathPrefix = "/auth/",
  -- Who may use the instances' control API, metrics and pprof (MediaMTX asks the hook for those too).
  apiNetworks = { "127.0.0.1", "::1", "10.213.200.0/24", "10.9.0.11", "10.9.0.12" },
  -- Per attempt; core.httpclient makes up to 4, and a takeover makes two calls to the old owner.
  apiAttemptTimeoutMs = 100,
}
