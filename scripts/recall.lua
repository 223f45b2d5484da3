-- recall.lua — 撤回提醒: when someone recalls (撤回) a message, tell you who recalled what.
--
-- qunguan logged the message when it arrived, so the alert can show the original, e.g.
--   ↩️ 周末徒步群 里 刘队 撤回了一条文字（09:41 发的）：
--   这条消息我马上撤回
-- Chats listed in `repost_in` also get the original back ("刘队 撤回了：…"): useful in
-- groups whose rule is "no recalling announcements". Only texts can be reposted.
--
-- Config (every key is optional):
--
--   [scripts.recall]
--   alert     = true      # send the alert to alert_to
--   repost_in = []        # chats (names, remarks or ids) where the original is reposted
--   chats     = []        # only recalls in these chats; [] = every chat
--   alert_to  = "filehelper"   # (the global alert_to unless set here)

local bot = require("bot")

local config = bot.config

local function setting(key, default)
  if config[key] == nil then return default end
  return config[key]
end

-- set_of turns a list into a table for quick "is it in the list?" checks.
local function set_of(list)
  local set = {}
  for _, item in ipairs(list) do set[item] = true end
  return set
end

local reposting = set_of(setting("repost_in", {}))

-- What to call each kind of message in the alert.
local KIND_NAMES = {
  text = "文字", image = "图片", voice = "语音", video = "视频", emoticon = "表情",
  link = "链接", file = "文件", card = "名片", location = "位置", miniprogram = "小程序",
  redpacket = "红包", transfer = "转账",
}

-- describe says what the recalled message was: its text, or a label such as [图片].
local function describe(original)
  local name = KIND_NAMES[original.kind] or original.kind
  if original.kind == "text" or (original.text or "") ~= "" then
    return name, original.text
  end
  return name, "[" .. name .. "]"
end

-- who_recalled finds the best name for the person: the notice's, else the logged sender's.
local function who_recalled(ev, original)
  if ev.by and ev.by ~= "" then return ev.by end
  if original and original.sender.name ~= "" then return original.sender.name end
  if ev.sender and ev.sender.name ~= "" then return ev.sender.name end
  return "有人"
end

local function alert(ev, who, original)
  local text
  if original then
    local kind, content = describe(original)
    text = string.format("↩️ %s 里 %s 撤回了一条%s（%s 发的）：\n%s",
      ev.chat.name, who, kind, os.date("%H:%M", original.time), content)
  else
    text = string.format("↩️ %s 里 %s 撤回了一条消息（原消息不在记录里）", ev.chat.name, who)
  end
  local ok, err = bot.send(setting("alert_to", "filehelper"), text)
  if not ok then bot.log.error("recall alert not sent", {err = err}) end
end

local function repost(ev, who, original)
  if not (reposting[ev.chat.name] or reposting[ev.chat.id]) then return end
  if not original or original.kind ~= "text" then return end
  ev:reply(who .. " 撤回了：" .. original.text)
end

local options = {name = "recall alert"}
local chats = setting("chats", {})
if #chats > 0 then options.chats = chats end

bot.on("recall", function(ev)
  local original = ev.original -- from the log; nil when it was never logged
  local who = who_recalled(ev, original)
  if setting("alert", true) then alert(ev, who, original) end
  repost(ev, who, original)
end, options)
