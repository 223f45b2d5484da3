package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"qunguan/cmd/qunguan/internal/config"
	"qunguan/cmd/qunguan/internal/daemon"
	"qunguan/db"
	"qunguan/wx/wxsim"
)

// demoConfig holds the scripts' settings for the built-in scenario.
//
//go:embed demo.toml
var demoConfig []byte

type demoFlags struct {
	dbPath  string
	scripts string
	seed    int64
	forever bool
}

func newDemoCommand() *cobra.Command {
	var f demoFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Try qunguan without a phone: the simulator and the bot in one process",
		Long: `Start the built-in WeChat simulator and the bot together. The simulated phone confirms the
login, the built-in scenario plays (group chats, @-mentions, red packets, a recall, joins and
leaves, a friend request, media…), the shipped scripts react, and everything is logged to
qunguan-demo.db. Ends when the scenario is over (--forever to stay), with a summary and a
few commands to read the log.`,
		Example: "  qunguan demo\n  qunguan demo --forever --scripts ./my-scripts",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f, debugFlag(cmd.Root()))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.dbPath, "db", "qunguan-demo.db", "database to write (replaced at every run)")
	fl.StringVar(&f.scripts, "scripts", "./scripts", "scripts directory")
	fl.Int64Var(&f.seed, "seed", 1, "simulator seed")
	fl.BoolVar(&f.forever, "forever", false, "keep running after the scenario (Ctrl-C ends)")
	return cmd
}

func runDemo(ctx context.Context, out, errOut io.Writer, f demoFlags, debug bool) error {
	if _, err := os.Stat(f.scripts); err != nil {
		return fmt.Errorf("scripts directory %s: %w (run the demo from the repository root, or pass --scripts)", f.scripts, err)
	}
	sc, err := wxsim.DemoScenario()
	if err != nil {
		return err
	}
	sim, err := wxsim.New(wxsim.Options{Scenario: sc, Seed: f.seed, AutoConfirm: time.Second, LongPoll: 2 * time.Second})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo: listen on loopback: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	hs := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	endpoint := "http://" + ln.Addr().String()

	cfg, err := config.Parse("demo.toml (built in)", demoConfig)
	if err != nil {
		return err
	}
	dataDir, err := os.MkdirTemp("", "qunguan-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dataDir)
	cfg.DataDir, cfg.Database, cfg.ScriptsDir = dataDir, f.dbPath, f.scripts
	cfg.Accounts = []config.Account{{Name: "demo", Mode: config.ModeNormal, Endpoint: endpoint}}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(f.dbPath + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("demo: replacing %s: %w", f.dbPath, err)
		}
	}

	log := newLogger(errOut, "warn", "text", debug)
	store, err := db.Open(ctx, cfg.Database, db.Options{Logger: log})
	if err != nil {
		return err
	}
	defer store.Close()
	feed := &liveFeed{out: out, color: colorEnabled(out), alertTo: cfg.AlertTo}
	d, err := daemon.New(daemon.Options{Config: cfg, Store: store, Logger: log, Feed: feed})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "qunguan demo: simulator on %s, scripts from %s, log in %s\n", endpoint, f.scripts, f.dbPath)
	fmt.Fprintf(out, "The simulated phone confirms the login in a second; the scenario then plays for about %v.\n\n", lastAt(sc).Round(time.Second))

	runErr := make(chan error, 1)
	go func() { runErr <- d.Run(ctx, 3*time.Second) }()
	timeline := make(chan error, 1)
	go func() { timeline <- sim.RunTimeline(ctx) }()

	select {
	case err := <-runErr:
		return fmt.Errorf("demo: the bot stopped early: %w", err)
	case err := <-timeline:
		if err != nil {
			return nil // interrupted
		}
	}
	if f.forever {
		fmt.Fprintln(out, "\nThe scenario is over; --forever keeps the bot running (Ctrl-C ends). Inject more with:")
		fmt.Fprintf(out, "  curl -X POST %s/_sim/inject -d '{\"kind\":\"text\",\"chat\":\"周末徒步群\",\"from\":\"小明\",\"text\":\"营业时间？\"}'\n\n", endpoint)
		<-ctx.Done()
	} else {
		settle(ctx, feed)
	}
	cancel()
	<-runErr
	return printSummary(out, store, feed, f.dbPath)
}

// settle lets the last messages of the scenario sync and the paced replies and alerts go out:
// it returns once the scenario has been over and nothing was sent for a few seconds, at most
// 20 s after the scenario ended.
func settle(ctx context.Context, feed *liveFeed) {
	ended := time.Now()
	const quiet = 3 * time.Second
	for time.Since(ended) < 20*time.Second && (time.Since(ended) < quiet || feed.quietSince() < quiet) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func lastAt(sc *wxsim.Scenario) time.Duration {
	var last time.Duration
	for _, e := range sc.Timeline {
		last = max(last, e.At)
	}
	return last
}

func printSummary(out io.Writer, store *db.DB, feed *liveFeed, dbPath string) error {
	stats, err := store.Stats(context.Background(), db.Filter{}, db.ByKind)
	if err != nil {
		return err
	}
	logged := 0
	var kinds []string
	for _, s := range stats {
		logged += int(s.Count)
		kinds = append(kinds, fmt.Sprintf("%s %d", s.Key, s.Count))
	}
	c := feed.counts()
	// Name the binary as it was invoked (bin/qunguan after make), unless `go run` built it
	// somewhere temporary.
	self := "qunguan"
	if strings.ContainsRune(os.Args[0], filepath.Separator) && !strings.Contains(os.Args[0], "go-build") {
		self = os.Args[0]
	}
	fmt.Fprintf(out, "\nDone. %d messages logged (%s); %d rules fired; %d messages sent, %d of them alerts",
		logged, strings.Join(kinds, ", "), c.rules, c.sends, c.alerts)
	if c.errs > 0 {
		fmt.Fprintf(out, "; %d errors", c.errs)
	}
	fmt.Fprintf(out, ".\nThe log is in %s. Try:\n", dbPath)
	for _, q := range []string{"search 营业时间", "recalls", "stats --by chat"} {
		fmt.Fprintf(out, "  %s log %s --db %s\n", self, q, dbPath)
	}
	return nil
}
