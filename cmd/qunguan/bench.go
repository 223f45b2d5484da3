package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"qunguan/cmd/qunguan/internal/bench"
)

type benchFlags struct {
	groups, members, friends, groupsPerAccount, accounts int
	rate, probes                                         float64
	duration, warmup, longPoll                           time.Duration
	mix, scripts, dbPath, faults                         string
	page, kicks, backlog                                 int
	seed                                                 int64
	jsonOut, soak, noRestart, simProcess, inProcess      bool
	cpuProfile, memProfile, peakProfile, trace           string
	serveSims                                            bool
}

// newBenchCommand is `qunguan bench`: the load harness (package bench).
func newBenchCommand() *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load-test qunguan: the simulator and the bot in one process, with a report",
		Long: `Run the simulator and the daemon together (as the demo does) and drive generated traffic
through them: the shipped scripts plus 20 generated keyword rules run on every message. The
report gives the messages per second sustained end to end (synced, logged with full-text
index, dispatched), the latency from injecting a probe to its reply reaching the simulator
(outbox unpaced), peak memory, database size per million messages and the time a restart
takes to sync again.

--accounts N is the memory test (each account with --friends friends and --groups-per-account
groups of --members members; the simulators run in a child process so the figures are the
bot's). --soak injects faults and 1101 kicks and checks that every message is logged
exactly once and every reply sent exactly once, and that goroutines and memory stay flat.`,
		Example: `  qunguan bench --rate 8000 --page 1000 --duration 30s
  qunguan bench --backlog 100000 --page 1000
  qunguan bench --rate 200 --duration 60s --json
  qunguan bench --accounts 10 --friends 2000 --groups-per-account 200 --members 300 --rate 100
  qunguan bench --soak --duration 10m --rate 100`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.serveSims {
				return serveSims(cmd.Context(), cmd, f)
			}
			return runBench(cmd.Context(), cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.groups, "groups", 100, "generated groups per account")
	fl.IntVar(&f.groupsPerAccount, "groups-per-account", 0, "the same as --groups (for the memory test's wording)")
	fl.IntVar(&f.members, "members", 200, "members of each generated group")
	fl.IntVar(&f.friends, "friends", 0, "friends of each account")
	fl.IntVar(&f.accounts, "accounts", 1, "accounts, each against its own simulator (more than 1: the memory test)")
	fl.Float64Var(&f.rate, "rate", 200, "generated messages per second, all accounts together")
	fl.DurationVar(&f.duration, "duration", 30*time.Second, "how long traffic is generated")
	fl.DurationVar(&f.warmup, "warmup", 0, "start of the traffic left out of the sustained rate (default a tenth of --duration, at most 5s)")
	fl.StringVar(&f.mix, "mix", bench.FormatMix(bench.DefaultMix), "kinds of generated messages and their weights")
	fl.IntVar(&f.backlog, "backlog", 0, "instead of timed traffic: queue this many messages with the daemon stopped, then time a fresh daemon draining them")
	fl.IntVar(&f.page, "page", 0, "events per webwxsync answer at the simulator (default 50, as the real service)")
	fl.DurationVar(&f.longPoll, "long-poll", 25*time.Second, "how long the simulator holds an idle synccheck")
	fl.Float64Var(&f.probes, "probes", 20, "latency probes per second (0: none)")
	fl.StringVar(&f.scripts, "scripts", "./scripts", "shipped scripts to run besides the generated rules")
	fl.StringVar(&f.dbPath, "db", "", "database to write and keep (default: a temporary file, removed)")
	fl.Int64Var(&f.seed, "seed", 1, "simulator seed")
	fl.BoolVar(&f.jsonOut, "json", false, "print the report as JSON")
	fl.BoolVar(&f.soak, "soak", false, "inject faults and 1101 kicks; check exactly-once delivery and flat memory")
	fl.IntVar(&f.kicks, "kicks", 0, "1101 kicks in a soak (default one per 3 minutes, at least one)")
	fl.StringVar(&f.faults, "faults", "", `soak faults as /_sim/faults takes them, e.g. '{"error_rate":0.02,"latency":"2ms","reset_rate":0.01,"duplicate_rate":0.05,"rate_1205":0.03}' (the default)`)
	fl.BoolVar(&f.noRestart, "no-restart", false, "skip the restart measurement")
	fl.BoolVar(&f.inProcess, "sims-in-process", false, "with --accounts > 1: run the simulators in this process too")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file")
	fl.StringVar(&f.peakProfile, "peakprofile", "", "write a heap profile each time the heap in use grows by a tenth: at the end, near its peak")
	fl.StringVar(&f.trace, "trace", "", "write an execution trace of the run to this file (go tool trace)")
	fl.StringVar(&f.memProfile, "memprofile", "", "write a heap profile (in use and allocated) at the end of the run to this file")
	fl.BoolVar(&f.serveSims, "serve-sims", false, "internal: serve the simulators for a parent bench")
	_ = fl.MarkHidden("serve-sims")
	return cmd
}

func (f benchFlags) options() (bench.Options, error) {
	mix, err := bench.ParseMix(f.mix)
	if err != nil {
		return bench.Options{}, usageError{err.Error()}
	}
	groups := f.groups
	if f.groupsPerAccount > 0 {
		groups = f.groupsPerAccount
	}
	o := bench.Options{
		Groups: groups, Members: f.members, Friends: f.friends, Accounts: f.accounts, Rate: f.rate,
		Duration: f.duration, Warmup: f.warmup, Mix: mix, PageSize: f.page, LongPoll: f.longPoll,
		ProbeRate: f.probes, ScriptsDir: f.scripts, DBPath: f.dbPath, NoRestart: f.noRestart,
		Seed: f.seed, Soak: f.soak, Kicks: f.kicks, Backlog: f.backlog, PeakProfile: f.peakProfile,
	}
	if f.probes == 0 {
		o.ProbeRate = -1
	}
	if f.faults != "" {
		if err := json.Unmarshal([]byte(f.faults), &o.Faults); err != nil {
			return o, usageError{fmt.Sprintf("--faults: %v", err)}
		}
	}
	return o, nil
}

func (f benchFlags) simSpec(o bench.Options) bench.SimSpec {
	return bench.SimSpec{Accounts: o.Accounts, Friends: o.Friends, Groups: o.Groups, Members: o.Members, Rate: o.Rate,
		Mix: o.Mix, PageSize: o.PageSize, LongPoll: o.LongPoll, Seed: o.Seed}
}

func runBench(ctx context.Context, cmd *cobra.Command, f benchFlags) error {
	out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
	o, err := f.options()
	if err != nil {
		return err
	}
	o.Logger = newLogger(errOut, "error", "text", debugFlag(cmd.Root()))
	o.Progress = errOut
	if o.Accounts > 1 && !f.inProcess {
		self, err := os.Executable()
		if err != nil {
			return fmt.Errorf("bench: finding this binary for the simulator process: %w", err)
		}
		o.SimProcess = []string{self, "bench", "--serve-sims", "--accounts", strconv.Itoa(o.Accounts),
			"--friends", strconv.Itoa(o.Friends), "--groups", strconv.Itoa(o.Groups), "--members", strconv.Itoa(o.Members),
			"--rate", strconv.FormatFloat(o.Rate, 'f', -1, 64), "--mix", bench.FormatMix(o.Mix), "--page", strconv.Itoa(o.PageSize),
			"--long-poll", o.LongPoll.String(), "--seed", strconv.FormatInt(o.Seed, 10)}
	}
	if f.cpuProfile != "" {
		pf, err := os.Create(f.cpuProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if f.trace != "" {
		tf, err := os.Create(f.trace)
		if err != nil {
			return err
		}
		defer tf.Close()
		if err := trace.Start(tf); err != nil {
			return err
		}
		defer trace.Stop()
	}
	rep, runErr := bench.Run(ctx, o)
	if f.memProfile != "" {
		if err := writeHeapProfile(f.memProfile); err != nil {
			return err
		}
	}
	if rep == nil {
		return runErr
	}
	if f.jsonOut {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		rep.WriteText(out)
	}
	return runErr
}

func writeHeapProfile(path string) error {
	pf, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(pf); err != nil {
		pf.Close()
		return err
	}
	return pf.Close()
}

// serveSims is the child side of the memory test: it serves the simulators until its stdin
// closes (the parent is done, or died).
func serveSims(ctx context.Context, cmd *cobra.Command, f benchFlags) error {
	o, err := f.options()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, cmd.InOrStdin())
		cancel()
	}()
	spec := f.simSpec(o)
	if len(spec.Mix) == 0 {
		spec.Mix = bench.DefaultMix
	}
	return bench.ServeSims(ctx, spec, cmd.OutOrStdout())
}
