-- friends.lua — accept friend requests that say the right words, and greet the new friend.
--
-- A request whose greeting (验证消息) contains one of `keywords` is accepted, with a remark
-- if you configured one; when WeChat then adds the person to your contacts, the bot greets
-- them (and can invite them to groups). Other requests are left for you, with an alert.
--
-- Config (every key is optional; without keywords no request is accepted):
--
--   [scripts.friends]
--   keywords  = ["徒步", "hiking"]   # any of these in the greeting (case does not matter)
--   remark    = "徒步-{nickname}"     # remark for accepted friends; "" = none. Also {keyword}, {date}
--   greeting  = "你好 {name}，我是群管家，已通过你的好友申请 😊"   # "" = no greeting
--   invite_to = []                    # groups to invite accepted friends to
--   notify    = true                  # tell alert_to about each request
--   alert_to  = "filehelper"          # (the global alert_to unless set here)

local bot = require("bot")
local re = require("re")

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

local function notify(text)
  if not setting("notify", true) then return end
  local ok, err = bot.send(setting("alert_to", "filehelper"), text)
  if not ok then bot.log.error("friend alert not sent", {err = err}) end
end

-- matching_keyword returns the first keyword found in the greeting, ignoring case.
local function matching_keyword(greeting)
  for _, keyword in ipairs(setting("keywords", {})) do
    if re.test(greeting, "(?i)" .. re.quote(keyword)) then return keyword end
  end
  return nil
end

bot.on("friend_request", function(ev)
  local greeting = ev.greeting or ""
  local who = ev.nickname or "有人"
  local keyword = matching_keyword(greeting)
  if not keyword then
    notify("🙋 " .. who .. " 想加你为好友：“" .. greeting .. "”。没有匹配的关键词，请在手机上处理。")
    return
  end
  local remark = fill(setting("remark", ""), {nickname = who, keyword = keyword, date = os.date("%Y-%m-%d")})
  local ok, err = bot.accept_friend(ev, {remark = remark})
  if not ok then
    notify("⚠️ 想通过 " .. who .. " 的好友申请，但失败了：" .. err)
    return
  end
  -- Remember the request: WeChat adds the contact a moment later (contact_added), and the
  -- greeting goes out then.
  bot.store.set("accepted:" .. who, {remark = remark}, "1d")
  notify("✅ 已通过 " .. who .. " 的好友申请（“" .. greeting .. "”，关键词：" .. keyword .. "）")
end, {name = "accept friends"})

bot.on("contact_added", function(ev)
  local contact = ev.contact
  if contact.is_group then return end
  local key = "accepted:" .. contact.nickname
  if not bot.store.get(key) then return end -- added some other way (e.g. on the phone)
  bot.store.del(key)
  local greeting = setting("greeting", "你好 {name}，我是群管家，已通过你的好友申请 😊")
  if greeting ~= "" then
    bot.send(contact, fill(greeting, {name = contact.name, nickname = contact.nickname}))
  end
  for _, group in ipairs(setting("invite_to", {})) do
    local ok, err = bot.group.invite(group, {contact})
    if not ok then notify("⚠️ 没能把 " .. contact.name .. " 拉进「" .. group .. "」：" .. err) end
  end
end, {name = "greet new friends"})
