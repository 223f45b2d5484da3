package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"qunguan/wx/wxsim"
)

// SimSpec sizes the simulated accounts; `qunguan bench --serve-sims` takes the same values.
type SimSpec struct {
	Accounts int
	Friends  int
	Groups   int
	Members  int
	// Rate is the generated traffic of all accounts together, split evenly.
	Rate     float64
	Mix      map[string]float64
	PageSize int
	LongPoll time.Duration
	Seed     int64
}

func (o Options) simSpec() SimSpec {
	return SimSpec{Accounts: o.Accounts, Friends: o.Friends, Groups: o.Groups, Members: o.Members,
		Rate: o.Rate, Mix: o.Mix, PageSize: o.PageSize, LongPoll: o.LongPoll, Seed: o.Seed}
}

// loadSpec is one account's share of the traffic.
func (s SimSpec) loadSpec() wxsim.LoadSpec {
	return wxsim.LoadSpec{Groups: s.Groups, Members: s.Members, Rate: s.Rate / float64(max(1, s.Accounts)), Mix: s.Mix}
}

// scenario is account i's world: a self account, Friends friends, and the load groups
// (created by the simulator from the scenario's load section, every member distinct).
func (s SimSpec) scenario(i int) *wxsim.Scenario {
	sc := &wxsim.Scenario{
		Self: wxsim.Person{Nickname: fmt.Sprintf("压测号%02d", i+1), Uin: 2100000001 + int64(i), Alias: fmt.Sprintf("bench_%02d", i+1), Sex: 1},
	}
	for f := 0; f < s.Friends; f++ {
		sc.Friends = append(sc.Friends, wxsim.Person{
			Nickname: fmt.Sprintf("好友%05d", f+1), Alias: fmt.Sprintf("friend_%02d_%05d", i+1, f+1),
			Sex: 1 + f%2, Province: "广东", City: "深圳", Signature: "走起",
		})
	}
	load := s.loadSpec()
	sc.Load = &load
	return sc
}

// probeChat and probeFrom name a load group and one of its members (wxsim's load naming).
func probeChat(group int) string { return fmt.Sprintf("压测群%03d", group+1) }

func probeFrom(group int) string { return fmt.Sprintf("群%03d成员%03d", group+1, 1) }

// simSet is the simulators of a run, served in this process on loopback listeners.
type simSet struct {
	servers   []*wxsim.Server
	endpoints []string
	watches   []*syncWatch
	https     []*http.Server
}

// startSims builds and serves one simulator per account. adjust may set hooks and limits
// on account i's options.
func startSims(ctx context.Context, spec SimSpec, adjust func(i int, o *wxsim.Options)) (*simSet, error) {
	set := &simSet{}
	for i := 0; i < spec.Accounts; i++ {
		opts := wxsim.Options{
			Scenario: spec.scenario(i), Seed: spec.Seed + int64(i), AutoConfirm: 100 * time.Millisecond,
			LongPoll: spec.LongPoll, SyncPageSize: spec.PageSize,
			// Sends are limited by the outbox under test, not by the simulator (faults aside).
			SendRate: wxsim.Rate{Count: 1_000_000, Per: time.Minute},
		}
		if adjust != nil {
			adjust(i, &opts)
		}
		srv, err := wxsim.New(opts)
		if err != nil {
			set.close()
			return nil, err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			set.close()
			return nil, fmt.Errorf("bench: listen on loopback: %w", err)
		}
		w := &syncWatch{next: srv}
		hs := &http.Server{Handler: w, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
		go func() { _ = hs.Serve(ln) }()
		set.servers = append(set.servers, srv)
		set.watches = append(set.watches, w)
		set.https = append(set.https, hs)
		set.endpoints = append(set.endpoints, "http://"+ln.Addr().String())
	}
	return set, nil
}

func (s *simSet) close() {
	for _, hs := range s.https {
		_ = hs.Close()
	}
}

// runLoad generates every account's traffic until ctx ends, each account once it is logged in.
func (s *simSet) runLoad(ctx context.Context, spec SimSpec) error {
	var wg sync.WaitGroup
	errs := make([]error, len(s.servers))
	for i, srv := range s.servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if srv.WaitLogin(ctx) != nil {
				return
			}
			errs[i] = srv.RunLoad(ctx, spec.loadSpec())
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// syncWatch notes when the first synccheck arrives after it was armed: the moment a client
// is back to syncing.
type syncWatch struct {
	next  http.Handler
	armed atomic.Bool
	first atomic.Int64 // unix nanoseconds
}

func (w *syncWatch) arm() { w.first.Store(0); w.armed.Store(true) }

func (w *syncWatch) firstSyncCheck() time.Time {
	if ns := w.first.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

func (w *syncWatch) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if w.armed.Load() && strings.HasSuffix(r.URL.Path, "/synccheck") {
		w.first.CompareAndSwap(0, time.Now().UnixNano())
	}
	w.next.ServeHTTP(rw, r)
}

// simHello is the first line a --serve-sims child writes: where its simulators listen.
type simHello struct {
	Endpoints []string `json:"endpoints"`
}

// ServeSims is the child side of Options.SimProcess: it serves spec's simulators, writes
// their endpoints as one JSON line to out, generates each account's traffic once it is
// logged in, and returns when ctx ends.
func ServeSims(ctx context.Context, spec SimSpec, out io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	set, err := startSims(ctx, spec, nil)
	if err != nil {
		return err
	}
	defer set.close()
	line, _ := json.Marshal(simHello{Endpoints: set.endpoints})
	if _, err := fmt.Fprintf(out, "%s\n", line); err != nil {
		return err
	}
	return set.runLoad(ctx, spec)
}

// simChild is a --serve-sims child process.
type simChild struct {
	cmd       *exec.Cmd
	endpoints []string
	stdin     io.WriteCloser
}

// startSimChild runs argv and reads its endpoints. The child ends when its stdin closes
// (the parent died or is done) or when it is killed.
func startSimChild(ctx context.Context, argv []string) (*simChild, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr strings.Builder
	cmd.Stderr = &limitedWriter{w: &stderr, n: 4096}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: starting the simulator process: %w", err)
	}
	child := &simChild{cmd: cmd, stdin: stdin}
	hello := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(stdout).ReadBytes('\n')
		if err == nil {
			var h simHello
			if err = json.Unmarshal(line, &h); err == nil {
				child.endpoints = h.Endpoints
			}
		}
		hello <- err
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case err = <-hello:
	case <-ctx.Done():
		err = ctx.Err()
	case <-time.After(5 * time.Minute):
		err = errors.New("no answer in 5 minutes")
	}
	if err != nil || len(child.endpoints) == 0 {
		child.stop()
		return nil, fmt.Errorf("bench: the simulator process did not start: %v %s", err, stderr.String())
	}
	return child, nil
}

func (c *simChild) stop() {
	_ = c.stdin.Close()
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}

type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.n -= k
		_, _ = l.w.Write(p[:k])
	}
	return len(p), nil
}
