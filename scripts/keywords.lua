-- keywords.lua — 自动回复: answer the questions people ask again and again.
--
-- When a message contains a configured keyword (or matches a configured RE2 pattern), the
-- bot replies with the configured answer. Each keyword then stays quiet in that chat for
-- `cooldown`, so that a busy group does not get the same answer five times in a row.
--
-- Config, in qunguan.toml (every key is optional):
--
--   [scripts.keywords]
--   replies  = { "营业时间" = "每天 9:00–21:00", "地址" = "人民路 1 号" }   # keyword → reply
--   patterns = [ { pattern = "(\\d+)号楼.*物业", reply = "{1} 号楼物业：8888-1234", chats = ["业主群"] } ]
--   cooldown = "1m"              # per keyword (or pattern) and chat; "0" = no cooldown
--   chats    = []                # only in these chats (names, remarks or ids); [] = everywhere
--   at       = true              # @-mention the person who asked (in groups)
--   unless_owner_active = ""     # e.g. "2m": stay quiet while you use WeChat in that chat
--   official = false             # also answer official accounts (公众号)
--   help     = true              # "@bot 帮助" lists the keywords
--
-- In a reply, {name} is the asker's name, {chat} the chat's name, and for patterns {1}, {2}…
-- are the pattern's groups ((?P<city>…) gives {city}).

local bot = require("bot")
local re = require("re")

local config = bot.config

-- setting returns the configured value of key, or default when the key is absent.
local function setting(key, default)
  if config[key] == nil then return default end
  return config[key]
end

-- fill replaces {key} in text by values[key]; unknown keys stay as they are.
local function fill(text, values)
  return (re.gsub(text, "\\{(\\w+)\\}", function(m)
    local value = values[m[1]]
    if value == nil then return nil end -- nil keeps "{key}" unchanged
    return tostring(value)
  end))
end

-- is_off tells whether a duration setting means "no such thing" ("", "0", 0 or false).
local function is_off(duration)
  return duration == nil or duration == false or duration == "" or duration == "0" or duration == 0
end

-- rule_options builds the options every keyword rule shares. Priority 10 puts the answers
-- before mention.lua's catch-all answer, which then stays quiet (we return true).
local function rule_options(name, chats)
  local opts = {name = name, priority = 10}
  local owner_window = setting("unless_owner_active", "")
  if not is_off(owner_window) then opts.unless_owner_active = owner_window end
  chats = chats or setting("chats", {})
  if #chats > 0 then opts.chats = chats end
  return opts
end

-- cooling_down tells whether this rule answered in this chat less than `cooldown` ago, and
-- starts the cooldown when it did not. (The engine's cooldown option would let the message
-- fall through to a shorter keyword — "营业时间" cooling down, "时间" answering — so the
-- script keeps its own, in bot.store.)
local function cooling_down(msg, rule_name)
  local cooldown = setting("cooldown", "1m")
  if is_off(cooldown) then return false end
  local key = "cooldown:" .. msg.chat.id .. ":" .. rule_name
  if bot.store.get(key) then return true end
  bot.store.set(key, true, cooldown)
  return false
end

-- answer sends the reply, with the captures of the match available as {1}, {2}…
local function answer(msg, rule_name, reply, captures)
  if msg.sender.is_official and not setting("official", false) then
    return false -- official accounts talk to everybody; answering them is noise
  end
  if cooling_down(msg, rule_name) then
    return true -- answered a moment ago: stay quiet, and let no other rule answer instead
  end
  local values = {name = msg.sender.name, chat = msg.chat.name}
  for key, value in pairs(captures or {}) do values[tostring(key)] = value end
  msg:reply(fill(reply, values), {at = setting("at", true)})
  return true -- answered: lower-priority rules (e.g. mention.lua) stay quiet
end

-- Patterns first, in the order they are configured: they are the more specific rules.
for i, entry in ipairs(setting("patterns", {})) do
  if type(entry) ~= "table" or type(entry.pattern) ~= "string" or type(entry.reply) ~= "string" then
    error("keywords.lua: patterns[" .. i .. "] needs pattern = \"…\" and reply = \"…\"")
  end
  local reply, name = entry.reply, "pattern " .. entry.pattern
  bot.hear(entry.pattern, function(msg, m)
    return answer(msg, name, reply, m)
  end, rule_options(name, entry.chats))
end

-- Then the keywords, longest first: "营业时间" should win over "时间" when both match.
local replies = setting("replies", {})
local keywords = {}
for keyword, reply in pairs(replies) do
  if type(reply) ~= "string" then
    error("keywords.lua: the reply to " .. keyword .. " must be a text")
  end
  keywords[#keywords + 1] = keyword
end
table.sort(keywords, function(a, b)
  if #a ~= #b then return #a > #b end
  return a < b
end)

for _, keyword in ipairs(keywords) do
  local reply, name = replies[keyword], "keyword " .. keyword
  -- A list of one keyword means "contains this text": no RE2 escaping needed.
  bot.hear({keyword}, function(msg)
    return answer(msg, name, reply)
  end, rule_options(name))
end

-- "@bot 帮助" (or 帮助 in a private chat) lists what the bot can answer.
if setting("help", true) and #keywords > 0 then
  local sorted = {}
  for _, keyword in ipairs(keywords) do sorted[#sorted + 1] = keyword end
  table.sort(sorted)
  bot.respond("^(帮助|help)$", function(msg)
    msg:reply("可以问我：" .. table.concat(sorted, "、"), {at = true})
    return true
  end, {name = "keywords help", priority = 11})
end
