package engine

import (
	"fmt"
	"sort"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"qunguan/wx"
)

// allowedModules are what require() gives scripts.
var allowedModules = []string{"bot", "json", "re", "utf8"}

// removedGlobals are base functions a script must not have: they read files, compile code
// at run time, or reach outside the script's own environment.
var removedGlobals = map[string]string{
	"dofile":         "scripts cannot run other files",
	"loadfile":       "scripts cannot run other files",
	"load":           "scripts cannot compile code at run time",
	"loadstring":     "scripts cannot compile code at run time",
	"getfenv":        "function environments are not available",
	"setfenv":        "function environments are not available",
	"collectgarbage": "the garbage collector is not under script control",
	"module":         "use local tables and require(\"bot\") instead",
	"newproxy":       "not available",
	"_printregs":     "not available",
}

// newSandbox builds a script's LState with the allow-listed libraries only.
func (e *Engine) newSandbox(s *script) *lua.LState {
	L := lua.NewState(lua.Options{
		SkipOpenLibs:        true,
		CallStackSize:       256,
		RegistrySize:        1024,
		RegistryMaxSize:     1 << 20,
		MinimizeStackMemory: true,
	})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
		{lua.CoroutineLibName, lua.OpenCoroutine},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	for name, why := range removedGlobals {
		L.SetGlobal(name, denied(L, name, why))
	}
	L.SetGlobal("print", L.NewFunction(func(L *lua.LState) int {
		parts := make([]string, L.GetTop())
		for i := range parts {
			parts[i] = L.ToStringMeta(L.Get(i + 1)).String()
		}
		e.log.WithField("script", s.name).Info(strings.Join(parts, "\t"))
		return 0
	}))
	L.SetGlobal("os", e.osModule(L))
	L.SetGlobal("io", deniedModule(L, "io", "scripts cannot touch files; use bot.store for data and bot.send_file to send files"))
	L.SetGlobal("debug", deniedModule(L, "debug", "not available"))
	L.SetGlobal("package", lua.LNil)
	e.capStrings(L)

	modules := map[string]lua.LValue{
		"bot":  e.botModule(L, s),
		"json": jsonModule(L),
		"re":   reModule(L, s),
		"utf8": utf8Module(L),
	}
	L.SetGlobal("require", L.NewFunction(func(L *lua.LState) int {
		name := L.CheckString(1)
		if mod, ok := modules[name]; ok {
			L.Push(mod)
			return 1
		}
		L.RaiseError("require %q: not allowed: scripts can only require %s", name, quotedList(allowedModules))
		return 0
	}))
	s.msgMeta = e.eventMethods(L, s)
	s.eventIndex = L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		key, ok := L.Get(2).(lua.LString)
		if !ok {
			L.Push(lua.LNil)
			return 1
		}
		if method := s.msgMeta.RawGetString(string(key)); method != lua.LNil {
			L.Push(method)
			return 1
		}
		if m, ok := eventOf(L, t).(*wx.Message); ok {
			L.Push(e.lazyField(L, t, m, string(key)))
			return 1
		}
		L.Push(lua.LNil)
		return 1
	})
	return L
}

func quotedList(items []string) string {
	q := make([]string, len(items))
	for i, item := range items {
		q[i] = fmt.Sprintf("%q", item)
	}
	return strings.Join(q, ", ")
}

// denied is a stand-in that fails with a clear message instead of "attempt to call nil".
func denied(L *lua.LState, name, why string) *lua.LFunction {
	return L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("%s is not available in qunguan scripts: %s", name, why)
		return 0
	})
}

// deniedModule is a table whose every field access fails with a clear message.
func deniedModule(L *lua.LState, name, why string) *lua.LTable {
	t := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("%s.%s is not available in qunguan scripts: %s", name, L.ToString(2), why)
		return 0
	}))
	L.SetMetatable(t, mt)
	return t
}

// osModule keeps os.time, os.date and os.clock, on the engine's clock and time zone, and
// fails clearly for everything else (os.execute, os.exit, os.remove, os.getenv, …).
func (e *Engine) osModule(L *lua.LState) *lua.LTable {
	os := deniedModule(L, "os", "only os.time, os.date and os.clock are")
	started := time.Now()
	os.RawSetString("time", L.NewFunction(func(L *lua.LState) int {
		if t, ok := L.Get(1).(*lua.LTable); ok {
			L.Push(lua.LNumber(timeFromTable(L, t, e.loc).Unix()))
			return 1
		}
		L.Push(lua.LNumber(e.clock.Now().Unix()))
		return 1
	}))
	os.RawSetString("date", L.NewFunction(func(L *lua.LState) int {
		format := L.OptString(1, "%c")
		t := e.clock.Now()
		if L.GetTop() >= 2 {
			t = time.Unix(int64(L.CheckNumber(2)), 0)
		}
		t = t.In(e.loc)
		if utc, ok := strings.CutPrefix(format, "!"); ok {
			format, t = utc, t.UTC()
		}
		if strings.HasPrefix(format, "*t") {
			L.Push(dateTable(L, t))
			return 1
		}
		L.Push(lua.LString(strftime(t, format)))
		return 1
	}))
	os.RawSetString("clock", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LNumber(time.Since(started).Seconds()))
		return 1
	}))
	return os
}

func timeFromTable(L *lua.LState, t *lua.LTable, loc *time.Location) time.Time {
	field := func(name string, def int) int {
		switch v := t.RawGetString(name).(type) {
		case lua.LNumber:
			return int(v)
		case *lua.LNilType:
			if def < 0 {
				L.RaiseError("os.time: field %q missing in date table", name)
			}
			return def
		default:
			L.RaiseError("os.time: field %q must be a number", name)
		}
		return 0
	}
	return time.Date(field("year", -1), time.Month(field("month", -1)), field("day", -1),
		field("hour", 12), field("min", 0), field("sec", 0), 0, loc)
}

func dateTable(L *lua.LState, t time.Time) *lua.LTable {
	tbl := L.NewTable()
	tbl.RawSetString("year", lua.LNumber(t.Year()))
	tbl.RawSetString("month", lua.LNumber(t.Month()))
	tbl.RawSetString("day", lua.LNumber(t.Day()))
	tbl.RawSetString("hour", lua.LNumber(t.Hour()))
	tbl.RawSetString("min", lua.LNumber(t.Minute()))
	tbl.RawSetString("sec", lua.LNumber(t.Second()))
	tbl.RawSetString("wday", lua.LNumber(t.Weekday()+1))
	tbl.RawSetString("yday", lua.LNumber(t.YearDay()))
	tbl.RawSetString("isdst", lua.LFalse)
	return tbl
}

// strftime implements os.date's C-style conversions.
func strftime(t time.Time, format string) string {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			b.WriteByte(c)
			continue
		}
		i++
		switch format[i] {
		case 'a':
			b.WriteString(t.Format("Mon"))
		case 'A':
			b.WriteString(t.Format("Monday"))
		case 'b', 'h':
			b.WriteString(t.Format("Jan"))
		case 'B':
			b.WriteString(t.Format("January"))
		case 'c':
			b.WriteString(t.Format("Mon Jan  2 15:04:05 2006"))
		case 'd':
			fmt.Fprintf(&b, "%02d", t.Day())
		case 'e':
			fmt.Fprintf(&b, "%2d", t.Day())
		case 'D':
			b.WriteString(t.Format("01/02/06"))
		case 'F':
			b.WriteString(t.Format("2006-01-02"))
		case 'H':
			fmt.Fprintf(&b, "%02d", t.Hour())
		case 'I':
			fmt.Fprintf(&b, "%02d", (t.Hour()+11)%12+1)
		case 'j':
			fmt.Fprintf(&b, "%03d", t.YearDay())
		case 'm':
			fmt.Fprintf(&b, "%02d", int(t.Month()))
		case 'M':
			fmt.Fprintf(&b, "%02d", t.Minute())
		case 'p':
			b.WriteString(t.Format("PM"))
		case 'S':
			fmt.Fprintf(&b, "%02d", t.Second())
		case 'T', 'X':
			b.WriteString(t.Format("15:04:05"))
		case 'R':
			b.WriteString(t.Format("15:04"))
		case 'u':
			fmt.Fprintf(&b, "%d", (int(t.Weekday())+6)%7+1)
		case 'w':
			fmt.Fprintf(&b, "%d", int(t.Weekday()))
		case 'x':
			b.WriteString(t.Format("01/02/06"))
		case 'y':
			b.WriteString(t.Format("06"))
		case 'Y':
			fmt.Fprintf(&b, "%d", t.Year())
		case 'z':
			b.WriteString(t.Format("-0700"))
		case 'Z':
			b.WriteString(t.Format("MST"))
		case 's':
			fmt.Fprintf(&b, "%d", t.Unix())
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(format[i])
		}
	}
	return b.String()
}

// capStrings replaces the string builders that can make huge strings from small inputs with
// versions that check the result size first: a deadline cannot interrupt Go code, so
// string.rep("x", 1e10) would otherwise allocate 10 GB before the next instruction check.
func (e *Engine) capStrings(L *lua.LState) {
	limit := e.opts.MaxStringSize
	tooBig := func(L *lua.LState, call string, size float64) {
		L.RaiseError("%s: result too large (%.0f bytes; scripts may build strings up to %d bytes)", call, size, limit)
	}
	str := L.GetGlobal("string").(*lua.LTable)
	origGsub := str.RawGetString("gsub").(*lua.LFunction)
	str.RawSetString("rep", L.NewFunction(func(L *lua.LState) int {
		s := L.CheckString(1)
		n := int(L.CheckNumber(2))
		sep := L.OptString(3, "")
		if n <= 0 {
			L.Push(lua.LString(""))
			return 1
		}
		if size := float64(len(s))*float64(n) + float64(len(sep))*float64(n-1); size > float64(limit) {
			tooBig(L, "string.rep", size)
		}
		if sep == "" {
			L.Push(lua.LString(strings.Repeat(s, n)))
			return 1
		}
		L.Push(lua.LString(strings.Repeat(s+sep, n-1) + s))
		return 1
	}))
	str.RawSetString("gsub", L.NewFunction(func(L *lua.LState) int {
		s := L.CheckString(1)
		if repl, ok := L.Get(3).(lua.LString); ok && len(repl) > 1 {
			// Worst case: every position matches (an empty pattern).
			matches := float64(len(s) + 1)
			if n, ok := L.Get(4).(lua.LNumber); ok && float64(n) < matches {
				matches = float64(n)
			}
			if size := float64(len(s)) + matches*float64(len(repl)); size > float64(limit) {
				tooBig(L, "string.gsub", size)
			}
		}
		top := L.GetTop()
		L.Push(origGsub)
		for i := 1; i <= top; i++ {
			L.Push(L.Get(i))
		}
		L.Call(top, 2)
		return 2
	}))
	tbl := L.GetGlobal("table").(*lua.LTable)
	origConcat := tbl.RawGetString("concat").(*lua.LFunction)
	tbl.RawSetString("concat", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		sep := L.OptString(2, "")
		size := 0.0
		n := t.Len()
		for i := 1; i <= n; i++ {
			if s, ok := t.RawGetInt(i).(lua.LString); ok {
				size += float64(len(s))
			}
			size += float64(len(sep))
		}
		if size > float64(limit) {
			tooBig(L, "table.concat", size)
		}
		top := L.GetTop()
		L.Push(origConcat)
		for i := 1; i <= top; i++ {
			L.Push(L.Get(i))
		}
		L.Call(top, 1)
		return 1
	}))
	format := str.RawGetString("format").(*lua.LFunction)
	str.RawSetString("format", L.NewFunction(func(L *lua.LState) int {
		top := L.GetTop()
		L.Push(format)
		for i := 1; i <= top; i++ {
			L.Push(L.Get(i))
		}
		L.Call(top, 1)
		if s, ok := L.Get(-1).(lua.LString); ok && len(s) > limit {
			tooBig(L, "string.format", float64(len(s)))
		}
		return 1
	}))
}

// sortedKeys is for deterministic iteration in error messages.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
