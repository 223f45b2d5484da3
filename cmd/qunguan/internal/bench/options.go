package bench

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"qunguan/wx/wxsim"
)

// Options describe one harness run. The zero value of every field has a documented default.
type Options struct {
	// Groups is the number of generated groups per account, each with Members members
	// besides the bot. Defaults 100 and 200.
	Groups, Members int
	// Friends is the number of friends of each simulated account. Default 0 (the memory
	// test uses 2000).
	Friends int
	// Accounts is the number of WeChat accounts the daemon runs, each against its own
	// simulator. Default 1. With more than one, latency probes and the restart are skipped:
	// it is the memory test.
	Accounts int
	// Rate is the generated traffic in messages per second, over all accounts. Default 200.
	Rate float64
	// Duration is how long traffic is generated. Default 30 s.
	Duration time.Duration
	// Warmup is the start of the traffic left out of the sustained rate (connections, caches,
	// the first WAL checkpoint). Default a tenth of Duration, at most 5 s.
	Warmup time.Duration
	// Mix are the weights of the generated kinds (wxsim.LoadSpec.Mix). Default DefaultMix.
	Mix map[string]float64
	// PageSize is the simulator's SyncPageSize: events per webwxsync answer. 0: the
	// simulator's default (50, close to the real service).
	PageSize int
	// LongPoll is how long the simulator holds an idle synccheck. Default 25 s, as the real
	// service.
	LongPoll time.Duration
	// ProbeRate is latency probes per second (single account only). Default 20; negative: none.
	ProbeRate float64
	// ScriptsDir holds the shipped scripts; they are copied next to the generated rules.
	// Default "./scripts". A missing directory is an error; an empty one is fine.
	ScriptsDir string
	// DBPath is the database to write; "" is a file in the temporary directory, removed at
	// the end. An existing file is replaced.
	DBPath string
	// Backlog, when > 0, replaces the timed traffic: that many messages are queued at the
	// simulator while the daemon is stopped, then a new daemon drains them with nothing else
	// running — the daemon's own rate, without the generator sharing the CPU.
	Backlog int
	// NoRestart skips the restart measurement.
	NoRestart bool
	// Seed for the simulators. Default 1.
	Seed int64

	// Soak turns on faults (Faults, default SoakFaults), Kicks 1101 kicks each followed by a
	// fresh push login, and the end-of-run checks (Report.Soak).
	Soak bool
	// Faults injected during a soak; the zero value means SoakFaults.
	Faults wxsim.Faults
	// Kicks is the number of 1101 kicks in a soak. Default one per 3 minutes of Duration,
	// at least one; negative: none.
	Kicks int

	// SimProcess, when set, is the command line of a child process that serves the
	// simulators (`qunguan bench --serve-sims …` with the same sizes, see ServeSims) so that
	// the memory figures are the daemon's alone. Only without Soak and probes.
	SimProcess []string

	// PeakProfile, when set, is a file that receives a heap profile whenever the heap in use
	// grew by a tenth: at the end, the heap near its peak.
	PeakProfile string

	// Logger receives the daemon's and the simulator's logs. Default: discarded.
	Logger *logrus.Logger
	// Progress, when set, receives one line per phase (for a person watching).
	Progress io.Writer
}

// DefaultMix is the kind mix of the issue that introduced the harness: mostly text.
var DefaultMix = map[string]float64{"text": 0.9, "image": 0.04, "redpacket": 0.02, "recall": 0.02, "join": 0.02}

// SoakFaults are the faults a soak injects unless told otherwise: every kind at once, at
// rates that a real network on a bad day reaches.
var SoakFaults = wxsim.Faults{ErrorRate: 0.02, Latency: 2 * time.Millisecond, ResetRate: 0.01, DuplicateRate: 0.05, Rate1205: 0.03}

func (o Options) withDefaults() (Options, error) {
	if o.Groups <= 0 {
		o.Groups = 100
	}
	if o.Members <= 0 {
		o.Members = 200
	}
	if o.Members < 2 {
		return o, fmt.Errorf("bench: members must be at least 2")
	}
	if o.Accounts <= 0 {
		o.Accounts = 1
	}
	if o.Rate <= 0 {
		o.Rate = 200
	}
	if o.Duration <= 0 {
		o.Duration = 30 * time.Second
	}
	if o.Warmup <= 0 {
		o.Warmup = min(o.Duration/10, 5*time.Second)
	}
	if o.Warmup >= o.Duration {
		return o, fmt.Errorf("bench: warmup %v is not shorter than the duration %v", o.Warmup, o.Duration)
	}
	if len(o.Mix) == 0 {
		o.Mix = DefaultMix
	}
	if o.LongPoll <= 0 {
		o.LongPoll = 25 * time.Second
	}
	if o.ProbeRate == 0 {
		o.ProbeRate = 20
	}
	if o.Accounts > 1 || len(o.SimProcess) > 0 {
		o.ProbeRate = -1
	}
	if o.ScriptsDir == "" {
		o.ScriptsDir = "./scripts"
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Soak {
		if o.Faults == (wxsim.Faults{}) {
			o.Faults = SoakFaults
		}
		if o.Kicks == 0 {
			o.Kicks = max(1, int(o.Duration/(3*time.Minute)))
		}
		if o.Accounts > 1 || len(o.SimProcess) > 0 || o.Backlog > 0 {
			return o, fmt.Errorf("bench: the soak runs one account with the simulator in process, under traffic")
		}
	}
	if o.Backlog > 0 && (o.Accounts > 1 || len(o.SimProcess) > 0) {
		return o, fmt.Errorf("bench: --backlog runs one account with the simulator in process")
	}
	if o.Logger == nil {
		o.Logger = logrus.New()
		o.Logger.SetOutput(io.Discard)
	}
	return o, nil
}

// ParseMix reads "text=0.9,image=0.04,…" into mix weights.
func ParseMix(s string) (map[string]float64, error) {
	mix := map[string]float64{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("mix %q: expected kind=weight pairs such as text=0.9,image=0.1", s)
		}
		w, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || w < 0 {
			return nil, fmt.Errorf("mix %q: weight of %s is not a number ≥ 0", s, k)
		}
		mix[strings.TrimSpace(k)] = w
	}
	if len(mix) == 0 {
		return nil, fmt.Errorf("mix %q is empty", s)
	}
	return mix, nil
}

// FormatMix writes mix weights the way ParseMix reads them, kinds sorted.
func FormatMix(mix map[string]float64) string {
	kinds := make([]string, 0, len(mix))
	for k := range mix {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = k + "=" + strconv.FormatFloat(mix[k], 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}
