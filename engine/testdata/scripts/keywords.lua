-- keywords.lua: answer configured questions, at most once a minute per chat and question.
local bot = require("bot")

local replies = bot.config.replies or {}

for question, answer in pairs(replies) do
  bot.hear(question, function(msg)
    msg:reply(answer, {at = true})
  end, {cooldown = "1m", unless_owner_active = "2m", name = "keyword " .. question})
end

bot.respond("^帮助$", function(msg)
  local questions = {}
  for question in pairs(replies) do questions[#questions + 1] = question end
  table.sort(questions)
  msg:reply("可以问我：" .. table.concat(questions, "、"))
  return true
end, {priority = 10})
