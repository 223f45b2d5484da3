package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"qunguan/db"
	"qunguan/engine"
	"qunguan/wx"
	"qunguan/wx/outbox"
)

// liveFeed prints what the daemon does, one line per thing, for people watching the demo:
// who said what where, which rule fired, what was sent, alerts. It counts for the summary.
type liveFeed struct {
	out     io.Writer
	color   bool
	alertTo string

	mu                                   sync.Mutex
	messages, rules, sends, alerts, errs int
	lastSend                             time.Time
	names                                map[string]string // stable id → chat name, from what was seen
	fired                                []string          // rules fired since the last line, shown on one line
}

const (
	ansiDim    = "\x1b[2m"
	ansiBold   = "\x1b[1m"
	ansiCyan   = "\x1b[36m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiRed    = "\x1b[31m"
	ansiReset  = "\x1b[0m"
)

func (f *liveFeed) paint(code, s string) string {
	if !f.color {
		return s
	}
	return code + s + ansiReset
}

func (f *liveFeed) line(at time.Time, body string) {
	f.flushRules()
	fmt.Fprintf(f.out, "%s  %s\n", f.paint(ansiDim, at.Local().Format("15:04:05")), body)
}

// flushRules prints the rules that fired for the last event on one line: a catch-all rule
// fires for every message, and a line each would drown the conversation.
func (f *liveFeed) flushRules() {
	if len(f.fired) == 0 {
		return
	}
	rules := strings.Join(f.fired, " · ")
	f.fired = f.fired[:0]
	fmt.Fprintf(f.out, "%s  %s\n", strings.Repeat(" ", 8), f.paint(ansiDim, "   ⚙ "+rules))
}

func (f *liveFeed) Committed(_ string, events []db.Pending) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range events {
		switch ev := p.Event.(type) {
		case *wx.Message:
			if ev.Echo || ev.Kind == wx.KindOwnerActive && ev.OwnerActivity != nil && ev.OwnerActivity.Code == 4 {
				continue // our own sends are shown as sent; the login chat list is noise
			}
			f.messages++
			f.remember(ev.Chat)
			f.line(ev.Time, f.describe(ev))
		case *wx.MemberEvent:
			f.line(ev.Time, fmt.Sprintf("%s %s %s", f.paint(ansiCyan, ev.Group.Name()), memberVerb(ev.Change), ev.Member.Name()))
		case *wx.ContactEvent:
			if ev.Change == wx.GroupRenamed {
				f.line(ev.Time, fmt.Sprintf("%s renamed (was %s)", f.paint(ansiCyan, ev.Contact.Name()), ev.OldName))
			} else if ev.Change == wx.ContactAdded && ev.Contact.IsFriend {
				f.line(ev.Time, fmt.Sprintf("new friend %s", f.paint(ansiBold, ev.Contact.Name())))
			}
		case *wx.LoginEvent:
			f.line(ev.Time, f.paint(ansiGreen, fmt.Sprintf("logged in as %s (%s login): %d friends, %d groups", ev.Self.NickName, ev.Method, ev.Friends, ev.Groups)))
		case *wx.LogoutEvent:
			f.line(ev.Time, f.paint(ansiRed, "logged out: "+ev.Reason))
		}
	}
}

func (f *liveFeed) remember(p wx.Peer) {
	if f.names == nil {
		f.names = map[string]string{}
	}
	if p.ID != "" {
		f.names[p.ID] = p.Name()
	}
}

func memberVerb(c wx.MemberChange) string {
	switch c {
	case wx.MemberJoined:
		return "+"
	case wx.MemberLeft:
		return "− left:"
	}
	return "renamed in group:"
}

// describe renders one message: chat › sender: text, with the kind when it is not text.
func (f *liveFeed) describe(m *wx.Message) string {
	where := f.paint(ansiCyan, m.Chat.Name())
	if m.Kind == wx.KindFriendRequest {
		where = f.paint(ansiCyan, "friend request")
	}
	who := m.Sender.Name()
	if m.IsSelf {
		who = "me (phone)"
	}
	text := strings.ReplaceAll(m.Text, "\n", " ⏎ ")
	if n := []rune(text); len(n) > 80 {
		text = string(n[:80]) + "…"
	}
	if m.Kind != wx.KindText {
		text = f.paint(ansiYellow, "["+string(m.Kind)+"]") + " " + text
	}
	if !m.Chat.IsGroup || who == "" {
		if who == "" || who == m.Chat.Name() {
			return fmt.Sprintf("%s: %s", where, text)
		}
	}
	return fmt.Sprintf("%s › %s: %s", where, f.paint(ansiBold, who), text)
}

func (f *liveFeed) RuleFired(_ string, r engine.RuleInfo, _ wx.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules++
	f.fired = append(f.fired, fmt.Sprintf("%s.lua:%d %s", r.Script, r.Line, r.Name))
}

func (f *liveFeed) Sent(_ string, res outbox.Result) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastSend = time.Now()
	if res.Err != nil {
		f.errs++
		f.line(res.At, f.paint(ansiRed, fmt.Sprintf("   ✗ %s failed: %v", res.Job.Kind, res.Err)))
		return
	}
	f.sends++
	what := res.Job.Text
	switch res.Job.Kind {
	case outbox.Op:
		what = "done: " + res.Job.Origin
	case outbox.Image, outbox.File, outbox.Video:
		what = "[" + res.Job.Kind + "] " + res.Job.Path
	}
	what = strings.ReplaceAll(what, "\n", " ⏎ ")
	if res.Job.ChatID == f.alertTo || res.Job.To == f.alertTo {
		f.alerts++
		f.line(res.At, f.paint(ansiYellow, "   🔔 alert: "+what))
		return
	}
	to := f.names[res.Job.ChatID]
	if to == "" {
		to = res.Job.ChatID
	}
	if to == "" {
		to = "WeChat"
	}
	f.line(res.At, f.paint(ansiGreen, fmt.Sprintf("   → %s: %s", to, what)))
}

func (f *liveFeed) ScriptFailed(_ string, err *engine.ScriptError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs++
	f.line(time.Now(), f.paint(ansiRed, fmt.Sprintf("   ✗ %s.lua:%d %s: %v", err.Script, err.Line, err.What, err.Err)))
}

// quietSince reports how long nothing was sent.
func (f *liveFeed) quietSince() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return time.Since(f.lastSend)
}

type feedCounts struct{ messages, rules, sends, alerts, errs int }

func (f *liveFeed) counts() feedCounts {
	f.mu.Lock()
	defer f.mu.Unlock()
	return feedCounts{f.messages, f.rules, f.sends, f.alerts, f.errs}
}
