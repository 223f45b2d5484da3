package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	lua "github.com/yuin/gopher-lua"

	"qunguan/wx"
)

// luaCtx is the context for I/O done on behalf of the running Lua code: the handler's
// deadline context while a handler runs.
func (e *Engine) luaCtx(L *lua.LState) context.Context {
	if ctx := L.Context(); ctx != nil {
		return ctx
	}
	return e.baseCtx
}

// result pushes the convention of every action: true on success, nil and a message on
// failure. Wrong argument types raise instead: they are bugs, not conditions to handle.
func result(L *lua.LState, call string, err error) int {
	if err != nil {
		L.Push(lua.LNil)
		L.Push(lua.LString(call + ": " + err.Error()))
		return 2
	}
	L.Push(lua.LTrue)
	return 1
}

func failed(L *lua.LState, call string, err error) int {
	L.Push(lua.LNil)
	L.Push(lua.LString(call + ": " + err.Error()))
	return 2
}

// botModule builds require("bot") for one script.
func (e *Engine) botModule(L *lua.LState, s *script) *lua.LTable {
	bot := L.NewTable()
	set := func(t *lua.LTable, name string, f lua.LGFunction) { t.RawSetString(name, L.NewFunction(f)) }

	set(bot, "hear", func(L *lua.LState) int { return e.registerRule(L, s, "hear") })
	set(bot, "respond", func(L *lua.LState) int { return e.registerRule(L, s, "respond") })
	set(bot, "on", func(L *lua.LState) int { return e.registerRule(L, s, "on") })
	for _, kind := range []string{"every", "cron", "at", "after"} {
		set(bot, kind, func(L *lua.LState) int { return e.registerSchedule(L, s, kind) })
	}

	send := func(call string, build func(L *lua.LState, out *Outgoing)) lua.LGFunction {
		return func(L *lua.LState) int {
			target := L.Get(1)
			out := Outgoing{Script: s.name}
			build(L, &out)
			ctx := e.luaCtx(L)
			chat, err := e.resolvePeer(ctx, target, "chat")
			if err != nil {
				return failed(L, call, err)
			}
			out.ChatID = chat.ID
			return result(L, call, e.opts.Sender.Send(ctx, out))
		}
	}
	set(bot, "send", send("bot.send", func(L *lua.LState, out *Outgoing) { out.Text = L.CheckString(2) }))
	set(bot, "send_image", send("bot.send_image", func(L *lua.LState, out *Outgoing) { out.ImagePath = e.filePath(L.CheckString(2)) }))
	set(bot, "send_file", send("bot.send_file", func(L *lua.LState, out *Outgoing) { out.FilePath = e.filePath(L.CheckString(2)) }))

	set(bot, "accept_friend", func(L *lua.LState) int {
		m, ok := eventOf(L, L.Get(1)).(*wx.Message)
		if !ok || m.FriendRequest == nil {
			L.ArgError(1, "bot.accept_friend needs the friend_request event passed to the handler")
		}
		remark := ""
		if opts := L.OptTable(2, nil); opts != nil {
			remark = lua.LVAsString(opts.RawGetString("remark"))
		}
		return result(L, "bot.accept_friend", e.opts.Sender.AcceptFriend(e.luaCtx(L), *m.FriendRequest, remark))
	})
	set(bot, "set_remark", func(L *lua.LState) int {
		remark := L.CheckString(2)
		ctx := e.luaCtx(L)
		who, err := e.resolvePeer(ctx, L.Get(1), "contact")
		if err != nil {
			return failed(L, "bot.set_remark", err)
		}
		return result(L, "bot.set_remark", e.opts.Sender.SetRemark(ctx, who.ID, remark))
	})

	group := L.NewTable()
	bot.RawSetString("group", group)
	set(group, "kick", func(L *lua.LState) int {
		ctx := e.luaCtx(L)
		g, err := e.resolvePeer(ctx, L.Get(1), "group")
		if err != nil {
			return failed(L, "bot.group.kick", err)
		}
		ids, err := e.resolveMembers(ctx, g, L.Get(2))
		if err != nil {
			return failed(L, "bot.group.kick", err)
		}
		return result(L, "bot.group.kick", e.opts.Sender.Kick(ctx, g.ID, ids))
	})
	set(group, "invite", func(L *lua.LState) int {
		ctx := e.luaCtx(L)
		g, err := e.resolvePeer(ctx, L.Get(1), "group")
		if err != nil {
			return failed(L, "bot.group.invite", err)
		}
		var ids []string
		for _, item := range listOf(L.Get(2)) {
			p, err := e.resolvePeer(ctx, item, "contact")
			if err != nil {
				return failed(L, "bot.group.invite", err)
			}
			ids = append(ids, p.ID)
		}
		return result(L, "bot.group.invite", e.opts.Sender.Invite(ctx, g.ID, ids))
	})
	set(group, "rename", func(L *lua.LState) int {
		name := L.CheckString(2)
		ctx := e.luaCtx(L)
		g, err := e.resolvePeer(ctx, L.Get(1), "group")
		if err != nil {
			return failed(L, "bot.group.rename", err)
		}
		return result(L, "bot.group.rename", e.opts.Sender.RenameGroup(ctx, g.ID, name))
	})

	set(bot, "contacts", func(L *lua.LState) int {
		if e.opts.Contacts == nil {
			return failed(L, "bot.contacts", ErrUnsupported)
		}
		peers, err := e.opts.Contacts.Contacts(e.luaCtx(L))
		if err != nil {
			return failed(L, "bot.contacts", err)
		}
		L.Push(peersTable(L, peers))
		return 1
	})
	set(bot, "find", func(L *lua.LState) int {
		p, err := e.resolvePeer(e.luaCtx(L), lua.LString(L.CheckString(1)), "contact")
		if errors.Is(err, ErrNotFound) {
			L.Push(lua.LNil)
			return 1
		}
		if err != nil {
			return failed(L, "bot.find", err)
		}
		L.Push(peerTable(p))
		return 1
	})
	set(bot, "members", func(L *lua.LState) int {
		if e.opts.Contacts == nil {
			return failed(L, "bot.members", ErrUnsupported)
		}
		ctx := e.luaCtx(L)
		g, err := e.resolvePeer(ctx, L.Get(1), "group")
		if err != nil {
			return failed(L, "bot.members", err)
		}
		members, err := e.opts.Contacts.Members(ctx, g.ID)
		if err != nil {
			return failed(L, "bot.members", err)
		}
		L.Push(peersTable(L, members))
		return 1
	})
	set(bot, "owner_active", func(L *lua.LState) int {
		within := 2 * time.Minute
		if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
			d, err := luaDuration(L.Get(2))
			if err != nil {
				L.ArgError(2, err.Error())
			}
			within = d
		}
		chatID := ""
		if L.Get(1) != lua.LNil {
			p, err := e.resolvePeer(e.luaCtx(L), L.Get(1), "chat")
			if err != nil {
				return failed(L, "bot.owner_active", err)
			}
			chatID = p.ID
		}
		L.Push(lua.LBool(e.owner.active(chatID, within, e.clock.Now())))
		return 1
	})

	bot.RawSetString("store", e.storeModule(L, s))
	bot.RawSetString("db", e.dbModule(L))
	bot.RawSetString("http", e.httpModule(L))

	set(bot, "sleep", func(L *lua.LState) int {
		d, err := luaDuration(L.Get(1))
		if err != nil {
			L.ArgError(1, err.Error())
		}
		act := e.suspend(L, "bot.sleep")
		act.timer = e.clock.AfterFunc(d, func() { e.post(func() { e.wake(act, nil) }) })
		return L.Yield()
	})

	logTable := L.NewTable()
	bot.RawSetString("log", logTable)
	for _, level := range []logrus.Level{logrus.DebugLevel, logrus.InfoLevel, logrus.WarnLevel, logrus.ErrorLevel} {
		name := level.String()
		if level == logrus.WarnLevel {
			name = "warn"
		}
		set(logTable, name, func(L *lua.LState) int {
			msg := L.CheckString(1)
			fields := logrus.Fields{}
			if t, ok := L.Get(2).(*lua.LTable); ok {
				t.ForEach(func(k, v lua.LValue) {
					if v, err := fromLua(v, 0); err == nil {
						fields[lua.LVAsString(k)] = v
					}
				})
			}
			fields["script"] = s.name
			e.log.WithFields(fields).Log(level, msg)
			return 0
		})
	}

	bot.RawSetString("config", toLua(L, e.scriptConfig(s.name)))
	if bot.RawGetString("config") == lua.LNil {
		bot.RawSetString("config", L.NewTable())
	}
	return bot
}

// eventMethods is the __index of event tables: msg:reply.
func (e *Engine) eventMethods(L *lua.LState, s *script) *lua.LTable {
	methods := L.NewTable()
	methods.RawSetString("reply", L.NewFunction(func(L *lua.LState) int {
		ev := eventOf(L, L.Get(1))
		if ev == nil {
			L.RaiseError("msg:reply: call it with a colon, on the message the handler received: msg:reply(text)")
		}
		text := L.CheckString(2)
		v := newView(ev)
		if v.chat.ID == "" {
			return failed(L, "msg:reply", errors.New("this event has no chat to reply to"))
		}
		out := Outgoing{ChatID: v.chat.ID, Text: text, Script: s.name}
		if opts := L.OptTable(3, nil); opts != nil && lua.LVAsBool(opts.RawGetString("at")) && v.chat.IsGroup && v.sender.ID != "" {
			out.AtIDs = []string{v.sender.ID}
		}
		return result(L, "msg:reply", e.opts.Sender.Send(e.luaCtx(L), out))
	}))
	return methods
}

// filePath resolves a relative path against the scripts directory.
func (e *Engine) filePath(path string) string {
	if e.opts.Dir == "" || strings.HasPrefix(path, "/") {
		return path
	}
	return e.opts.Dir + "/" + path
}

// resolvePeer turns what a script passed (a stable id, a name or remark, or a table with an
// id such as msg.chat) into a peer.
func (e *Engine) resolvePeer(ctx context.Context, v lua.LValue, what string) (wx.Peer, error) {
	var name string
	switch v := v.(type) {
	case *lua.LTable:
		if id := lua.LVAsString(v.RawGetString("id")); id != "" {
			return wx.Peer{ID: id, NickName: lua.LVAsString(v.RawGetString("name")), IsGroup: lua.LVAsBool(v.RawGetString("is_group"))}, nil
		}
		if chat, ok := v.RawGetString("chat").(*lua.LTable); ok {
			return e.resolvePeer(ctx, chat, what)
		}
		return wx.Peer{}, fmt.Errorf("the %s table has no id", what)
	case lua.LString:
		name = string(v)
	default:
		return wx.Peer{}, fmt.Errorf("a %s must be a name, a stable id or a table with an id, not %s", what, v.Type())
	}
	if e.opts.Contacts == nil {
		return wx.Peer{ID: name}, nil
	}
	peers, err := e.opts.Contacts.Find(ctx, name)
	if err != nil {
		return wx.Peer{}, fmt.Errorf("find %s %q: %w", what, name, err)
	}
	switch len(peers) {
	case 0:
		return wx.Peer{}, fmt.Errorf("no %s named %q: %w", what, name, ErrNotFound)
	case 1:
		return peers[0], nil
	}
	for _, p := range peers {
		if p.ID == name {
			return p, nil
		}
	}
	ids := make([]string, len(peers))
	for i, p := range peers {
		ids[i] = p.ID
	}
	return wx.Peer{}, fmt.Errorf("%d contacts are named %q (use a stable id: %s): %w", len(peers), name, strings.Join(ids, ", "), ErrAmbiguous)
}

// resolveMembers finds group members by id, group display name, nickname or remark.
func (e *Engine) resolveMembers(ctx context.Context, group wx.Peer, v lua.LValue) ([]string, error) {
	items := listOf(v)
	if len(items) == 0 {
		return nil, errors.New("no member given")
	}
	var members []wx.Peer
	var ids []string
	for _, item := range items {
		if t, ok := item.(*lua.LTable); ok {
			if id := lua.LVAsString(t.RawGetString("id")); id != "" {
				ids = append(ids, id)
				continue
			}
		}
		name := lua.LVAsString(item)
		if name == "" {
			return nil, fmt.Errorf("a member must be a name or a table with an id, not %s", item.Type())
		}
		if members == nil {
			if e.opts.Contacts == nil {
				ids = append(ids, name)
				continue
			}
			var err error
			if members, err = e.opts.Contacts.Members(ctx, group.ID); err != nil {
				return nil, fmt.Errorf("list members: %w", err)
			}
		}
		set := map[string]bool{name: true}
		found := ""
		for _, m := range members {
			if peerIn(set, m) {
				found = m.ID
				break
			}
		}
		if found == "" {
			return nil, fmt.Errorf("no member named %q in the group: %w", name, ErrNotFound)
		}
		ids = append(ids, found)
	}
	return ids, nil
}

// listOf accepts one value or a list (a table without an id).
func listOf(v lua.LValue) []lua.LValue {
	t, ok := v.(*lua.LTable)
	if !ok || t.RawGetString("id") != lua.LNil {
		if v == lua.LNil {
			return nil
		}
		return []lua.LValue{v}
	}
	var items []lua.LValue
	for i := 1; i <= t.Len(); i++ {
		items = append(items, t.RawGetInt(i))
	}
	return items
}

func peersTable(L *lua.LState, peers []wx.Peer) *lua.LTable {
	t := L.CreateTable(len(peers), 0)
	for i, p := range peers {
		t.RawSetInt(i+1, peerTable(p))
	}
	return t
}

// storeModule is bot.store: values are kept as JSON, so tables and numbers come back as
// they went in.
func (e *Engine) storeModule(L *lua.LState, s *script) *lua.LTable {
	store := L.NewTable()
	ttlArg := func(L *lua.LState, n int) time.Duration {
		if L.Get(n) == lua.LNil {
			return 0
		}
		d, err := luaDuration(L.Get(n))
		if err != nil {
			L.ArgError(n, err.Error())
		}
		return d
	}
	store.RawSetString("get", L.NewFunction(func(L *lua.LState) int {
		key := L.CheckString(1)
		value, ok, err := e.kv.Get(e.luaCtx(L), s.name, key)
		if err != nil {
			return failed(L, "bot.store.get", err)
		}
		if !ok {
			L.Push(lua.LNil)
			return 1
		}
		var decoded any
		if err := json.Unmarshal([]byte(value), &decoded); err != nil {
			L.Push(lua.LString(value))
			return 1
		}
		L.Push(jsonToLua(L, decoded))
		return 1
	}))
	store.RawSetString("set", L.NewFunction(func(L *lua.LState) int {
		key := L.CheckString(1)
		value, err := fromLua(L.Get(2), 0)
		if err != nil {
			L.ArgError(2, err.Error())
		}
		ttl := ttlArg(L, 3)
		if value == nil {
			return result(L, "bot.store.set", e.kv.Delete(e.luaCtx(L), s.name, key))
		}
		encoded, err := json.Marshal(value)
		if err != nil {
			L.ArgError(2, err.Error())
		}
		return result(L, "bot.store.set", e.kv.Set(e.luaCtx(L), s.name, key, string(encoded), ttl))
	}))
	store.RawSetString("incr", L.NewFunction(func(L *lua.LState) int {
		key := L.CheckString(1)
		delta := int64(L.OptNumber(2, 1))
		n, err := e.kv.Incr(e.luaCtx(L), s.name, key, delta, ttlArg(L, 3))
		if err != nil {
			return failed(L, "bot.store.incr", err)
		}
		L.Push(lua.LNumber(n))
		return 1
	}))
	store.RawSetString("del", L.NewFunction(func(L *lua.LState) int {
		return result(L, "bot.store.del", e.kv.Delete(e.luaCtx(L), s.name, L.CheckString(1)))
	}))
	return store
}

// dbModule is bot.db: read-only access to the log through History.
func (e *Engine) dbModule(L *lua.LState) *lua.LTable {
	db := L.NewTable()
	db.RawSetString("search", L.NewFunction(func(L *lua.LState) int {
		q := L.CheckString(1)
		if e.opts.History == nil {
			return failed(L, "bot.db.search", ErrUnsupported)
		}
		ctx := e.luaCtx(L)
		var opts SearchOptions
		if t := L.OptTable(2, nil); t != nil {
			if chat := t.RawGetString("chat"); chat != lua.LNil {
				p, err := e.resolvePeer(ctx, chat, "chat")
				if err != nil {
					return failed(L, "bot.db.search", err)
				}
				opts.ChatID = p.ID
			}
			switch since := t.RawGetString("since").(type) {
			case lua.LNumber:
				opts.Since = time.Unix(int64(since), 0)
			case lua.LString:
				d, err := parseDuration(string(since))
				if err != nil {
					L.ArgError(2, "since: "+err.Error())
				}
				opts.Since = e.clock.Now().Add(-d)
			}
			if limit, ok := t.RawGetString("limit").(lua.LNumber); ok {
				opts.Limit = int(limit)
			}
		}
		msgs, err := e.opts.History.Search(ctx, q, opts)
		if err != nil {
			return failed(L, "bot.db.search", err)
		}
		out := L.CreateTable(len(msgs), 0)
		for i, m := range msgs {
			out.RawSetInt(i+1, loggedMessageTable(m))
		}
		L.Push(out)
		return 1
	}))
	db.RawSetString("query", L.NewFunction(func(L *lua.LState) int {
		sql := L.CheckString(1)
		if e.opts.History == nil {
			return failed(L, "bot.db.query", ErrUnsupported)
		}
		var args []any
		for i := 2; i <= L.GetTop(); i++ {
			v, err := fromLua(L.Get(i), 0)
			if err != nil {
				L.ArgError(i, err.Error())
			}
			args = append(args, v)
		}
		rows, err := e.opts.History.Query(e.luaCtx(L), sql, args...)
		if err != nil {
			return failed(L, "bot.db.query", err)
		}
		L.Push(toLua(L, rows))
		return 1
	}))
	return db
}

// scriptConfig is the script's config section over Options.ConfigDefaults.
func (e *Engine) scriptConfig(name string) map[string]any {
	section := e.opts.Config[name]
	if len(e.opts.ConfigDefaults) == 0 {
		return section
	}
	merged := make(map[string]any, len(section)+len(e.opts.ConfigDefaults))
	for k, v := range e.opts.ConfigDefaults {
		merged[k] = v
	}
	for k, v := range section {
		merged[k] = v
	}
	return merged
}
