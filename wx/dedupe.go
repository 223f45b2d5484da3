package wx

import (
	"strconv"
	"sync"
	"time"
)

// idWindow remembers the last n ids: enough to drop duplicated deliveries (a page delivered
// twice, a redelivery after a reset) without growing for ever. It grows as ids come, so a
// quiet account does not hold room for n. Used by the sync goroutine only.
type idWindow struct {
	ring []string
	max  int
	next int
	set  map[string]struct{}
}

func newIDWindow(n int) *idWindow {
	return &idWindow{max: max(n, 1), set: make(map[string]struct{})}
}

func (w *idWindow) has(id string) bool { _, ok := w.set[id]; return ok }

func (w *idWindow) add(id string) {
	if id == "" || w.has(id) {
		return
	}
	w.set[id] = struct{}{}
	if len(w.ring) < w.max {
		w.ring = append(w.ring, id)
		return
	}
	delete(w.set, w.ring[w.next])
	w.ring[w.next] = id
	w.next = (w.next + 1) % len(w.ring)
}

// echoTracker recognises the server's echo of what this client did (PROTOCOL.md §8.6), so the
// bot never answers itself and never takes its own sends for the owner typing on the phone. The
// echo may arrive through the sync stream before the send call has returned its MsgID, and a
// revoke's echo has a MsgId of its own, so recent actions are also matched by target and content
// (or message type) for a short while.
type echoTracker struct {
	mu     sync.Mutex
	ids    map[string]time.Time // MsgIDs returned by sends
	recent map[string]time.Time // target + "\x00" + content or type key → when we acted
}

func newEchoTracker() *echoTracker {
	return &echoTracker{ids: map[string]time.Time{}, recent: map[string]time.Time{}}
}

const (
	echoMemory = 10 * time.Minute // how long returned MsgIDs are remembered
	echoWindow = 30 * time.Second // how long an action matches by target and content
)

func pendingKey(to, content string) string { return to + "\x00" + content }

// begin registers an action about to happen.
func (t *echoTracker) begin(to, content string) {
	t.mu.Lock()
	t.recent[pendingKey(to, content)] = time.Now()
	t.mu.Unlock()
}

// done records the MsgID a send returned ("" if none or it failed).
func (t *echoTracker) done(msgID string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	if msgID != "" {
		t.ids[msgID] = now
	}
	if len(t.ids)+len(t.recent) > 4096 {
		for id, at := range t.ids {
			if now.Sub(at) > echoMemory {
				delete(t.ids, id)
			}
		}
		for k, at := range t.recent {
			if now.Sub(at) > echoWindow {
				delete(t.recent, k)
			}
		}
	}
}

// match reports whether a message from self is the echo of one of our actions.
func (t *echoTracker) match(msgID string, raw *RawMessage) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.ids[msgID]; ok {
		return true
	}
	fresh := func(key string) bool {
		at, ok := t.recent[pendingKey(raw.ToUserName, key)]
		return ok && time.Since(at) < echoWindow
	}
	if raw.MsgType != 1 {
		return fresh(mediaEchoKey(raw.MsgType))
	}
	// The server escapes text for recipients; compare the decoded form too.
	return fresh(raw.Content) || fresh(DecodeContent(raw.Content))
}

// mediaEchoKey stands for an action whose echo carries the server's content, not ours (media,
// revokes): it is recognised by target and message type.
func mediaEchoKey(msgType int) string { return "\x00type:" + strconv.Itoa(msgType) }
