-- mention.lua — 机器人回复: answer when someone @-mentions the bot in a group, or writes to it
-- in a private chat.
--
-- The answer comes from an AI service that speaks the OpenAI chat-completions API (OpenAI,
-- DeepSeek, Qwen/DashScope, Moonshot, a local Ollama…). Without one, or when it fails, the
-- bot sends a fixed ("canned") answer instead. Like the classic WeChat robots it is polite:
--   * in groups it speaks only when @-mentioned;
--   * it never answers official accounts (公众号);
--   * it stays quiet while you use WeChat on the phone (you will answer yourself).
-- It runs after keywords.lua (lower priority): a keyword answer wins.
--
-- Config (every key is optional):
--
--   [scripts.mention]
--   ai_url   = ""                  # e.g. "https://api.deepseek.com/chat/completions"; "" = canned answers only
--   ai_key   = ""                  # sent as "Authorization: Bearer <key>"
--   ai_model = "gpt-4o-mini"
--   system_prompt = "你是群管家……"  # who the AI should be
--   timeout  = "20s"               # how long to wait for the AI
--   canned   = "我是群管家机器人🤖，主人暂时不在，看到后会回复您。"
--   unless_owner_active = "2m"     # stay quiet if you used WeChat in that chat lately; "0" = never
--   groups   = true                # answer @-mentions in groups
--   private  = true                # answer private chats
--   chats    = []                  # only in these chats; [] = everywhere

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

local DEFAULT_PROMPT = "你是群管家，一个友好的微信群助手。请用简短的中文回答，不超过 100 字。"
local DEFAULT_CANNED = "我是群管家机器人🤖，主人暂时不在，看到后会回复您。"

-- trim removes spaces and line breaks around a text (also the wide spaces WeChat uses).
local function trim(text)
  return (re.gsub(text, "^[\\s\\x{2005}\\x{3000}]+|[\\s\\x{2005}\\x{3000}]+$", ""))
end

-- ask_ai sends the question to the chat-completions API and returns the answer, or nil and
-- the reason it has none.
local function ask_ai(question)
  local url = setting("ai_url", "")
  if url == "" then return nil, "no ai_url configured" end
  local headers = {}
  local key = setting("ai_key", "")
  if key ~= "" then headers.Authorization = "Bearer " .. key end
  local resp, err = bot.http.post(url, {
    json = {
      model = setting("ai_model", "gpt-4o-mini"),
      messages = {
        {role = "system", content = setting("system_prompt", DEFAULT_PROMPT)},
        {role = "user", content = question},
      },
    },
    headers = headers,
    timeout = setting("timeout", "20s"),
  })
  if not resp then return nil, err end
  if resp.status ~= 200 then return nil, "the AI service answered HTTP " .. resp.status end
  -- The answer is in choices[1].message.content; check each step, the service may send
  -- anything (an error object, HTML from a proxy…).
  local body = resp.json
  local choice = type(body) == "table" and type(body.choices) == "table" and body.choices[1]
  local content = type(choice) == "table" and type(choice.message) == "table" and choice.message.content
  if type(content) ~= "string" or trim(content) == "" then
    return nil, "no choices[1].message.content in the answer"
  end
  return trim(content)
end

-- When the bot should listen at all.
local options = {name = "mention answer", priority = -10}
local owner_window = setting("unless_owner_active", "2m")
if not is_off(owner_window) then options.unless_owner_active = owner_window end
local in_groups, in_private = setting("groups", true), setting("private", true)
if not in_groups and not in_private then
  error("mention.lua: groups and private are both false; remove the script instead")
end
if not in_groups then options.private = true end
if not in_private then options.groups = true end
local chats = setting("chats", {})
if #chats > 0 then options.chats = chats end

-- bot.respond sees private messages and group messages that @-mention the bot, with the
-- mention already removed from the text: m[1] is the question.
bot.respond("(?s)^(.*)$", function(msg, m)
  if msg.sender.is_official then return end
  local question = trim(m[1])
  local answer, why
  if question == "" then
    why = "empty question" -- just "@管家": say hello with the canned answer
  else
    answer, why = ask_ai(question)
  end
  if not answer then
    if setting("ai_url", "") ~= "" then
      bot.log.warn("AI answer failed; sending the canned answer", {err = why, chat = msg.chat.name})
    end
    answer = setting("canned", DEFAULT_CANNED)
  end
  msg:reply(answer, {at = true})
  return true
end, options)
