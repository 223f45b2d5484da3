package bench

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"qunguan/db"
	"qunguan/wx"
)

// Tolerances of the flatness checks: the end of a soak is compared with its first third.
// Goroutines come and go with connections (resets, keep-alive) and requests in flight;
// the heap holds the simulator's growing world and the harness's own list of MsgIds, both
// in this process.
const (
	goroutineSlack = 16   // goroutines more than at 1/3, plus a quarter
	heapSlackMB    = 32.0 // MB more than 1.5 × the heap at 1/3
)

// kick ends the session with 1101 the way logging in elsewhere does, once everything
// delivered so far is in: messages delivered to a session and not fetched before it ends
// are gone for every web client (the protocol has no way to fetch them), so the soak
// checks exactly-once on what a client can see. The daemon logs in again by itself (push
// login, confirmed by the simulated phone).
func (h *harness) kick(ctx context.Context) error {
	if !h.waitQuiet(ctx, time.Minute) {
		return fmt.Errorf("bench: soak: the daemon did not catch up before the kick")
	}
	before := time.Now()
	h.progress("kicking the session (1101)")
	if err := h.sims.servers[0].Logout(1101); err != nil {
		return fmt.Errorf("bench: soak: kick: %w", err)
	}
	if err := h.waitLogins(ctx, 1, before, nil, 2*time.Minute); err != nil {
		return fmt.Errorf("bench: soak: no login after the kick: %w", err)
	}
	h.progress("logged in again after %.1f s", time.Since(before).Seconds())
	return nil
}

// checkSoak compares what the simulator delivered and recorded with the log and the
// outbox's results, and the end of the run with its first third.
func (h *harness) checkSoak(ctx context.Context) {
	sk := h.rep.Soak
	heap, goroutines := heapAfterGC()
	sk.HeapEnd, sk.GoroutinesEnd = mb(heap), goroutines
	problem := func(format string, args ...any) { sk.Problems = append(sk.Problems, fmt.Sprintf(format, args...)) }
	if !h.rep.Throughput.CaughtUp {
		problem("the daemon did not catch up after the traffic stopped")
	}

	for _, l := range h.feed.loginsSeen() {
		sk.Logins = append(sk.Logins, string(l.method))
	}
	if len(sk.Logins) != 1+sk.Kicks {
		problem("%d logins for %d kicks: want %d", len(sk.Logins), sk.Kicks, 1+sk.Kicks)
	}
	for i, m := range sk.Logins[min(1, len(sk.Logins)):] {
		if m != string(wx.LoginPush) {
			problem("login %d after a kick was a %s login, want push (the phone confirms; nobody scans a QR code)", i+2, m)
		}
	}

	// Every message delivered into a session is in the log exactly once; nothing else is.
	h.mu.Lock()
	delivered := make(map[string]int, len(h.ids))
	for _, id := range h.ids {
		delivered[id]++
	}
	for _, id := range h.unfetched {
		delete(delivered, id) // gone with its session: no client could fetch it
	}
	sk.Unfetched = len(h.unfetched)
	h.mu.Unlock()
	sk.Delivered = len(delivered)
	inLog := make(map[string]int, len(delivered))
	err := h.store.Export(ctx, db.Filter{Account: accountName(0)}, func(m db.LoggedMessage) error {
		inLog[m.MsgID]++
		return nil
	})
	if err != nil {
		problem("reading the log: %v", err)
		return
	}
	sk.InLog = len(inLog)
	var missing, extra []string
	for id := range delivered {
		if inLog[id] == 0 {
			missing = append(missing, id)
		}
	}
	for id, n := range inLog {
		if delivered[id] == 0 {
			extra = append(extra, id)
		}
		if n > 1 {
			sk.Duplicated++
		}
	}
	sk.Missing, sk.Extra = len(missing), len(extra)
	if len(missing) > 0 {
		problem("%d delivered messages are not in the log (e.g. %s)", len(missing), sample(missing))
	}
	if len(extra) > 0 {
		problem("%d logged messages were never delivered (e.g. %s)", len(extra), sample(extra))
	}
	if sk.Duplicated > 0 {
		problem("%d messages are in the log more than once", sk.Duplicated)
	}

	// Every send the outbox reported done reached the simulator exactly once, with its
	// text; the simulator recorded no send the outbox did not report.
	h.feed.mu.Lock()
	results := append(h.feed.results[:0:0], h.feed.results...)
	h.feed.mu.Unlock()
	okByID := map[string]string{} // MsgID → text
	probeFailures := 0
	whyFailed := map[string]bool{}
	for _, r := range results {
		if r.Err != nil {
			sk.SendsFailed++
			whyFailed[r.Err.Error()] = true
			if strings.HasPrefix(r.Job.Text, replyPrefix) {
				probeFailures++
			}
			continue
		}
		if r.Sent.MsgID == "" {
			continue // a group operation: no message
		}
		sk.SendsOK++
		if _, dup := okByID[r.Sent.MsgID]; dup {
			problem("two sends reported the same MsgID %s", r.Sent.MsgID)
		}
		okByID[r.Sent.MsgID] = r.Job.Text
	}
	atSim := map[string]int{}
	replies := map[string]int{}
	for _, s := range h.sims.servers[0].Sent() {
		if s.MsgID == "" {
			continue
		}
		sk.SentAtSim++
		atSim[s.MsgID]++
		if text, ok := okByID[s.MsgID]; !ok || atSim[s.MsgID] > 1 {
			sk.SendsDuplicated++
		} else if s.Kind == "text" && text != s.Text {
			problem("send %s: the simulator got %q, the outbox sent %q", s.MsgID, s.Text, text)
		}
		if strings.HasPrefix(s.Text, replyPrefix) {
			replies[s.Text]++
		}
	}
	for id := range okByID {
		if atSim[id] == 0 {
			sk.SendsLost++
		}
	}
	if sk.SendsLost > 0 {
		problem("%d sends reported done never reached the simulator", sk.SendsLost)
	}
	if sk.SendsDuplicated > 0 {
		problem("%d sends reached the simulator twice or without the outbox reporting them", sk.SendsDuplicated)
	}
	sk.ProbesFired, sk.ProbeReplies = int(h.feed.probes.Load()), len(replies)
	for text, n := range replies {
		if n > 1 {
			problem("probe reply %q was sent %d times", text, n)
		}
	}
	if sk.ProbesFired != sk.ProbeReplies+probeFailures {
		problem("%d probes fired, %d replies sent and %d reported failed: replies were lost", sk.ProbesFired, sk.ProbeReplies, probeFailures)
	}
	for why := range whyFailed {
		sk.FailedBecause = append(sk.FailedBecause, why)
	}
	sort.Strings(sk.FailedBecause)
	if total := sk.SendsOK + sk.SendsFailed; sk.SendsFailed > max(1, total/100) {
		problem("%d of %d sends failed for good (more than 1%%): %s", sk.SendsFailed, total, strings.Join(sk.FailedBecause, "; "))
	}

	// Flat: no goroutine or heap growth between the first third and the end.
	h.mu.Lock() // the third was taken by a timer
	defer h.mu.Unlock()
	if sk.GoroutinesThird == 0 {
		problem("the soak ended before its first third was measured")
	} else {
		if limit := sk.GoroutinesThird + sk.GoroutinesThird/4 + goroutineSlack; sk.GoroutinesEnd > limit {
			problem("goroutines grew from %d to %d (limit %d)", sk.GoroutinesThird, sk.GoroutinesEnd, limit)
		}
		if limit := sk.HeapThird*1.5 + heapSlackMB; sk.HeapEnd > limit {
			problem("heap in use grew from %.1f MB to %.1f MB (limit %.1f MB)", sk.HeapThird, sk.HeapEnd, limit)
		}
	}
}

func sample(ids []string) string {
	if len(ids) > 5 {
		ids = ids[:5]
	}
	return strings.Join(ids, ", ")
}
