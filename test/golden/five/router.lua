-- router.lua for stack five: rendered by infra/render/router.ts. Do not edit by hand.
--
-- Stream-aware routing inside HAProxy (one shared state: `lua-load`, not `lua-load-per-thread`).
-- * fetch  lua.mtx_stream        request path -> MediaMTX path name, or nil (pure string work: fetches
--                                cannot yield).
-- * action lua.mtx_lookup        (http-req, on a map miss) asks the instances once, caches misses.
-- * action lua.mtx_learn         (http-res, 201 to a new WHIP POST) records where a publish landed.
-- * service lua.mtx_router_status JSON counters and the stream table.
-- * one task per instance polls /v3/paths/list and applies only the changes to STREAMS_MAP.
-- Steady-state requests only read the map; every API call runs in a task or an action, through
-- core.httpclient, which yields instead of blocking (socket.http would block and fails `haproxy -c`).
--
-- The configuration is rendered into this file because `lua-load` arguments only exist from 2.8 on
-- (2.6 ignores them). Everything below the CONFIG table is static.

local CONFIG = {
  -- Config order: the first claimer in this order wins a contested stream.
  instances = {
    { name = "n1", address = "10.213.116.10", apiPort = 9997 },
    { name = "n2", address = "10.213.116.11", apiPort = 9997 },
    { name = "n3", address = "10.213.116.12", apiPort = 9997 },
    { name = "n4", address = "10.213.116.13", apiPort = 9997 },
    { name = "n5", address = "10.213.116.14", apiPort = 9997 },
  },
  pollIntervalMs = 500,
  -- Budget for one instance during an on-miss lookup; HTTP attempts get a quarter each (see below).
  lookupTimeoutMs = 500,
  lookupAttemptTimeoutMs = 125,
  pollAttemptTimeoutMs = 250,
  -- A learned (WHIP 201) entry survives polls that do not list the path yet for this long.
  learnGraceMs = 10000,
  itemsPerPage = 100,
  mapPath = "/usr/local/etc/haproxy/streams.map",
  -- Backend whose health checks tell the lookup which instances to skip.
  healthBackend = "hls",
}

local M = { CONFIG = CONFIG }

-- Limits that bound work and memory whatever clients or instances send.
local MAX_STREAM_BYTES = 256
-- A path longer than this cannot hold a valid stream plus a file or session part: reject it unread.
local MAX_PATH_BYTES = 512
local MAX_JSON_DEPTH = 64
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
-- JSON (pure). HAProxy's Lua has no JSON library; MediaMTX's API answers compact JSON.
-- ---------------------------------------------------------------------------------------------

-- JSON null, kept distinct from a missing key.
local NULL = setmetatable({}, { __tostring = function() return "null" end })
-- Marks decoded arrays and objects so an empty one re-encodes as what it was.
local ARRAY_MT = { __name = "json.array" }
local OBJECT_MT = { __name = "json.object" }

local ESCAPED_CHARS = {
  ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t",
}

local function decode(text)
  if type(text) ~= "string" then
    return nil, "JSON input is not a string"
  end
  local pos = 1

  local function fail(message)
    error({ json = message .. " at byte " .. pos }, 0)
  end

  local function skip_space()
    pos = text:find("[^ \t\r\n]", pos) or (#text + 1)
  end

  local function read_hex4()
    local hex = text:sub(pos, pos + 3)
    if not hex:find("^%x%x%x%x$") then
      fail("bad \\u escape")
    end
    pos = pos + 4
    return tonumber(hex, 16)
  end

  local function read_string()
    -- pos is on the opening quote.
    pos = pos + 1
    local parts = {}
    while true do
      local stop = text:find('["\\\0-\31]', pos)
      if stop == nil then
        fail("unterminated string")
      end
      if stop > pos then
        parts[#parts + 1] = text:sub(pos, stop - 1)
      end
      pos = stop
      local char = text:sub(stop, stop)
      if char == '"' then
        pos = stop + 1
        return table.concat(parts)
      elseif char == "\\" then
        local kind = text:sub(stop + 1, stop + 1)
        pos = stop + 2
        if kind == "u" then
          local code = read_hex4()
          if code >= 0xD800 and code <= 0xDBFF then
            if text:sub(pos, pos + 1) ~= "\\u" then
              fail("lone high surrogate")
            end
            pos = pos + 2
            local low = read_hex4()
            if low < 0xDC00 or low > 0xDFFF then
              fail("bad low surrogate")
            end
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
          elseif code >= 0xDC00 and code <= 0xDFFF then
            fail("lone low surrogate")
          end
          parts[#parts + 1] = utf8.char(code)
        else
          local replacement = ESCAPED_CHARS[kind]
          if replacement == nil then
            pos = stop
            fail("bad escape")
          end
          parts[#parts + 1] = replacement
        end
      else
        fail("control character in string")
      end
    end
  end

  local function read_number()
    local start = pos
    if text:byte(pos) == 45 then -- "-"
      pos = pos + 1
    end
    local first = text:byte(pos)
    if first == 48 then -- "0": no leading zeros
      pos = pos + 1
    elseif first and first >= 49 and first <= 57 then
      pos = text:find("[^0-9]", pos) or (#text + 1)
    else
      fail("bad number")
    end
    local integral = true
    if text:byte(pos) == 46 then -- "."
      integral = false
      local after = text:find("[^0-9]", pos + 1) or (#text + 1)
      if after == pos + 1 then
        fail("bad fraction")
      end
      pos = after
    end
    local exp = text:byte(pos)
    if exp == 101 or exp == 69 then -- "e" / "E"
      integral = false
      pos = pos + 1
      local sign = text:byte(pos)
      if sign == 43 or sign == 45 then
        pos = pos + 1
      end
      local after = text:find("[^0-9]", pos) or (#text + 1)
      if after == pos then
        fail("bad exponent")
      end
      pos = after
    end
    local literal = text:sub(start, pos - 1)
    local number = tonumber(literal)
    if integral then
      -- Integers that fit stay integers (byte counters print as 12, not 12.0).
      number = math.tointeger(number) or number
    end
    return number
  end

  local read_value

  local function read_array(depth)
    pos = pos + 1
    local array = setmetatable({}, ARRAY_MT)
    skip_space()
    if text:byte(pos) == 93 then -- "]"
      pos = pos + 1
      return array
    end
    while true do
      array[#array + 1] = read_value(depth)
      skip_space()
      local char = text:byte(pos)
      if char == 93 then
        pos = pos + 1
        return array
      elseif char ~= 44 then -- ","
        fail("expected ',' or ']'")
      end
      pos = pos + 1
    end
  end

  local function read_object(depth)
    pos = pos + 1
    local object = setmetatable({}, OBJECT_MT)
    skip_space()
    if text:byte(pos) == 125 then -- "}"
      pos = pos + 1
      return object
    end
    while true do
      skip_space()
      if text:byte(pos) ~= 34 then
        fail("expected a string key")
      end
      local key = read_string()
      skip_space()
      if text:byte(pos) ~= 58 then -- ":"
        fail("expected ':'")
      end
      pos = pos + 1
      object[key] = read_value(depth)
      skip_space()
      local char = text:byte(pos)
      if char == 125 then
        pos = pos + 1
        return object
      elseif char ~= 44 then
        fail("expected ',' or '}'")
      end
      pos = pos + 1
    end
  end

  read_value = function(depth)
    skip_space()
    local char = text:byte(pos)
    if char == 34 then
      return read_string()
    elseif char == 123 then
      if depth >= MAX_JSON_DEPTH then
        fail("nested too deeply")
      end
      return read_object(depth + 1)
    elseif char == 91 then
      if depth >= MAX_JSON_DEPTH then
        fail("nested too deeply")
      end
      return read_array(depth + 1)
    elseif char == 116 and text:sub(pos, pos + 3) == "true" then
      pos = pos + 4
      return true
    elseif char == 102 and text:sub(pos, pos + 4) == "false" then
      pos = pos + 5
      return false
    elseif char == 110 and text:sub(pos, pos + 3) == "null" then
      pos = pos + 4
      return NULL
    elseif char == 45 or (char and char >= 48 and char <= 57) then
      return read_number()
    end
    fail("unexpected input")
  end

  local ok, result = pcall(function()
    local value = read_value(0)
    skip_space()
    if pos <= #text then
      fail("trailing characters")
    end
    return value
  end)
  if ok then
    return result
  end
  if type(result) == "table" and result.json then
    return nil, result.json
  end
  return nil, tostring(result)
end

local ESCAPES_OUT = {
  ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
  ["\b"] = "\\b", ["\f"] = "\\f",
}

local function encode_string(text)
  return '"' .. text:gsub('[%c"\\]', function(char)
    return ESCAPES_OUT[char] or string.format("\\u%04x", char:byte())
  end) .. '"'
end

local function is_array(value)
  local mt = getmetatable(value)
  if mt == ARRAY_MT then
    return true
  elseif mt == OBJECT_MT or next(value) == nil then
    return false
  end
  local count = 0
  for _ in pairs(value) do
    count = count + 1
  end
  return count == #value
end

-- Deterministic: object keys sorted, arrays in order.
local function encode(value)
  local kind = type(value)
  if value == nil or value == NULL then
    return "null"
  elseif kind == "boolean" then
    return tostring(value)
  elseif kind == "number" then
    if math.type(value) == "integer" then
      return string.format("%d", value)
    elseif value ~= value or value == math.huge or value == -math.huge then
      return "null"
    end
    return string.format("%.17g", value)
  elseif kind == "string" then
    return encode_string(value)
  elseif kind == "table" then
    local parts = {}
    if is_array(value) then
      for i = 1, #value do
        parts[i] = encode(value[i])
      end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    local keys = {}
    for key in pairs(value) do
      keys[#keys + 1] = tostring(key)
    end
    table.sort(keys)
    for i, key in ipairs(keys) do
      parts[i] = encode_string(key) .. ":" .. encode(value[key])
    end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  error("cannot encode a " .. kind)
end

local function array(list)
  return setmetatable(list, ARRAY_MT)
end

M.NULL = NULL
M.decode = decode
M.encode = encode
M.array = array

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
  if getmetatable(items) ~= ARRAY_MT then
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
-- entries:   stream -> { server, source = "poll" | "lookup" | "learn", at = ms }.
-- Returns the changes, sorted by stream: { stream, server } to set, { stream } (no server) to delete.
--
-- Rules:
-- * claimers = instances whose last poll succeeded and listed the stream, in config order.
-- * The owner among the claimers stays; otherwise the first claimer takes over, unless the entry is
--   protected and its owner is not failing.
-- * An unclaimed entry goes only when its owner polled successfully and the entry is not protected;
--   an owner whose poll failed keeps its entries (health checks route around it meanwhile), an owner
--   no longer configured loses them.
-- * Protected: learned less than graceMs ago (a new WHIP session is not listed as ready at once), or
--   newer than the start of the owner's last successful poll (that poll could not have seen it).
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
    if entry.source == "learn" and now - entry.at < graceMs then
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

if rawget(_G, "MTX_TEST") then
  return M
end
