package config

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseDefaultsAndOverrides(t *testing.T) {
	cfg, err := Parse("q.toml", []byte(`
data_dir = "/tmp/q"
replay_window = "3m"
[[account]]
name = "main"
[[account]]
name = "second"
mode = "desktop"
endpoint = "http://127.0.0.1:8080"
[outbox]
per_second = 2.5
[scripts.keywords]
replies = { "营业时间" = "每天 9:00–21:00" }
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Database != "/tmp/q/qunguan.db" {
		t.Errorf("database = %q, want it derived from data_dir", cfg.Database)
	}
	if cfg.ReplayWindow.Std() != 3*time.Minute || cfg.Engine.HandlerTimeout.Std() != 2*time.Second {
		t.Errorf("durations: replay %v, handler %v", cfg.ReplayWindow.Std(), cfg.Engine.HandlerTimeout.Std())
	}
	if len(cfg.Accounts) != 2 || cfg.Accounts[0].Mode != ModeNormal || cfg.Accounts[1].Mode != ModeDesktop {
		t.Errorf("accounts = %+v", cfg.Accounts)
	}
	if cfg.Outbox.PerSecond != 2.5 || cfg.Outbox.PerChatPerMinute != 20 {
		t.Errorf("outbox = %+v", cfg.Outbox)
	}
	replies, _ := cfg.Scripts["keywords"]["replies"].(map[string]any)
	if replies["营业时间"] != "每天 9:00–21:00" {
		t.Errorf("scripts.keywords = %#v", cfg.Scripts["keywords"])
	}
}

func TestParseErrorsNameFileLineAndKey(t *testing.T) {
	cases := []struct {
		name, text string
		want       []string
	}{
		{"syntax", "data_dir = \n", []string{"bad.toml:1"}},
		{"type", "[outbox]\nper_second = \"fast\"\n", []string{"bad.toml:2", "per_second"}},
		{"duration", "\nreplay_window = \"ten minutes\"\n", []string{"bad.toml:2", "replay_window", "duration"}},
		{"mode", "[[account]]\nname = \"a\"\nmode = \"phone\"\n", []string{"bad.toml:3", "mode", "desktop"}},
		{"unknown key", "[outbox]\nper_sec = 1\n", []string{"bad.toml:2", "outbox.per_sec", "unknown key"}},
		{"duplicate account", "[[account]]\nname = \"a\"\n[[account]]\nname = \"a\"\n", []string{"bad.toml:2", "used twice"}},
		{"no name", "[[account]]\nmode = \"normal\"\n", []string{"bad.toml:1", "no name"}},
		{"negative pace", "[outbox]\n\nper_second = -1\n", []string{"bad.toml:3", "positive"}},
		{"zone", "time_zone = \"Mars/Base\"\n", []string{"bad.toml:1", "time zone"}},
		{"endpoint", "[[account]]\nname = \"a\"\nendpoint = \"127.0.0.1:8080\"\n", []string{"bad.toml:3", "http://"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.toml", []byte(tc.text))
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// The example file documents every key; it must itself be valid.
func TestExampleConfigIsValid(t *testing.T) {
	data, err := os.ReadFile("../../../../qunguan.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse("qunguan.example.toml", data); err != nil {
		t.Fatal(err)
	}
}
