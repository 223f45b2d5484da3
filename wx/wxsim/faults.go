package wxsim

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Faults are failures injected into protocol endpoints (not /_sim/). Rates are
// probabilities in [0, 1] per request (DuplicateRate: per webwxsync answer with messages).
type Faults struct {
	ErrorRate     float64       // answer HTTP 500/502/503
	Latency       time.Duration // added before every answer
	ResetRate     float64       // close the connection without an answer
	DuplicateRate float64       // deliver an AddMsgList entry twice, or a page again on the next sync
	Rate1205      float64       // writes fail with Ret 1205 regardless of the rate limit
}

// faultsJSON is the /_sim/faults shape: latency as a Go duration string ("200ms").
type faultsJSON struct {
	ErrorRate     float64 `json:"error_rate"`
	Latency       string  `json:"latency"`
	ResetRate     float64 `json:"reset_rate"`
	DuplicateRate float64 `json:"duplicate_rate"`
	Rate1205      float64 `json:"rate_1205"`
}

// MarshalJSON writes the /_sim/faults shape.
func (f Faults) MarshalJSON() ([]byte, error) {
	return json.Marshal(faultsJSON{f.ErrorRate, f.Latency.String(), f.ResetRate, f.DuplicateRate, f.Rate1205})
}

// UnmarshalJSON reads the /_sim/faults shape.
func (f *Faults) UnmarshalJSON(b []byte) error {
	var j faultsJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	var lat time.Duration
	if j.Latency != "" {
		var err error
		if lat, err = time.ParseDuration(j.Latency); err != nil {
			return fmt.Errorf("latency: %w", err)
		}
	}
	*f = Faults{j.ErrorRate, lat, j.ResetRate, j.DuplicateRate, j.Rate1205}
	return nil
}

func (f Faults) validate() error {
	for _, r := range []float64{f.ErrorRate, f.ResetRate, f.DuplicateRate, f.Rate1205} {
		if r < 0 || r > 1 {
			return fmt.Errorf("wxsim: fault rate %v is not in [0, 1]", r)
		}
	}
	if f.Latency < 0 {
		return fmt.Errorf("wxsim: latency %v is negative", f.Latency)
	}
	return nil
}

// SetFaults replaces the injected faults; the zero value turns them off.
func (s *Server) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
	return nil
}

// Faults returns the injected faults.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// chance draws from the fault source; callers hold s.mu.
func (s *Server) chance(rate float64) bool {
	return rate > 0 && s.faultRand.Float64() < rate
}

// injectFault applies latency, resets and 5xx before a protocol handler; it reports
// whether it answered.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	f := s.faults
	reset := s.chance(f.ResetRate)
	status := 0
	if !reset && s.chance(f.ErrorRate) {
		status = []int{500, 502, 503}[s.faultRand.IntN(3)]
	}
	s.mu.Unlock()
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		}
	}
	switch {
	case reset:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // RST, not a polite FIN
				}
				_ = conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler) // HTTP/2 or a wrapped writer: abort the stream instead
	case status != 0:
		writeBody(w, status, "text/html; charset=utf-8", []byte(http.StatusText(status)))
		return true
	}
	return false
}

// duplicateFault sometimes repeats one entry in this answer, or keeps the page to deliver
// it again with the next webwxsync: the duplicates a client must drop by MsgId.
func (s *Server) duplicateFault(sess *session, msgs [][]byte, page []entry) [][]byte {
	if len(page) == 0 || !s.chance(s.faults.DuplicateRate) {
		return msgs
	}
	if s.faultRand.IntN(2) == 0 {
		i := s.faultRand.IntN(len(msgs))
		return append(msgs[:i+1:i+1], msgs[i:]...)
	}
	sess.redeliver = page
	return msgs
}

// bucket is the token bucket behind Ret 1205.
type bucket struct {
	rate   Rate
	tokens float64
	last   time.Time
}

func (b *bucket) allow(now time.Time) bool {
	perNano := float64(b.rate.Count) / float64(b.rate.Per)
	b.tokens = min(float64(b.rate.Count), b.tokens+float64(now.Sub(b.last))*perNano)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
