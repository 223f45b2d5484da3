package engine

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"time"

	lua "github.com/yuin/gopher-lua"

	"qunguan/wx"
)

// eventKey is where an event table's metatable keeps the Go event, out of the way of scripts.
const eventKey = "__event"

// eventTable builds the table a script's handlers receive for an event, once per script.
func (e *Engine) eventTable(s *script, v *view) *lua.LTable {
	if t, ok := v.tables[s]; ok {
		return t
	}
	t := s.L.CreateTable(0, 12)
	setStr(t, "kind", v.kind)
	mt := s.L.CreateTable(0, 3)
	switch ev := v.ev.(type) {
	case *wx.Message:
		e.fillMessage(s, t, ev)
	case *wx.MemberEvent:
		t.RawSetString("time", timeLV(ev.Time))
		t.RawSetString("chat", chatTable(ev.Group))
		member := peerTable(ev.Member)
		t.RawSetString("sender", member)
		t.RawSetString("member", member)
		setStr(t, "old_display_name", ev.OldDisplayName)
	case *wx.ContactEvent:
		t.RawSetString("time", timeLV(ev.Time))
		t.RawSetString("chat", chatTable(ev.Contact))
		contact := peerTable(ev.Contact)
		t.RawSetString("sender", contact)
		t.RawSetString("contact", contact)
		setStr(t, "old_name", ev.OldName)
		if ev.Change == wx.GroupRenamed {
			setStr(t, "new_name", ev.Contact.NickName)
		}
	case *wx.LoginEvent:
		t.RawSetString("time", timeLV(ev.Time))
		t.RawSetString("self", peerTable(ev.Self))
		setStr(t, "who", ev.Self.Name())
		setStr(t, "method", string(ev.Method))
		t.RawSetString("friends", lua.LNumber(ev.Friends))
		t.RawSetString("groups", lua.LNumber(ev.Groups))
	case *wx.LogoutEvent:
		t.RawSetString("time", timeLV(ev.Time))
		t.RawSetString("code", lua.LNumber(ev.Code))
		setStr(t, "reason", ev.Reason)
		setStr(t, "why", ev.Reason)
	}
	mt.RawSetString("__index", s.eventIndex)
	ud := s.L.NewUserData()
	ud.Value = v.ev
	mt.RawSetString(eventKey, ud)
	s.L.SetMetatable(t, mt)
	if v.tables == nil {
		v.tables = make(map[*script]*lua.LTable, 1)
	}
	v.tables[s] = t
	return t
}

// lazyField builds an event table's chat, sender, mentions or original on first access and
// stores it in the table, so later reads are plain table reads.
func (e *Engine) lazyField(L *lua.LState, t *lua.LTable, m *wx.Message, key string) lua.LValue {
	var v lua.LValue = lua.LNil
	switch key {
	case "chat":
		v = chatTable(m.Chat)
	case "sender":
		v = peerTable(m.Sender)
	case "mentions":
		v = stringsTable(m.Mentions)
	case "original":
		if m.Recall == nil {
			return lua.LNil
		}
		if orig := e.original(L, m.Recall.OriginalMsgID); orig != nil {
			v = orig
		} else {
			v = lua.LFalse // looked up once: not in the log
		}
	default:
		return lua.LNil
	}
	t.RawSetString(key, v)
	if v == lua.LFalse {
		return lua.LNil
	}
	return v
}

// eventOf returns the Go event behind an event table, or nil.
func eventOf(L *lua.LState, v lua.LValue) wx.Event {
	t, ok := v.(*lua.LTable)
	if !ok {
		return nil
	}
	mt, ok := L.GetMetatable(t).(*lua.LTable)
	if !ok {
		return nil
	}
	ud, ok := mt.RawGetString(eventKey).(*lua.LUserData)
	if !ok {
		return nil
	}
	ev, _ := ud.Value.(wx.Event)
	return ev
}

func (e *Engine) fillMessage(s *script, t *lua.LTable, m *wx.Message) {
	// chat, sender, mentions and original are built on first access (lazyField): most
	// handlers read one or two fields, and building tables dominates the cost of a call.
	setStr(t, "id", m.MsgID)
	t.RawSetString("text", lua.LString(m.Text))
	t.RawSetString("time", timeLV(m.Time))
	t.RawSetString("mentioned", lua.LBool(m.Mentioned))
	t.RawSetString("is_self", lua.LBool(m.IsSelf))
	setStr(t, "url", m.URL)
	setStr(t, "title", m.Title)
	setStr(t, "description", m.Description)
	setStr(t, "amount", m.Amount)
	if m.Media != nil {
		media := lua.LTable{}
		media.RawSetString("width", lua.LNumber(m.Media.Width))
		media.RawSetString("height", lua.LNumber(m.Media.Height))
		media.RawSetString("duration_ms", lua.LNumber(m.Media.Duration))
		media.RawSetString("size", lua.LNumber(m.Media.Size))
		t.RawSetString("media", &media)
	}
	if f := m.File; f != nil {
		file := lua.LTable{}
		setStr(&file, "name", f.Name)
		file.RawSetString("size", lua.LNumber(f.Size))
		setStr(&file, "ext", f.Ext)
		t.RawSetString("file", &file)
	}
	if l := m.Location; l != nil {
		loc := lua.LTable{}
		loc.RawSetString("lat", lua.LNumber(l.Lat))
		loc.RawSetString("lng", lua.LNumber(l.Lng))
		setStr(&loc, "label", l.Label)
		t.RawSetString("location", &loc)
	}
	if c := m.Card; c != nil {
		card := lua.LTable{}
		setStr(&card, "nickname", c.NickName)
		setStr(&card, "alias", c.Alias)
		setStr(&card, "province", c.Province)
		setStr(&card, "city", c.City)
		card.RawSetString("sex", lua.LNumber(c.Sex))
		setStr(&card, "raw_id", c.RawID)
		t.RawSetString("card", &card)
	}
	if mp := m.MiniProgram; mp != nil {
		prog := lua.LTable{}
		setStr(&prog, "name", mp.Name)
		setStr(&prog, "app_id", mp.AppID)
		setStr(&prog, "page_path", mp.PagePath)
		t.RawSetString("mini_program", &prog)
	}
	if r := m.Recall; r != nil {
		setStr(t, "recalled_id", r.OriginalMsgID)
		setStr(t, "replace_text", r.ReplaceText)
		setStr(t, "by", r.By)
		t.RawSetString("by_self", lua.LBool(r.BySelf))
	}
	if n := m.Notice; n != nil {
		t.RawSetString("members", stringsTable(n.Targets))
		if len(n.Targets) > 0 {
			setStr(t, "member", n.Targets[0])
		}
		setStr(t, "inviter", n.Actor)
		setStr(t, "actor", n.Actor)
		t.RawSetString("actor_is_self", lua.LBool(n.ActorIsSelf))
		t.RawSetString("via_qr", lua.LBool(n.Kind == wx.NoticeQRJoin))
		setStr(t, "notice", string(n.Kind))
		if n.NewName != "" {
			setStr(t, "new_name", n.NewName)
			if old := m.Chat.NickName; old != n.NewName {
				setStr(t, "old_name", old)
			}
		}
	}
	if fr := m.FriendRequest; fr != nil {
		setStr(t, "greeting", fr.Greeting)
		setStr(t, "nickname", fr.NickName)
		setStr(t, "alias", fr.Alias)
		setStr(t, "province", fr.Province)
		setStr(t, "city", fr.City)
		t.RawSetString("sex", lua.LNumber(fr.Sex))
		setStr(t, "signature", fr.Signature)
		t.RawSetString("scene", lua.LNumber(fr.Scene))
	}
	if oa := m.OwnerActivity; oa != nil {
		t.RawSetString("code", lua.LNumber(oa.Code))
	}
}

// original looks the recalled message up in the log; nil when unknown or unavailable.
func (e *Engine) original(L *lua.LState, msgID string) *lua.LTable {
	if e.opts.History == nil || msgID == "" {
		return nil
	}
	m, err := e.opts.History.Original(e.luaCtx(L), msgID)
	if err != nil || m == nil {
		if err != nil {
			e.log.WithField("msg_id", msgID).WithError(err).Debug("recalled message not found in the log")
		}
		return nil
	}
	return loggedMessageTable(m)
}

// loggedMessageTable is a message from the log: the fields a recall or search needs.
func loggedMessageTable(m *wx.Message) *lua.LTable {
	t := newTable(0, 8)
	setStr(t, "id", m.MsgID)
	setStr(t, "kind", string(m.Kind))
	t.RawSetString("text", lua.LString(m.Text))
	t.RawSetString("time", timeLV(m.Time))
	t.RawSetString("chat", chatTable(m.Chat))
	t.RawSetString("sender", peerTable(m.Sender))
	t.RawSetString("is_self", lua.LBool(m.IsSelf))
	return t
}

// chatTable is msg.chat.
func chatTable(p wx.Peer) *lua.LTable {
	t := newTable(0, 4)
	setStr(t, "id", p.ID)
	t.RawSetString("name", lua.LString(p.Name()))
	t.RawSetString("is_group", lua.LBool(p.IsGroup))
	t.RawSetString("member_count", lua.LNumber(p.MemberCount))
	return t
}

// peerTable is msg.sender, and a contact as bot.find and friends return it.
func peerTable(p wx.Peer) *lua.LTable {
	t := newTable(0, 14)
	setStr(t, "id", p.ID)
	t.RawSetString("name", lua.LString(p.Name()))
	t.RawSetString("nickname", lua.LString(p.NickName))
	t.RawSetString("remark", lua.LString(p.RemarkName))
	t.RawSetString("display_name", lua.LString(p.DisplayName))
	t.RawSetString("sex", lua.LNumber(p.Sex))
	t.RawSetString("province", lua.LString(p.Province))
	t.RawSetString("city", lua.LString(p.City))
	t.RawSetString("signature", lua.LString(p.Signature))
	t.RawSetString("is_friend", lua.LBool(p.IsFriend))
	t.RawSetString("is_official", lua.LBool(p.IsOfficial))
	if p.IsGroup {
		t.RawSetString("is_group", lua.LTrue)
		t.RawSetString("member_count", lua.LNumber(p.MemberCount))
	}
	if p.IsSelf {
		t.RawSetString("is_self", lua.LTrue)
	}
	return t
}

// capturesTable is `m`: m[0] the whole match, m[1]… the groups, m.name the named groups.
func capturesTable(r *rule, captures []string) *lua.LTable {
	t := lua.LTable{}
	for i, c := range captures {
		t.RawSetInt(i, lua.LString(c))
	}
	if r.keywords != nil && len(captures) == 1 {
		t.RawSetInt(1, lua.LString(captures[0]))
	}
	if r.pattern != nil {
		for i, name := range r.pattern.SubexpNames() {
			if name != "" && i < len(captures) {
				t.RawSetString(name, lua.LString(captures[i]))
			}
		}
	}
	return &t
}

func setStr(t *lua.LTable, key, value string) {
	if value != "" {
		t.RawSetString(key, lua.LString(value))
	}
}

func stringsTable(items []string) *lua.LTable {
	t := lua.LTable{}
	for i, s := range items {
		t.RawSetInt(i+1, lua.LString(s))
	}
	return &t
}

func timeLV(t time.Time) lua.LValue {
	if t.IsZero() {
		return lua.LNil
	}
	return lua.LNumber(t.Unix())
}

// maxExactInt is the largest integer a Lua number (float64) holds exactly: larger integers,
// such as message ids, become strings.
const maxExactInt = 1 << 53

// toLua converts Go data (config, query rows, JSON) to Lua values.
func toLua(L *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case nil:
		return lua.LNil
	case lua.LValue:
		return v
	case bool:
		return lua.LBool(v)
	case string:
		return lua.LString(v)
	case []byte:
		return lua.LString(v)
	case int:
		return intLV(int64(v))
	case int32:
		return lua.LNumber(v)
	case int64:
		return intLV(v)
	case uint64:
		if v > maxExactInt {
			return lua.LString(strconv.FormatUint(v, 10))
		}
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	case float32:
		return lua.LNumber(v)
	case time.Time:
		return timeLV(v)
	case time.Duration:
		return lua.LNumber(v.Seconds())
	case []any:
		t := L.CreateTable(len(v), 0)
		for i, item := range v {
			t.RawSetInt(i+1, toLua(L, item))
		}
		return markArray(L, t)
	case map[string]any:
		t := L.CreateTable(0, len(v))
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			t.RawSetString(k, toLua(L, v[k]))
		}
		return t
	case []map[string]any:
		t := L.CreateTable(len(v), 0)
		for i, item := range v {
			t.RawSetInt(i+1, toLua(L, item))
		}
		return markArray(L, t)
	}
	// Other slices and maps (e.g. []string, map[string]string from a TOML decoder).
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		items := make([]any, rv.Len())
		for i := range items {
			items[i] = rv.Index(i).Interface()
		}
		return toLua(L, items)
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			m := make(map[string]any, rv.Len())
			for _, k := range rv.MapKeys() {
				m[k.String()] = rv.MapIndex(k).Interface()
			}
			return toLua(L, m)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return lua.LNumber(rv.Convert(reflect.TypeOf(float64(0))).Float())
	}
	return lua.LString(fmt.Sprint(v))
}

func intLV(v int64) lua.LValue {
	if v > maxExactInt || v < -maxExactInt {
		return lua.LString(strconv.FormatInt(v, 10))
	}
	return lua.LNumber(v)
}

// fromLua converts a Lua value to Go data (for JSON and the KV store). Tables with keys 1..n
// become slices, others maps with string keys.
func fromLua(v lua.LValue, depth int) (any, error) {
	if depth > 100 {
		return nil, fmt.Errorf("table nested too deeply (a cycle?)")
	}
	switch v := v.(type) {
	case *lua.LNilType:
		return nil, nil
	case lua.LBool:
		return bool(v), nil
	case lua.LString:
		return string(v), nil
	case lua.LNumber:
		f := float64(v)
		if f == math.Trunc(f) && math.Abs(f) <= maxExactInt {
			return int64(f), nil
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("cannot encode %v", f)
		}
		return f, nil
	case *lua.LTable:
		n := v.Len()
		count := 0
		v.ForEach(func(lua.LValue, lua.LValue) { count++ })
		if n > 0 && count == n || count == 0 && isMarkedArray(v) {
			items := make([]any, 0, n)
			for i := 1; i <= n; i++ {
				item, err := fromLua(v.RawGetInt(i), depth+1)
				if err != nil {
					return nil, err
				}
				items = append(items, item)
			}
			return items, nil
		}
		m := make(map[string]any, count)
		var err error
		v.ForEach(func(k, val lua.LValue) {
			if err != nil {
				return
			}
			var key string
			switch k := k.(type) {
			case lua.LString:
				key = string(k)
			case lua.LNumber:
				key = k.String()
			default:
				err = fmt.Errorf("cannot encode a table key of type %s", k.Type())
				return
			}
			m[key], err = fromLua(val, depth+1)
		})
		return m, err
	}
	return nil, fmt.Errorf("cannot encode a %s", v.Type())
}

// newTable is a pre-sized table for code that has no LState at hand (CreateTable does not use
// its receiver): growing a table's hash part key by key is the main cost of building events.
func newTable(acap, hcap int) *lua.LTable {
	var L *lua.LState
	return L.CreateTable(acap, hcap)
}
