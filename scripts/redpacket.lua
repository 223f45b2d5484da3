-- redpacket.lua — 红包数量提醒: tell you at once when a red packet arrives, so you can open
-- it on the phone before it is gone, and count how many came today.
--
-- The alert goes to `alert_to` (your file-transfer chat unless configured), for example:
--   🧧 红包：周末徒步群（大刘） 09:41
--   今天这个群第 2 个，所有聊天共 5 个
-- The counters live in bot.store and expire at midnight, so each day starts from zero.
--
-- Config (every key is optional):
--
--   [scripts.redpacket]
--   groups  = []        # only these groups; [] = every group
--   private = true      # also red packets sent to you in private chats
--   alert_to = "filehelper"   # (the global alert_to unless set here)

local bot = require("bot")

local config = bot.config

local function setting(key, default)
  if config[key] == nil then return default end
  return config[key]
end

-- seconds_until_midnight is how long today's counters should live.
local function seconds_until_midnight()
  local now = os.date("*t")
  local midnight = os.time{year = now.year, month = now.month, day = now.day + 1, hour = 0}
  return midnight - os.time()
end

-- count adds this red packet to today's counters and returns (this chat, all chats). The
-- date is in the key as well, so a counter can never run into the next day.
local function count(chat)
  local today = os.date("%Y-%m-%d")
  local ttl = seconds_until_midnight()
  local in_chat = bot.store.incr("count:" .. today .. ":" .. chat.id, 1, ttl)
  local total = bot.store.incr("count:" .. today .. ":all", 1, ttl)
  return in_chat, total
end

-- Which chats to watch.
local options = {name = "red packet alert"}
local groups = setting("groups", {})
if #groups > 0 then
  options.groups = groups
elseif not setting("private", true) then
  options.groups = true
end

bot.on("redpacket", function(ev)
  -- Official accounts cannot send red packets; nothing to filter here.
  local in_chat, total = count(ev.chat)
  local from = ""
  if ev.sender and ev.sender.name ~= "" then from = "（" .. ev.sender.name .. "）" end
  local here = ev.chat.is_group and "这个群" or "这个聊天"
  local text = string.format("🧧 红包：%s%s %s\n今天%s第 %d 个，所有聊天共 %d 个",
    ev.chat.name, from, os.date("%H:%M"), here, in_chat, total)
  local ok, err = bot.send(setting("alert_to", "filehelper"), text)
  if not ok then bot.log.error("red packet alert not sent", {err = err}) end
end, options)
