-- publish.lua: MediaMTX's HTTP auth hook, served by HAProxy (service lua.mtx_publish_hook).
--
-- Every instance runs with `authMethod: http` and `authHTTPAddress: http://<gateway>:<port>/auth/<instance>`;
-- `authHTTPExclude` lists read and playback, so viewers never depend on this hook (unless `readers` is
-- configured: then mediamtx.yml excludes nothing and reads arrive too). What arrives:
-- * publish      the owner is known at publish time: the router routes the stream to this instance at
--                once (router.push), instead of after the next poll. If the router's owner is another
--                instance and the stream is live there, routing.republish decides: `takeover` kicks the
--                old publisher through that instance's control API first (one live instance per name, as
--                a single MediaMTX's overridePublisher), `refuse` answers 409 and the new publish fails.
-- * credentials  with `publishers` configured (credentials.lua, global MTX_CREDENTIALS), a publish must
--                carry a listed user's password and a path under one of that user's prefixes, checked
--                before anything else: a refused publisher never kicks the live one. With `readers`,
--                mediamtx.yml no longer excludes read and playback and they are checked the same way.
-- * api, metrics, pprof   MediaMTX asks the hook for these too once authMethod is http (its internal
--                users no longer apply), so the hook keeps today's rule: allowed from loopback and the
--                stack subnet (the gateway's health checks and the router), refused from anywhere else.
--
-- MediaMTX 1.20 (internal/auth/manager.go): POST, JSON {ip, user, password, token, action, path,
-- protocol, id, query, userAgent}; any 2xx accepts, anything else refuses and MediaMTX logs our body.
-- It waits up to its readTimeout (10 s), and it asks from inside its path manager's loop
-- (internal/core/path_manager.go, doAddPublisher): while the hook runs, that instance serves no other
-- path request, its /v3/paths/* included. Hence: never call the publishing instance's own API from
-- here (it would wait for us), and bound every call (apiAttemptTimeoutMs, see publish-config.lua).
--
-- Static, like router.lua: its data is the rendered publish-config.lua (global MTX_PUBLISH_CONFIG),
-- lua-loaded after router.lua and before this file, and, only when credentials are configured, the
-- secret credentials.lua (global MTX_CREDENTIALS: per user a salt and the hex SHA-256 of salt ..
-- password, never the password). The router is reached only through
-- require("mtx.router"): push, owner, INSTANCE_BY_NAME, path_ready, instance_down (DOWN or MAINT in the
-- health-check backend: its API is skipped rather than waited for).

local json = require("mtx.json")
local router = require("mtx.router")

local REQUIRED_CONFIG = {
  { "republish", "string" },
  { "pathPrefix", "string" },
  { "apiNetworks", "table" },
  { "apiAttemptTimeoutMs", "number" },
}

-- Every problem with the config table, one per line; "" when it is usable.
local function config_problems(config)
  if type(config) ~= "table" then
    return "MTX_PUBLISH_CONFIG is " .. type(config) .. ", not a table: haproxy.cfg must lua-load"
      .. " publish-config.lua before publish.lua"
  end
  local problems = {}
  for _, field in ipairs(REQUIRED_CONFIG) do
    local key, kind = field[1], field[2]
    if type(config[key]) ~= kind then
      problems[#problems + 1] = "MTX_PUBLISH_CONFIG." .. key .. ": must be a " .. kind .. ", got " .. type(config[key])
    end
  end
  if config.republish ~= nil and config.republish ~= "takeover" and config.republish ~= "refuse" then
    problems[#problems + 1] = "MTX_PUBLISH_CONFIG.republish: must be takeover or refuse, got " ..
      tostring(config.republish)
  end
  return table.concat(problems, "\n")
end

-- Every problem with the credentials table (nil: none configured), one per line; "" when usable.
local function credentials_problems(credentials)
  if credentials == nil then
    return ""
  end
  if type(credentials) ~= "table" then
    return "MTX_CREDENTIALS is " .. type(credentials) .. ", not a table"
  end
  local problems = {}
  for _, list in ipairs({ "publishers", "readers" }) do
    local users = credentials[list]
    if users ~= nil and type(users) ~= "table" then
      problems[#problems + 1] = "MTX_CREDENTIALS." .. list .. ": must be a list or nil, got " .. type(users)
    elseif users ~= nil then
      for i, entry in ipairs(users) do
        local where = "MTX_CREDENTIALS." .. list .. "[" .. i .. "]"
        if type(entry) ~= "table" or type(entry.user) ~= "string" or type(entry.salt) ~= "string"
          or type(entry.paths) ~= "table" then
          problems[#problems + 1] = where .. ": must be {user, salt, sha256, paths}"
        elseif type(entry.sha256) ~= "string" or not entry.sha256:find("^" .. ("%x"):rep(64) .. "$")
          or entry.sha256 ~= entry.sha256:lower() then
          problems[#problems + 1] = where .. ".sha256: must be 64 lowercase hex digits"
        end
      end
    end
  end
  return table.concat(problems, "\n")
end

local CONFIG_PROBLEMS = config_problems(MTX_PUBLISH_CONFIG)
local CREDENTIALS = rawget(_G, "MTX_CREDENTIALS")
local CREDENTIALS_PROBLEMS = credentials_problems(CREDENTIALS)
if CONFIG_PROBLEMS ~= "" or CREDENTIALS_PROBLEMS ~= "" then
  error("publish.lua: " .. CONFIG_PROBLEMS .. (CONFIG_PROBLEMS ~= "" and CREDENTIALS_PROBLEMS ~= "" and "\n" or "")
    .. CREDENTIALS_PROBLEMS, 0)
end
local CONFIG = MTX_PUBLISH_CONFIG

local M = { CONFIG = CONFIG, config_problems = config_problems, credentials_problems = credentials_problems }

-- MediaMTX's body is a few hundred bytes; anything far larger is not MediaMTX.
local MAX_BODY_BYTES = 64 * 1024
-- A kick only starts closing the old session (MediaMTX cancels its context), while the new publisher's
-- path turns ready within milliseconds of our 200 (RTMP reads its tracks before asking the hook). So
-- the hook waits until the old instance no longer lists the path as ready, checking every
-- KICK_CHECK_STEP_MS for at most KICK_SETTLE_MS (measured: gone at the first check or the second).
local KICK_SETTLE_MS = 500
local KICK_CHECK_STEP_MS = 10

-- ---------------------------------------------------------------------------------------------
-- Pure parts
-- ---------------------------------------------------------------------------------------------

-- Dotted quad -> 32-bit integer, or nil.
local function ipv4(text)
  if type(text) ~= "string" then
    return nil
  end
  local a, b, c, d = text:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if a == nil then
    return nil
  end
  local value = 0
  for _, octet in ipairs({ a, b, c, d }) do
    local n = tonumber(octet)
    if n > 255 then
      return nil
    end
    value = value * 256 + n
  end
  return value
end

-- Whether `ip` (as MediaMTX writes it: dotted quad or IPv6 text) is in one of `networks`: IPv4 CIDRs
-- ("10.0.0.0/24") or exact addresses ("::1").
local function ip_allowed(ip, networks)
  if type(ip) ~= "string" then
    return false
  end
  local address = ipv4(ip)
  for _, network in ipairs(networks) do
    local base, bits = network:match("^([%d.]+)/(%d+)$")
    if base ~= nil and address ~= nil then
      local span = 2 ^ (32 - tonumber(bits))
      local start = ipv4(base)
      if start ~= nil and address >= start and address < start + span then
        return true
      end
    elseif network == ip then
      return true
    end
  end
  return false
end

-- Request path -> the instance it names, or nil: "<prefix><instance>" with a configured instance.
local function instance_from_path(path)
  if type(path) ~= "string" or path:sub(1, #CONFIG.pathPrefix) ~= CONFIG.pathPrefix then
    return nil
  end
  local name = path:sub(#CONFIG.pathPrefix + 1)
  if router.INSTANCE_BY_NAME[name] == nil then
    return nil
  end
  return name
end

-- MediaMTX 1.20 source types (internal/defs/api_path.go) -> their control API kick endpoint
-- (internal/api/api.go). Sources MediaMTX pulls itself (rtspSource, hlsSource, …) have none; this
-- stack configures no such path.
local KICK_ENDPOINTS = {
  rtmpConn = "/v3/rtmpconns/kick/",
  rtmpsConn = "/v3/rtmpsconns/kick/",
  rtspSession = "/v3/rtspsessions/kick/",
  rtspsSession = "/v3/rtspssessions/kick/",
  srtConn = "/v3/srtconns/kick/",
  webRTCSession = "/v3/webrtcsessions/kick/",
  moqSession = "/v3/moqsessions/kick/",
}

-- A /v3/paths/get/<name> answer (status, body) -> "live", source | "absent" | "unknown".
-- `unknown`: no usable answer (timeout, 5xx, not JSON): the old owner may be down.
local function classify_path(status, body)
  if status == 404 then
    return "absent"
  end
  if status ~= 200 then
    return "unknown"
  end
  local item = json.decode(body)
  if type(item) ~= "table" then
    return "unknown"
  end
  if not router.path_ready(item) then
    return "absent"
  end
  local source = item.source
  if type(source) ~= "table" or type(source.type) ~= "string" then
    return "live", nil
  end
  return "live", { type = source.type, id = type(source.id) == "string" and source.id or nil }
end

-- The kick URL path for a source, or nil when it cannot be kicked through the API.
local function kick_path(source)
  if source == nil or source.id == nil or not source.id:find("^[%w-]+$") then
    return nil
  end
  local endpoint = KICK_ENDPOINTS[source.type]
  return endpoint and (endpoint .. source.id) or nil
end

-- Equality of two strings whose time depends only on their lengths, not on where they differ: a client
-- timing refusals learns nothing about how much of a hash it got right.
local function same_text(a, b)
  if #a ~= #b then
    return false
  end
  local diff = 0
  for i = 1, #a do
    diff = diff | (a:byte(i) ~ b:byte(i))
  end
  return diff == 0
end

-- A client-chosen user name as it may appear in a log line or a reply: at most 64 characters, anything
-- outside the names validation allows shown as `?`.
local function printable_user(user)
  return (user:sub(1, 64):gsub("[^%w_.@-]", "?"))
end

-- Whether `path` is under one of `prefixes` (none: every path). Whole path segments only: `cam` and
-- `cam/` both allow `cam/x` (and `cam` allows `cam` itself), neither allows `camera` or `cam2`, so a
-- prefix written without its slash does not hand out every name that starts with the same letters.
local function path_allowed(path, prefixes)
  if #prefixes == 0 then
    return true
  end
  for _, prefix in ipairs(prefixes) do
    local dir = prefix:sub(-1) == "/" and prefix or prefix .. "/"
    if path == prefix or path:sub(1, #dir) == dir then
      return true
    end
  end
  return false
end

-- Checks a hook request against `users` (a MTX_CREDENTIALS list) for `verb` ("publish", "read").
-- `hash(text)` returns the lowercase hex SHA-256 of text (HAProxy's converters in the service; the tests
-- pass their own). Returns nil when allowed, else the reason, which never holds the password.
local function check_credentials(users, request, verb, hash)
  local user, password = request.user, request.password
  if type(user) ~= "string" or user == "" or type(password) ~= "string" or password == "" then
    return "no credentials"
  end
  local entry
  for _, candidate in ipairs(users) do
    if candidate.user == user then
      entry = candidate
      break
    end
  end
  if entry == nil then
    -- Hash anyway, so an unknown user costs the same time as a wrong password.
    hash("mediamtx-lb:unknown-user:" .. password)
    return "unknown user " .. printable_user(user)
  end
  if not same_text(hash(entry.salt .. password), entry.sha256) then
    return "wrong password for " .. printable_user(user)
  end
  if not path_allowed(request.path, entry.paths) then
    return printable_user(user) .. " may not " .. verb .. " " .. request.path
  end
  return nil
end

M.same_text = same_text
M.path_allowed = path_allowed
M.check_credentials = check_credentials
M.ipv4 = ipv4
M.ip_allowed = ip_allowed
M.instance_from_path = instance_from_path
M.classify_path = classify_path
M.kick_path = kick_path

-- ---------------------------------------------------------------------------------------------
-- Runtime
-- ---------------------------------------------------------------------------------------------

local counters = {
  publishes = 0,
  pushes = 0,
  takeovers = 0,
  refused = 0,
  kickFailures = 0,
  apiDenied = 0,
  -- Publishes and reads refused for their credentials (publishers / readers).
  credentialsRefused = 0,
}
M.counters = counters

local function log_info(message)
  core.Info("mtx publish: " .. message)
end

local function log_warning(message)
  core.Warning("mtx publish: " .. message)
end

-- One control API call to `instance`, bounded by 4 attempts of apiAttemptTimeoutMs (core.httpclient
-- retries 3 times on connection failure and timeout). Returns status, body; nil when no answer.
local function api_call(method, instance, path)
  local ok, response = pcall(function()
    local client = core.httpclient()
    local request = {
      url = "http://" .. instance.address .. ":" .. instance.apiPort .. path,
      timeout = CONFIG.apiAttemptTimeoutMs,
    }
    if method == "POST" then
      return client:post(request)
    end
    return client:get(request)
  end)
  if ok and type(response) == "table" and type(response.status) == "number" then
    -- An integer whatever produced it (HAProxy gives one; a decoded test double may give 500.0).
    return math.tointeger(response.status) or response.status, response.body
  end
  return nil, nil
end

local function now_ms()
  local now = core.now()
  return now.sec * 1000 + now.usec // 1000
end

-- After a kick: true once `instance` no longer has `stream` ready (or stops answering), false if it
-- still does after KICK_SETTLE_MS. Yields.
local function wait_gone(instance, stream)
  local deadline = now_ms() + KICK_SETTLE_MS
  while true do
    local state = classify_path(api_call("GET", instance, "/v3/paths/get/" .. stream))
    if state ~= "live" then
      return true
    end
    if now_ms() >= deadline then
      return false
    end
    core.msleep(KICK_CHECK_STEP_MS)
  end
end

-- Decides a publish of `stream` on instance `name` over `protocol`. Returns status, reason. Yields (API
-- calls to the old owner only, never to `name`).
--
-- Not pushed for WebRTC (WHIP): MediaMTX asks the hook before it reads the offer, so a publish that then
-- fails (a bad offer: the smoke check sends one on purpose) would route the name to an instance that
-- never got it, for learnGraceMs. The webrtc frontend learns the owner from the 201 instead (mtx_learn),
-- which only a session that exists gets, within milliseconds of this call. RTMP asks the hook after it
-- has read the tracks, right before the path turns ready.
local function on_publish(name, stream, id, protocol)
  counters.publishes = counters.publishes + 1
  local owner = router.owner(stream)
  local what = stream .. " on " .. name .. " (session " .. tostring(id) .. ")"
  if owner ~= nil and owner ~= name and router.INSTANCE_BY_NAME[owner] ~= nil then
    local old = router.INSTANCE_BY_NAME[owner]
    if router.instance_down(owner) then
      log_info("publish " .. what .. ": previous owner " .. owner .. " is down, routing here")
    else
      local status, body = api_call("GET", old, "/v3/paths/get/" .. stream)
      local state, source = classify_path(status, body)
      if state == "unknown" then
        log_warning("publish " .. what .. ": previous owner " .. owner .. " did not answer ("
          .. tostring(status) .. "), routing here")
      elseif state == "live" then
        if CONFIG.republish == "refuse" then
          counters.refused = counters.refused + 1
          local reason = "stream " .. stream .. " is live on instance " .. owner .. " (routing.republish: refuse)"
          log_warning("refused publish " .. what .. ": " .. reason)
          return 409, reason
        end
        local path = kick_path(source)
        local kicked = path and api_call("POST", old, path)
        -- 404: the old session ended between the two calls, which is what the kick was for.
        if kicked ~= 200 and kicked ~= 404 then
          counters.kickFailures = counters.kickFailures + 1
          local reason = "stream " .. stream .. " is live on instance " .. owner .. " and its publisher ("
            .. tostring(source and source.type) .. " " .. tostring(source and source.id)
            .. ") could not be kicked (" .. tostring(kicked) .. "); retry"
          log_warning("refused publish " .. what .. ": " .. reason)
          return 503, reason
        end
        counters.takeovers = counters.takeovers + 1
        local gone = wait_gone(old, stream)
        log_info("publish " .. what .. ": took over from " .. owner .. ", kicked " .. source.type .. " "
          .. source.id .. (gone and "" or ", still listed after " .. KICK_SETTLE_MS .. " ms"))
      end
    end
  end
  if protocol ~= "webrtc" and router.push(stream, name) then
    counters.pushes = counters.pushes + 1
  end
  return 200, "ok"
end

-- With credentials configured for `verb`: nil when `request` may go on, else status, reason (logged and
-- counted here).
local function refuse_by_credentials(name, request, verb, users, hash)
  if users == nil then
    return nil
  end
  local problem = check_credentials(users, request, verb, hash)
  if problem == nil then
    return nil
  end
  counters.credentialsRefused = counters.credentialsRefused + 1
  log_warning("refused " .. verb .. " " .. request.path .. " on " .. name .. " from " .. tostring(request.ip)
    .. ": " .. problem)
  return 401, problem
end

-- Decides one hook request. Returns status, reason. `hash(text)`: lowercase hex SHA-256 (see
-- check_credentials); only called when credentials are configured.
local function decide(name, request, hash)
  if type(request) ~= "table" then
    return 400, "body is not a JSON object"
  end
  local action = request.action
  if action == "publish" then
    if type(request.path) ~= "string" then
      return 400, "publish without a path"
    end
    -- Before on_publish: a refused publisher must never kick the live one.
    local status, reason = refuse_by_credentials(name, request, "publish", CREDENTIALS and CREDENTIALS.publishers,
      hash)
    if status ~= nil then
      return status, reason
    end
    return on_publish(name, request.path, request.id, request.protocol)
  end
  -- Only reach the hook with `readers` configured (otherwise mediamtx.yml excludes them).
  if (action == "read" or action == "playback") and CREDENTIALS and CREDENTIALS.readers then
    if type(request.path) ~= "string" then
      return 400, action .. " without a path"
    end
    local status, reason = refuse_by_credentials(name, request, "read", CREDENTIALS.readers, hash)
    if status ~= nil then
      return status, reason
    end
    return 200, "ok"
  end
  if action == "api" or action == "metrics" or action == "pprof" then
    if ip_allowed(request.ip, CONFIG.apiNetworks) then
      return 200, "ok"
    end
    counters.apiDenied = counters.apiDenied + 1
    log_warning("refused " .. action .. " on " .. name .. " from " .. tostring(request.ip))
    return 401, action .. " is only for the gateway"
  end
  -- Without `readers`, read and playback are excluded in mediamtx.yml (authHTTPExclude); anything else is
  -- not ours to allow.
  return 403, "action " .. tostring(action) .. " is not handled by the gateway's hook"
end

M.decide = decide

local function hook_service(applet)
  local status, reason
  local name = instance_from_path(applet.path)
  if applet.method ~= "POST" then
    status, reason = 405, "POST only"
  elseif name == nil then
    status, reason = 404, "unknown instance"
  else
    local length = tonumber(applet.headers and applet.headers["content-length"]
      and applet.headers["content-length"][0] or "")
    if length ~= nil and length > MAX_BODY_BYTES then
      status, reason = 413, "body too large"
    else
      -- HAProxy's own converters (OpenSSL): sha2 gives raw bytes, hex gives them in uppercase.
      local function hash(text)
        return string.lower(applet.c:hex(applet.c:sha2(text, 256)))
      end
      local ok, a, b = pcall(function()
        return decide(name, json.decode(applet:receive()), hash)
      end)
      if ok then
        status, reason = a, b
      else
        log_warning("hook for " .. name .. " failed: " .. tostring(a))
        status, reason = 500, "hook failed"
      end
    end
  end
  local body = reason .. "\n"
  applet:set_status(status)
  applet:add_header("content-type", "text/plain")
  applet:add_header("cache-control", "no-store")
  applet:add_header("content-length", tostring(#body))
  applet:start_response()
  applet:send(body)
end

if type(core) == "table" and type(core.register_service) == "function" then
  core.register_service("mtx_publish_hook", "http", hook_service)
end

if rawget(_G, "MTX_TEST") then
  return M
end
