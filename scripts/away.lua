-- away.lua — 超时回复: when a friend writes to you privately and you have not answered within
-- a few minutes, the bot tells them you are away — once, not at every message.
--
--   * Never while you are using WeChat on the phone: if you used WeChat in that chat (or
--     opened WeChat) in the last two minutes, you have seen the message and the bot stays quiet.
--   * Once per chat per away period: after the away reply, that friend gets no other one
--     until you have been back (written or used WeChat on the phone) and left again.
--   * Switch it on and off from your phone: write "away on" / "离开" or "away off" /
--     "回来了" in your file-transfer chat (文件传输助手).
--
-- Config (every key is optional):
--
--   [scripts.away]
--   enabled  = true                # on when qunguan starts (until switched in the file-transfer chat)
--   after    = "5m"                # how long a message may wait for your answer
--   text     = "您好，我现在不在手机旁，看到后会尽快回复您。（自动回复）"
--   unless_owner_active = "2m"     # you used WeChat this recently: stay quiet
--   on_words  = ["away on", "离开"]
--   off_words = ["away off", "回来了"]
--   control_chat = "filehelper"    # where the on/off words work (default: alert_to)
--   official = false               # also answer official accounts (公众号)

local bot = require("bot")
local re = require("re")

local config = bot.config

local function setting(key, default)
  if config[key] == nil then return default end
  return config[key]
end

local function is_off(duration)
  return duration == nil or duration == false or duration == "" or duration == "0" or duration == 0
end

local AFTER = setting("after", "5m")
local TEXT = setting("text", "您好，我现在不在手机旁，看到后会尽快回复您。（自动回复）")
local OWNER_WINDOW = setting("unless_owner_active", "2m")
local CONTROL_CHAT = setting("control_chat", setting("alert_to", "filehelper"))

-- What counts as someone writing to you (not system notices, recalls…).
local CONVERSATION = {
  text = true, image = true, voice = true, video = true, emoticon = true, card = true,
  location = true, link = true, file = true, miniprogram = true, redpacket = true, transfer = true,
}

-- The timers waiting for your answer, by chat id. A reload forgets them: that only means a
-- missed away reply, never a wrong one.
local waiting = {}

-- On or off: switched from the phone and kept in bot.store, so it survives restarts.
local function enabled()
  local switched = bot.store.get("enabled")
  if switched == nil then return setting("enabled", true) end
  return switched
end

-- Away periods are numbered: each time you show up (write something, or use WeChat on the
-- phone) the number goes up, and a chat told during period N is not told again in N.
local function period()
  return bot.store.get("period") or 0
end

local function owner_is_back()
  bot.store.incr("period")
end

local function already_told(chat_id)
  return bot.store.get("told:" .. chat_id) == period()
end

local function stop_waiting(chat_id)
  if waiting[chat_id] then
    waiting[chat_id].cancel()
    waiting[chat_id] = nil
  end
end

-- time_is_up runs `after` the first unanswered message of a chat.
local function time_is_up(chat)
  waiting[chat.id] = nil
  if not enabled() or already_told(chat.id) then return end
  if not is_off(OWNER_WINDOW) and bot.owner_active(chat, OWNER_WINDOW) then
    return -- you are on the phone and have seen it
  end
  local ok, err = bot.send(chat, TEXT)
  if not ok then
    bot.log.error("away reply not sent", {chat = chat.name, err = err})
    return
  end
  bot.store.set("told:" .. chat.id, period(), "1d") -- after a day, tell them again
end

local function someone_wrote(msg)
  if not enabled() or not CONVERSATION[msg.kind] then return end
  if msg.sender.is_official and not setting("official", false) then return end
  local chat = msg.chat
  if waiting[chat.id] or already_told(chat.id) then return end
  -- Start the clock at the first unanswered message; later ones do not restart it.
  waiting[chat.id] = bot.after(AFTER, function() time_is_up(chat) end)
end

-- Every private message, yours included (self = true). Priority 100: watch before other
-- scripts answer, and never stop them.
bot.on("message", function(msg)
  if msg.kind == "owner_active" then return end -- handled below
  if msg.is_self then
    -- You wrote in this chat from the phone: answered.
    stop_waiting(msg.chat.id)
    owner_is_back()
  else
    someone_wrote(msg)
  end
end, {private = true, self = true, priority = 100, name = "away watch"})

bot.on("owner_active", function(ev)
  -- Code 4 is the chat list WeChat sends after every login, not you touching the phone.
  if ev.code ~= 4 then owner_is_back() end
end, {name = "away owner seen"})

-- The on/off words, from you in the control chat only.
local function word_pattern(words)
  local quoted = {}
  for _, word in ipairs(words) do quoted[#quoted + 1] = re.quote(word) end
  return "(?i)^\\s*(" .. table.concat(quoted, "|") .. ")\\s*$"
end

local ON = word_pattern(setting("on_words", {"away on", "离开"}))
local OFF = word_pattern(setting("off_words", {"away off", "回来了"}))

bot.hear(ON, function(msg)
  if not msg.is_self then return end -- only you can switch it
  owner_is_back() -- a new away period starts: everyone may be told once again
  bot.store.set("enabled", true)
  msg:reply("好的，离开模式已开启：私聊 " .. AFTER .. " 内没回复时，我会替你说一声。")
  return true
end, {self = true, chats = {CONTROL_CHAT}, priority = 101, name = "away on"})

bot.hear(OFF, function(msg)
  if not msg.is_self then return end
  owner_is_back()
  bot.store.set("enabled", false)
  for chat_id in pairs(waiting) do stop_waiting(chat_id) end
  msg:reply("欢迎回来，离开模式已关闭。")
  return true
end, {self = true, chats = {CONTROL_CHAT}, priority = 101, name = "away off"})
