package engine

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sirupsen/logrus/hooks/test"

	"qunguan/wx"
)

// TestProtoCacheSharesCompiledScripts: engines given one cache compile each file once and
// each runs it in its own states (script globals are not shared); a changed file is
// compiled anew.
func TestProtoCacheSharesCompiledScripts(t *testing.T) {
	cache := &ProtoCache{}
	a := newHarness(t, map[string]string{"count.lua": `local bot = require("bot")
local n = 0
bot.hear("^count$", function(msg) n = n + 1; msg:reply("n=" .. n) end)
`}, func(o *Options) { o.Protos = cache })
	path := filepath.Join(a.dir, "count.lua")
	logger, _ := test.NewNullLogger()
	bSender := &recSender{}
	b, err := New(Options{Dir: a.dir, Sender: bSender, Contacts: testWorld{}, Clock: NewVirtualClock(testStart),
		Location: time.UTC, Logger: logger, Protos: cache})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = b.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if len(cache.entries) != 1 {
		t.Fatalf("cache has %d entries, want the one file", len(cache.entries))
	}
	first := cache.entries[path].proto

	a.dispatch(groupText(friend1, "count"))
	for range 2 {
		if err := b.DispatchSync(ctx, []wx.Event{groupText(friend1, "count")}); err != nil {
			t.Fatal(err)
		}
	}
	a.expectTexts("g1: n=1")
	if got := bSender.texts(); len(got) != 2 || got[1] != "g1: n=2" {
		t.Errorf("second engine replied %v (state shared between engines?)", got)
	}

	if err := os.WriteFile(path, []byte("local bot = require('bot')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := a.e.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if cache.entries[path].proto == first {
		t.Error("a changed file was not compiled again")
	}
}
