package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"qunguan/engine"
	"qunguan/engine/scripttest"
	"qunguan/wx"
)

// scriptsFlags are shared by the scripts subcommands.
type scriptsFlags struct {
	tz     string
	config string
}

// newScriptsCommand is `qunguan scripts check|list|test [DIR]`.
func newScriptsCommand() *cobra.Command {
	var flags scriptsFlags
	cmd := &cobra.Command{
		Use:   "scripts",
		Short: "Check, list and test the Lua rules",
		Long: `Work on the Lua rules without running the bot.

  check  compiles every script and runs its registration (no messages are sent): syntax
         errors, unknown options, invalid patterns, cron specs and durations, with file:line
  list   shows every rule and schedule with its filters
  test   runs the scripts' tests (foo_test.lua tests foo.lua) on a fake chat and a virtual clock

DIR defaults to ./scripts.`,
		Example: "  qunguan scripts check\n  qunguan scripts list ./scripts\n  qunguan scripts test --tz Asia/Shanghai --config qunguan.toml",
	}
	cmd.PersistentFlags().StringVar(&flags.tz, "tz", "", "time zone for cron specs, bot.at and os.date, e.g. Asia/Shanghai (default: the machine's)")
	cmd.PersistentFlags().StringVar(&flags.config, "config", "", "TOML config file whose [scripts.<name>] sections become each script's bot.config")

	cmd.AddCommand(&cobra.Command{
		Use:     "check [DIR]",
		Short:   "Compile and lint every script",
		Example: "  qunguan scripts check ./scripts",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScriptsCheck(cmd.OutOrStdout(), scriptsDir(args), flags)
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:     "list [DIR]",
		Short:   "List rules and schedules with their filters",
		Example: "  qunguan scripts list",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScriptsList(cmd.OutOrStdout(), scriptsDir(args), flags)
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:     "test [DIR]",
		Short:   "Run the scripts' *_test.lua files",
		Example: "  qunguan scripts test\n  qunguan scripts test --tz Asia/Shanghai ./scripts",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScriptsTest(cmd.Context(), cmd.OutOrStdout(), scriptsDir(args), flags)
		},
	})
	return cmd
}

func scriptsDir(args []string) string {
	if len(args) == 1 {
		return args[0]
	}
	return "./scripts"
}

func (f scriptsFlags) location() (*time.Location, error) {
	if f.tz == "" {
		return time.Local, nil
	}
	loc, err := time.LoadLocation(f.tz)
	if err != nil {
		return nil, fmt.Errorf("--tz %q: not a time zone name such as Asia/Shanghai: %w", f.tz, err)
	}
	return loc, nil
}

// scriptConfig reads the [scripts.<name>] sections of the config file.
func (f scriptsFlags) scriptConfig() (map[string]map[string]any, error) {
	if f.config == "" {
		return nil, nil
	}
	var file struct {
		Scripts map[string]map[string]any `toml:"scripts"`
	}
	if _, err := toml.DecodeFile(f.config, &file); err != nil {
		return nil, fmt.Errorf("read config %s: %w", f.config, err)
	}
	return file.Scripts, nil
}

// loadForInspection loads every script as the daemon would, but with a Sender that sends
// nothing and a clock that never moves, so registration runs and no schedule fires.
func loadForInspection(dir string, flags scriptsFlags) (*engine.Engine, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("scripts directory %s: %w", dir, err)
	}
	loc, err := flags.location()
	if err != nil {
		return nil, err
	}
	config, err := flags.scriptConfig()
	if err != nil {
		return nil, err
	}
	quiet := logrus.New()
	quiet.SetOutput(io.Discard)
	return engine.New(engine.Options{
		Dir: dir, Sender: discardSender{}, Clock: engine.NewVirtualClock(time.Now()),
		Location: loc, Config: config, Logger: quiet,
	})
}

func runScriptsCheck(out io.Writer, dir string, flags scriptsFlags) error {
	eng, err := loadForInspection(dir, flags)
	if err != nil {
		return err
	}
	scripts := eng.Scripts()
	if len(scripts) == 0 {
		fmt.Fprintf(out, "no scripts in %s (a script is a .lua file; *_test.lua files are tests)\n", dir)
		return nil
	}
	failed := 0
	for _, s := range scripts {
		if s.Err != nil {
			failed++
			fmt.Fprintf(out, "FAIL %s\n", s.Err)
			continue
		}
		fmt.Fprintf(out, "ok   %s (%s, %s)\n", filepath.Base(s.Path), plural(len(s.Rules), "rule"), plural(len(s.Schedules), "schedule"))
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d scripts have errors; fix them and run qunguan scripts check again", failed, len(scripts))
	}
	return nil
}

func runScriptsList(out io.Writer, dir string, flags scriptsFlags) error {
	eng, err := loadForInspection(dir, flags)
	if err != nil {
		return err
	}
	var rules []engine.RuleInfo
	var schedules []engine.ScheduleInfo
	var broken []string
	for _, s := range eng.Scripts() {
		if s.Err != nil {
			broken = append(broken, s.Err.Error())
		}
		rules = append(rules, s.Rules...)
		schedules = append(schedules, s.Schedules...)
	}
	// The order rules run in: priority first, then file and registration order.
	sort.SliceStable(rules, func(i, j int) bool { return rules[i].Priority > rules[j].Priority })
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCRIPT\tLINE\tCALL\tKIND\tPATTERN\tFILTERS\tPRIORITY\tCOOLDOWN\tSTOPS")
	for _, r := range rules {
		pattern := r.Pattern
		if len(r.Keywords) > 0 {
			pattern = "{" + strings.Join(r.Keywords, ", ") + "}"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.Script, r.Line, r.Method, r.Kind, orDash(pattern),
			orDash(ruleFilters(r)), r.Priority, durationOrDash(r.Cooldown), yesNo(r.Block))
	}
	tw.Flush()
	if len(schedules) > 0 {
		fmt.Fprintln(out)
		tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SCRIPT\tLINE\tSCHEDULE\tSPEC\tNEXT")
		for _, s := range schedules {
			next := "-"
			if !s.Next.IsZero() {
				next = s.Next.Format("2006-01-02 15:04 MST")
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", s.Script, s.Line, s.Kind, s.Spec, next)
		}
		tw.Flush()
	}
	for _, b := range broken {
		fmt.Fprintf(out, "\nnot listed (does not load): %s\n", b)
	}
	if len(broken) > 0 {
		return errors.New("some scripts do not load; see qunguan scripts check")
	}
	return nil
}

func ruleFilters(r engine.RuleInfo) string {
	var parts []string
	if len(r.Chats) > 0 {
		parts = append(parts, "chats="+strings.Join(r.Chats, ","))
	}
	if r.Groups {
		parts = append(parts, "groups")
	}
	if len(r.GroupNames) > 0 {
		parts = append(parts, "groups="+strings.Join(r.GroupNames, ","))
	}
	if r.Private {
		parts = append(parts, "private")
	}
	if len(r.From) > 0 {
		parts = append(parts, "from="+strings.Join(r.From, ","))
	}
	if r.Self {
		parts = append(parts, "self")
	}
	if r.UnlessOwnerActive > 0 {
		parts = append(parts, "unless_owner_active="+r.UnlessOwnerActive.String())
	}
	return strings.Join(parts, " ")
}

func runScriptsTest(ctx context.Context, out io.Writer, dir string, flags scriptsFlags) error {
	if ctx == nil {
		ctx = context.Background()
	}
	loc, err := flags.location()
	if err != nil {
		return err
	}
	config, err := flags.scriptConfig()
	if err != nil {
		return err
	}
	results, err := scripttest.Run(ctx, dir, scripttest.Options{Location: loc, Config: config})
	if err != nil {
		return err
	}
	if len(results) == 0 {
		fmt.Fprintf(out, "no tests in %s (write foo_test.lua next to foo.lua)\n", dir)
		return nil
	}
	failed := 0
	for _, r := range results {
		if r.Passed {
			fmt.Fprintf(out, "ok   %s %s (%s)\n", filepath.Base(r.File), r.Name, r.Duration.Round(time.Millisecond))
			continue
		}
		failed++
		fmt.Fprintf(out, "FAIL %s %s\n     %s\n", filepath.Base(r.File), r.Name, strings.ReplaceAll(r.Failure, "\n", "\n     "))
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d script tests failed", failed, len(results))
	}
	fmt.Fprintf(out, "all %s passed\n", plural(len(results), "test"))
	return nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func durationOrDash(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return d.String()
}

func yesNo(b bool) string {
	if b {
		return "block"
	}
	return "-"
}

// discardSender accepts every action and does nothing: check and list only load scripts.
type discardSender struct{}

func (discardSender) Send(context.Context, engine.Outgoing) error                  { return nil }
func (discardSender) Kick(context.Context, string, []string) error                 { return nil }
func (discardSender) Invite(context.Context, string, []string) error               { return nil }
func (discardSender) RenameGroup(context.Context, string, string) error            { return nil }
func (discardSender) AcceptFriend(context.Context, wx.FriendRequest, string) error { return nil }
func (discardSender) SetRemark(context.Context, string, string) error              { return nil }
