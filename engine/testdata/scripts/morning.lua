-- morning.lua: a weekday greeting, and a welcome for new members after a short pause.
local bot = require("bot")

bot.cron("30 8 * * 1-5", function()
  bot.send("徒步群", "早上好！今天是 " .. os.date("%Y-%m-%d"))
end)

bot.on("join", function(ev)
  bot.sleep(5)
  ev:reply("欢迎 " .. table.concat(ev.members, "、") .. "！请看群公告。")
end)
