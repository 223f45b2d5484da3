local bot = require("bot")
bot.hear("^hi$", function(msg) msg:reply("hello") end)
bot.hear("^crash$", function(msg) error("crashed on purpose") end)
