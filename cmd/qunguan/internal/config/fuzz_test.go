package config

import (
	"errors"
	"os"
	"testing"
)

// FuzzParse: any file either parses into a usable config (unique named accounts, positive
// pacing, a database path) or is refused with an error wrapping ErrInvalid; never a panic.
func FuzzParse(f *testing.F) {
	if example, err := os.ReadFile("../../../../qunguan.example.toml"); err == nil {
		f.Add(example)
	}
	for _, s := range []string{
		"", "data_dir = \"/tmp/q\"\n[[account]]\nname = \"main\"\n",
		"[[account]]\nname = \"a\"\n[[account]]\nname = \"a\"\n",
		"[outbox]\nper_second = -1\n", "replay_window = \"-3m\"\n", "log_level = \"loud\"\n",
		"[[account]]\nname = \"x\"\nendpoint = \"ftp://h\"\n", "[scripts.keywords]\nreplies = { \"营业时间\" = \"9–21\" }\n",
		"retain_days = 1e400\n", "time_zone = \"Mars/Olympus\"\n", "[account]\nname = 1\n", "a.b.c = [1, \"x\"]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.toml", data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %q does not wrap ErrInvalid", err)
			}
			return
		}
		if cfg.Database == "" || cfg.Outbox.PerSecond <= 0 || cfg.Outbox.PerChatPerMinute <= 0 || cfg.Engine.MaxFailures <= 0 || cfg.RetainDays < 0 {
			t.Fatalf("accepted an unusable config: %+v", cfg)
		}
		seen := map[string]bool{}
		for _, a := range cfg.Accounts {
			if a.Name == "" || seen[a.Name] || (a.Mode != ModeNormal && a.Mode != ModeDesktop) {
				t.Fatalf("accepted accounts %+v", cfg.Accounts)
			}
			seen[a.Name] = true
		}
	})
}
