-- JSON for the router (infra/lua/router.lua): a decoder (lua-cjson or pure Lua) and a deterministic encoder.
--
-- Static, like the router: copied unchanged into the gateway directory and loaded by haproxy.cfg with
-- its own `lua-load`, before router.lua (one shared Lua state). It registers itself as
-- package.loaded["mtx.json"], so the router's require("mtx.json") finds it without a package.path
-- search; a config that forgets to load it fails at load time (module not found).
--
-- Two decoders behind one decode(): Debian's lua-cjson (C) where the image has it, else the pure-Lua one
-- below. Measured on a /v3/paths/list page of 1000 MediaMTX 1.20 items (423 kB): cjson 6-9 ms, pure
-- Lua 63-107 ms (Lua 5.4-5.3, this machine under load). The local image (Debian trixie, HAProxy 3.0,
-- Lua 5.4) and the host's HAProxy 2.6 (bookworm, Lua 5.3) have lua-cjson installed by
-- scripts/bootstrap: Debian puts cjson.so in /usr/lib/<triplet>/lua/5.x/, on the default package.cpath of
-- both. The official haproxy:2.8 image ships no lua-cjson, so there the pure decoder runs: a module
-- that loads in one image and not in another must not be a failed reload, hence pcall(require).
-- What the router reads is the same from both (booleans, strings, integral numbers, arrays of objects);
-- the differences are documented at decode() below and pinned by test/unit/router/router-lua.test.ts.

local M = {}

local MAX_JSON_DEPTH = 64

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

-- Marked arrays, and unmarked tables whose keys are exactly 1..n.
local function encodes_as_array(value)
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
    if encodes_as_array(value) then
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

-- Marks a table as an array, so it encodes as [] even when empty.
local function array(list)
  return setmetatable(list, ARRAY_MT)
end

-- Marks a table as an object, so it encodes as {} even when empty.
local function object(map)
  return setmetatable(map, OBJECT_MT)
end


-- lua-cjson, when it loads: its own instance (cjson.new()), so the options set here do not change the
-- module for any other script in HAProxy's shared Lua state.
local function load_cjson()
  local ok, cjson = pcall(require, "cjson")
  if not ok or type(cjson) ~= "table" or type(cjson.new) ~= "function" then
    return nil
  end
  local instance = cjson.new()
  -- NaN, Infinity and hex numbers are not JSON.
  instance.decode_invalid_numbers(false)
  instance.decode_max_depth(MAX_JSON_DEPTH)
  return instance
end

local CJSON = load_cjson()

-- decode(text) -> value, or nil and a message. With cjson, unlike the pure decoder: numbers are all
-- floats (12.0; math.tointeger gives the integer back), null is cjson.null (a light userdata, see
-- is_null), arrays and objects are plain tables, so an empty array cannot be told from an empty object,
-- and cjson accepts two things JSON does not (a raw control character inside a string, "1.") that Go's
-- encoder never writes.
local fast_decode
if CJSON then
  local cjson_decode = CJSON.decode
  fast_decode = function(text)
    if type(text) ~= "string" then
      return nil, "JSON input is not a string"
    end
    local ok, value = pcall(cjson_decode, text)
    if ok then
      return value
    end
    return nil, tostring(value)
  end
end

-- True for JSON null from either decoder.
local CJSON_NULL = CJSON and CJSON.null
local function is_null(value)
  return value == NULL or (CJSON_NULL ~= nil and value == CJSON_NULL)
end

-- True for a decoded JSON array from either decoder: marked by the pure decoder (or array()), or a
-- cjson table whose first element is at [1]. An empty cjson table counts, as it may have been [].
local function is_list(value)
  if type(value) ~= "table" then
    return false
  end
  local mt = getmetatable(value)
  if mt ~= nil then
    return mt == ARRAY_MT
  end
  return next(value) == nil or value[1] ~= nil
end

M.NULL = NULL
-- "cjson" or "lua": which decoder decode() is (reported on /router).
M.decoder = CJSON and "cjson" or "lua"
M.decode = fast_decode or decode
M.is_null = is_null
M.is_list = is_list
M.encode = encode
M.array = array
M.object = object

package.loaded["mtx.json"] = M
return M
