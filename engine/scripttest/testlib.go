package scripttest

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"qunguan/engine"
	"qunguan/wx"
)

// newTestVM is the LState that runs a _test.lua file: the safe standard libraries and
// require("test"). The script under test runs in its own engine, not here.
func newTestVM(r *testRun) *lua.LState {
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString}, {lua.MathLibName, lua.OpenMath}} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	for _, name := range []string{"dofile", "loadfile", "load", "loadstring", "module"} {
		L.SetGlobal(name, lua.LNil)
	}
	mod := r.module(L)
	L.SetGlobal("require", L.NewFunction(func(L *lua.LState) int {
		if name := L.CheckString(1); name != "test" {
			L.RaiseError("require %q: test files can only require \"test\"", name)
		}
		L.Push(mod)
		return 1
	}))
	return L
}

var mentionPattern = regexp.MustCompile(`@([^\s\x{2005}@]+)`)

// module builds require("test").
func (r *testRun) module(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	set := func(name string, f lua.LGFunction) { t.RawSetString(name, L.NewFunction(f)) }

	set("test", func(L *lua.LState) int {
		name := L.CheckString(1)
		fn := L.CheckFunction(2)
		r.registered = append(r.registered, namedTest{name: name, fn: fn, line: fn.Proto.LineDefined})
		return 0
	})
	// Declarations: at top level they set the defaults of every test; inside a test they
	// restart the engine with a fresh world for the rest of that test.
	redeclare := func(L *lua.LState) {
		if r.topLevel {
			return
		}
		if err := r.startEngine(r.baseCtx); err != nil {
			L.RaiseError("%s", err)
		}
	}
	set("world", func(L *lua.LState) int {
		r.spec = parseWorld(L, L.CheckTable(1))
		redeclare(L)
		return 0
	})
	set("config", func(L *lua.LState) int {
		cfg, ok := toGo(L.CheckTable(1)).(map[string]any)
		if !ok {
			cfg = map[string]any{}
		}
		r.config = cfg
		redeclare(L)
		return 0
	})
	set("start", func(L *lua.LState) int {
		when, err := time.ParseInLocation("2006-01-02 15:04", L.CheckString(1), r.opts.Location)
		if err != nil {
			L.ArgError(1, `write the time like "2026-01-05 08:00"`)
		}
		r.start = when
		redeclare(L)
		return 0
	})

	set("say", func(L *lua.LState) int {
		m := r.message(L, "t.say", L.CheckString(1), L.CheckString(2), "text")
		m.Text = L.CheckString(3)
		r.deliverText(L, m)
		L.Push(lua.LString(m.MsgID))
		return 1
	})
	set("send", func(L *lua.LState) int {
		spec := L.CheckTable(1)
		chat := lua.LVAsString(spec.RawGetString("chat"))
		from := lua.LVAsString(spec.RawGetString("from"))
		if from == "" {
			from = chat
		}
		m := r.message(L, "t.send", chat, from, "text")
		m.Text = lua.LVAsString(spec.RawGetString("text"))
		r.deliverText(L, m)
		L.Push(lua.LString(m.MsgID))
		return 1
	})
	set("event", func(L *lua.LState) int {
		L.Push(lua.LString(r.event(L, L.CheckTable(1))))
		return 1
	})
	set("owner_active", func(L *lua.LState) int {
		spec := L.NewTable()
		spec.RawSetString("kind", lua.LString("owner_active"))
		if L.GetTop() >= 1 {
			spec.RawSetString("chat", L.Get(1))
		}
		r.event(L, spec)
		return 0
	})
	set("advance", func(L *lua.LState) int {
		d, err := parseDuration(L.Get(1))
		if err != nil {
			L.ArgError(1, err.Error())
		}
		r.check(L, r.needEngine(L).AdvanceClock(r.ctx, d))
		return 0
	})
	set("now", func(L *lua.LState) int {
		r.needEngine(L)
		L.Push(lua.LNumber(r.clock.Now().Unix()))
		return 1
	})

	set("sent", func(L *lua.LState) int {
		r.sync(L)
		sent := r.world.unconsumed()
		r.world.consume(len(sent))
		out := L.CreateTable(len(sent), 0)
		for i, s := range sent {
			out.RawSetInt(i+1, sentTable(L, s))
		}
		L.Push(out)
		return 1
	})
	set("expect_sent", func(L *lua.LState) int {
		r.sync(L)
		want := L.CheckTable(1)
		sent := r.world.unconsumed()
		if len(sent) == 0 {
			L.RaiseError("expected the script to send %s, but it sent nothing%s", describeWant(want), r.errorHint())
		}
		if problem := matchSent(sent[0], want); problem != "" {
			L.RaiseError("expected the script to send %s, but the next message sent was %s (%s)\nunchecked messages:\n%s",
				describeWant(want), describeSent(sent[0]), problem, listSent(sent))
		}
		r.world.consume(1)
		L.Push(sentTable(L, sent[0]))
		return 1
	})
	set("expect_no_sent", func(L *lua.LState) int {
		r.sync(L)
		if sent := r.world.unconsumed(); len(sent) > 0 {
			L.RaiseError("expected no message, but the script sent:\n%s", listSent(sent))
		}
		return 0
	})
	set("actions", func(L *lua.LState) int {
		r.sync(L)
		actions := r.world.takeActions()
		out := L.CreateTable(len(actions), 0)
		for i, a := range actions {
			out.RawSetInt(i+1, actionTable(L, a))
		}
		L.Push(out)
		return 1
	})
	set("expect_action", func(L *lua.LState) int {
		r.sync(L)
		want := L.CheckTable(1)
		actions := r.world.takeActions()
		for _, a := range actions {
			if matchAction(a, want) {
				return 0
			}
		}
		L.RaiseError("expected the action %s, got %s", describeWant(want), fmt.Sprint(actions))
		return 0
	})
	set("expect_error", func(L *lua.LState) int {
		r.sync(L)
		sub := L.CheckString(1)
		r.errMu.Lock()
		defer r.errMu.Unlock()
		for i := r.expected; i < len(r.errs); i++ {
			if strings.Contains(scriptErrorText(r.errs[i]), sub) {
				r.errs[i], r.errs[r.expected] = r.errs[r.expected], r.errs[i]
				r.expected++
				return 0
			}
		}
		L.RaiseError("expected a script error containing %q, got none", sub)
		return 0
	})

	set("eq", func(L *lua.LState) int {
		got, want := L.Get(1), L.Get(2)
		if !deepEqual(got, want) {
			L.RaiseError("%snot equal:\n   got: %s\n  want: %s", label(L, 3), show(got), show(want))
		}
		return 0
	})
	set("ok", func(L *lua.LState) int {
		if !lua.LVAsBool(L.Get(1)) {
			L.RaiseError("%sexpected a true value, got %s", label(L, 2), show(L.Get(1)))
		}
		return 0
	})
	set("contains", func(L *lua.LState) int {
		s, sub := L.CheckString(1), L.CheckString(2)
		if !strings.Contains(s, sub) {
			L.RaiseError("%s%q does not contain %q", label(L, 3), s, sub)
		}
		return 0
	})
	set("fail", func(L *lua.LState) int {
		L.RaiseError("%s", L.OptString(1, "failed"))
		return 0
	})
	return t
}

func label(L *lua.LState, n int) string {
	if s, ok := L.Get(n).(lua.LString); ok {
		return string(s) + ": "
	}
	return ""
}

func (r *testRun) needEngine(L *lua.LState) *engine.Engine {
	if r.eng == nil {
		L.RaiseError("the engine is not running: call this from inside a test function")
	}
	return r.eng
}

func (r *testRun) check(L *lua.LState, err error) {
	if err != nil {
		L.RaiseError("%s", err)
	}
}

func (r *testRun) sync(L *lua.LState) {
	r.check(L, r.needEngine(L).Sync(r.ctx))
}

func (r *testRun) errorHint() string {
	errs := r.unexpectedErrors()
	if len(errs) == 0 {
		return ""
	}
	return " (the script failed: " + strings.Join(errs, "; ") + ")"
}

// message builds a message in chat from someone. chat names a group or a friend; in a
// private chat from may be the friend or the bot's own name (the owner typing).
func (r *testRun) message(L *lua.LState, call, chatName, from string, kind wx.Kind) *wx.Message {
	r.needEngine(L)
	chat, ok := r.world.chat(chatName)
	if !ok {
		L.RaiseError("%s: no chat named %q in the test world (declare it with t.world)", call, chatName)
	}
	var sender wx.Peer
	if chat.IsGroup && from == "" {
		// A notice (red packet, join…): no sender.
	} else if chat.IsGroup {
		if sender, ok = r.world.person(chat.ID, from); !ok {
			L.RaiseError("%s: %q is not a member of %q in the test world", call, from, chatName)
		}
	} else if sender, ok = r.world.person("", from); !ok || (!sender.IsSelf && sender.ID != chat.ID) {
		sender = chat
	}
	return &wx.Message{MsgID: r.world.newMsgID(), Kind: kind, Time: r.clock.Now(), Chat: chat, Sender: sender, IsSelf: sender.IsSelf}
}

func (r *testRun) deliverText(L *lua.LState, m *wx.Message) {
	for _, match := range mentionPattern.FindAllStringSubmatch(m.Text, -1) {
		m.Mentions = append(m.Mentions, match[1])
		if match[1] == r.world.self.NickName {
			m.Mentioned = m.Chat.IsGroup
		}
	}
	r.deliver(L, m)
}

func (r *testRun) deliver(L *lua.LState, ev wx.Event) {
	if m, ok := ev.(*wx.Message); ok {
		r.world.remember(m)
	}
	r.check(L, r.needEngine(L).DispatchSync(r.ctx, []wx.Event{ev}))
	r.check(L, r.eng.Sync(r.ctx))
}

// event delivers t.event{kind=…, chat=…, from=…, …} and returns the message id.
func (r *testRun) event(L *lua.LState, spec *lua.LTable) string {
	field := func(name string) string { return lua.LVAsString(spec.RawGetString(name)) }
	kind := field("kind")
	chatName, from := field("chat"), field("from")
	r.needEngine(L)
	now := r.clock.Now()
	switch kind {
	case "member_joined", "member_left":
		group, ok := r.world.chat(chatName)
		if !ok {
			L.RaiseError("t.event: no group named %q", chatName)
		}
		name := field("member")
		member, ok := r.world.person(group.ID, name)
		if !ok {
			member = wx.Peer{ID: userID(name), NickName: name}
		}
		change := wx.MemberJoined
		if kind == "member_left" {
			change = wx.MemberLeft
		}
		r.deliver(L, &wx.MemberEvent{Change: change, Group: group, Member: member, Time: now})
		return ""
	case "contact_added", "contact_updated", "contact_removed":
		name := field("contact")
		if name == "" {
			L.RaiseError("t.event: %s needs contact = the person's name", kind)
		}
		var contact wx.Peer
		if kind == "contact_added" {
			contact = r.world.addFriend(name, field("remark"))
		} else if p, ok := r.world.person("", name); ok {
			contact = p
		} else {
			L.RaiseError("t.event: no contact named %q in the test world", name)
		}
		change := wx.ContactChange(strings.TrimPrefix(kind, "contact_"))
		r.deliver(L, &wx.ContactEvent{Change: change, Contact: contact, Time: now})
		return ""
	case "login":
		r.deliver(L, &wx.LoginEvent{Self: r.world.self, Method: wx.LoginHot, Time: now})
		return ""
	case "logout":
		r.deliver(L, &wx.LogoutEvent{Code: 1101, Reason: field("reason"), Time: now})
		return ""
	case "friend_request":
		m := &wx.Message{MsgID: r.world.newMsgID(), Kind: wx.KindFriendRequest, Time: now,
			Chat: wx.Peer{ID: "fmessage", NickName: "fmessage", IsSpecial: true}, Text: field("greeting"),
			FriendRequest: &wx.FriendRequest{UserName: "@stranger", Ticket: "v2_test@stranger", NickName: field("nickname"), Greeting: field("greeting")}}
		r.deliver(L, m)
		return m.MsgID
	case "owner_active":
		m := &wx.Message{MsgID: r.world.newMsgID(), Kind: wx.KindOwnerActive, Time: now, IsSelf: true,
			Chat: r.world.self, Sender: r.world.self, OwnerActivity: &wx.OwnerActivity{Code: 2}}
		if chatName != "" {
			chat, ok := r.world.chat(chatName)
			if !ok {
				L.RaiseError("t.owner_active: no chat named %q", chatName)
			}
			m.Chat = chat
		} else {
			// WeChat used on the phone, no particular chat. Not code 4: that is the chat
			// list sent after every login, which the engine rightly ignores.
			m.OwnerActivity.Code = 1
		}
		r.deliver(L, m)
		return m.MsgID
	}
	if kind == "" {
		L.RaiseError("t.event: kind is required")
	}
	if chat, ok := r.world.chat(chatName); ok && !chat.IsGroup && from == "" {
		from = chatName
	}
	m := r.message(L, "t.event", chatName, from, wx.Kind(kind))
	m.Text = field("text")
	m.Amount = field("amount")
	m.URL, m.Title = field("url"), field("title")
	switch wx.Kind(kind) {
	case wx.KindRecall:
		m.Recall = &wx.Recall{OriginalMsgID: field("of"), ReplaceText: fmt.Sprintf("\"%s\" 撤回了一条消息", m.Sender.Name()), By: m.Sender.Name()}
		m.Text = m.Recall.ReplaceText
	case wx.KindJoin:
		var members []string
		if t, ok := spec.RawGetString("members").(*lua.LTable); ok {
			t.ForEach(func(_, v lua.LValue) { members = append(members, lua.LVAsString(v)) })
		}
		m.Notice = &wx.GroupNotice{Kind: wx.NoticeInvite, Actor: field("inviter"), Targets: members}
		m.Sender = wx.Peer{}
	case wx.KindLeave:
		m.Notice = &wx.GroupNotice{Kind: wx.NoticeRemoved, Targets: []string{field("member")}, ActorIsSelf: true}
		m.Sender = wx.Peer{}
	case wx.KindRename:
		m.Notice = &wx.GroupNotice{Kind: wx.NoticeRename, Actor: from, NewName: field("new_name")}
	case wx.KindRedPacket:
		m.Sender = wx.Peer{}
		if m.Text == "" {
			m.Text = "收到红包，请在手机上查看"
		}
	case wx.KindFile:
		if f, ok := spec.RawGetString("file").(*lua.LTable); ok {
			m.File = &wx.File{Name: lua.LVAsString(f.RawGetString("name")), Size: int64(lua.LVAsNumber(f.RawGetString("size")))}
		}
	case wx.KindLocation:
		if l, ok := spec.RawGetString("location").(*lua.LTable); ok {
			m.Location = &wx.Location{Lat: float64(lua.LVAsNumber(l.RawGetString("lat"))), Lng: float64(lua.LVAsNumber(l.RawGetString("lng"))), Label: lua.LVAsString(l.RawGetString("label"))}
		}
	}
	r.deliver(L, m)
	return m.MsgID
}

func parseWorld(L *lua.LState, t *lua.LTable) worldSpec {
	spec := worldSpec{Self: "管家"}
	if self := lua.LVAsString(t.RawGetString("self")); self != "" {
		spec.Self = self
	}
	if friends, ok := t.RawGetString("friends").(*lua.LTable); ok {
		for i := 1; i <= friends.Len(); i++ {
			switch f := friends.RawGetInt(i).(type) {
			case lua.LString:
				spec.Friends = append(spec.Friends, friendSpec{Name: string(f)})
			case *lua.LTable:
				spec.Friends = append(spec.Friends, friendSpec{
					Name: lua.LVAsString(f.RawGetString("name")), Remark: lua.LVAsString(f.RawGetString("remark")),
					Province: lua.LVAsString(f.RawGetString("province")), City: lua.LVAsString(f.RawGetString("city")),
					Signature: lua.LVAsString(f.RawGetString("signature")), Sex: int(lua.LVAsNumber(f.RawGetString("sex"))),
				})
			}
		}
	}
	if official, ok := t.RawGetString("official").(*lua.LTable); ok {
		for i := 1; i <= official.Len(); i++ {
			spec.Official = append(spec.Official, lua.LVAsString(official.RawGetInt(i)))
		}
	}
	if groups, ok := t.RawGetString("groups").(*lua.LTable); ok {
		strings := func(v lua.LValue) []string {
			var out []string
			if t, ok := v.(*lua.LTable); ok {
				for i := 1; i <= t.Len(); i++ {
					out = append(out, lua.LVAsString(t.RawGetInt(i)))
				}
			}
			return out
		}
		groups.ForEach(func(k, v lua.LValue) {
			g := groupSpec{Owner: true}
			if name, ok := k.(lua.LString); ok { // groups = {["群名"] = {"阿杰", …}}
				g.Name, g.Members = string(name), strings(v)
			} else if gt, ok := v.(*lua.LTable); ok { // groups = {{name = "群名", members = {…}, owner = false}}
				g.Name, g.Members = lua.LVAsString(gt.RawGetString("name")), strings(gt.RawGetString("members"))
				if gt.RawGetString("owner") == lua.LFalse {
					g.Owner = false
				}
			}
			spec.Groups = append(spec.Groups, g)
		})
		sort.SliceStable(spec.Groups, func(i, j int) bool { return spec.Groups[i].Name < spec.Groups[j].Name })
	}
	return spec
}

func sentTable(L *lua.LState, s Sent) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("kind", lua.LString(s.Kind))
	t.RawSetString("chat", lua.LString(s.Chat))
	t.RawSetString("chat_id", lua.LString(s.ChatID))
	t.RawSetString("text", lua.LString(s.Text))
	if s.Path != "" {
		t.RawSetString("path", lua.LString(s.Path))
	}
	at := L.NewTable()
	for i, name := range s.At {
		at.RawSetInt(i+1, lua.LString(name))
	}
	t.RawSetString("at", at)
	return t
}

func actionTable(L *lua.LState, a Action) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("op", lua.LString(a.Op))
	t.RawSetString("target", lua.LString(a.Target))
	members := L.NewTable()
	for i, m := range a.Members {
		members.RawSetInt(i+1, lua.LString(m))
	}
	t.RawSetString("members", members)
	t.RawSetString("value", lua.LString(a.Value))
	return t
}

// matchSent checks a sent message against {chat=, text=, contains=, match=, at=, kind=} and
// says what differs.
func matchSent(s Sent, want *lua.LTable) string {
	var problems []string
	want.ForEach(func(k, v lua.LValue) {
		value := lua.LVAsString(v)
		switch lua.LVAsString(k) {
		case "chat":
			if s.Chat != value && s.ChatID != value {
				problems = append(problems, fmt.Sprintf("chat is %q", s.Chat))
			}
		case "text":
			if s.Text != value {
				problems = append(problems, fmt.Sprintf("text is %q", s.Text))
			}
		case "contains":
			if !strings.Contains(s.Text, value) {
				problems = append(problems, fmt.Sprintf("text %q does not contain %q", s.Text, value))
			}
		case "match":
			if re, err := regexp.Compile(value); err != nil || !re.MatchString(s.Text) {
				problems = append(problems, fmt.Sprintf("text %q does not match %q", s.Text, value))
			}
		case "at":
			if !strings.Contains(","+strings.Join(s.At, ",")+",", ","+value+",") {
				problems = append(problems, fmt.Sprintf("@-mentions are %v", s.At))
			}
		case "kind":
			if s.Kind != value {
				problems = append(problems, fmt.Sprintf("kind is %s", s.Kind))
			}
		case "path":
			if !strings.HasSuffix(s.Path, value) {
				problems = append(problems, fmt.Sprintf("path is %q", s.Path))
			}
		default:
			problems = append(problems, fmt.Sprintf("unknown expectation key %q (use chat, text, contains, match, at, kind, path)", lua.LVAsString(k)))
		}
	})
	sort.Strings(problems)
	return strings.Join(problems, "; ")
}

func matchAction(a Action, want *lua.LTable) bool {
	ok := true
	want.ForEach(func(k, v lua.LValue) {
		value := lua.LVAsString(v)
		switch lua.LVAsString(k) {
		case "op":
			ok = ok && a.Op == value
		case "group", "target", "contact":
			ok = ok && a.Target == value
		case "member":
			ok = ok && strings.Contains(","+strings.Join(a.Members, ",")+",", ","+value+",")
		case "value", "name", "remark":
			ok = ok && a.Value == value
		}
	})
	return ok
}

func describeWant(want *lua.LTable) string {
	var parts []string
	want.ForEach(func(k, v lua.LValue) {
		parts = append(parts, fmt.Sprintf("%s=%q", lua.LVAsString(k), lua.LVAsString(v)))
	})
	sort.Strings(parts)
	return "{" + strings.Join(parts, ", ") + "}"
}

func describeSent(s Sent) string {
	d := fmt.Sprintf("%q to %q", s.Text, s.Chat)
	if s.Kind != "text" {
		d = fmt.Sprintf("%s %q to %q", s.Kind, s.Path, s.Chat)
	}
	if len(s.At) > 0 {
		d += fmt.Sprintf(" @%v", s.At)
	}
	return d
}

func listSent(sent []Sent) string {
	lines := make([]string, len(sent))
	for i, s := range sent {
		lines[i] = "  " + describeSent(s)
	}
	return strings.Join(lines, "\n")
}

func parseDuration(v lua.LValue) (time.Duration, error) {
	switch v := v.(type) {
	case lua.LNumber:
		return time.Duration(float64(v) * float64(time.Second)), nil
	case lua.LString:
		text := string(v)
		if days, ok := strings.CutSuffix(text, "d"); ok {
			var n float64
			if _, err := fmt.Sscanf(days, "%g", &n); err == nil {
				return time.Duration(n * float64(24*time.Hour)), nil
			}
		}
		d, err := time.ParseDuration(text)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q (write it like \"30s\", \"5m\", \"2h\" or \"1d\")", text)
		}
		return d, nil
	}
	return 0, fmt.Errorf("a duration must be a string like \"5m\" or a number of seconds")
}

// toGo converts a Lua value for bot.config.
func toGo(v lua.LValue) any {
	switch v := v.(type) {
	case lua.LBool:
		return bool(v)
	case lua.LNumber:
		return float64(v)
	case lua.LString:
		return string(v)
	case *lua.LTable:
		if n := v.Len(); n > 0 {
			items := make([]any, 0, n)
			for i := 1; i <= n; i++ {
				items = append(items, toGo(v.RawGetInt(i)))
			}
			return items
		}
		m := map[string]any{}
		v.ForEach(func(k, val lua.LValue) { m[lua.LVAsString(k)] = toGo(val) })
		return m
	}
	return nil
}

// deepEqual compares Lua values, tables by content.
func deepEqual(a, b lua.LValue) bool {
	ta, okA := a.(*lua.LTable)
	tb, okB := b.(*lua.LTable)
	if !okA || !okB {
		return a == b || (a.Type() == b.Type() && a.String() == b.String() && a.Type() != lua.LTTable && a.Type() != lua.LTFunction)
	}
	equal := true
	count := 0
	ta.ForEach(func(k, v lua.LValue) {
		count++
		if !deepEqual(v, tb.RawGet(k)) {
			equal = false
		}
	})
	tb.ForEach(func(lua.LValue, lua.LValue) { count-- })
	return equal && count == 0
}

// show renders a value for failure messages.
func show(v lua.LValue) string {
	switch v := v.(type) {
	case lua.LString:
		return fmt.Sprintf("%q", string(v))
	case *lua.LTable:
		var parts []string
		n := v.Len()
		for i := 1; i <= n; i++ {
			parts = append(parts, show(v.RawGetInt(i)))
		}
		var keyed []string
		v.ForEach(func(k, val lua.LValue) {
			if num, ok := k.(lua.LNumber); ok && int(num) >= 1 && int(num) <= n && float64(int(num)) == float64(num) {
				return
			}
			keyed = append(keyed, lua.LVAsString(k)+"="+show(val))
		})
		sort.Strings(keyed)
		return "{" + strings.Join(append(parts, keyed...), ", ") + "}"
	}
	return v.String()
}
