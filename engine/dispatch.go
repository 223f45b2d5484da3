package engine

import (
	"context"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"qunguan/wx"
)

// view is an event as matching sees it: its kind name, chat and sender, computed once.
type view struct {
	ev        wx.Event
	kind      string
	isMessage bool
	msg       *wx.Message // nil for member, contact, login and logout events
	chat      wx.Peer
	sender    wx.Peer

	respondText *string                 // text without the bot's @-mention, computed on demand
	tables      map[*script]*lua.LTable // the event as each script sees it, built on demand
}

func newView(ev wx.Event) *view {
	v := &view{ev: ev}
	switch ev := ev.(type) {
	case *wx.Message:
		v.kind, v.isMessage, v.msg = string(ev.Kind), true, ev
		v.chat, v.sender = ev.Chat, ev.Sender
	case *wx.MemberEvent:
		v.kind = memberKind(ev.Change)
		v.chat, v.sender = ev.Group, ev.Member
	case *wx.ContactEvent:
		v.kind = contactKind(ev.Change)
		v.chat, v.sender = ev.Contact, ev.Contact
	case *wx.LoginEvent:
		v.kind = KindLogin
		v.sender = ev.Self
	case *wx.LogoutEvent:
		v.kind = KindLogout
	default:
		return nil
	}
	return v
}

type cooldownKey struct {
	rule *rule
	chat string
}

// ownerActivity remembers when the owner last used WeChat on the phone.
type ownerActivity struct {
	perChat map[string]time.Time // by chat stable id
	general time.Time            // activity tied to no particular chat
	latest  time.Time            // any activity at all
}

func (o *ownerActivity) record(chatID string, at time.Time) {
	if chatID == "" {
		o.general = later(o.general, at)
	} else {
		if o.perChat == nil {
			o.perChat = make(map[string]time.Time)
		}
		o.perChat[chatID] = later(o.perChat[chatID], at)
	}
	o.latest = later(o.latest, at)
}

// active reports activity within the window: in chatID or not tied to a chat; with chatID ""
// any activity anywhere counts.
func (o *ownerActivity) active(chatID string, within time.Duration, now time.Time) bool {
	last := o.latest
	if chatID != "" {
		last = later(o.perChat[chatID], o.general)
	}
	return !last.IsZero() && now.Sub(last) < within
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// handleEvent runs the rules that match one event, in priority order.
func (e *Engine) handleEvent(ev wx.Event) {
	v := newView(ev)
	if v == nil {
		return
	}
	now := e.clock.Now()
	switch ev := ev.(type) {
	case *wx.Message:
		if ev.Echo {
			// What this client sent: it must never trigger anything (reply loops).
			return
		}
		if ev.Kind == wx.KindOwnerActive {
			// Code 4 (SYNC_CONV) is the list of recent chats sent after every login: a
			// protocol artefact, not the owner touching the phone.
			if ev.OwnerActivity == nil || ev.OwnerActivity.Code != 4 {
				chatID := ev.Chat.ID
				if ev.Chat.IsSelf {
					chatID = ""
				}
				e.owner.record(chatID, now)
			}
		} else if ev.IsSelf {
			e.owner.record(ev.Chat.ID, now)
		}
	case *wx.LoginEvent:
		e.selfNames = map[string]bool{ev.Self.NickName: true}
		if ev.Self.DisplayName != "" {
			e.selfNames[ev.Self.DisplayName] = true
		}
	}
	for _, r := range e.rulesFor(v.kind, v.isMessage) {
		if r.script.disabled || r.script.closed {
			continue // disabled by an earlier rule of this very event
		}
		captures, ok := e.match(r, v, now)
		if !ok {
			continue
		}
		if r.cooldown > 0 {
			e.startCooldown(r, v.chat.ID, now)
		}
		stop := e.callRule(r, v, captures)
		if stop || r.block {
			return
		}
	}
}

// match applies a rule's filters, cheapest first, and returns the pattern's captures.
func (e *Engine) match(r *rule, v *view, now time.Time) ([]string, bool) {
	if v.msg != nil && v.msg.IsSelf && !r.self && v.msg.Kind != wx.KindOwnerActive {
		return nil, false
	}
	if r.private && v.chat.IsGroup {
		return nil, false
	}
	if r.groupsOnly && !v.chat.IsGroup {
		return nil, false
	}
	if r.groupNames != nil && !(v.chat.IsGroup && peerIn(r.groupNames, v.chat)) {
		return nil, false
	}
	if r.chats != nil && !peerIn(r.chats, v.chat) {
		return nil, false
	}
	if r.from != nil && !peerIn(r.from, v.sender) {
		return nil, false
	}
	if r.cooldown > 0 {
		if last, ok := e.cooldowns[cooldownKey{r, v.chat.ID}]; ok && now.Sub(last) < r.cooldown {
			return nil, false
		}
	}
	if r.unlessIdle > 0 && e.owner.active(v.chat.ID, r.unlessIdle, now) {
		return nil, false
	}
	if r.method == "on" {
		return nil, true
	}
	text := v.msg.Text
	if r.method == "respond" {
		if v.chat.IsGroup && !v.msg.Mentioned {
			return nil, false
		}
		text = e.respondText(v)
	}
	if r.pattern != nil {
		loc := r.pattern.FindStringSubmatchIndex(text)
		if loc == nil {
			return nil, false
		}
		captures := make([]string, len(loc)/2)
		for i := range captures {
			if loc[2*i] >= 0 {
				captures[i] = text[loc[2*i]:loc[2*i+1]]
			}
		}
		return captures, true
	}
	for _, kw := range r.keywords {
		if strings.Contains(text, kw) {
			return []string{kw}, true
		}
	}
	return nil, false
}

// peerIn reports whether any of the names a peer goes by is in the set.
func peerIn(set map[string]bool, p wx.Peer) bool {
	return set[p.ID] || set[p.Name()] || set[p.NickName] || set[p.RemarkName] ||
		set[p.DisplayName] || set[p.Alias] || (p.RawID != "" && set[p.RawID])
}

func (e *Engine) startCooldown(r *rule, chatID string, now time.Time) {
	if len(e.cooldowns) > 10000 {
		for k, at := range e.cooldowns {
			if now.Sub(at) >= k.rule.cooldown {
				delete(e.cooldowns, k)
			}
		}
	}
	e.cooldowns[cooldownKey{r, chatID}] = now
}

// respondText is the message text without the @-mention of the bot, for bot.respond.
func (e *Engine) respondText(v *view) string {
	if v.respondText != nil {
		return *v.respondText
	}
	text := v.msg.Text
	if v.msg.Mentioned && v.chat.IsGroup {
		text = stripMention(text, e.selfMention(v))
	}
	text = strings.TrimSpace(text)
	v.respondText = &text
	return text
}

// selfMention picks which of the message's mentions names the bot: the only one, else one
// that is a known name of the bot in that group, else the first.
func (e *Engine) selfMention(v *view) string {
	mentions := v.msg.Mentions
	switch len(mentions) {
	case 0:
		return ""
	case 1:
		return mentions[0]
	}
	for _, name := range mentions {
		if e.selfNames[name] {
			return name
		}
	}
	if e.opts.Contacts != nil {
		ctx, cancel := context.WithTimeout(e.baseCtx, e.opts.HandlerTimeout)
		members, err := e.opts.Contacts.Members(ctx, v.chat.ID)
		cancel()
		if err == nil {
			for _, m := range members {
				if !m.IsSelf {
					continue
				}
				for _, name := range mentions {
					if name == m.DisplayName || name == m.NickName {
						return name
					}
				}
			}
		}
	}
	return mentions[0]
}

// stripMention removes "@name" and the separator WeChat puts after it (U+2005 or a space).
func stripMention(text, name string) string {
	if name == "" {
		return text
	}
	at := "@" + name
	i := strings.Index(text, at)
	if i < 0 {
		return text
	}
	rest := strings.TrimLeft(text[i+len(at):], " \u2005\u00a0\t")
	return text[:i] + rest
}
