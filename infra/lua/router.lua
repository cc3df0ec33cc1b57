-- router.lua: stream-aware routing inside HAProxy (one shared state: `lua-load`, not
-- `lua-load-per-thread`).
-- * fetch  lua.mtx_stream        request path -> MediaMTX path name, or nil (pure string work: fetches
--                                cannot yield).
-- * action lua.mtx_lookup        (http-req, on a map miss) asks the instances once, caches misses.
-- * action lua.mtx_learn         (http-res, 201 to a new WHIP POST) records where a publish landed.
-- * service lua.mtx_router_status JSON counters and the stream table.
-- * one task per instance polls /v3/paths/list and applies only the changes to the streams map.
-- Steady-state requests only read the map; every API call runs in a task or an action, through
-- core.httpclient, which yields instead of blocking (socket.http would block and fails `haproxy -c`).
--
-- Static: this file is shipped as is, so it is valid Lua in the repository and luacheck lints it
-- (.luacheckrc). Only the data is rendered: infra/render/router.ts writes router-config.lua, which
-- sets the global MTX_ROUTER_CONFIG, and haproxy.cfg lua-loads it before json.lua and this file (the
-- haproxytech jwtverify pattern). A global rather than `lua-load` arguments because those only exist
-- from 2.8 on and 2.6 silently ignores them.
--
-- Couplings: the registered names and the variables txn.mtx_stream / txn.mtx_owner are the ones
-- templates/haproxy.cfg.mustache uses; the CONFIG fields are the ones
-- templates/router-config.lua.mustache writes (REQUIRED_CONFIG below checks them at load).

local json = require("mtx.json")
local NULL, array, decode, encode = json.NULL, json.array, json.decode, json.encode

-- Field -> Lua type, for the table and for each of its instances.
local REQUIRED_CONFIG = {
  { "instances", "table" },
  { "pollIntervalMs", "number" },
  { "lookupTimeoutMs", "number" },
  { "lookupAttemptTimeoutMs", "number" },
  { "pollAttemptTimeoutMs", "number" },
  { "learnGraceMs", "number" },
  { "itemsPerPage", "number" },
  { "mapPath", "string" },
  { "healthBackend", "string" },
}
local REQUIRED_INSTANCE = { { "name", "string" }, { "address", "string" }, { "apiPort", "number" } }

-- Every problem with the config table, one per line; "" when it is usable.
local function config_problems(config)
  if type(config) ~= "table" then
    return "MTX_ROUTER_CONFIG is " .. type(config) .. ", not a table: haproxy.cfg must lua-load"
      .. " router-config.lua before router.lua"
  end
  local problems = {}
  local function check(value, fields, prefix)
    for _, field in ipairs(fields) do
      local key, kind = field[1], field[2]
      if type(value[key]) ~= kind then
        problems[#problems + 1] = prefix .. key .. ": must be a " .. kind .. ", got " .. type(value[key])
      end
    end
  end
  check(config, REQUIRED_CONFIG, "MTX_ROUTER_CONFIG.")
  if type(config.instances) == "table" then
    for i, instance in ipairs(config.instances) do
      local prefix = "MTX_ROUTER_CONFIG.instances[" .. i .. "]"
      if type(instance) == "table" then
        check(instance, REQUIRED_INSTANCE, prefix .. ".")
      else
        problems[#problems + 1] = prefix .. ": must be a table, got " .. type(instance)
      end
    end
  end
  return table.concat(problems, "\n")
end

-- Fail the load (and so `haproxy -c` and the reload) rather than route with half a configuration.
local CONFIG_PROBLEMS = config_problems(MTX_ROUTER_CONFIG)
if CONFIG_PROBLEMS ~= "" then
  error("router.lua: " .. CONFIG_PROBLEMS, 0)
end
local CONFIG = MTX_ROUTER_CONFIG

local M = { CONFIG = CONFIG, config_problems = config_problems }

-- Limits that bound work and memory whatever clients or instances send.
local MAX_STREAM_BYTES = 256
-- A path longer than this cannot hold a valid stream plus a file or session part: reject it unread.
local MAX_PATH_BYTES = 512
local MAX_PAGES = 1000
local MAX_NEGATIVE_ENTRIES = 10000
-- Lookups for distinct unknown streams running at once; beyond this a request is balanced unrouted
-- rather than adding API calls (a flood of random names must not become a flood of API requests).
local MAX_CONCURRENT_LOOKUPS = 16
local LOOKUP_WAIT_STEP_MS = 5
local MIN_POLL_SLEEP_MS = 50

-- ---------------------------------------------------------------------------------------------
-- Stream extraction (pure)
-- ---------------------------------------------------------------------------------------------

-- MediaMTX path names: alphanumerics and _ . ~ - /. Anything else (%, spaces, non-ASCII) is
-- rejected outright, so percent-encoding cannot smuggle a different name past the router.
local DISALLOWED_BYTE = "[^A-Za-z0-9_.~/%-]"

-- Suffixes MediaMTX's HLS server treats as files inside the stream directory (.m3u8, .ts, .mp4 and
-- .mp, internal/servers/hls/http_server.go), plus static assets its pages load (.js, .map, .ico).
local FILE_SUFFIXES = { ".m3u8", ".ts", ".mp4", ".mp", ".js", ".map", ".ico" }

local UUID_PATTERN = "^" .. string.rep("%x", 8) .. "%-" .. string.rep("%x", 4) .. "%-" ..
  string.rep("%x", 4) .. "%-" .. string.rep("%x", 4) .. "%-" .. string.rep("%x", 12) .. "$"

local function has_file_suffix(segment)
  for i = 1, #FILE_SUFFIXES do
    local suffix = FILE_SUFFIXES[i]
    if #segment > #suffix and segment:sub(-#suffix) == suffix then
      return true
    end
  end
  return false
end

-- A usable path name: 1-256 bytes of the allowed set, no empty, "." or ".." segment (which also
-- rules out a leading or trailing '/').
local function valid_stream(name)
  if type(name) ~= "string" or #name == 0 or #name > MAX_STREAM_BYTES then
    return false
  end
  if name:find(DISALLOWED_BYTE) then
    return false
  end
  for segment in (name .. "/"):gmatch("([^/]*)/") do
    if segment == "" or segment == "." or segment == ".." then
      return false
    end
  end
  return true
end

-- Splits "a/b/c" into "a/b", "c"; a name without '/' gives nil, name.
local function split_last(text)
  local head, last = text:match("^(.*)/([^/]*)$")
  if head == nil then
    return nil, text
  end
  return head, last
end

-- Request path (no query) -> stream name, or nil. Mirrors how MediaMTX's HLS and WebRTC servers
-- read their URLs, checked in the same order as the WebRTC server does:
--   /<s>/whip, /<s>/whep               WHIP/WHEP endpoint
--   /<s>/whip/<uuid>, /<s>/whep/<uuid> session URL (PATCH/DELETE); another id there is not a stream
--   /<s>/publish                       publish page
--   /<s>/<file>                        playlist, segment, part, init, page asset
--   /<s>/                              page
--   /<s>                               page without the slash (MediaMTX redirects to /<s>/)
local function stream_from_path(path)
  if type(path) ~= "string" then
    return nil
  end
  local length = #path
  if length < 2 or length > MAX_PATH_BYTES or path:byte(1) ~= 47 then
    return nil
  end
  if path:find(DISALLOWED_BYTE) then
    return nil
  end
  local rest = path:sub(2)
  local stream
  if rest:byte(-1) == 47 then
    stream = rest:sub(1, -2)
  else
    local head, last = split_last(rest)
    if head == nil then
      -- One segment: a root-level asset (favicon.ico) belongs to no stream.
      if has_file_suffix(last) then
        return nil
      end
      stream = rest
    elseif last == "whip" or last == "whep" then
      stream = head
    else
      local before, kind = split_last(head)
      if kind == "whip" or kind == "whep" then
        if before == nil or not last:find(UUID_PATTERN) then
          return nil
        end
        stream = before
      elseif last == "publish" or has_file_suffix(last) then
        stream = head
      else
        stream = rest
      end
    end
  end
  if not valid_stream(stream) then
    return nil
  end
  return stream
end

M.stream_from_path = stream_from_path
M.valid_stream = valid_stream

-- ---------------------------------------------------------------------------------------------
-- MediaMTX API answers (pure)
-- ---------------------------------------------------------------------------------------------

-- A configured path exists before anyone publishes; only a ready one has a stream. `available`
-- (v1.16+) and the deprecated `ready` are both emitted by v1.20.
local function path_ready(item)
  return type(item) == "table" and (item.available == true or item.ready == true)
end

-- One /v3/paths/list page -> { streams = { name, ... } (ready ones, sorted), pageCount }.
local function parse_paths_page(body)
  local document, err = decode(body)
  if type(document) ~= "table" then
    return nil, err or "not an object"
  end
  local items = document.items
  if not json.is_array(items) then
    return nil, "items is not an array"
  end
  local streams = {}
  for _, item in ipairs(items) do
    if path_ready(item) and valid_stream(item.name) then
      streams[#streams + 1] = item.name
    end
  end
  table.sort(streams)
  local pageCount = type(document.pageCount) == "number" and math.tointeger(document.pageCount) or 1
  return { streams = array(streams), pageCount = pageCount }
end

M.path_ready = path_ready
M.parse_paths_page = parse_paths_page

-- ---------------------------------------------------------------------------------------------
-- Ownership (pure)
-- ---------------------------------------------------------------------------------------------

-- instances: names in config order.
-- claims:    name -> { ok = last poll succeeded, startedAt = start of the last successful poll (ms),
--                      streams = { [stream] = true } from that poll }.
-- entries:   stream -> { server, source = "poll" | "lookup" | "learn" | "push", at = ms }.
-- Returns the changes, sorted by stream: { stream, server } to set, { stream } (no server) to delete.
--
-- Rules:
-- * claimers = instances whose last poll succeeded and listed the stream, in config order.
-- * The owner among the claimers stays; otherwise the first claimer takes over, unless the entry is
--   protected and its owner is not failing.
-- * An unclaimed entry goes only when its owner polled successfully and the entry is not protected;
--   an owner whose poll failed keeps its entries (health checks route around it meanwhile), an owner
--   no longer configured loses them.
-- * Protected: learned or pushed less than graceMs ago (a new publish is not listed as ready at once),
--   or newer than the start of the owner's last successful poll (that poll could not have seen it).
local function reconcile(instances, claims, entries, now, graceMs)
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
  table.sort(changes, function(a, b)
    return a.stream < b.stream
  end)
  return changes
end

M.reconcile = reconcile

-- ---------------------------------------------------------------------------------------------
-- Runtime state (one per HAProxy process: lua-load shares it between threads)
-- ---------------------------------------------------------------------------------------------

local state = {
  entries = {}, -- stream -> { server, source, at }
  size = 0,
  claims = {}, -- instance -> { ok, startedAt, streams }
  lastPollAt = {}, -- instance -> ms of the last successful poll's end
  negative = {}, -- stream -> expiry (ms)
  negativeCount = 0,
  inflight = {}, -- stream -> true while a lookup asks the instances
  activeLookups = 0,
  counters = { polls = 0, pollErrors = 0, lookups = 0, lookupHits = 0, misses = 0, learned = 0 },
}
M.state = state

local INSTANCE_NAMES = {}
local INSTANCE_BY_NAME = {}
for i, instance in ipairs(CONFIG.instances) do
  INSTANCE_NAMES[i] = instance.name
  INSTANCE_BY_NAME[instance.name] = instance
end

local function now_ms()
  local now = core.now()
  return now.sec * 1000 + now.usec // 1000
end

local function set_entry(stream, server, source, at)
  local entry = state.entries[stream]
  if entry == nil then
    state.size = state.size + 1
  end
  if entry == nil or entry.server ~= server then
    core.set_map(CONFIG.mapPath, stream, server)
  end
  state.entries[stream] = { server = server, source = source, at = at }
end

local function delete_entry(stream)
  if state.entries[stream] ~= nil then
    state.entries[stream] = nil
    state.size = state.size - 1
    core.del_map(CONFIG.mapPath, stream)
  end
end

local function forget_miss(stream)
  if state.negative[stream] ~= nil then
    state.negative[stream] = nil
    state.negativeCount = state.negativeCount - 1
  end
end

local function apply(changes, now)
  for _, change in ipairs(changes) do
    if change.server then
      set_entry(change.stream, change.server, "poll", now)
      forget_miss(change.stream)
    else
      delete_entry(change.stream)
    end
  end
end

local function prune_negative(now)
  for stream, expiry in pairs(state.negative) do
    if expiry <= now then
      state.negative[stream] = nil
      state.negativeCount = state.negativeCount - 1
    end
  end
end

-- core.httpclient answers errors as responses (503 when the connection fails, 504 on timeout); a
-- raised error (bad arguments, no memory) is turned into nil as well. Its internal proxy retries 3
-- times on connection failure and on timeout, so one call can take 4 x timeout (measured on 2.6.12:
-- timeout 200 -> 806 ms, 8 connections for 2 calls); hence the attempt timeouts are a quarter budget.
local function http_get(url, timeoutMs)
  local ok, response = pcall(function()
    return core.httpclient():get({ url = url, timeout = timeoutMs })
  end)
  if ok and type(response) == "table" then
    return response
  end
  return nil
end

local function api_url(instance, pathAndQuery)
  return "http://" .. instance.address .. ":" .. instance.apiPort .. pathAndQuery
end

-- One poll of one instance: every page of /v3/paths/list. Returns { ok = true, startedAt, streams }
-- or nil. Yields.
local function poll_instance(instance, startedAt)
  local streams = {}
  local page, pageCount = 0, 1
  while page < pageCount do
    local response = http_get(
      api_url(instance, "/v3/paths/list?itemsPerPage=" .. CONFIG.itemsPerPage .. "&page=" .. page),
      CONFIG.pollAttemptTimeoutMs
    )
    if response == nil or response.status ~= 200 then
      return nil
    end
    local parsed = parse_paths_page(response.body)
    if parsed == nil then
      return nil
    end
    for _, name in ipairs(parsed.streams) do
      streams[name] = true
    end
    pageCount = math.min(parsed.pageCount, MAX_PAGES)
    page = page + 1
  end
  return { ok = true, startedAt = startedAt, streams = streams }
end

-- Poll one instance and apply what changed. The reconcile-and-apply part does not yield, so the
-- table and the map never show a half-applied round to a request.
local function poll_round(instance)
  local startedAt = now_ms()
  local ok, claim = pcall(poll_instance, instance, startedAt)
  local now = now_ms()
  local counters = state.counters
  counters.polls = counters.polls + 1
  if ok and claim then
    state.claims[instance.name] = claim
    state.lastPollAt[instance.name] = now
  else
    counters.pollErrors = counters.pollErrors + 1
    local previous = state.claims[instance.name]
    if previous then
      previous.ok = false
    else
      state.claims[instance.name] = { ok = false, streams = {} }
    end
  end
  apply(reconcile(INSTANCE_NAMES, state.claims, state.entries, now, CONFIG.learnGraceMs), now)
  prune_negative(now)
end

local function poll_forever(instance)
  while true do
    local startedAt = now_ms()
    local ok, err = pcall(poll_round, instance)
    if not ok then
      core.Warning("mtx router: poll of " .. instance.name .. " failed: " .. tostring(err))
    end
    local elapsed = now_ms() - startedAt
    core.msleep(math.max(MIN_POLL_SLEEP_MS, CONFIG.pollIntervalMs - elapsed))
  end
end

M.poll_round = poll_round

-- ---------------------------------------------------------------------------------------------
-- HAProxy entry points
-- ---------------------------------------------------------------------------------------------

-- DOWN (also "DOWN 1/2" while rising) and MAINT per the health-check backend's server stats. A
-- server or backend we cannot see counts as up: asking costs one API call, skipping could misroute.
local function instance_down(name)
  local backend = core.backends and core.backends[CONFIG.healthBackend]
  local server = backend and backend.servers and backend.servers[name]
  if server == nil then
    return false
  end
  local ok, stats = pcall(server.get_stats, server)
  if not ok or type(stats) ~= "table" or type(stats.status) ~= "string" then
    return false
  end
  return stats.status:sub(1, 4) == "DOWN" or stats.status:sub(1, 5) == "MAINT"
end

-- Asks the instances that are not down, in config order, for one path. Yields.
local function ask_instances(stream)
  for _, instance in ipairs(CONFIG.instances) do
    if not instance_down(instance.name) then
      local response = http_get(api_url(instance, "/v3/paths/get/" .. stream), CONFIG.lookupAttemptTimeoutMs)
      if response and response.status == 200 and path_ready(decode(response.body)) then
        return instance.name
      end
    end
  end
  return nil
end

local function remember_miss(stream, now)
  if state.negative[stream] == nil then
    if state.negativeCount >= MAX_NEGATIVE_ENTRIES then
      return
    end
    state.negativeCount = state.negativeCount + 1
  end
  state.negative[stream] = now + CONFIG.pollIntervalMs
end

local function route_to_entry(txn, stream)
  local entry = state.entries[stream]
  if entry then
    txn:set_var("txn.mtx_owner", entry.server)
    return true
  end
  return false
end

-- http-request lua.mtx_lookup: only on a map miss (txn.mtx_owner unset).
local function lookup_action(txn)
  local stream = txn:get_var("txn.mtx_stream")
  if type(stream) ~= "string" or not valid_stream(stream) then
    return
  end
  local counters = state.counters
  -- Table and map only disagree if the map was edited behind the router's back (runtime API `del
  -- map`, `clear map`): route from the table and write the entry back.
  local known = state.entries[stream]
  if known then
    core.set_map(CONFIG.mapPath, stream, known.server)
    txn:set_var("txn.mtx_owner", known.server)
    return
  end
  local now = now_ms()
  local expiry = state.negative[stream]
  if expiry and expiry > now then
    counters.misses = counters.misses + 1
    return
  end
  -- Someone is already asking for this stream: wait for that answer instead of asking again.
  if state.inflight[stream] then
    local waitLimit = now + CONFIG.lookupTimeoutMs * #CONFIG.instances
    while state.inflight[stream] and now_ms() < waitLimit do
      core.msleep(LOOKUP_WAIT_STEP_MS)
    end
    if not route_to_entry(txn, stream) then
      counters.misses = counters.misses + 1
    end
    return
  end
  if state.activeLookups >= MAX_CONCURRENT_LOOKUPS then
    counters.misses = counters.misses + 1
    return
  end

  counters.lookups = counters.lookups + 1
  state.inflight[stream] = true
  state.activeLookups = state.activeLookups + 1
  local ok, owner = pcall(ask_instances, stream)
  state.inflight[stream] = nil
  state.activeLookups = state.activeLookups - 1
  now = now_ms()
  if not ok then
    core.Warning("mtx router: lookup of " .. stream .. " failed: " .. tostring(owner))
    owner = nil
  end
  if owner == nil then
    counters.misses = counters.misses + 1
    remember_miss(stream, now)
    return
  end
  counters.lookupHits = counters.lookupHits + 1
  forget_miss(stream)
  -- The current owner wins if a poll recorded one meanwhile.
  if not route_to_entry(txn, stream) then
    set_entry(stream, owner, "lookup", now)
    txn:set_var("txn.mtx_owner", owner)
  end
end

-- http-response lua.mtx_learn: the config calls it on a 201 to a new WHIP POST, so the instance that
-- answered now holds the session and, soon, the stream.
local function learn_action(txn)
  local stream = txn:get_var("txn.mtx_stream")
  if type(stream) ~= "string" or not valid_stream(stream) then
    return
  end
  local server = txn.sf:srv_name()
  if INSTANCE_BY_NAME[server] == nil then
    return
  end
  state.counters.learned = state.counters.learned + 1
  forget_miss(stream)
  set_entry(stream, server, "learn", now_ms())
end

local function status_document(now)
  local counters = state.counters
  local lastPoll
  for _, at in pairs(state.lastPollAt) do
    if lastPoll == nil or at > lastPoll then
      lastPoll = at
    end
  end
  local entries = {}
  for stream, entry in pairs(state.entries) do
    entries[#entries + 1] = { stream = stream, server = entry.server, source = entry.source, ageMs = now - entry.at }
  end
  table.sort(entries, function(a, b)
    return a.stream < b.stream
  end)
  local instances = {}
  for i, name in ipairs(INSTANCE_NAMES) do
    local claim = state.claims[name]
    local claimed = 0
    if claim then
      for _ in pairs(claim.streams) do
        claimed = claimed + 1
      end
    end
    local at = state.lastPollAt[name]
    instances[i] = {
      name = name,
      pollOk = claim ~= nil and claim.ok or false,
      claimed = claimed,
      lastPollAgeMs = at and (now - at) or NULL,
    }
  end
  return {
    counters = {
      polls = counters.polls,
      pollErrors = counters.pollErrors,
      lookups = counters.lookups,
      lookupHits = counters.lookupHits,
      misses = counters.misses,
      learned = counters.learned,
      mapSize = state.size,
      lastPollAgeMs = lastPoll and (now - lastPoll) or NULL,
    },
    entries = array(entries),
    instances = array(instances),
  }
end

local function status_service(applet)
  local body = encode(status_document(now_ms())) .. "\n"
  applet:set_status(200)
  applet:add_header("content-type", "application/json")
  applet:add_header("cache-control", "no-store")
  applet:add_header("content-length", tostring(#body))
  applet:start_response()
  applet:send(body)
end

-- Publish-time push (infra/lua/publish.lua, called from MediaMTX's auth hook): instance `server`
-- has just accepted a publish of `stream`. Routes the stream there at once; the poll reconciles.
-- Returns false for a stream or server the router does not know.
local function push(stream, server)
  if not valid_stream(stream) or INSTANCE_BY_NAME[server] == nil then
    return false
  end
  forget_miss(stream)
  set_entry(stream, server, "push", now_ms())
  return true
end

-- The instance the router currently routes `stream` to, or nil.
local function owner(stream)
  local entry = state.entries[stream]
  return entry and entry.server or nil
end

M.push = push
M.owner = owner
M.INSTANCE_BY_NAME = INSTANCE_BY_NAME
M.instance_down = instance_down
M.lookup_action = lookup_action
M.learn_action = learn_action
M.status_document = status_document

if type(core) == "table" and type(core.register_fetches) == "function" then
  -- A fetch cannot fail: HAProxy turns a returned nil into boolean false, which set-var stores and
  -- `-m found` accepts. Invalid paths therefore give "", and haproxy.cfg denies an empty stream.
  core.register_fetches("mtx_stream", function(txn)
    return stream_from_path(txn.sf:path()) or ""
  end)
  core.register_action("mtx_lookup", { "http-req" }, lookup_action, 0)
  core.register_action("mtx_learn", { "http-res" }, learn_action, 0)
  core.register_service("mtx_router_status", "http", status_service)
  -- One task per instance: a hung or dead instance delays only its own claims, never the others'.
  -- Closures carry the instance because register_task arguments only exist from 2.8 on.
  for _, instance in ipairs(CONFIG.instances) do
    core.register_task(function()
      poll_forever(instance)
    end)
  end
end

-- Modules lua-loaded after this one (publish.lua) reach the router through require("mtx.router").
package.loaded["mtx.router"] = M

if rawget(_G, "MTX_TEST") then
  return M
end
