// Package scripts_test runs the shipped scripts' Lua tests (scripts/*_test.lua) under
// `go test ./...`, so CI covers them like Go code.
package scripts_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"qunguan/engine/scripttest"
)

// Every script we ship has a test file, and every Lua test passes. A failure shows the
// script test's own file:line message.
func TestShippedScripts(t *testing.T) {
	scripts, err := filepath.Glob("*.lua")
	if err != nil {
		t.Fatal(err)
	}
	tested := map[string]bool{}
	for _, path := range scripts {
		if strings.HasSuffix(path, "_test.lua") {
			tested[strings.TrimSuffix(path, "_test.lua")] = true
		}
	}
	for _, path := range scripts {
		if name := strings.TrimSuffix(path, ".lua"); !strings.HasSuffix(path, "_test.lua") && !tested[name] {
			t.Errorf("%s has no %s_test.lua", path, name)
		}
	}

	results, err := scripttest.Run(context.Background(), ".", scripttest.Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) == 0 {
		t.Fatal("no script tests ran")
	}
	for _, r := range results {
		t.Run(r.Script+"/"+r.Name, func(t *testing.T) {
			if !r.Passed {
				t.Error(r.Failure)
			}
		})
	}
}

// mention.lua against a fake OpenAI-compatible service: the request carries the model, the
// key and the question without the @-mention, and the answer is choices[1].message.content.
// (The Lua tests cannot start a server, so this one writes its own test file.)
func TestMentionAsksTheAIService(t *testing.T) {
	var (
		mu       sync.Mutex
		requests []map[string]any
		auth     []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		requests = append(requests, body)
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		if r.URL.Path == "/broken" {
			w.Write([]byte(`{"error": {"message": "quota exceeded"}}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"choices": [{"index": 0, "message": {"role": "assistant", "content": "  明早 7 点在北门集合。\n"}}]}`))
	}))
	defer srv.Close()

	dir := t.TempDir()
	src, err := os.ReadFile("mention.lua")
	if err != nil {
		t.Fatal(err)
	}
	test := `local t = require("test")
t.world{self = "管家", groups = {["徒步群"] = {"小明"}}}
t.config{ai_url = "` + srv.URL + `/v1/chat/completions", ai_key = "sk-test", ai_model = "deepseek-chat", canned = "稍后回复"}

function test_ai_answer()
  t.say("徒步群", "小明", "@管家 明早几点出发？")
  t.expect_sent{chat = "徒步群", text = "明早 7 点在北门集合。", at = "小明"}
end

function test_unusable_answer_falls_back()
  t.config{ai_url = "` + srv.URL + `/broken", canned = "稍后回复"}
  t.say("徒步群", "小明", "@管家 在吗")
  t.expect_sent{chat = "徒步群", text = "稍后回复", at = "小明"}
end
`
	for name, data := range map[string][]byte{"mention.lua": src, "mention_test.lua": []byte(test)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	results, err := scripttest.Run(context.Background(), dir, scripttest.Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 {
		t.Fatalf("%d results: %+v", len(results), results)
	}
	for _, r := range results {
		if !r.Passed {
			t.Errorf("%s: %s", r.Name, r.Failure)
		}
	}

	mu.Lock()
	defer mu.Unlock()
	if len(requests) != 2 {
		t.Fatalf("%d requests, want 2", len(requests))
	}
	if auth[0] != "Bearer sk-test" || auth[1] != "" {
		t.Errorf("Authorization headers %q", auth)
	}
	got, _ := json.Marshal(requests[0])
	for _, want := range []string{`"model":"deepseek-chat"`, `"role":"system"`, `{"content":"明早几点出发？","role":"user"}`} {
		if !strings.Contains(string(got), want) {
			t.Errorf("request %s\ndoes not contain %s", got, want)
		}
	}
}
