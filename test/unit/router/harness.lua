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
--   {op = "mapfails", fails}
--   {op = "lookup", stream} | {op = "learn", stream, server} | {op = "status"} | {op = "map"}
--   {op = "hook", instance, body, hashes, details}: the publish hook (publish.lua's decide), result
--   {status, reason}, with `details` also the warnings it logged and the hook's counters; `hashes` =
--   {text: hex} is its SHA-256 (the test computes them; any other text hashes to "unknown"; HAProxy's
--   own converters run in the fast lane and e2e);
--   the scripted API answers kicks with `kick = {status}` (default 200; a 200 drops the kicked path).

local luaFiles = { ... }
assert(#luaFiles > 0, "usage: harness.lua LUA_FILE... < cases.json")

MTX_TEST = true

-- MTX_HARNESS_DECODER=lua hides lua-cjson, as in an image without it (the official haproxy:2.8);
-- cjson (the default) requires it. json.lua picks its decoder when loaded.
local DECODER = os.getenv("MTX_HARNESS_DECODER") or "cjson"
assert(DECODER == "lua" or DECODER == "cjson", "MTX_HARNESS_DECODER must be lua or cjson")
if DECODER == "lua" then
  package.cpath = ""
  package.loaded.cjson = nil
  package.preload.cjson = nil
end

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
  fake.yields = 0
  fake.mapFails = false
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
  yield = function()
    fake.yields = fake.yields + 1
  end,
  set_map = function(_, key, value)
    if fake.mapFails then
      error("set_map: unknown map file")
    end
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
  local json = assert(package.loaded["mtx.json"], "no mtx.json module loaded")
  assert(json.decoder == DECODER, "asked for the " .. DECODER .. " decoder, json.lua uses " .. json.decoder
    .. (DECODER == "cjson" and " (is lua-cjson installed?)" or ""))
  return router, json, last ~= router and last or nil
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

-- cjson's null as the encoder's, so a decoded value re-encodes.
local function plain(value)
  if json.is_null(value) then
    return json.NULL
  elseif type(value) ~= "table" then
    return value
  end
  local copy = {}
  for key, item in pairs(value) do
    copy[key] = plain(item)
  end
  return setmetatable(copy, getmetatable(value))
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

-- A request's txn for the lookup action: txn.mtx_stream set; returns it and its variables.
local function request_txn(stream)
  local vars = { ["txn.mtx_stream"] = stream }
  local txn = {
    get_var = function(_, name)
      return vars[name]
    end,
    set_var = function(_, name, value)
      vars[name] = value
    end,
  }
  return txn, vars
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
    elseif step.op == "mapfails" then
      -- The map refuses writes (as HAProxy does for a map file the config does not use).
      fake.mapFails = step.fails
    elseif step.op == "unmap" then
      -- What `del map` on the runtime API does behind the router's back.
      fake.map[step.stream] = nil
    elseif step.op == "advance" then
      fake.clock = fake.clock + step.ms
    elseif step.op == "poll" then
      local yields = fake.yields
      local ok, err = pcall(M.poll_round, instance_config(step.instance))
      out.yields = fake.yields - yields
      out.error = not ok and tostring(err) or nil
    elseif step.op == "lookup" then
      local txn, vars = request_txn(step.stream)
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
      local warningsBefore = #fake.warnings
      local hashes = step.hashes or {}
      local function hash(text)
        return hashes[text] or "unknown"
      end
      local status, reason = assert(P, "publish.lua was not loaded").decide(step.instance, step.body, hash)
      out.status = status
      out.reason = reason
      local warnings = {}
      for j = warningsBefore + 1, #fake.warnings do
        warnings[#warnings + 1] = fake.warnings[j]
      end
      if step.details then
        out.warnings = json.array(warnings)
        out.counters = P.counters
      end
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

-- Equivalence ---------------------------------------------------------------------------------

-- The full reconcile as router.lua ran it on every poll before polls became incremental (issue 13),
-- kept unchanged as the oracle: the router's incremental poll must leave the same entries.
local function full_reconcile(instances, claims, entries, now, graceMs)
  local configured = {}
  for _, name in ipairs(instances) do
    configured[name] = true
  end

  local claimers = {}
  for _, name in ipairs(instances) do
    local claim = claims[name]
    if claim and claim.ok then
      for stream in pairs(claim.streams) do
        local list = claimers[stream]
        if list == nil then
          list = {}
          claimers[stream] = list
        end
        list[#list + 1] = name
      end
    end
  end

  local function protected(entry)
    if (entry.source == "learn" or entry.source == "push") and now - entry.at < graceMs then
      return true
    end
    local claim = claims[entry.server]
    return claim == nil or claim.startedAt == nil or entry.at >= claim.startedAt
  end

  local function failing(server)
    local claim = claims[server]
    return claim ~= nil and not claim.ok
  end

  local changes = {}
  for stream, list in pairs(claimers) do
    local entry = entries[stream]
    if entry == nil then
      changes[#changes + 1] = { stream = stream, server = list[1] }
    else
      local held = false
      for _, name in ipairs(list) do
        if name == entry.server then
          held = true
          break
        end
      end
      if not held then
        local keep = configured[entry.server] and not failing(entry.server) and protected(entry)
        if not keep then
          changes[#changes + 1] = { stream = stream, server = list[1] }
        end
      end
    end
  end
  for stream, entry in pairs(entries) do
    if claimers[stream] == nil then
      local drop
      if not configured[entry.server] then
        drop = true
      elseif failing(entry.server) then
        drop = false
      else
        drop = claims[entry.server] ~= nil and not protected(entry)
      end
      if drop then
        changes[#changes + 1] = { stream = stream }
      end
    end
  end
  return changes
end

local function describe_entries(entries)
  local out = {}
  for stream, entry in pairs(entries) do
    out[stream] = entry.server .. " " .. entry.source .. " " .. entry.at
  end
  return json.object(out)
end

-- The first way the router's state differs from the oracle's entries, or nil.
local function mismatch(oracle)
  local state = M.state
  local size = 0
  for stream, entry in pairs(state.entries) do
    size = size + 1
    local want = oracle[stream]
    if want == nil or want.server ~= entry.server or want.source ~= entry.source or want.at ~= entry.at then
      return "entry " .. stream
    elseif fake.map[stream] ~= entry.server then
      return "map " .. stream
    elseif not (state.owned[entry.server] or {})[stream] then
      return "owned " .. stream
    end
  end
  for stream in pairs(oracle) do
    if state.entries[stream] == nil then
      return "missing " .. stream
    end
  end
  for stream in pairs(fake.map) do
    if state.entries[stream] == nil then
      return "stale map " .. stream
    end
  end
  if size ~= state.size then
    return "size"
  end
  for server, set in pairs(state.owned) do
    for stream in pairs(set) do
      if (state.entries[stream] or {}).server ~= server then
        return "stale owned " .. server .. " " .. stream
      end
    end
  end
  return nil
end

-- Steps: {op = "poll", instance, streams} (a successful poll listing those streams, ready)
--      | {op = "poll", instance, fail = true} | {op = "learn" | "push" | "lookup", stream, server}
--      | {op = "advance", ms}.
-- Returns {ok = true} or the first step after which the router and the oracle differ.
local function run_equivalence(case)
  M, json = load_router()
  local names = {}
  for i, instance in ipairs(M.CONFIG.instances) do
    names[i] = instance.name
  end
  local oracle = {}
  local function oracle_set(stream, server, source)
    oracle[stream] = { server = server, source = source, at = fake.clock }
  end
  for i, step in ipairs(case.steps) do
    if step.op == "poll" then
      local instance = instance_config(step.instance)
      local api = fake.api[instance.address] or {}
      if step.fail then
        api.list = { { status = 500, body = "" } }
      else
        local items = {}
        for _, name in ipairs(step.streams) do
          items[#items + 1] = { name = name, ready = true, available = true }
        end
        local body = json.encode({ itemCount = #items, pageCount = 1, items = json.array(items) })
        api.list = { { status = 200, body = body } }
      end
      fake.api[instance.address] = api
      M.poll_round(instance)
      local changes = full_reconcile(names, M.state.claims, oracle, fake.clock, M.CONFIG.learnGraceMs)
      for _, change in ipairs(changes) do
        if change.server then
          oracle_set(change.stream, change.server, "poll")
        else
          oracle[change.stream] = nil
        end
      end
    elseif step.op == "learn" then
      M.learn_action({
        get_var = function()
          return step.stream
        end,
        sf = {
          srv_name = function()
            return step.server
          end,
        },
      })
      oracle_set(step.stream, step.server, "learn")
    elseif step.op == "push" then
      M.push(step.stream, step.server)
      oracle_set(step.stream, step.server, "push")
    elseif step.op == "lookup" then
      for _, instance in ipairs(M.CONFIG.instances) do
        local api = fake.api[instance.address] or {}
        api.paths = {}
        if instance.name == step.server then
          api.paths[step.stream] = { status = 200, body = json.encode({ name = step.stream, ready = true }) }
        end
        fake.api[instance.address] = api
      end
      M.lookup_action((request_txn(step.stream)))
      if oracle[step.stream] == nil then
        oracle_set(step.stream, step.server, "lookup")
      end
    elseif step.op == "advance" then
      fake.clock = fake.clock + step.ms
    else
      error("unknown op " .. tostring(step.op))
    end
    local problem = mismatch(oracle)
    if problem then
      return { ok = false, step = i, problem = problem, router = describe_entries(M.state.entries),
        oracle = describe_entries(oracle) }
    end
  end
  return { ok = true }
end

local function run_case(case)
  if case.kind == "extract" then
    return orNull(M.stream_from_path(case.path))
  elseif case.kind == "decode" then
    local value, err = json.decode(case.text)
    if err then
      return { ok = false, error = err }
    end
    return { ok = true, value = plain(value) }
  elseif case.kind == "page" then
    local page, split = M.parse_paths_page(case.body, case.pieceBytes)
    if page == nil then
      return { ok = false, error = split }
    end
    return { ok = true, page = page, split = split }
  elseif case.kind == "decoder" then
    return json.decoder
  elseif case.kind == "equivalence" then
    return run_equivalence(case)
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
