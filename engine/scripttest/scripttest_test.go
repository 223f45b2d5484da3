package scripttest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExampleScriptsPass(t *testing.T) {
	results, err := Run(context.Background(), "../testdata/scripts", Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 9 {
		t.Errorf("%d results, want 9", len(results))
	}
	for _, r := range results {
		if !r.Passed {
			t.Errorf("%s %s: %s", r.File, r.Name, r.Failure)
		}
	}
}

func TestFailuresNameFileAndLine(t *testing.T) {
	results, err := Run(context.Background(), "../testdata/failing", Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"test_passes":                "",
		"test_wrong_text":            `broken_test.lua:10: expected the script to send {text="goodbye"}, but the next message sent was "hello" to "测试群" (text is "hello")`,
		"test_script_error":          "broken_test.lua:13: the script failed during test_script_error: broken.lua:3: crashed on purpose (in hear ^crash$)",
		"test_expected_script_error": "",
		"test_eq":                    "broken_test.lua:23: lists: not equal:\n   got: {1, 2}\n  want: {1, 3}",
	}
	if len(results) != len(want) {
		t.Fatalf("%d results: %+v", len(results), results)
	}
	if !Failed(results) {
		t.Error("Failed() = false")
	}
	for _, r := range results {
		w, ok := want[r.Name]
		if !ok {
			t.Errorf("unexpected test %s", r.Name)
			continue
		}
		if w == "" {
			if !r.Passed {
				t.Errorf("%s failed: %s", r.Name, r.Failure)
			}
			continue
		}
		if r.Passed || !strings.Contains(r.Failure, w) {
			t.Errorf("%s: failure\n%s\nwant it to contain\n%s", r.Name, r.Failure, w)
		}
	}
}

// The world declares official accounts and signatures, knows the file-transfer chat,
// delivers contact events, gives every script alert_to, and t.owner_active() without a chat
// counts as the owner using the phone.
func TestWorldOfficialFilehelperContactsAndOwner(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("w.lua", `
local bot = require("bot")
bot.hear("^who$", function(msg)
  msg:reply(tostring(msg.sender.is_official) .. " " .. msg.sender.signature .. " " .. bot.config.alert_to)
end)
bot.hear("^note$", function(msg) msg:reply("noted " .. msg.chat.id) end, {self = true, chats = {"filehelper"}})
bot.on("contact_added", function(ev) bot.send(ev.contact, "hi " .. ev.contact.name) end)
bot.hear("^busy$", function(msg) msg:reply(tostring(bot.owner_active(msg.chat, "2m"))) end)
`)
	write("w_test.lua", `
local t = require("test")
t.world{friends = {{name = "阿杰", signature = "走起"}}, official = {"腾讯新闻"}}
function test_world()
  t.say("腾讯新闻", "腾讯新闻", "who")
  t.expect_sent{chat = "腾讯新闻", text = "true  filehelper"}
  t.say("阿杰", "阿杰", "who")
  t.expect_sent{chat = "阿杰", text = "false 走起 filehelper"}
  t.say("filehelper", "管家", "note")
  t.expect_sent{chat = "filehelper", text = "noted filehelper"}
  t.event{kind = "contact_added", contact = "小周", remark = "徒步-小周"}
  t.expect_sent{chat = "徒步-小周", text = "hi 徒步-小周"}
  t.say("阿杰", "阿杰", "busy")
  t.expect_sent{text = "false"}
  t.owner_active()
  t.say("阿杰", "阿杰", "busy")
  t.expect_sent{text = "true"}
end
`)
	results, err := Run(context.Background(), dir, Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || !results[0].Passed {
		t.Fatalf("%+v", results)
	}
}
