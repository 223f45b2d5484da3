package wxsim

import (
	"encoding/json"
	"testing"
)

// BenchmarkLoadAndSync measures the per-message path of the load generator: generating a
// group message and handing it out through webwxsync over loopback in 50-entry pages.
func BenchmarkLoadAndSync(b *testing.B) {
	e := newEnv(b, Options{})
	c := e.loggedIn()
	e.srv.mu.Lock()
	e.srv.ensureLoadGroups(LoadSpec{Groups: 10, Members: 200})
	groups := e.srv.load.groups
	e.srv.mu.Unlock()
	e.syncAll(c)
	b.ResetTimer()
	for i := range b.N {
		e.srv.mu.Lock()
		e.srv.loadOne(groups, "text")
		e.srv.mu.Unlock()
		if i%50 == 49 {
			// The client side only takes the new key: the server's cost is what is measured.
			r := e.post(api("webwxsync", "sid="+c.sid+"&pass_ticket="+c.passTicket), map[string]any{"BaseRequest": c.br(), "SyncKey": c.syncKey})
			var a struct{ SyncKey json.RawMessage }
			if err := json.Unmarshal([]byte(r.body), &a); err != nil {
				b.Fatal(err)
			}
			c.syncKey = a.SyncKey
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
