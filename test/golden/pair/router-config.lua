-- router-config.lua for stack pair: rendered by infra/render/router.ts. Do not edit by hand.
-- Data only: the router itself is infra/lua/router.lua, shipped unchanged. haproxy.cfg lua-loads this
-- file first; the router reads MTX_ROUTER_CONFIG and refuses to load without it.

MTX_ROUTER_CONFIG = {
  -- Config order: the first claimer in this order wins a contested stream.
  instances = {
    { name = "a1", address = "10.9.0.11", apiPort = 19003 },
    { name = "b1", address = "10.9.0.12", apiPort = 19011 },
    { name = "c1", address = "10.9.0.13", apiPort = 19019 },
  },
  pollIntervalMs = 1000,
  -- Budget for one instance during an on-miss lookup; HTTP attempts get a quarter each.
  lookupTimeoutMs = 500,
  lookupAttemptTimeoutMs = 125,
  pollAttemptTimeoutMs = 250,
  -- A learned (WHIP 201) entry survives polls that do not list the path yet for this long.
  learnGraceMs = 10000,
  itemsPerPage = 2147483647,
  mapPath = "/usr/local/etc/haproxy/streams.map",
  -- Backend whose health checks tell the lookup which instances to skip.
  healthBackend = "hls",
}
