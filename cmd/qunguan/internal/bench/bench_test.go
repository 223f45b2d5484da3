package bench

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The harness carries the speed targets (qunguan bench, docs/BENCHMARKS.md); these tests
// check only that it measures what it says and that the daemon is correct under load and
// faults. None of them asserts a speed.

const shippedScripts = "../../../../scripts"

func TestParseMix(t *testing.T) {
	for _, c := range []struct {
		in   string
		want map[string]float64
		ok   bool
	}{
		{"text=0.9,image=0.04,redpacket=0.02,recall=0.02,join=0.02", DefaultMix, true},
		{" text = 1 ", map[string]float64{"text": 1}, true},
		{"text=1,,", map[string]float64{"text": 1}, true},
		{"text", nil, false},
		{"text=x", nil, false},
		{"text=-1", nil, false},
		{"", nil, false},
	} {
		got, err := ParseMix(c.in)
		if (err == nil) != c.ok || (c.ok && !reflect.DeepEqual(got, c.want)) {
			t.Errorf("ParseMix(%q) = %v, %v", c.in, got, err)
		}
		if c.ok {
			if back, _ := ParseMix(FormatMix(got)); !reflect.DeepEqual(back, got) {
				t.Errorf("FormatMix(%v) = %q does not read back", got, FormatMix(got))
			}
		}
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{0.5: 50 * time.Millisecond, 0.99: 99 * time.Millisecond, 1: 100 * time.Millisecond} {
		if got := percentile(d, p); got != want {
			t.Errorf("p%v = %v, want %v", p*100, got, want)
		}
	}
	if percentile(nil, 0.5) != 0 {
		t.Error("percentile of nothing")
	}
}

func TestPrepareScriptsCopiesAndGenerates(t *testing.T) {
	from := t.TempDir()
	for name, body := range map[string]string{"a.lua": "-- a", "a_test.lua": "-- t", "notes.txt": "x"} {
		if err := os.WriteFile(filepath.Join(from, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	to := filepath.Join(t.TempDir(), "scripts")
	if err := prepareScripts(from, to); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(to)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "a.lua a_test.lua zz_bench_rules.lua" {
		t.Errorf("scripts dir has %v", names)
	}
	rules, _ := os.ReadFile(filepath.Join(to, "zz_bench_rules.lua"))
	if n := strings.Count(string(rules), "bot.hear("); n != 20 {
		t.Errorf("%d generated rules, want 20", n)
	}
	if err := prepareScripts(filepath.Join(from, "missing"), to); err == nil {
		t.Error("a missing scripts directory is not an error")
	}
}

// TestRunMeasuresWhatItSays: a short run with the shipped scripts logs the traffic, answers
// every probe, sizes the database and restarts with a hot login.
func TestRunMeasuresWhatItSays(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon for several seconds")
	}
	rep, err := Run(context.Background(), Options{
		Groups: 5, Members: 10, Rate: 100, Duration: 4 * time.Second, Warmup: time.Second, ProbeRate: 10,
		ScriptsDir: shippedScripts,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Throughput.Logged < 200 || rep.Throughput.Sustained <= 0 || !rep.Throughput.CaughtUp {
		t.Errorf("throughput %+v", rep.Throughput)
	}
	if rep.Latency.Probes == 0 || rep.Latency.Answered != rep.Latency.Probes || rep.Latency.P99 <= 0 || rep.Latency.P50 > rep.Latency.P99 {
		t.Errorf("latency %+v", rep.Latency)
	}
	if rep.Database.Messages < rep.Throughput.Logged || rep.Database.Bytes == 0 || rep.Database.BytesPerMillion <= 0 {
		t.Errorf("database %+v for %d logged", rep.Database, rep.Throughput.Logged)
	}
	if rep.Memory.PeakHeapInuse <= 0 || rep.Memory.VmHWM < rep.Memory.PeakHeapInuse/2 {
		t.Errorf("memory %+v", rep.Memory)
	}
	if rs := rep.Restart; rs == nil || rs.Method != "hot" || rs.ToSyncing <= 0 || !rs.Answered {
		t.Errorf("restart %+v", rs)
	}
	if rep.Scenario.Rules < 20 {
		t.Errorf("%d rules, want the 20 generated at least", rep.Scenario.Rules)
	}
}

// TestSeveralAccounts: every account logs in against its own simulator and is logged.
func TestSeveralAccounts(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon for several seconds")
	}
	rep, err := Run(context.Background(), Options{
		Accounts: 2, Friends: 20, Groups: 3, Members: 10, Rate: 60, Duration: 2 * time.Second,
		ScriptsDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Throughput.Logged < 60 || rep.Restart != nil || rep.Latency.Probes != 0 {
		t.Errorf("report %+v", rep)
	}
}

// TestSoak is the short soak of CI: faults of every kind, one 1101 kick, the shipped
// scripts; at the end every delivered message is in the log exactly once, every send the
// outbox reported reached the simulator exactly once, every probe got one reply, and
// goroutines and heap did not grow between the first third and the end.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("the soak runs for about half a minute")
	}
	rep, err := Run(context.Background(), Options{
		Soak: true, Groups: 10, Members: 20, Rate: 40, Duration: 24 * time.Second, ProbeRate: 5,
		ScriptsDir: shippedScripts, NoRestart: true,
	})
	if rep != nil && rep.Soak != nil {
		sk := rep.Soak
		t.Logf("soak: %d delivered, %d in the log; %d sends, %d at the simulator; %d probes; goroutines %d → %d; heap %.1f → %.1f MB; logins %v",
			sk.Delivered, sk.InLog, sk.SendsOK, sk.SentAtSim, sk.ProbesFired, sk.GoroutinesThird, sk.GoroutinesEnd, sk.HeapThird, sk.HeapEnd, sk.Logins)
	}
	if err != nil {
		t.Fatal(err)
	}
	sk := rep.Soak
	if sk == nil || !sk.OK() {
		t.Fatalf("soak report %+v", sk)
	}
	// The checks above compare what happened: make sure something did.
	if sk.Delivered < 400 || sk.ProbesFired == 0 || sk.Kicks != 1 || len(sk.Logins) != 2 {
		t.Errorf("too little happened to check: %+v", sk)
	}
}

// TestBacklogDrain: messages queued while the daemon was stopped are all synced, logged and
// handled by a fresh daemon, and the rate is measured over them.
func TestBacklogDrain(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon for several seconds")
	}
	rep, err := Run(context.Background(), Options{
		Groups: 5, Members: 10, Backlog: 2000, PageSize: 500, ScriptsDir: t.TempDir(), NoRestart: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if th := rep.Throughput; th.Logged < 2000 || th.Sustained <= 0 || !th.CaughtUp || th.Window <= 0 {
		t.Errorf("throughput %+v", th)
	}
}
