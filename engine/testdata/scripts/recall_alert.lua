-- recall_alert.lua: tell the owner (file transfer chat) what was recalled, and about red packets.
local bot = require("bot")

bot.on("recall", function(ev)
  local text = "（不在记录里）"
  if ev.original then text = ev.original.text end
  bot.send("filehelper", ev.chat.name .. " 里 " .. (ev.by or "有人") .. " 撤回了：" .. text)
end)

bot.on("redpacket", function(ev)
  bot.send("filehelper", "红包！" .. ev.chat.name .. " " .. os.date("%H:%M"))
  local n = bot.store.incr("redpackets:" .. ev.chat.id)
  if n % 3 == 0 then
    bot.sleep(30)
    bot.send("filehelper", ev.chat.name .. " 今天第 " .. n .. " 个红包")
  end
end)
