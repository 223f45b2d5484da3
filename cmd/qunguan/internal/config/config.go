package config

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// ErrInvalid wraps every problem found in a config file; the message names the file, the line
// and the key, and says what was expected.
var ErrInvalid = errors.New("invalid config")

// Config is the whole qunguan.toml. Every field's default is set by Default.
type Config struct {
	DataDir      string   `toml:"data_dir"`      // sessions, QR images, media; default "./data"
	Database     string   `toml:"database"`      // default "<data_dir>/qunguan.db"
	ScriptsDir   string   `toml:"scripts_dir"`   // default "./scripts"
	LogLevel     Level    `toml:"log_level"`     // debug | info | warn | error; default info
	LogFormat    Format   `toml:"log_format"`    // text | json; default text
	AlertTo      string   `toml:"alert_to"`      // chat for alerts; default "filehelper"
	TimeZone     Zone     `toml:"time_zone"`     // for schedules; default the machine's
	ReplayWindow Duration `toml:"replay_window"` // replay undispatched events younger than this; default 10m
	RetainDays   int      `toml:"retain_days"`   // prune messages older than this; 0 = keep forever

	Accounts []Account `toml:"account"`
	Outbox   Outbox    `toml:"outbox"`
	Engine   Engine    `toml:"engine"`
	// Scripts holds one section per script ([scripts.keywords] → bot.config of keywords.lua).
	Scripts map[string]map[string]any `toml:"scripts"`

	// Path is the file the config was read from ("" for defaults).
	Path string `toml:"-"`
}

// Account is one [[account]]: one WeChat login.
type Account struct {
	Name     string `toml:"name"`     // required, unique: names the session and the log rows
	Mode     Mode   `toml:"mode"`     // normal | desktop (UOS mode for accounts refused with 1203)
	Endpoint string `toml:"endpoint"` // e.g. "http://127.0.0.1:8080" to use a simulator
	Host     string `toml:"host"`     // API host to expect; "" = whatever the login redirect says
	Extspam  string `toml:"extspam"`  // desktop mode's opaque header value (PROTOCOL.md §2.3)
}

// Outbox paces what the bot sends.
type Outbox struct {
	PerSecond        float64  `toml:"per_second"`          // default 1.0, with jitter
	PerChatPerMinute int      `toml:"per_chat_per_minute"` // default 20
	Backoff1205      Duration `toml:"backoff_1205"`        // pause after Ret 1205; default 5m
}

// Engine tunes the Lua rule engine.
type Engine struct {
	HandlerTimeout Duration `toml:"handler_timeout"` // default 2s
	MaxFailures    int      `toml:"max_failures"`    // disable a script after this many failures in a row; default 5
}

// Default returns the configuration used when no file is given.
func Default() *Config {
	return &Config{
		DataDir:      "./data",
		ScriptsDir:   "./scripts",
		LogLevel:     "info",
		LogFormat:    "text",
		AlertTo:      "filehelper",
		ReplayWindow: Duration(10 * time.Minute),
		Outbox:       Outbox{PerSecond: 1, PerChatPerMinute: 20, Backoff1205: Duration(5 * time.Minute)},
		Engine:       Engine{HandlerTimeout: Duration(2 * time.Second), MaxFailures: 5},
	}
}

var typeErr = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]*)"\): (.*)$`)

// Load reads path over the defaults. Problems are reported with the file, line and key.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes TOML text over the defaults; name is used in error messages.
func Parse(name string, data []byte) (*Config, error) {
	cfg := Default()
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(cfg)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			msg := perr.Message
			if perr.LastKey != "" {
				msg = fmt.Sprintf("key %q: %s", perr.LastKey, perr.Message)
			}
			return nil, fmt.Errorf("%w: %s:%d: %s", ErrInvalid, name, perr.Position.Line, msg)
		}
		// Type mismatches come as plain errors: "toml: line 2 (last key "x"): …".
		if m := typeErr.FindStringSubmatch(err.Error()); m != nil {
			return nil, fmt.Errorf("%w: %s:%s: key %q: %s", ErrInvalid, name, m[1], m[2], m[3])
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, name, err)
	}
	for _, k := range md.Undecoded() {
		if len(k) > 0 && k[0] == "scripts" {
			continue // script sections are free-form: each script reads its own
		}
		return nil, fmt.Errorf("%w: %s:%d: unknown key %q (see qunguan.example.toml for every key)",
			ErrInvalid, name, lineOf(data, k), k.String())
	}
	cfg.Path = name
	if err := cfg.finish(name, data); err != nil {
		return nil, err
	}
	return cfg, nil
}

// finish fills derived defaults and checks what TOML types cannot.
func (c *Config) finish(name string, data []byte) error {
	bad := func(key toml.Key, format string, args ...any) error {
		return fmt.Errorf("%w: %s:%d: key %q: %s", ErrInvalid, name, lineOf(data, key), key.String(), fmt.Sprintf(format, args...))
	}
	if c.Database == "" {
		c.Database = filepath.Join(c.DataDir, "qunguan.db")
	}
	seen := map[string]bool{}
	for i := range c.Accounts {
		a := &c.Accounts[i]
		key := toml.Key{"account", "name"}
		if a.Name == "" {
			return bad(toml.Key{"account"}, "account #%d has no name: give each [[account]] a unique name", i+1)
		}
		if seen[a.Name] {
			return bad(key, "account name %q is used twice: names must be unique", a.Name)
		}
		seen[a.Name] = true
		if a.Mode == "" {
			a.Mode = ModeNormal
		}
		if a.Endpoint != "" && !strings.HasPrefix(a.Endpoint, "http://") && !strings.HasPrefix(a.Endpoint, "https://") {
			return bad(toml.Key{"account", "endpoint"}, "expected an http:// or https:// address, got %q", a.Endpoint)
		}
	}
	if c.Outbox.PerSecond <= 0 {
		return bad(toml.Key{"outbox", "per_second"}, "expected a positive number of messages per second, got %v", c.Outbox.PerSecond)
	}
	if c.Outbox.PerChatPerMinute <= 0 {
		return bad(toml.Key{"outbox", "per_chat_per_minute"}, "expected a positive whole number, got %d", c.Outbox.PerChatPerMinute)
	}
	if c.Engine.MaxFailures <= 0 {
		return bad(toml.Key{"engine", "max_failures"}, "expected a positive whole number, got %d", c.Engine.MaxFailures)
	}
	if c.RetainDays < 0 {
		return bad(toml.Key{"retain_days"}, "expected 0 (keep forever) or a number of days, got %d", c.RetainDays)
	}
	return nil
}

// lineOf finds the line where key is set, scanning section headers; 0 when not found. The TOML
// library reports positions only for syntax and type errors, and a line number is what a
// person needs to fix a file.
func lineOf(data []byte, key toml.Key) int {
	if len(key) == 0 {
		return 0
	}
	section, leaf := key[:len(key)-1].String(), key[len(key)-1]
	header := regexp.MustCompile(`^\s*\[\[?\s*([^\]]+?)\s*\]\]?`)
	assign := regexp.MustCompile(`^\s*"?` + regexp.QuoteMeta(leaf) + `"?\s*=`)
	current, n := "", 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		n++
		line := sc.Text()
		if m := header.FindStringSubmatch(line); m != nil {
			current = m[1]
			if current == key.String() {
				return n
			}
			continue
		}
		if current == section && assign.MatchString(line) {
			return n
		}
	}
	return 0
}
