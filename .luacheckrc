-- luacheck configuration (Debian package lua-check), run over every tracked *.lua file by
-- test/unit/lua/luacheck.test.ts.

-- What HAProxy's Lua (5.3 in 2.6/2.8, 5.4 in 3.0) provides beyond the standard library. Read-only: a
-- module that assigns one of these would replace HAProxy's object for every script in the shared state.
stds.haproxy = {
  read_globals = { "core", "act", "http", "txn", "applet" },
}

-- The strictest standard both 5.3 and 5.4 accept: what lints clean here runs on either.
std = "lua53+haproxy"
max_line_length = 120

-- The router's static module reads the table its rendered config sets (see router-config.lua below).
files["infra/lua/router.lua"] = { read_globals = { "MTX_ROUTER_CONFIG" } }

-- Rendered router configs (golden copies in test/golden/<case>/): they define that table, nothing else.
files["**/router-config.lua"] = { globals = { "MTX_ROUTER_CONFIG" } }

-- The publish hook and its rendered config table, likewise.
files["infra/lua/publish.lua"] = { read_globals = { "MTX_PUBLISH_CONFIG" } }
files["**/publish-config.lua"] = { globals = { "MTX_PUBLISH_CONFIG" } }

-- Plain Lua, not HAProxy: the harness installs its own stub `core` and sets MTX_TEST for the router.
files["test/unit/router/harness.lua"] = { std = "lua53", globals = { "core", "MTX_TEST" } }

-- wrk's scripts run under LuaJIT; wrk calls the global hook done(summary, latency, requests), and the
-- report has no use for the last argument.
files["bench/lib/wrk-report.lua"] = { std = "luajit", globals = { "done" }, ignore = { "212/requests" } }
