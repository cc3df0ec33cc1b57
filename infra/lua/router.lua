-- router.lua: stream-aware routing inside HAProxy (one shared state: `lua-load`, not
-- `lua-load-per-thread`).
-- * stream_from_path            request path -> MediaMTX path name, or nil: the specification that the
--                                native rules in templates/haproxy-stream-from-path.cfg.mustache implement
--                                (no Lua runs per request); test/unit/router/stream-from-path.test.ts
--                                holds the two to the same answers in real HAProxy.
-- * action lua.mtx_lookup        (http-req, on a map miss) asks the instances once, caches misses.
-- * action lua.mtx_learn         (http-res, 201 to a new WHIP POST) records where a publish landed.
-- * service lua.mtx_router_status JSON counters and the stream table.
-- * one task per instance polls /v3/paths/list and applies only the changes to the streams map.
-- Steady-state requests only read the map; every API call runs in a task or an action, through
-- core.httpclient, which yields instead of blocking (socket.http would block and fails `haproxy -c`).
--
-- Polls scale to 10 000 live paths x 8 instances (issue 13): Lua state is shared, so while one run
-- holds it every request that needs Lua on any thread waits. Hence:
-- * one API call per poll: the whole list in one page (itemsPerPage = 2^31-1, the most MediaMTX
--   takes); pageCount is still followed;
-- * the answer is decoded in pieces of whole items (read_paths_page), by lua-cjson where it loads, by
--   json.lua's pure decoder otherwise (json.decoder; /router reports which), with a pause between
--   pieces; a cut the decoder does not confirm falls back to one whole decode (counter wholeDecodes);
-- * incremental ownership: a poll decides only the streams that can have changed (poll_round), not
--   every stream; each stream is decided and applied within one run, so a request never sees a stream
--   half-way through a change, and long lists of decisions are sliced with pauses.
-- HAProxy also suspends Lua code on its own every tune.lua.forced-yield instructions, so every
-- read-modify-write of the shared state (entries, map, counters, lookups in flight) runs through
-- atomically(), where it cannot be suspended.
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

-- Bytes of a /v3/paths/list items array decoded in one piece: one piece is one Lua run between two
-- yields of the poll task. A MediaMTX 1.20 item is about 700 bytes (one reader); measured here (two busy
-- cores) cjson decodes 1000 of them in 6-9 ms and the pure decoder in 60-110 ms. In HAProxy 2.6 with a
-- 10 000-path listing, 32 kB pieces gave runs of up to 16 ms and 8 kB pieces up to 8 ms, most under
-- 0.25 ms: the long ones are Lua's garbage collector paying for the 7 MB body at the next allocation,
-- which smaller pieces spread out. The pure decoder gets pieces of a few items.
local PIECE_BYTES = json.decoder == "cjson" and 8192 or 2048

local ITEMS_KEY = '"items":['
-- Between two items of MediaMTX's compact answer: the end of one object and the start of the next,
-- whose first field is "name" (Go writes struct fields in declaration order). '{"' cannot occur inside
-- a JSON string (a quote there is escaped), so a match is always structure, but it may sit deeper than
-- the items array; read_paths_page only trusts a cut that the decoder confirms.
local ITEM_SEPARATOR = '},{"name":'
-- The end of the document after the items array: `]`, `}` and nothing else. Looked for in the last
-- bytes only: a pattern search over a 4 MB body would be one long run by itself.
local BODY_END = "%][ \t\r\n]*}[ \t\r\n]*$"
local BODY_END_WINDOW = 32

-- Cut positions for a body shaped {...,"items":[ITEMS]} with nothing after the array: returns the
-- envelope (the document with an empty items array, to decode for pageCount) and the pieces as
-- { first byte, last byte } pairs covering ITEMS, each cut taken at the first separator after about
-- `pieceBytes` bytes; or nil when the body has another shape. Cheap: one plain find per piece.
local function cut_items(body, pieceBytes)
  local open = body:find(ITEMS_KEY, 1, true)
  if open == nil then
    return nil
  end
  local first = open + #ITEMS_KEY
  local close = body:find(BODY_END, math.max(first, #body - BODY_END_WINDOW))
  if close == nil then
    return nil
  end
  local pieces = {}
  local from = first
  while from < close do
    local cut = body:find(ITEM_SEPARATOR, from + pieceBytes, true)
    if cut == nil or cut >= close then
      pieces[#pieces + 1] = { from, close - 1 }
      break
    end
    -- The piece keeps the item's closing brace; the next starts at its '{'.
    pieces[#pieces + 1] = { from, cut }
    from = cut + 2
  end
  return body:sub(1, open - 1) .. ITEMS_KEY .. "]}", pieces
end

local function decoded_page_count(document)
  local pageCount = type(document.pageCount) == "number" and math.tointeger(document.pageCount)
  return pageCount or 1
end

-- Items of a whole decode handed to `each` between two pauses.
local ITEMS_PER_SLICE = 500

-- The body decoded at once, the fallback when the cuts cannot be trusted: each(item) for the items
-- after the first `skip`, which an earlier piece already handed over.
local function read_whole(body, each, pause, skip)
  local document, err = decode(body)
  if type(document) ~= "table" then
    return nil, err or "not an object"
  end
  local items = document.items
  if not json.is_list(items) then
    return nil, "items is not an array"
  end
  pause()
  for i = skip + 1, #items do
    each(items[i])
    if i % ITEMS_PER_SLICE == 0 then
      pause()
    end
  end
  return decoded_page_count(document)
end

-- An array of objects: what "[" .. piece .. "]" must decode to.
local function list_of_objects(value)
  if not json.is_list(value) then
    return false
  end
  for i = 1, #value do
    if type(value[i]) ~= "table" then
      return false
    end
  end
  return true
end

local function whole(body, each, pause, skip)
  local pageCount, err = read_whole(body, each, pause, skip)
  if pageCount == nil then
    return nil, err
  end
  return pageCount, false
end

-- Reads one /v3/paths/list body in pieces: each(item) for every item in order, pause() after each
-- piece. Returns the page count and whether the whole body was read in pieces (false: decoded whole
-- after all), or nil and a message.
-- A piece is trusted when the envelope decodes as an object and the piece decodes, as "[" .. piece ..
-- "]", to an array of objects. The first piece starts right after the top-level items' '['; a piece
-- that decodes is balanced, so it ends at the depth it started: by induction every trusted piece holds
-- whole top-level items, in order. At the first piece that does not decode (another field order, a
-- separator inside an item, something after the array) the body is decoded whole, once, as before
-- pieces existed, and its items after those already handed over go to `each`: correct, but one long
-- run. Indented JSON has no separator: one piece, the same single decode.
local function read_paths_page(body, each, pause, pieceBytes)
  if type(body) ~= "string" then
    return nil, "no body"
  end
  local envelopeText, pieces = cut_items(body, pieceBytes or PIECE_BYTES)
  local envelope = envelopeText and decode(envelopeText)
  if type(envelope) ~= "table" or not json.is_list(envelope.items) then
    return whole(body, each, pause, 0)
  end
  local handed = 0
  for _, piece in ipairs(pieces) do
    local items = decode("[" .. body:sub(piece[1], piece[2]) .. "]")
    if not list_of_objects(items) then
      return whole(body, each, pause, handed)
    end
    for i = 1, #items do
      each(items[i])
    end
    handed = handed + #items
    pause()
  end
  return decoded_page_count(envelope), true
end

local function no_pause() end

-- One /v3/paths/list page -> { streams = { name, ... } (ready ones, sorted), pageCount }, in one run.
local function parse_paths_page(body, pieceBytes)
  local streams = {}
  local pageCount, split = read_paths_page(body, function(item)
    if path_ready(item) and valid_stream(item.name) then
      streams[#streams + 1] = item.name
    end
  end, no_pause, pieceBytes)
  if pageCount == nil then
    return nil, split
  end
  table.sort(streams)
  return { streams = array(streams), pageCount = pageCount }, split
end

M.path_ready = path_ready
M.parse_paths_page = parse_paths_page

-- ---------------------------------------------------------------------------------------------
-- Ownership (pure)
-- ---------------------------------------------------------------------------------------------

-- view:    { instances = names in config order, configured = { [name] = truthy }, claims, now, graceMs }
-- claims:  name -> { ok = last poll succeeded, startedAt = start of the last successful poll (ms),
--                    streams = { [stream] = true } from that poll }.
-- entries: stream -> { server, source = "poll" | "lookup" | "learn" | "push", at = ms }.
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

local function protected(view, entry)
  if (entry.source == "learn" or entry.source == "push") and view.now - entry.at < view.graceMs then
    return true
  end
  local claim = view.claims[entry.server]
  return claim == nil or claim.startedAt == nil or entry.at >= claim.startedAt
end

-- The rules for one stream. Returns the action (nil: leave it; a server name: route there; false:
-- delete the entry) and whether the entry stays only because it is protected: such an entry must be
-- decided again on later polls, as its protection runs out with time or with its owner's next poll.
-- Every other decision changes only when a claimer's list or poll state, or the entry, changes.
local function decide(view, stream, entry)
  local claims = view.claims
  local server = entry and entry.server
  local first, held = nil, false
  for _, name in ipairs(view.instances) do
    local claim = claims[name]
    if claim and claim.ok and claim.streams[stream] then
      first = first or name
      if name == server then
        held = true
        break
      end
    end
  end
  if entry == nil then
    return first, false
  elseif held then
    return nil, false
  elseif not view.configured[server] then
    return first or false, false
  end
  local claim = claims[server]
  if claim ~= nil and not claim.ok then
    -- A failing owner keeps what nobody else claims.
    return first, false
  elseif protected(view, entry) then
    return nil, true
  end
  return first or false, false
end

local function new_view(instances, claims, now, graceMs)
  local configured = {}
  for _, name in ipairs(instances) do
    configured[name] = true
  end
  return { instances = instances, configured = configured, claims = claims, now = now, graceMs = graceMs }
end

-- Every stream at once (the reference the incremental poll is tested against, and the table tests'
-- entry point). Returns the changes, sorted by stream: { stream, server } to set, { stream } to delete.
local function reconcile(instances, claims, entries, now, graceMs)
  local view = new_view(instances, claims, now, graceMs)
  local streams = {}
  for _, name in ipairs(instances) do
    local claim = claims[name]
    if claim and claim.ok then
      for stream in pairs(claim.streams) do
        streams[stream] = true
      end
    end
  end
  for stream in pairs(entries) do
    streams[stream] = true
  end
  local changes = {}
  for stream in pairs(streams) do
    local action = decide(view, stream, entries[stream])
    if action then
      changes[#changes + 1] = { stream = stream, server = action }
    elseif action == false then
      changes[#changes + 1] = { stream = stream }
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
  owned = {}, -- server -> { [stream] = true }: the entries routed to it
  watch = {}, -- stream -> true: entries kept only by protection, or not decided since set
  claims = {}, -- instance -> { ok, startedAt, streams, count }
  lastPollAt = {}, -- instance -> ms of the last successful poll's end
  lastDecided = {}, -- instance -> streams its last poll decided
  negative = {}, -- stream -> expiry (ms)
  negativeCount = 0,
  inflight = {}, -- stream -> true while a lookup asks the instances
  activeLookups = 0,
  resync = false, -- a poll round raised while deciding: the next one decides every stream
  counters = {
    polls = 0, pollErrors = 0, pollRequests = 0, wholeDecodes = 0,
    lookups = 0, lookupHits = 0, misses = 0, learned = 0,
  },
}
M.state = state

local INSTANCE_NAMES = {}
local INSTANCE_BY_NAME = {}
for i, instance in ipairs(CONFIG.instances) do
  INSTANCE_NAMES[i] = instance.name
  INSTANCE_BY_NAME[instance.name] = instance
end

-- The view decide() reads at runtime: the live claims; `now` is set before each decision.
local VIEW = new_view(INSTANCE_NAMES, state.claims, 0, CONFIG.learnGraceMs)

local function now_ms()
  local now = core.now()
  return now.sec * 1000 + now.usec // 1000
end

-- Ends the current Lua run: the task is woken again in the same scheduler loop, after the requests and
-- tasks that were waiting. Between two pauses nothing else runs Lua, so a change made in one run is
-- seen whole by requests.
local function pause()
  if core.yield then
    core.yield()
  end
end

-- Runs fn(a, b, c) so that HAProxy cannot suspend it half-way, and returns its result. HAProxy suspends
-- Lua code every tune.lua.forced-yield instructions (10 000 by default) wherever Lua can yield, so two
-- tasks, or a task and a request, can interleave inside a read-modify-write of the shared state:
-- measured in 2.6 with 8 poll tasks, the map size lost increments, and `next` over a table another run
-- added to meanwhile is undefined. Lua cannot yield inside a function that C calls without a
-- continuation, as string.gsub calls its replacement function; there HAProxy's hook only checks the
-- timeout. Nothing run this way may call a function that yields (httpclient, msleep, yield).
local function atomically(fn, a, b, c)
  local result
  string.gsub("x", "x", function()
    result = fn(a, b, c)
  end)
  return result
end

local function increment(name)
  state.counters[name] = state.counters[name] + 1
end

local function bump(name)
  atomically(increment, name)
end

local function owned_by(server)
  local set = state.owned[server]
  if set == nil then
    set = {}
    state.owned[server] = set
  end
  return set
end

-- Entries not set by a poll are decided on the next poll of any instance (watch), as a full reconcile
-- would.
local function write_entry(stream, server, source, at)
  local entry = state.entries[stream]
  if entry == nil then
    state.size = state.size + 1
  end
  if entry == nil or entry.server ~= server then
    if entry ~= nil then
      owned_by(entry.server)[stream] = nil
    end
    owned_by(server)[stream] = true
    core.set_map(CONFIG.mapPath, stream, server)
  end
  state.entries[stream] = { server = server, source = source, at = at }
  if source ~= "poll" then
    state.watch[stream] = true
  end
end

local function set_entry(stream, server, source, at)
  atomically(function()
    write_entry(stream, server, source, at)
  end)
end

local function remove_entry(stream)
  local entry = state.entries[stream]
  if entry ~= nil then
    state.entries[stream] = nil
    state.size = state.size - 1
    owned_by(entry.server)[stream] = nil
    state.watch[stream] = nil
    core.del_map(CONFIG.mapPath, stream)
  end
end

local function drop_miss(stream)
  if state.negative[stream] ~= nil then
    state.negative[stream] = nil
    state.negativeCount = state.negativeCount - 1
  end
end

local function forget_miss(stream)
  atomically(drop_miss, stream)
end

-- Decides one stream against the current state and applies the outcome: table and map change together,
-- within one run.
local function decide_and_apply(stream, now)
  VIEW.now = now
  local action, kept = decide(VIEW, stream, state.entries[stream])
  if action then
    write_entry(stream, action, "poll", now)
    drop_miss(stream)
  elseif action == false then
    remove_entry(stream)
  end
  state.watch[stream] = kept or nil
end

local function settle(stream, now)
  atomically(decide_and_apply, stream, now)
end

local function expire_misses(now)
  for stream, expiry in pairs(state.negative) do
    if expiry <= now then
      state.negative[stream] = nil
      state.negativeCount = state.negativeCount - 1
    end
  end
end

-- At most MAX_NEGATIVE_ENTRIES, so one run stays short.
local function prune_negative(now)
  atomically(expire_misses, now)
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

-- Keys of one table visited between two pauses (a set lookup each: about 0.1 us).
local KEYS_PER_SLICE = 5000
-- Streams decided between two pauses (one lookup per instance each).
local DECISIONS_PER_SLICE = 500

-- Keys of `set` appended to `list`, a slice at a time. Only for tables nobody changes meanwhile (a
-- claim's streams are replaced, never edited): `next` across a pause is undefined for a table that
-- gains keys.
local function append_keys(list, set, unless)
  local key
  repeat
    for _ = 1, KEYS_PER_SLICE do
      key = next(set, key)
      if key == nil then
        break
      end
      if unless == nil or not unless[key] then
        list[#list + 1] = key
      end
    end
    pause()
  until key == nil
  return list
end

-- One poll of one instance: every page of /v3/paths/list, read in pieces. Returns the claim
-- { ok = true, startedAt, streams, count } and the streams it added to and removed from `previous`
-- (the last successful poll's set); nil when the poll failed. Yields.
local function poll_instance(instance, startedAt, previous)
  local streams, count, added = {}, 0, {}
  local function take(item)
    if not path_ready(item) then
      return
    end
    local name = item.name
    if streams[name] or not (previous[name] or valid_stream(name)) then
      return
    end
    streams[name] = true
    count = count + 1
    if not previous[name] then
      added[#added + 1] = name
    end
  end
  local page, pageCount = 0, 1
  while page < pageCount do
    bump("pollRequests")
    local response = http_get(
      api_url(instance, "/v3/paths/list?itemsPerPage=" .. CONFIG.itemsPerPage .. "&page=" .. page),
      CONFIG.pollAttemptTimeoutMs
    )
    if response == nil or response.status ~= 200 then
      return nil
    end
    local pages, split = read_paths_page(response.body, take, pause)
    if pages == nil then
      return nil
    end
    if not split then
      bump("wholeDecodes")
    end
    pageCount = math.min(pages, MAX_PAGES)
    page = page + 1
  end
  local removed = append_keys({}, previous, streams)
  return { ok = true, startedAt = startedAt, streams = streams, count = count }, added, removed
end

local EMPTY = {}

local function settle_all(streams)
  for i, stream in ipairs(streams) do
    settle(stream, now_ms())
    if i % DECISIONS_PER_SLICE == 0 then
      pause()
    end
  end
end

-- Poll one instance and decide only the streams whose outcome can have changed (the incremental form
-- of reconcile above; test/unit/router checks it against the full one on random poll sequences):
-- * the streams this poll added or removed;
-- * when the instance's poll state flips (first poll, failed -> ok, ok -> failed): every stream it
--   lists or listed, and every entry routed to it;
-- * the watched entries: those kept only by protection, and those set by a lookup, learn or push.
-- A held or failing owner's entry changes only through one of these. Long work is sliced with pauses;
-- each stream is decided and applied within one run.
local function poll_round(instance)
  local name = instance.name
  local startedAt = now_ms()
  local previous = state.claims[name]
  local previousStreams = previous and previous.ok and previous.streams or EMPTY
  local ok, claim, added, removed = pcall(poll_instance, instance, startedAt, previousStreams)
  bump("polls")
  local todo
  if ok and claim then
    state.claims[name] = claim
    state.lastPollAt[name] = now_ms()
    -- After a failed or no poll, `added` is every listed stream: none counted as a claim before.
    todo = added
    for _, stream in ipairs(removed) do
      todo[#todo + 1] = stream
    end
  else
    bump("pollErrors")
    todo = {}
    if previous == nil then
      state.claims[name] = { ok = false, streams = EMPTY, count = 0 }
    elseif previous.ok then
      -- Its streams stay as they were (status shows them); they no longer count as claims.
      state.claims[name] = { ok = false, startedAt = previous.startedAt, streams = previous.streams,
        count = previous.count }
      append_keys(todo, previous.streams)
    end
  end
  local flipped = previous == nil or previous.ok ~= state.claims[name].ok
  -- Snapshots, taken in one run: other runs add to these tables while this one pauses.
  local snapshots = { state.watch, flipped and state.owned[name] or EMPTY }
  if state.resync then
    -- A round that raised while deciding left decisions unmade: decide everything once, like a full
    -- reconcile.
    state.resync = false
    snapshots[#snapshots + 1] = state.entries
    for _, instanceName in ipairs(INSTANCE_NAMES) do
      local other = state.claims[instanceName]
      if other and other.ok then
        append_keys(todo, other.streams)
      end
    end
  end
  atomically(function()
    for _, set in ipairs(snapshots) do
      for stream in pairs(set) do
        todo[#todo + 1] = stream
      end
    end
  end)
  local settled, err = pcall(settle_all, todo)
  if not settled then
    -- The rest of `todo` is not decided, and no later diff will name those streams again.
    state.resync = true
    error(err, 0)
  end
  state.lastDecided[name] = #todo
  prune_negative(now_ms())
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

local function add_miss(stream, now)
  if state.negative[stream] == nil then
    if state.negativeCount >= MAX_NEGATIVE_ENTRIES then
      return
    end
    state.negativeCount = state.negativeCount + 1
  end
  state.negative[stream] = now + CONFIG.pollIntervalMs
end

local function remember_miss(stream, now)
  atomically(add_miss, stream, now)
end

local function route_to_entry(txn, stream)
  local entry = state.entries[stream]
  if entry then
    txn:set_var("txn.mtx_owner", entry.server)
    return true
  end
  return false
end

-- "wait" when another request is asking for this stream, "full" at MAX_CONCURRENT_LOOKUPS, else
-- "go" with the lookup counted as running. Run atomically: check and claim in one step.
local function start_lookup(stream)
  if state.inflight[stream] then
    return "wait"
  elseif state.activeLookups >= MAX_CONCURRENT_LOOKUPS then
    return "full"
  end
  state.inflight[stream] = true
  state.activeLookups = state.activeLookups + 1
  state.counters.lookups = state.counters.lookups + 1
  return "go"
end

local function end_lookup(stream)
  state.inflight[stream] = nil
  state.activeLookups = state.activeLookups - 1
end

-- http-request lua.mtx_lookup: only on a map miss (txn.mtx_owner unset).
local function lookup_action(txn)
  local stream = txn:get_var("txn.mtx_stream")
  if type(stream) ~= "string" or not valid_stream(stream) then
    return
  end
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
    bump("misses")
    return
  end
  -- Someone is already asking for this stream: wait for that answer instead of asking again.
  local start = atomically(start_lookup, stream)
  if start == "wait" then
    local waitLimit = now + CONFIG.lookupTimeoutMs * #CONFIG.instances
    while state.inflight[stream] and now_ms() < waitLimit do
      core.msleep(LOOKUP_WAIT_STEP_MS)
    end
    if not route_to_entry(txn, stream) then
      bump("misses")
    end
    return
  elseif start == "full" then
    bump("misses")
    return
  end

  local ok, owner = pcall(ask_instances, stream)
  atomically(end_lookup, stream)
  now = now_ms()
  if not ok then
    core.Warning("mtx router: lookup of " .. stream .. " failed: " .. tostring(owner))
    owner = nil
  end
  if owner == nil then
    bump("misses")
    remember_miss(stream, now)
    return
  end
  bump("lookupHits")
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
  bump("learned")
  forget_miss(stream)
  set_entry(stream, server, "learn", now_ms())
end

local function build_status(now)
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
    local at = state.lastPollAt[name]
    instances[i] = {
      name = name,
      pollOk = claim ~= nil and claim.ok or false,
      claimed = claim and claim.count or 0,
      lastPollAgeMs = at and (now - at) or NULL,
      lastPollDecided = state.lastDecided[name] or NULL,
    }
  end
  return {
    decoder = json.decoder,
    counters = {
      polls = counters.polls,
      pollErrors = counters.pollErrors,
      pollRequests = counters.pollRequests,
      wholeDecodes = counters.wholeDecodes,
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

-- One consistent snapshot, in one run (10 000 entries take a few ms: /router is for operators).
local function status_document(now)
  return atomically(build_status, now)
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

if type(core) == "table" and type(core.register_action) == "function" then
  -- No fetch: requests derive their stream with native rules (haproxy-stream-from-path.cfg.mustache),
  -- so no Lua runs per request unless the map misses.
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
