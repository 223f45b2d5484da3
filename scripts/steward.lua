-- steward.lua — 群管家: look after your groups.
--
--   * welcome new members with an @-mention;
--   * note who left (in the log, and as an alert if you like);
--   * warn, then remove, people who flood the group (the same text again and again) or post
--     spam (links, "扫码进群"…). Removing needs the bot to own the group: where it does not,
--     the steward only warns and tells you;
--   * answer "人数" / "多少人" with the group's member count.
--
-- Config (every key is optional):
--
--   [scripts.steward]
--   managed_groups = []      # the groups to look after; [] = every group
--   admins   = []            # people never warned or removed (names, remarks or ids)
--   welcome  = "欢迎 {name}加入「{group}」！请先看群公告，有事可以 @我。"   # "" = no welcome
--   report_leaves = false    # also alert alert_to when someone leaves
--   flood_repeat  = 3        # the same text this many times…
--   flood_window  = "1m"     # …within this long is flooding
--   spam_patterns = ["https?://", "(扫码|扫一扫|二维码).{0,8}(进群|加群|领|加我)", "加我?(微信|VX|vx|V信)"]
--   spam_kinds    = []       # message kinds that count as spam, e.g. ["link", "card", "miniprogram"]
--   warnings = 1             # warnings before removal
--   strike_ttl = "1d"        # warnings are forgotten after this long
--   kick     = true          # false: warn only, and tell you
--   warn_text   = "请不要{reason}，再犯会被移出本群。"
--   kicked_text = "{name} 因{reason}已被移出本群。"
--   count_text  = "「{group}」现在有 {count} 人。"
--   alert_to = "filehelper"  # (the global alert_to unless set here)

local bot = require("bot")
local re = require("re")
local utf8 = require("utf8")

local config = bot.config

local function setting(key, default)
  if config[key] == nil then return default end
  return config[key]
end

local function fill(text, values)
  return (re.gsub(text, "\\{(\\w+)\\}", function(m)
    local value = values[m[1]]
    if value == nil then return nil end
    return tostring(value)
  end))
end

local function set_of(list)
  local set = {}
  for _, item in ipairs(list) do set[item] = true end
  return set
end

-- to_seconds reads a duration such as "1m", "90s", "1h30m" or a number of seconds.
local function to_seconds(duration)
  if type(duration) == "number" then return duration end
  local units = {s = 1, m = 60, h = 3600, d = 86400}
  local total = 0
  for _, part in ipairs(re.find_all(duration, "(\\d+(?:\\.\\d+)?)([smhd])")) do
    total = total + tonumber(part[1]) * units[part[2]]
  end
  return total
end

local ALERT_TO = setting("alert_to", "filehelper")
local MENTION_END = utf8.char(0x2005) -- WeChat ends an @-mention with this narrow space
local managed = set_of(setting("managed_groups", {}))
local admins = set_of(setting("admins", {}))

-- is_managed: the steward only acts in the configured groups (all groups when none are).
local function is_managed(chat)
  return next(managed) == nil or managed[chat.name] == true or managed[chat.id] == true
end

-- is_admin: admins may repeat themselves and post links.
local function is_admin(person)
  for _, name in ipairs({person.id, person.name, person.nickname, person.remark, person.display_name}) do
    if name ~= "" and admins[name] then return true end
  end
  return false
end

local function alert(text)
  local ok, err = bot.send(ALERT_TO, text)
  if not ok then bot.log.error("steward alert not sent", {err = err}) end
end

-- Welcome ---------------------------------------------------------------------------------

bot.on("join", function(ev)
  local welcome = setting("welcome", "欢迎 {name}加入「{group}」！请先看群公告，有事可以 @我。")
  if welcome == "" or not is_managed(ev.chat) or #ev.members == 0 then return end
  -- "@小红 @阿强 " written the way phones write mentions, so WeChat highlights them.
  local names = {}
  for _, name in ipairs(ev.members) do names[#names + 1] = "@" .. name .. MENTION_END end
  ev:reply(fill(welcome, {name = table.concat(names), group = ev.chat.name}))
end, {groups = true, name = "welcome"})

-- Leaves ----------------------------------------------------------------------------------

-- member_left comes from the group's member list, so it also sees people who left quietly.
bot.on("member_left", function(ev)
  if not is_managed(ev.chat) then return end
  bot.log.info("member left", {group = ev.chat.name, member = ev.member.name})
  if setting("report_leaves", false) then
    alert("👋 " .. ev.member.name .. " 离开了「" .. ev.chat.name .. "」")
  end
end, {groups = true, name = "log leaves"})

-- Flooding and spam -----------------------------------------------------------------------

local FLOOD_REPEAT = setting("flood_repeat", 3)
local FLOOD_WINDOW = setting("flood_window", "1m")
local SPAM_PATTERNS = setting("spam_patterns",
  {"https?://", "(扫码|扫一扫|二维码).{0,8}(进群|加群|领|加我)", "加我?(微信|VX|vx|V信)"})
local SPAM_KINDS = set_of(setting("spam_kinds", {}))

-- floods tells whether this message repeats the sender's last text often enough, within
-- the window, to count as flooding. The last text and its count are kept in bot.store.
local function floods(msg)
  if msg.kind ~= "text" or msg.text == "" then return false end
  local key = "repeat:" .. msg.chat.id .. ":" .. msg.sender.id
  local last = bot.store.get(key)
  local now = os.time()
  if last and last.text == msg.text and now - last.since <= to_seconds(FLOOD_WINDOW) then
    last.count = last.count + 1
  else
    last = {text = msg.text, count = 1, since = now}
  end
  if last.count >= FLOOD_REPEAT then
    bot.store.del(key) -- start counting afresh after a warning
    return true
  end
  bot.store.set(key, last, FLOOD_WINDOW)
  return false
end

-- is_spam: a configured kind (a shared link…) or a text matching a spam pattern.
local function is_spam(msg)
  if SPAM_KINDS[msg.kind] then return true end
  for _, pattern in ipairs(SPAM_PATTERNS) do
    if re.test(msg.text or "", pattern) then return true end
  end
  return false
end

-- remove takes the sender out of the group, or tells the owner why it could not.
local function remove(msg, reason)
  local ok, err = bot.group.kick(msg.chat, msg.sender)
  if not ok then
    -- Typically "the bot is not the owner of this group": warn again, and let the owner act.
    bot.log.warn("could not remove a member", {group = msg.chat.name, member = msg.sender.name, err = err})
    msg:reply(fill(setting("warn_text", "请不要{reason}，再犯会被移出本群。"), {reason = reason}), {at = true})
    alert("⚠️ 「" .. msg.chat.name .. "」里 " .. msg.sender.name .. " 一直在" .. reason .. "，但我移不出去：" .. err)
    return
  end
  msg:reply(fill(setting("kicked_text", "{name} 因{reason}已被移出本群。"), {name = msg.sender.name, reason = reason}))
  alert("🚫 已把 " .. msg.sender.name .. " 移出「" .. msg.chat.name .. "」：" .. reason)
  return true
end

-- strike counts an offence: the first `warnings` earn a warning, the next one removal.
local function strike(msg, reason)
  local key = "strikes:" .. msg.chat.id .. ":" .. msg.sender.id
  local strikes = bot.store.incr(key, 1, setting("strike_ttl", "1d"))
  if strikes <= setting("warnings", 1) then
    msg:reply(fill(setting("warn_text", "请不要{reason}，再犯会被移出本群。"), {reason = reason, name = msg.sender.name}), {at = true})
    return
  end
  if not setting("kick", true) then
    alert("⚠️ 「" .. msg.chat.name .. "」里 " .. msg.sender.name .. " 警告后仍在" .. reason)
    return
  end
  if remove(msg, reason) then bot.store.del(key) end
end

-- Watch every group message early (priority 50) without answering, so other scripts still
-- see it.
bot.on("message", function(msg)
  if msg.is_self or msg.sender.id == "" then return end -- you, or a notice without a sender
  if not is_managed(msg.chat) or is_admin(msg.sender) then return end
  if is_spam(msg) then
    strike(msg, "发广告")
  elseif floods(msg) then
    strike(msg, "刷屏")
  end
end, {groups = true, priority = 50, name = "flood and spam"})

-- Member count ----------------------------------------------------------------------------

-- Also for you (self = true): typing "人数" in the group on your phone asks the bot.
bot.hear({"人数", "多少人"}, function(msg)
  if not is_managed(msg.chat) then return end
  local members = bot.members(msg.chat)
  local count = members and #members or msg.chat.member_count
  local text = fill(setting("count_text", "「{group}」现在有 {count} 人。"), {group = msg.chat.name, count = count})
  msg:reply(text, {at = not msg.is_self})
  return true
end, {groups = true, self = true, cooldown = "30s", priority = 20, name = "member count"})
