package bench

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"
)

// Report is what a run measured. Rates are per second, latencies in milliseconds, sizes in
// bytes unless the name says MB (10^6 bytes).
type Report struct {
	Date     string `json:"date"`
	Machine  string `json:"machine"`
	Go       string `json:"go"`
	Procs    int    `json:"gomaxprocs"`
	Scenario struct {
		Accounts   int     `json:"accounts"`
		Friends    int     `json:"friends_per_account"`
		Groups     int     `json:"groups_per_account"`
		Members    int     `json:"members_per_group"`
		Rate       float64 `json:"rate"`
		Duration   string  `json:"duration"`
		Warmup     string  `json:"warmup"`
		PageSize   int     `json:"sync_page_size"`
		Mix        string  `json:"mix"`
		Scripts    int     `json:"scripts"`
		Rules      int     `json:"rules"`
		SimProcess bool    `json:"sim_process"`
		Soak       bool    `json:"soak"`
		Backlog    int     `json:"backlog,omitempty"`
	} `json:"scenario"`

	Login struct {
		Seconds float64 `json:"seconds"` // from daemon start until every account's login was logged
	} `json:"login"`

	Throughput struct {
		Offered   float64 `json:"offered"`   // messages the simulators delivered per second in the window (0: not known)
		Sustained float64 `json:"sustained"` // messages synced, logged and dispatched per second in the window
		Window    float64 `json:"window_seconds"`
		Logged    int64   `json:"logged"`         // messages logged over the whole run (echoes of our sends left out)
		Backlog   int     `json:"backlog_at_end"` // events the simulator still held when the traffic stopped
		Drain     float64 `json:"drain_seconds"`  // how long the daemon took to catch up after the traffic stopped
		CaughtUp  bool    `json:"caught_up"`
	} `json:"throughput"`

	Latency struct {
		Probes   int     `json:"probes"`
		Answered int     `json:"answered"`
		P50      float64 `json:"p50_ms"`
		P90      float64 `json:"p90_ms"`
		P99      float64 `json:"p99_ms"`
		Max      float64 `json:"max_ms"`
	} `json:"latency"`

	Memory struct {
		Baseline      float64 `json:"baseline_heap_mb"` // heap in use before the daemon started (simulators in process, harness)
		PeakHeapInuse float64 `json:"peak_heap_inuse_mb"`
		PeakSys       float64 `json:"peak_sys_mb"`
		VmHWM         float64 `json:"vm_hwm_mb"`               // peak resident set of this process
		SimVmHWM      float64 `json:"sim_vm_hwm_mb,omitempty"` // of the simulator process
	} `json:"memory"`

	Database struct {
		Bytes           int64   `json:"bytes"`
		Messages        int64   `json:"messages"`
		BytesPerMillion float64 `json:"bytes_per_million_messages"` // file size / messages × 10^6: contacts included
		// Growth is what the traffic added: (size at the end − size after the login) per
		// logged message × 10^6, without the contact book (± the WAL's few MB).
		GrowthPerMillion float64 `json:"growth_bytes_per_million_messages"`
	} `json:"database"`

	Restart *RestartReport `json:"restart,omitempty"`

	Activity struct {
		RulesFired   int64  `json:"rules_fired"`
		SentOK       int64  `json:"sent_ok"`
		SentFailed   int64  `json:"sent_failed"`
		ScriptErrors int64  `json:"script_errors"`
		LastError    string `json:"last_error,omitempty"`
	} `json:"activity"`

	Soak *SoakReport `json:"soak,omitempty"`
}

// RestartReport is the second daemon start against the same database and simulator.
type RestartReport struct {
	Method    string  `json:"login_method"`
	ToLogin   float64 `json:"to_login_ms"`   // daemon start → the login logged
	ToSyncing float64 `json:"to_syncing_ms"` // daemon start → the first synccheck at the simulator
	Answered  bool    `json:"probe_answered"`
}

// SoakReport is what the soak checked.
type SoakReport struct {
	Faults          string   `json:"faults"`
	Kicks           int      `json:"kicks"`
	Logins          []string `json:"logins"` // method of each login, in order
	Delivered       int      `json:"delivered"`
	Unfetched       int      `json:"unfetched"` // delivered into sessions that ended before anyone fetched them (left out)
	InLog           int      `json:"in_log"`
	Missing         int      `json:"missing"`
	Extra           int      `json:"extra"`
	Duplicated      int      `json:"duplicated"`
	SendsOK         int      `json:"sends_ok"`
	SendsFailed     int      `json:"sends_failed"`
	FailedBecause   []string `json:"failed_because,omitempty"`
	SentAtSim       int      `json:"sent_at_simulator"`
	SendsLost       int      `json:"sends_lost"`       // reported sent, not at the simulator
	SendsDuplicated int      `json:"sends_duplicated"` // at the simulator more than once, or without a send reported
	ProbesFired     int      `json:"probes_fired"`
	ProbeReplies    int      `json:"probe_replies"`
	GoroutinesThird int      `json:"goroutines_at_third"`
	GoroutinesEnd   int      `json:"goroutines_at_end"`
	HeapThird       float64  `json:"heap_inuse_at_third_mb"`
	HeapEnd         float64  `json:"heap_inuse_at_end_mb"`
	Problems        []string `json:"problems"`
}

// OK reports whether every soak check passed.
func (s *SoakReport) OK() bool { return len(s.Problems) == 0 }

func mb(b uint64) float64 { return float64(b) / 1e6 }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// percentile of sorted durations, nearest rank.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func (r *Report) setLatency(probes int, lat []time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r.Latency.Probes, r.Latency.Answered = probes, len(lat)
	r.Latency.P50, r.Latency.P90 = ms(percentile(lat, 0.50)), ms(percentile(lat, 0.90))
	r.Latency.P99, r.Latency.Max = ms(percentile(lat, 0.99)), ms(percentile(lat, 1))
}

// machine names the CPU (from /proc/cpuinfo) and the core count.
func machine() string {
	model := runtime.GOARCH
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%d × %s", runtime.NumCPU(), model)
}

// WriteText writes the report for a person.
func (r *Report) WriteText(w io.Writer) {
	s := r.Scenario
	fmt.Fprintf(w, "qunguan bench — %s, %s, %s, GOMAXPROCS %d\n", r.Date, r.Machine, r.Go, r.Procs)
	if s.Backlog > 0 {
		fmt.Fprintf(w, "scenario: %d account(s), %d friends and %d groups × %d members each; a backlog of %d messages drained by a fresh daemon; sync page %d; mix %s\n",
			s.Accounts, s.Friends, s.Groups, s.Members, s.Backlog, s.PageSize, s.Mix)
	} else {
		fmt.Fprintf(w, "scenario: %d account(s), %d friends and %d groups × %d members each; %.0f msgs/s offered for %s (warm-up %s); sync page %d; mix %s\n",
			s.Accounts, s.Friends, s.Groups, s.Members, s.Rate, s.Duration, s.Warmup, s.PageSize, s.Mix)
	}
	fmt.Fprintf(w, "rules: %d scripts, %d rules (shipped scripts + 20 generated)", s.Scripts, s.Rules)
	if s.SimProcess {
		fmt.Fprint(w, "; simulators in a child process")
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "\nlogin          %.2f s until every account's login was logged\n", r.Login.Seconds)
	t := r.Throughput
	what := "sustained end to end (synced, logged, dispatched)"
	if s.Backlog > 0 {
		what = "draining the backlog end to end (synced, logged, dispatched), nothing generated beside it,"
	}
	fmt.Fprintf(w, "throughput     %.0f msgs/s %s over %.1f s", t.Sustained, what, t.Window)
	if t.Offered > 0 {
		fmt.Fprintf(w, "; %.0f msgs/s delivered by the simulator", t.Offered)
	}
	fmt.Fprintf(w, "\n               %d messages logged", t.Logged)
	if s.Backlog > 0 {
		fmt.Fprintf(w, "; %.1f s from the daemon's start to the last one handled", t.Drain)
	} else if t.Backlog > 0 || t.Drain > 0 {
		fmt.Fprintf(w, "; backlog %d events when traffic stopped, drained in %.1f s", t.Backlog, t.Drain)
	}
	if !t.CaughtUp {
		fmt.Fprint(w, " (did NOT catch up)")
	}
	fmt.Fprintln(w)
	if l := r.Latency; l.Probes > 0 {
		fmt.Fprintf(w, "latency        inject → reply at the simulator: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (%d/%d probes answered)\n",
			l.P50, l.P90, l.P99, l.Max, l.Answered, l.Probes)
	}
	m := r.Memory
	fmt.Fprintf(w, "memory         peak heap in use %.0f MB, peak Go sys %.0f MB, VmHWM %.0f MB (baseline heap before the daemon %.0f MB)",
		m.PeakHeapInuse, m.PeakSys, m.VmHWM, m.Baseline)
	if m.SimVmHWM > 0 {
		fmt.Fprintf(w, "; simulator process VmHWM %.0f MB", m.SimVmHWM)
	}
	fmt.Fprintln(w)
	d := r.Database
	fmt.Fprintf(w, "database       %.1f MB for %d messages: %.0f MB per million messages (file size / messages); the traffic added %.0f MB per million\n",
		float64(d.Bytes)/1e6, d.Messages, d.BytesPerMillion/1e6, d.GrowthPerMillion/1e6)
	if rs := r.Restart; rs != nil {
		fmt.Fprintf(w, "restart        %s login logged after %.0f ms, syncing after %.0f ms", rs.Method, rs.ToLogin, rs.ToSyncing)
		if rs.Answered {
			fmt.Fprint(w, "; a probe was answered")
		}
		fmt.Fprintln(w)
	}
	a := r.Activity
	fmt.Fprintf(w, "activity       %d rules fired, %d sent, %d sends failed, %d script errors\n", a.RulesFired, a.SentOK, a.SentFailed, a.ScriptErrors)
	if a.LastError != "" {
		fmt.Fprintf(w, "               last error: %s\n", a.LastError)
	}
	if sk := r.Soak; sk != nil {
		fmt.Fprintf(w, "\nsoak           faults %s; %d kick(s); logins %s\n", sk.Faults, sk.Kicks, strings.Join(sk.Logins, ", "))
		fmt.Fprintf(w, "  messages     %d delivered (%d more went with sessions that ended unfetched), %d in the log: %d missing, %d extra, %d duplicated\n",
			sk.Delivered, sk.Unfetched, sk.InLog, sk.Missing, sk.Extra, sk.Duplicated)
		fmt.Fprintf(w, "  sends        %d sent, %d failed; %d at the simulator: %d lost, %d duplicated; probes %d fired, %d replies\n",
			sk.SendsOK, sk.SendsFailed, sk.SentAtSim, sk.SendsLost, sk.SendsDuplicated, sk.ProbesFired, sk.ProbeReplies)
		fmt.Fprintf(w, "  flat         goroutines %d at 1/3 → %d at the end; heap in use %.1f MB → %.1f MB\n",
			sk.GoroutinesThird, sk.GoroutinesEnd, sk.HeapThird, sk.HeapEnd)
		if sk.OK() {
			fmt.Fprintln(w, "  result       OK: every check passed")
		} else {
			fmt.Fprintln(w, "  result       FAILED:")
			for _, p := range sk.Problems {
				fmt.Fprintf(w, "               - %s\n", p)
			}
		}
	}
}
