package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"qunguan/wx"
)

type nopSender struct{ recSender }

func (*nopSender) Send(context.Context, Outgoing) error { return nil }

// BenchmarkDispatch measures the cost per event of Dispatch → loop → matching → handler with
// 50 rules loaded: 47 that do not match the traffic and 3 that match one message in ten.
func BenchmarkDispatch(b *testing.B) {
	dir := b.TempDir()
	var src strings.Builder
	src.WriteString("local bot = require('bot')\n")
	for i := range 44 {
		fmt.Fprintf(&src, "bot.hear(\"^!cmd%d (.+)$\", function(msg, m) msg:reply(m[1]) end)\n", i)
	}
	src.WriteString(`
bot.hear({"广告", "加微信", "代购"}, function(msg) msg:reply("no ads") end, {groups = true})
bot.on("redpacket", function(ev) ev:reply("red packet") end)
bot.respond("^help$", function(msg) msg:reply("help") end)
bot.hear("天气", function(msg, m) msg:reply("晴") end)
bot.hear("^(早|早安|早上好)$", function(msg) msg:reply("早") end, {cooldown = "1s"})
bot.on("message", function(msg) if msg.kind == "link" then msg:reply("link") end end)
`)
	if err := os.WriteFile(filepath.Join(dir, "bench.lua"), []byte(src.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	logger := logrus.New()
	logger.SetOutput(nil)
	logger.SetLevel(logrus.PanicLevel)
	e, err := New(Options{Dir: dir, Sender: &nopSender{}, Contacts: testWorld{}, Logger: logger, Clock: NewVirtualClock(testStart)})
	if err != nil {
		b.Fatal(err)
	}
	if n := len(e.Scripts()[0].Rules); n != 50 {
		b.Fatalf("%d rules loaded: %v", n, e.Scripts()[0].Err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = e.Run(ctx) }()
	defer func() { cancel(); <-done }()

	texts := []string{
		"今天下午三点在公园门口集合，大家别迟到", "收到", "好的👌", "明天天气怎么样", "哈哈哈哈哈哈",
		"有人去吗？", "我晚点到", "图片真好看", "周末徒步路线发群里了", "这个活动要报名吗",
	}
	const batchSize = 64
	batch := make([]wx.Event, batchSize)
	for i := range batch {
		batch[i] = groupText(friend1, texts[i%len(texts)])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for sent := 0; sent < b.N; sent += batchSize {
		n := min(batchSize, b.N-sent)
		if err := e.DispatchSync(ctx, batch[:n]); err != nil {
			b.Fatal(err)
		}
	}
}
