package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"qunguan/wx/wxsim"
)

type simFlags struct {
	addr        string
	scenario    string
	seed        int64
	autoConfirm time.Duration
	longPoll    time.Duration
	host        string
	lang        string
}

// newSimCommand is `qunguan sim`: the simulated WeChat service alone, for trying clients
// (ours or others) against it.
func newSimCommand() *cobra.Command {
	var f simFlags
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run the WeChat simulator alone",
		Long: `Run wxsim, a protocol-faithful fake of web WeChat, on one address. Clients log in by QR
code as with the real service; the "phone" confirms through the control API (or by itself
with --auto-confirm). The scenario's timeline starts at the first login; a scenario with a
load section also generates traffic. Ctrl-C stops it.`,
		Example: "  qunguan sim\n  qunguan sim --addr 127.0.0.1:8080 --scenario my.yaml --seed 7 --auto-confirm 2s --host wx2.qq.com",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := newLogger(cmd.ErrOrStderr(), "info", "text", debugFlag(cmd.Root()))
			return runSim(cmd.Context(), cmd.OutOrStdout(), f, log.WithField("module", "wxsim"))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fl.StringVar(&f.scenario, "scenario", "", "scenario file, YAML or JSON (default: the built-in demo)")
	fl.Int64Var(&f.seed, "seed", 1, "seed for UserNames and ids; the same seed replays the same values (0: random)")
	fl.DurationVar(&f.autoConfirm, "auto-confirm", 0, "confirm every login on the \"phone\" after this long (0: only POST /_sim/confirm)")
	fl.DurationVar(&f.longPoll, "long-poll", 25*time.Second, "how long the login poll and synccheck are held without news")
	fl.StringVar(&f.host, "host", "wx2.qq.com", "API host logins are redirected to: wx.qq.com, wx2.qq.com, wx8.qq.com, web.wechat.com or web2.wechat.com")
	fl.StringVar(&f.lang, "lang", "zh", "language of system notices: zh or en")
	return cmd
}

func runSim(ctx context.Context, out io.Writer, f simFlags, log *logrus.Entry) error {
	sc, err := wxsim.DemoScenario()
	name := "built-in demo"
	if f.scenario != "" {
		name = f.scenario
		sc, err = wxsim.LoadScenario(f.scenario)
	}
	if err != nil {
		return err
	}
	srv, err := wxsim.New(wxsim.Options{Scenario: sc, Seed: f.seed, Host: f.host, Language: f.lang,
		AutoConfirm: f.autoConfirm, LongPoll: f.longPoll, Logger: log})
	if err != nil {
		return fmt.Errorf("start simulator: %w", err)
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is something else using it? choose another --addr)", f.addr, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Requests inherit ctx, so stopping ends the long polls at once instead of after 25 s.
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	printSimUsage(out, "http://"+ln.Addr().String(), name, f, sc)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := srv.RunTimeline(ctx); err != nil && !errors.Is(err, context.Canceled) {
			log.WithError(err).Warn("timeline stopped")
		} else if err == nil && len(sc.Timeline) > 0 {
			log.WithField("entries", len(sc.Timeline)).Info("timeline finished")
		}
	}()
	if sc.Load != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if srv.WaitLogin(ctx) != nil {
				return
			}
			log.WithFields(logrus.Fields{"groups": sc.Load.Groups, "rate": sc.Load.Rate}).Info("load generator started")
			if err := srv.RunLoad(ctx, *sc.Load); err != nil {
				log.WithError(err).Error("load generator failed")
			}
		}()
	}

	select {
	case <-ctx.Done():
		err = nil
	case err = <-served:
		err = fmt.Errorf("simulator stopped: %w", err)
	}
	cancel()
	shutdown, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	_ = hs.Shutdown(shutdown)
	wg.Wait()
	return err
}

// printSimUsage tells a person where the simulator listens and how to drive it.
func printSimUsage(out io.Writer, base, scenario string, f simFlags, sc *wxsim.Scenario) {
	chat, from := "文件传输助手", "self"
	if len(sc.Groups) > 0 && len(sc.Groups[0].Members) > 0 {
		chat, from = sc.Groups[0].Name, sc.Groups[0].Members[0].Nickname
	} else if len(sc.Friends) > 0 {
		chat, from = sc.Friends[0].Nickname, sc.Friends[0].Nickname
	}
	confirm := "the phone confirms only when told"
	if f.autoConfirm > 0 {
		confirm = fmt.Sprintf("the phone confirms every login after %v", f.autoConfirm)
	}
	fmt.Fprintf(out, `wxsim listening on %[1]s (scenario: %[2]s, seed %[3]d, %[4]d timeline entries from the first login)

Point a client's endpoint at %[1]s: it answers login.wx.qq.com, %[5]s, webpush.%[5]s and
file.%[5]s by Host header, and the plain /cgi-bin/mmwebwx-bin/… paths. Logins are QR
logins; %[6]s:
  curl -X POST %[1]s/_sim/confirm
Deliver a message:
  curl -X POST %[1]s/_sim/inject -d '{"kind":"text","chat":"%[7]s","from":"%[8]s","text":"hello"}'
See what clients sent, and the simulator's state:
  curl %[1]s/_sim/sent
  curl %[1]s/_sim/state
End the session as a kick would, or inject faults:
  curl -X POST %[1]s/_sim/logout -d '{"retcode":1101}'
  curl -X POST %[1]s/_sim/faults -d '{"error_rate":0.1,"latency":"200ms"}'
Ctrl-C stops the simulator.
`, base, scenario, f.seed, len(sc.Timeline), f.host, confirm, chat, from)
}
