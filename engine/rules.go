package engine

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"qunguan/wx"
)

// Kinds that are not message kinds: the wx event types other than *wx.Message.
const (
	KindAnyMessage = "message" // bot.on("message"): every message of any kind
	KindLogin      = "login"
	KindLogout     = "logout"
)

// messageKinds are the wx.Message kinds scripts can name.
var messageKinds = []wx.Kind{
	wx.KindText, wx.KindImage, wx.KindVoice, wx.KindVideo, wx.KindEmoticon, wx.KindCard,
	wx.KindLocation, wx.KindLink, wx.KindFile, wx.KindMiniProgram, wx.KindHistory,
	wx.KindRedPacket, wx.KindTransfer, wx.KindRecall, wx.KindSystem, wx.KindJoin, wx.KindLeave,
	wx.KindRename, wx.KindFriendRequest, wx.KindOwnerActive, wx.KindUnknown,
}

// eventKinds are the names bot.on accepts besides message kinds.
var eventKinds = []string{
	KindAnyMessage, KindLogin, KindLogout,
	memberKind(wx.MemberJoined), memberKind(wx.MemberLeft), memberKind(wx.MemberDisplayNameChanged),
	contactKind(wx.ContactAdded), contactKind(wx.ContactUpdated), contactKind(wx.ContactRemoved), contactKind(wx.GroupRenamed),
}

func memberKind(c wx.MemberChange) string   { return "member_" + string(c) }
func contactKind(c wx.ContactChange) string { return "contact_" + string(c) }

func isMessageKind(kind string) bool {
	for _, k := range messageKinds {
		if string(k) == kind {
			return true
		}
	}
	return false
}

func validKind(kind string) bool {
	if isMessageKind(kind) {
		return true
	}
	for _, k := range eventKinds {
		if k == kind {
			return true
		}
	}
	return false
}

func allKinds() string {
	names := make([]string, 0, len(messageKinds)+len(eventKinds))
	for _, k := range eventKinds {
		names = append(names, k)
	}
	for _, k := range messageKinds {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ")
}

// rule is one bot.hear / bot.respond / bot.on registration.
type rule struct {
	script *script
	seq    int    // registration order within the script
	method string // hear, respond, on
	kind   string
	fn     *lua.LFunction

	pattern  *regexp.Regexp // hear/respond with a pattern
	keywords []string       // hear/respond with a keyword list

	chats      map[string]bool
	groupsOnly bool
	groupNames map[string]bool
	private    bool
	from       map[string]bool
	self       bool
	priority   int
	block      bool
	cooldown   time.Duration
	unlessIdle time.Duration // unless_owner_active

	info RuleInfo
}

// RuleInfo describes a rule for `qunguan scripts list`.
type RuleInfo struct {
	Script            string
	Line              int
	Name              string // opts.name, else "method pattern"
	Method            string // hear, respond, on
	Kind              string
	Pattern           string // RE2 source; "" for keyword lists and bot.on
	Keywords          []string
	Chats             []string
	Groups            bool     // groups = true
	GroupNames        []string // groups = {…}
	Private           bool
	From              []string
	Self              bool
	Priority          int
	Block             bool
	Cooldown          time.Duration
	UnlessOwnerActive time.Duration
}

// ruleOptions are the keys bot.hear/respond/on accept in opts.
var ruleOptions = []string{"chats", "groups", "private", "from", "self", "priority", "block", "cooldown", "unless_owner_active", "name"}

// registerRule implements bot.hear, bot.respond and bot.on.
func (e *Engine) registerRule(L *lua.LState, s *script, method string) int {
	call := "bot." + method
	if !s.loading {
		L.RaiseError("%s: rules can only be registered when the script loads (at top level), not from a handler", call)
	}
	r := &rule{script: s, seq: len(s.rules), method: method, kind: string(wx.KindText)}
	r.info = RuleInfo{Script: s.name, Line: callerLine(L), Method: method}
	first := L.Get(1)
	switch method {
	case "on":
		kind, ok := first.(lua.LString)
		if !ok || !validKind(string(kind)) {
			L.RaiseError("%s: unknown kind %s; use one of: %s", call, luaQuote(first), allKinds())
		}
		r.kind = string(kind)
		r.info.Name = "on " + r.kind
	default:
		switch p := first.(type) {
		case lua.LString:
			re, err := regexp.Compile(string(p))
			if err != nil {
				L.RaiseError("%s: invalid pattern %q: %s", call, string(p), strings.TrimPrefix(err.Error(), "error parsing regexp: "))
			}
			r.pattern = re
			r.info.Pattern = string(p)
			r.info.Name = method + " " + string(p)
		case *lua.LTable:
			r.keywords = stringList(L, call+": keyword list", p)
			if len(r.keywords) == 0 {
				L.RaiseError("%s: the keyword list is empty", call)
			}
			r.info.Keywords = r.keywords
			r.info.Name = method + " {" + strings.Join(r.keywords, ",") + "}"
		default:
			L.RaiseError("%s: the first argument must be an RE2 pattern (string) or a list of keywords, not %s", call, first.Type())
		}
	}
	r.info.Kind = r.kind
	fn, ok := L.Get(2).(*lua.LFunction)
	if !ok {
		L.RaiseError("%s: the second argument must be the handler function, not %s", call, L.Get(2).Type())
	}
	r.fn = fn
	if opts, ok := L.Get(3).(*lua.LTable); ok {
		parseRuleOptions(L, call, r, opts)
	} else if L.Get(3) != lua.LNil {
		L.RaiseError("%s: the third argument must be an options table, not %s", call, L.Get(3).Type())
	}
	s.rules = append(s.rules, r)
	return 0
}

func parseRuleOptions(L *lua.LState, call string, r *rule, opts *lua.LTable) {
	opts.ForEach(func(k, v lua.LValue) {
		key, _ := k.(lua.LString)
		where := fmt.Sprintf("%s: option %s", call, string(key))
		switch string(key) {
		case "chats":
			r.info.Chats = stringList(L, where, v)
			r.chats = toSet(r.info.Chats)
		case "groups":
			if b, ok := v.(lua.LBool); ok {
				r.groupsOnly = bool(b)
				r.info.Groups = bool(b)
			} else {
				r.info.GroupNames = stringList(L, where, v)
				r.groupNames = toSet(r.info.GroupNames)
			}
		case "private":
			r.private = boolOption(L, where, v)
			r.info.Private = r.private
		case "from":
			r.info.From = stringList(L, where, v)
			r.from = toSet(r.info.From)
		case "self":
			r.self = boolOption(L, where, v)
			r.info.Self = r.self
		case "priority":
			n, ok := v.(lua.LNumber)
			if !ok {
				L.RaiseError("%s must be a number, not %s", where, v.Type())
			}
			r.priority = int(n)
			r.info.Priority = r.priority
		case "block":
			r.block = boolOption(L, where, v)
			r.info.Block = r.block
		case "cooldown":
			r.cooldown = durationOption(L, where, v)
			r.info.Cooldown = r.cooldown
		case "unless_owner_active":
			r.unlessIdle = durationOption(L, where, v)
			r.info.UnlessOwnerActive = r.unlessIdle
		case "name":
			name, ok := v.(lua.LString)
			if !ok {
				L.RaiseError("%s must be a string", where)
			}
			r.info.Name = string(name)
		default:
			L.RaiseError("%s: unknown option %s%s (options: %s)", call, luaQuote(k), suggest(string(key), ruleOptions), strings.Join(ruleOptions, ", "))
		}
	})
	if r.private && (r.groupsOnly || r.groupNames != nil) {
		L.RaiseError("%s: private = true and groups exclude each other: the rule could never match", call)
	}
}

// suggest returns ` (did you mean "x"?)` for a near miss.
func suggest(key string, known []string) string {
	for _, k := range known {
		if strings.HasPrefix(k, key) || strings.HasPrefix(key, k) || strings.TrimSuffix(key, "s") == strings.TrimSuffix(k, "s") {
			return fmt.Sprintf(" (did you mean %q?)", k)
		}
	}
	return ""
}

func luaQuote(v lua.LValue) string {
	if s, ok := v.(lua.LString); ok {
		return strconv.Quote(string(s))
	}
	return v.String()
}

func boolOption(L *lua.LState, where string, v lua.LValue) bool {
	b, ok := v.(lua.LBool)
	if !ok {
		L.RaiseError("%s must be true or false, not %s", where, v.Type())
	}
	return bool(b)
}

func durationOption(L *lua.LState, where string, v lua.LValue) time.Duration {
	d, err := luaDuration(v)
	if err != nil {
		L.RaiseError("%s: %s", where, err)
	}
	return d
}

// stringList accepts a string or a list of strings.
func stringList(L *lua.LState, where string, v lua.LValue) []string {
	switch v := v.(type) {
	case lua.LString:
		return []string{string(v)}
	case *lua.LTable:
		var out []string
		n := v.Len()
		for i := 1; i <= n; i++ {
			item, ok := v.RawGetInt(i).(lua.LString)
			if !ok {
				L.RaiseError("%s: item %d must be a string, not %s", where, i, v.RawGetInt(i).Type())
			}
			out = append(out, string(item))
		}
		return out
	}
	L.RaiseError("%s must be a string or a list of strings, not %s", where, v.Type())
	return nil
}

func toSet(items []string) map[string]bool {
	set := make(map[string]bool, len(items))
	for _, item := range items {
		set[item] = true
	}
	return set
}

// callerLine is the line of the Lua code calling the current Go function.
func callerLine(L *lua.LState) int {
	line, _ := splitLuaError(L.Where(1))
	return line
}

// luaDuration reads "2m", "1h30m", "1d" or a number of seconds.
func luaDuration(v lua.LValue) (time.Duration, error) {
	switch v := v.(type) {
	case lua.LNumber:
		if v < 0 {
			return 0, fmt.Errorf("duration %v is negative", v)
		}
		return time.Duration(float64(v) * float64(time.Second)), nil
	case lua.LString:
		return parseDuration(string(v))
	}
	return 0, fmt.Errorf("a duration must be a string like \"2m\" or a number of seconds, not %s", v.Type())
}

func parseDuration(text string) (time.Duration, error) {
	text = strings.TrimSpace(text)
	if days, ok := strings.CutSuffix(text, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err == nil && n >= 0 {
			return time.Duration(n * float64(24*time.Hour)), nil
		}
	}
	d, err := time.ParseDuration(text)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (write it like \"30s\", \"10m\", \"1h30m\" or \"2d\")", text)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q is negative", text)
	}
	return d, nil
}

// rebuildRules orders every live rule and clears the per-kind index.
func (e *Engine) rebuildRules() {
	e.rules = e.rules[:0]
	for i, s := range e.scripts {
		s.order = i
		if s.closed || s.disabled {
			continue
		}
		e.rules = append(e.rules, s.rules...)
	}
	sort.SliceStable(e.rules, func(i, j int) bool {
		a, b := e.rules[i], e.rules[j]
		if a.priority != b.priority {
			return a.priority > b.priority
		}
		if a.script.order != b.script.order {
			return a.script.order < b.script.order
		}
		return a.seq < b.seq
	})
	e.byKind = make(map[string][]*rule)
	e.publishStatus()
}

// rulesFor returns, in order, the rules that can see an event of this kind.
func (e *Engine) rulesFor(kind string, isMessage bool) []*rule {
	if rules, ok := e.byKind[kind]; ok {
		return rules
	}
	var rules []*rule
	for _, r := range e.rules {
		if r.kind == kind || (isMessage && r.kind == KindAnyMessage) {
			rules = append(rules, r)
		}
	}
	e.byKind[kind] = rules
	return rules
}
