-- schedule.lua — 定时发消息 and 群发: send messages on a schedule, and send one text to every
-- friend who fits a filter (by sex, province, city, remark or signature).
--
-- Each entry says when: `cron` (minute hour day month weekday, e.g. "30 8 * * 1-5" =
-- 08:30 on weekdays), `every` (e.g. "2h") or `at` (once, "2026-12-01 09:00").
-- Texts may use {date}, {time} and {weekday}; bulk texts also {name} (your remark for the
-- friend, else their nickname) and {nickname}. Bulk sends are queued at once; the outbox
-- paces them (about one a second), so a few hundred friends take a few minutes.
--
-- Config:
--
--   [scripts.schedule]
--   [[scripts.schedule.messages]]
--   cron = "30 8 * * 1-5"
--   chat = "周末徒步群"            # name, remark or stable id
--   text = "早上好！今天是 {date} {weekday}"
--
--   [[scripts.schedule.bulk]]
--   at      = "2026-02-16 09:00"
--   filter  = { sex = "女", province = "广东", remark = "^徒步", signature = "开心" }
--   text    = "{name}，新年快乐！"
--   dry_run = false                 # true: only send you the list of who would get it
--
--   max_recipients = 200            # a bulk send stops after this many friends (safety)
--   official = false                # let bulk filters pick official accounts too
--   alert_to = "filehelper"         # where bulk reports go (the global alert_to unless set)
--
-- Filter keys: sex ("男"/"女", or 1/2), province and city (a name or a list of names),
-- remark, signature and name (RE2 patterns). A friend must fit every key given.

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

local WEEKDAYS = {"星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"}

-- now_values are the placeholders every text can use.
local function now_values()
  return {date = os.date("%Y-%m-%d"), time = os.date("%H:%M"), weekday = WEEKDAYS[os.date("*t").wday]}
end

-- when registers fn at the time the entry asks for, and fails clearly when it asks for none.
local function when(entry, where, fn)
  if entry.cron then
    bot.cron(entry.cron, fn)
  elseif entry.every then
    bot.every(entry.every, fn)
  elseif entry.at then
    bot.at(entry.at, fn)
  else
    error("schedule.lua: " .. where .. " needs cron, every or at")
  end
end

-- Scheduled messages -------------------------------------------------------------------------

for i, entry in ipairs(setting("messages", {})) do
  local where = "messages[" .. i .. "]"
  if type(entry.chat) ~= "string" or type(entry.text) ~= "string" then
    error("schedule.lua: " .. where .. " needs chat = \"…\" and text = \"…\"")
  end
  when(entry, where, function()
    local ok, err = bot.send(entry.chat, fill(entry.text, now_values()))
    if not ok then bot.log.error("scheduled message not sent", {entry = where, err = err}) end
  end)
end

-- Bulk sends ---------------------------------------------------------------------------------

local FILTER_KEYS = {sex = true, province = true, city = true, remark = true, signature = true, name = true}
local SEXES = {["男"] = 1, male = 1, [1] = 1, ["女"] = 2, female = 2, [2] = 2, ["未知"] = 0, [0] = 0}

-- one_of accepts a single name or a list of names.
local function one_of(value, wanted)
  if type(wanted) ~= "table" then return value == wanted end
  for _, item in ipairs(wanted) do
    if value == item then return true end
  end
  return false
end

-- fits tells whether a contact passes every key of the filter.
local function fits(person, filter)
  if filter.sex ~= nil and person.sex ~= SEXES[filter.sex] then return false end
  if filter.province and not one_of(person.province, filter.province) then return false end
  if filter.city and not one_of(person.city, filter.city) then return false end
  for _, key in ipairs({"remark", "signature", "name"}) do
    if filter[key] and not re.test(person[key] or "", filter[key]) then return false end
  end
  return true
end

-- recipients lists the friends that fit, sorted by name so that runs are repeatable.
local function recipients(filter)
  local contacts, err = bot.contacts()
  if not contacts then return nil, err end
  local chosen = {}
  for _, person in ipairs(contacts) do
    local wanted_kind = person.is_friend or (person.is_official and setting("official", false))
    if wanted_kind and not person.is_group and not person.is_self and fits(person, filter) then
      chosen[#chosen + 1] = person
    end
  end
  table.sort(chosen, function(a, b) return a.name < b.name end)
  return chosen
end

local function report(text)
  local ok, err = bot.send(setting("alert_to", "filehelper"), text)
  if not ok then bot.log.error("bulk report not sent", {err = err}) end
end

local function send_bulk(entry, where)
  local people, err = recipients(entry.filter or {})
  if not people then
    bot.log.error("bulk send: cannot read the contact book", {entry = where, err = err})
    return
  end
  local limit = setting("max_recipients", 200)
  local skipped = 0
  if #people > limit then
    skipped = #people - limit
    for i = #people, limit + 1, -1 do people[i] = nil end
  end
  local names = {}
  for _, person in ipairs(people) do names[#names + 1] = person.name end
  if entry.dry_run then
    report(string.format("📋 群发预览 %s：%d 人：%s", where, #people, table.concat(names, "、")))
    return
  end
  for _, person in ipairs(people) do
    local values = now_values()
    values.name, values.nickname = person.name, person.nickname
    bot.send(person, fill(entry.text, values))
  end
  local text = string.format("📨 群发 %s 已排队发给 %d 人", where, #people)
  if skipped > 0 then text = text .. string.format("（超过 max_recipients，%d 人未发）", skipped) end
  report(text)
end

for i, entry in ipairs(setting("bulk", {})) do
  local where = "bulk[" .. i .. "]"
  if type(entry.text) ~= "string" then
    error("schedule.lua: " .. where .. " needs text = \"…\"")
  end
  for key in pairs(entry.filter or {}) do
    if not FILTER_KEYS[key] then
      error("schedule.lua: " .. where .. ": unknown filter key " .. key .. " (use sex, province, city, remark, signature, name)")
    end
  end
  if entry.filter and entry.filter.sex ~= nil and SEXES[entry.filter.sex] == nil then
    error("schedule.lua: " .. where .. ": sex must be \"男\" or \"女\"")
  end
  when(entry, where, function() send_bulk(entry, where) end)
end
