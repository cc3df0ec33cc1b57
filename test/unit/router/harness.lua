-- Test harness for the router and the publish hook: `lua5.x harness.lua LUA_FILE... < cases.json`, the
-- files being what haproxy.cfg lua-loads, in its order (router-config.lua, json.lua, router.lua,
-- publish-config.lua, publish.lua).
-- Loads them with MTX_TEST set and a stub `core` (no register_* functions, so nothing is registered),
-- runs each case and prints one JSON array of results, in case order.
--
-- Cases: {kind = "extract", path} | {kind = "decode", text} | {kind = "page", body}
--      | {kind = "reconcile", instances, claims, entries, now, graceMs} | {kind = "scenario", steps}.
-- Scenario steps drive the runtime parts against a fake clock, a fake map and a scripted API; each
-- step's result carries the API calls it made and its `label`, if it has one:
--   {op = "api", address, list = [{status, body}, ...], paths = {stream: {status, body}}}
--   {op = "health", server, status} | {op = "advance", ms} | {op = "poll", instance} | {op = "unmap", stream}
--   {op = "lookup", stream} | {op = "learn", stream, server} | {op = "status"} | {op = "map"}
--   {op = "hook", instance, body}: the publish hook (publish.lua's decide), result {status, reason};
--   the scripted API answers kicks with `kick = {status}` (default 200; a 200 drops the kicked path).

local luaFiles = { ... }
assert(#luaFiles > 0, "usage: harness.lua LUA_FILE... < cases.json")

MTX_TEST = true

-- Stub core ------------------------------------------------------------------------------------

local fake = {}

local function reset_fake()
  fake.clock = 1000000
  fake.map = {}
  fake.api = {}
  fake.health = {}
  fake.calls = {}
  fake.warnings = {}
  fake.infos = {}
end

local function fake_get(request, method)
  fake.calls[#fake.calls + 1] = (method and (method .. " ") or "") .. request.url
  local address, path = request.url:match("^http://([^:/]+):%d+(/.*)$")
  local api = address and fake.api[address]
  if api == nil then
    -- What core.httpclient answers when the connection fails.
    return { status = 503, body = "<html>503</html>", headers = {} }
  end
  local listPage = path:match("^/v3/paths/list%?itemsPerPage=%d+&page=(%d+)$")
  local response
  local kicked = path:match("^/v3/[%w]+/kick/(.+)$")
  if kicked then
    response = api.kick or { status = 200, body = "" }
    -- As MediaMTX: a kicked publisher's path is no longer ready.
    for stream, answer in pairs(api.paths or {}) do
      if response.status == 200 and answer.body:find(kicked, 1, true) then
        api.paths[stream] = nil
      end
    end
  elseif listPage then
    response = api.list and api.list[tonumber(listPage) + 1]
  else
    local stream = path:match("^/v3/paths/get/(.+)$")
    response = stream and api.paths and api.paths[stream]
    response = response or { status = 404, body = '{"error":"path not found"}' }
  end
  response = response or { status = 404, body = "" }
  return { status = response.status, body = response.body, headers = {} }
end

core = {
  now = function()
    return { sec = fake.clock // 1000, usec = (fake.clock % 1000) * 1000 }
  end,
  msleep = function(ms)
    fake.clock = fake.clock + ms
  end,
  set_map = function(_, key, value)
    fake.map[key] = value
  end,
  del_map = function(_, key)
    fake.map[key] = nil
  end,
  Warning = function(message)
    fake.warnings[#fake.warnings + 1] = message
  end,
  Info = function(message)
    fake.infos[#fake.infos + 1] = message
  end,
  httpclient = function()
    return {
      get = function(_, request)
        return fake_get(request)
      end,
      post = function(_, request)
        return fake_get(request, "POST")
      end,
    }
  end,
  backends = {
    hls = {
      servers = setmetatable({}, {
        __index = function(_, name)
          return {
            get_stats = function()
              return { status = fake.health[name] or "UP" }
            end,
          }
        end,
      }),
    },
  },
}

-- Every file in order, as lua-load does. The router registers its module as mtx.router (and the JSON
-- module as mtx.json); the last file is the publish hook, which returns its module under MTX_TEST.
local function load_router()
  reset_fake()
  package.loaded["mtx.router"] = nil
  local last
  for _, path in ipairs(luaFiles) do
    last = dofile(path)
  end
  local router = assert(package.loaded["mtx.router"], "router.lua did not register mtx.router")
  return router, assert(package.loaded["mtx.json"], "no mtx.json module loaded"), last ~= router and last or nil
end

-- Reloaded for every scenario (fresh state); always reach NULL through the current JSON module.
local M, json, P = load_router()

local function orNull(value)
  if value == nil then
    return json.NULL
  end
  return value
end

local function unNull(value)
  if value == json.NULL then
    return nil
  end
  return value
end

local function set_of(list)
  local set = {}
  for _, item in ipairs(list or {}) do
    set[item] = true
  end
  return set
end

-- Case runners ---------------------------------------------------------------------------------

local function run_reconcile(case)
  local claims = {}
  for name, claim in pairs(case.claims) do
    claims[name] = { ok = claim.ok, startedAt = unNull(claim.startedAt), streams = set_of(claim.streams) }
  end
  local entries = {}
  for stream, entry in pairs(case.entries) do
    entries[stream] = { server = entry.server, source = entry.source, at = entry.at }
  end
  local changes = M.reconcile(case.instances, claims, entries, case.now, case.graceMs)
  local out = {}
  for i, change in ipairs(changes) do
    out[i] = { stream = change.stream, server = orNull(change.server) }
  end
  return json.array(out)
end

local function map_copy()
  local copy = {}
  for key, value in pairs(fake.map) do
    copy[key] = value
  end
  return json.object(copy)
end

local function instance_config(name)
  for _, instance in ipairs(M.CONFIG.instances) do
    if instance.name == name then
      return instance
    end
  end
  error("no instance " .. tostring(name))
end

local function run_scenario(case)
  M, json, P = load_router()
  local outputs = {}
  for i, step in ipairs(case.steps) do
    local before = #fake.calls
    local out = {}
    if step.op == "api" then
      local api = fake.api[step.address] or {}
      if step.list ~= nil then
        api.list = step.list
      end
      if step.paths ~= nil then
        api.paths = step.paths
      end
      if step.kick ~= nil then
        api.kick = step.kick
      end
      fake.api[step.address] = api
    elseif step.op == "health" then
      fake.health[step.server] = step.status
    elseif step.op == "unmap" then
      -- What `del map` on the runtime API does behind the router's back.
      fake.map[step.stream] = nil
    elseif step.op == "advance" then
      fake.clock = fake.clock + step.ms
    elseif step.op == "poll" then
      M.poll_round(instance_config(step.instance))
    elseif step.op == "lookup" then
      local vars = { ["txn.mtx_stream"] = step.stream }
      local txn = {
        get_var = function(_, name)
          return vars[name]
        end,
        set_var = function(_, name, value)
          vars[name] = value
        end,
      }
      M.lookup_action(txn)
      out.owner = orNull(vars["txn.mtx_owner"])
    elseif step.op == "learn" then
      local txn = {
        get_var = function(_, name)
          if name == "txn.mtx_stream" then
            return step.stream
          end
        end,
        sf = {
          srv_name = function()
            return step.server
          end,
        },
      }
      M.learn_action(txn)
    elseif step.op == "hook" then
      local status, reason = assert(P, "publish.lua was not loaded").decide(step.instance, step.body)
      out.status = status
      out.reason = reason
    elseif step.op == "status" then
      out.status = M.status_document(fake.clock)
    elseif step.op == "map" then
      out.map = map_copy()
    else
      error("unknown op " .. tostring(step.op))
    end
    local calls = {}
    for j = before + 1, #fake.calls do
      calls[#calls + 1] = fake.calls[j]
    end
    out.calls = json.array(calls)
    out.label = step.label
    outputs[i] = out
  end
  return json.array(outputs)
end

local function run_case(case)
  if case.kind == "extract" then
    return orNull(M.stream_from_path(case.path))
  elseif case.kind == "decode" then
    local value, err = json.decode(case.text)
    if err then
      return { ok = false, error = err }
    end
    return { ok = true, value = value }
  elseif case.kind == "page" then
    local page, err = M.parse_paths_page(case.body)
    if page == nil then
      return { ok = false, error = err }
    end
    return { ok = true, page = page }
  elseif case.kind == "reconcile" then
    return run_reconcile(case)
  elseif case.kind == "scenario" then
    return run_scenario(case)
  end
  error("unknown case kind " .. tostring(case.kind))
end

local cases = assert(json.decode(io.read("a")))
local results = {}
for i, case in ipairs(cases) do
  results[i] = run_case(case)
end
io.write(json.encode(json.array(results)), "\n")
