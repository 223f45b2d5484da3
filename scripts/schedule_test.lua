local t = require("test")

t.world{
  friends = {
    {name = "阿杰", remark = "徒步-阿杰", sex = 1, province = "广东", city = "深圳", signature = "走起"},
    {name = "小美", remark = "徒步-小美", sex = 2, province = "浙江", city = "杭州", signature = "今天也要开心"},
    {name = "李姐", sex = 2, province = "广东", city = "广州", signature = "营业时间 9:00-21:00"},
    {name = "老王", sex = 1, province = "北京"},
  },
  official = {"腾讯新闻"},
  groups = {["徒步群"] = {"阿杰", "小美"}},
}
t.start("2026-01-09 08:00") -- a Friday

function test_cron_message_on_weekdays_with_placeholders()
  t.config{messages = {{cron = "30 8 * * 1-5", chat = "徒步群", text = "早上好！{date} {weekday} {time}"}}}
  t.advance("1h")
  t.expect_sent{chat = "徒步群", text = "早上好！2026-01-09 星期五 08:30"}
  t.advance("2d") -- Saturday and Sunday
  t.expect_no_sent()
  t.advance("1d")
  t.expect_sent{text = "早上好！2026-01-12 星期一 08:30"}
end

function test_every_and_at()
  t.config{messages = {
    {every = "20s", chat = "阿杰", text = "tick"},
    {at = "2026-01-09 08:00:30", chat = "徒步-小美", text = "once"},
  }}
  t.advance("40s")
  t.expect_sent{chat = "徒步-阿杰", text = "tick"}
  t.expect_sent{chat = "徒步-小美", text = "once"}
  t.expect_sent{chat = "徒步-阿杰", text = "tick"}
  t.expect_no_sent()
end

function test_bulk_by_sex_and_province()
  t.config{bulk = {{at = "2026-01-09 09:00", filter = {sex = "女", province = "广东"}, text = "{name}，周末愉快"}}}
  t.advance("1h")
  t.expect_sent{chat = "李姐", text = "李姐，周末愉快"}
  t.expect_sent{chat = "filehelper", text = "📨 群发 bulk[1] 已排队发给 1 人"}
  t.expect_no_sent()
end

function test_bulk_by_remark_signature_and_province_list()
  t.config{bulk = {
    {at = "2026-01-09 09:00", filter = {remark = "^徒步"}, text = "{nickname} 周六见"},
    {at = "2026-01-09 10:00", filter = {signature = "开心|营业", province = {"浙江", "北京"}}, text = "hi {name}"},
  }}
  t.advance("1h")
  t.expect_sent{chat = "徒步-小美", text = "小美 周六见"} -- sorted by name: 徒步-小美 before 徒步-阿杰
  t.expect_sent{chat = "徒步-阿杰", text = "阿杰 周六见"}
  t.expect_sent{chat = "filehelper", contains = "2 人"}
  t.advance("1h")
  t.expect_sent{chat = "徒步-小美", text = "hi 徒步-小美"}
  t.expect_sent{chat = "filehelper", contains = "1 人"}
  t.expect_no_sent()
end

function test_bulk_without_filter_skips_groups_and_official_accounts()
  t.config{bulk = {{every = "1h", text = "x", dry_run = true}}}
  t.advance("1h")
  t.expect_sent{chat = "filehelper", text = "📋 群发预览 bulk[1]：4 人：徒步-小美、徒步-阿杰、李姐、老王"}
  t.expect_no_sent()
end

function test_bulk_official_accounts_only_when_configured_and_max_recipients()
  t.config{official = true, max_recipients = 2, bulk = {{every = "1h", text = "x", filter = {name = "新闻|李"}}}}
  t.advance("1h")
  t.expect_sent{chat = "李姐", text = "x"}
  t.expect_sent{chat = "腾讯新闻", text = "x"}
  t.expect_sent{chat = "filehelper", text = "📨 群发 bulk[1] 已排队发给 2 人"}
  t.config{max_recipients = 1, bulk = {{every = "1h", text = "x"}}}
  t.advance("1h")
  t.expect_sent{chat = "徒步-小美"}
  t.expect_sent{chat = "filehelper", text = "📨 群发 bulk[1] 已排队发给 1 人（超过 max_recipients，3 人未发）"}
end

function test_config_mistakes_are_load_errors()
  local cases = {
    {{messages = {{cron = "* * * * *", text = "no chat"}}}, "messages[1] needs chat"},
    {{messages = {{chat = "徒步群", text = "when?"}}}, "messages[1] needs cron, every or at"},
    {{messages = {{cron = "61 * * * *", chat = "徒步群", text = "x"}}}, "invalid cron spec"},
    {{bulk = {{at = "2026-02-01 09:00", text = "x", filter = {gender = "女"}}}}, "unknown filter key gender"},
    {{bulk = {{at = "2026-02-01 09:00", text = "x", filter = {sex = "girl"}}}}, "sex must be"},
  }
  for _, case in ipairs(cases) do
    local ok, err = pcall(t.config, case[1])
    t.ok(not ok, case[2])
    t.contains(err, case[2])
  end
end
