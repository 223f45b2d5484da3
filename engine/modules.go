package engine

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// arrayMark is the metatable field that makes json.encode write a table as an array even
// when it is empty (json.array() and decoded arrays carry it).
const arrayMark = "__jsonarray"

func markArray(L *lua.LState, t *lua.LTable) *lua.LTable {
	mt := L.NewTable()
	mt.RawSetString(arrayMark, lua.LTrue)
	L.SetMetatable(t, mt)
	return t
}

func isMarkedArray(t *lua.LTable) bool {
	mt, ok := t.Metatable.(*lua.LTable)
	return ok && mt.RawGetString(arrayMark) == lua.LTrue
}

// jsonModule is require("json"). Integers stay integers; integers beyond 2^53 (ids) decode
// as strings so that they survive.
func jsonModule(L *lua.LState) *lua.LTable {
	mod := L.NewTable()
	mod.RawSetString("encode", L.NewFunction(func(L *lua.LState) int {
		v, err := fromLua(L.CheckAny(1), 0)
		if err != nil {
			L.Push(lua.LNil)
			L.Push(lua.LString("json.encode: " + err.Error()))
			return 2
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			L.Push(lua.LNil)
			L.Push(lua.LString("json.encode: " + err.Error()))
			return 2
		}
		L.Push(lua.LString(strings.TrimSuffix(buf.String(), "\n")))
		return 1
	}))
	mod.RawSetString("decode", L.NewFunction(func(L *lua.LState) int {
		v, err := decodeJSON([]byte(L.CheckString(1)))
		if err != nil {
			L.Push(lua.LNil)
			L.Push(lua.LString("json.decode: " + err.Error()))
			return 2
		}
		L.Push(jsonToLua(L, v))
		return 1
	}))
	mod.RawSetString("array", L.NewFunction(func(L *lua.LState) int {
		t := L.OptTable(1, L.NewTable())
		L.Push(markArray(L, t))
		return 1
	}))
	return mod
}

func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// jsonToLua converts decoded JSON (with json.Number) to Lua values.
func jsonToLua(L *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return intLV(i)
		}
		if _, err := strconv.ParseInt(string(v), 10, 64); err != nil && !strings.ContainsAny(string(v), ".eE") {
			return lua.LString(v) // an integer too large even for int64
		}
		f, _ := v.Float64()
		return lua.LNumber(f)
	case float64:
		if v == math.Trunc(v) && math.Abs(v) > maxExactInt {
			return lua.LString(strconv.FormatFloat(v, 'f', 0, 64))
		}
		return lua.LNumber(v)
	case []any:
		t := L.CreateTable(len(v), 0)
		for i, item := range v {
			t.RawSetInt(i+1, jsonToLua(L, item))
		}
		return markArray(L, t)
	case map[string]any:
		t := L.CreateTable(0, len(v))
		for k, item := range v {
			t.RawSetString(k, jsonToLua(L, item))
		}
		return t
	}
	return toLua(L, v)
}

// reModule is require("re"): Go's RE2 regular expressions, which work on UTF-8 text (Lua
// patterns work on bytes and are slow on Chinese). Argument order follows the string library.
func reModule(L *lua.LState, s *script) *lua.LTable {
	compile := func(L *lua.LState, n int) *regexp.Regexp {
		pattern := L.CheckString(n)
		if re, ok := s.reCache[pattern]; ok {
			return re
		}
		re, err := regexp.Compile(pattern)
		if err != nil {
			L.ArgError(n, "invalid pattern: "+strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
		if len(s.reCache) > 256 {
			clear(s.reCache)
		}
		s.reCache[pattern] = re
		return re
	}
	captures := func(L *lua.LState, re *regexp.Regexp, text string, loc []int) *lua.LTable {
		t := L.NewTable()
		for i := 0; i < len(loc)/2; i++ {
			if loc[2*i] >= 0 {
				t.RawSetInt(i, lua.LString(text[loc[2*i]:loc[2*i+1]]))
			}
		}
		for i, name := range re.SubexpNames() {
			if name != "" && loc[2*i] >= 0 {
				t.RawSetString(name, lua.LString(text[loc[2*i]:loc[2*i+1]]))
			}
		}
		return t
	}
	mod := L.NewTable()
	mod.RawSetString("match", L.NewFunction(func(L *lua.LState) int {
		text := L.CheckString(1)
		re := compile(L, 2)
		loc := re.FindStringSubmatchIndex(text)
		if loc == nil {
			L.Push(lua.LNil)
			return 1
		}
		L.Push(captures(L, re, text, loc))
		return 1
	}))
	mod.RawSetString("test", L.NewFunction(func(L *lua.LState) int {
		text := L.CheckString(1)
		L.Push(lua.LBool(compile(L, 2).MatchString(text)))
		return 1
	}))
	mod.RawSetString("find_all", L.NewFunction(func(L *lua.LState) int {
		text := L.CheckString(1)
		re := compile(L, 2)
		n := L.OptInt(3, -1)
		out := L.NewTable()
		for i, loc := range re.FindAllStringSubmatchIndex(text, n) {
			out.RawSetInt(i+1, captures(L, re, text, loc))
		}
		L.Push(out)
		return 1
	}))
	gsub := func(L *lua.LState) int {
		text := L.CheckString(1)
		re := compile(L, 2)
		count := 0
		var out string
		switch repl := L.Get(3).(type) {
		case lua.LString:
			var b strings.Builder
			last := 0
			for _, loc := range re.FindAllStringSubmatchIndex(text, -1) {
				b.WriteString(text[last:loc[0]])
				b.Write(re.ExpandString(nil, string(repl), text, loc))
				last = loc[1]
				count++
			}
			b.WriteString(text[last:])
			out = b.String()
		case *lua.LFunction:
			var b strings.Builder
			last := 0
			for _, loc := range re.FindAllStringSubmatchIndex(text, -1) {
				b.WriteString(text[last:loc[0]])
				L.Push(repl)
				L.Push(captures(L, re, text, loc))
				L.Call(1, 1)
				r := L.Get(-1)
				L.Pop(1)
				if r == lua.LNil || r == lua.LFalse {
					b.WriteString(text[loc[0]:loc[1]])
				} else {
					b.WriteString(lua.LVAsString(r))
				}
				last = loc[1]
				count++
			}
			b.WriteString(text[last:])
			out = b.String()
		default:
			L.ArgError(3, "the replacement must be a string ($1, ${name}) or a function(m)")
		}
		L.Push(lua.LString(out))
		L.Push(lua.LNumber(count))
		return 2
	}
	mod.RawSetString("gsub", L.NewFunction(gsub))
	mod.RawSetString("replace", L.NewFunction(gsub))
	mod.RawSetString("split", L.NewFunction(func(L *lua.LState) int {
		text := L.CheckString(1)
		re := compile(L, 2)
		parts := re.Split(text, L.OptInt(3, -1))
		out := L.CreateTable(len(parts), 0)
		for i, p := range parts {
			out.RawSetInt(i+1, lua.LString(p))
		}
		L.Push(out)
		return 1
	}))
	mod.RawSetString("quote", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(regexp.QuoteMeta(L.CheckString(1))))
		return 1
	}))
	return mod
}

// utf8Module is require("utf8"): string functions that count characters, not bytes.
// Positions are 1-based character indexes; negative ones count from the end, as in Lua.
func utf8Module(L *lua.LState) *lua.LTable {
	mod := L.NewTable()
	mod.RawSetString("len", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LNumber(utf8.RuneCountInString(L.CheckString(1))))
		return 1
	}))
	mod.RawSetString("sub", L.NewFunction(func(L *lua.LState) int {
		runes := []rune(L.CheckString(1))
		n := len(runes)
		i, j := L.OptInt(2, 1), L.OptInt(3, -1)
		if i < 0 {
			i = max(n+i+1, 1)
		} else if i == 0 {
			i = 1
		}
		if j < 0 {
			j = n + j + 1
		} else if j > n {
			j = n
		}
		if i > j {
			L.Push(lua.LString(""))
			return 1
		}
		L.Push(lua.LString(string(runes[i-1 : j])))
		return 1
	}))
	mod.RawSetString("chars", L.NewFunction(func(L *lua.LState) int {
		out := L.NewTable()
		for i, r := range []rune(L.CheckString(1)) {
			out.RawSetInt(i+1, lua.LString(string(r)))
		}
		L.Push(out)
		return 1
	}))
	mod.RawSetString("reverse", L.NewFunction(func(L *lua.LState) int {
		runes := []rune(L.CheckString(1))
		for a, b := 0, len(runes)-1; a < b; a, b = a+1, b-1 {
			runes[a], runes[b] = runes[b], runes[a]
		}
		L.Push(lua.LString(string(runes)))
		return 1
	}))
	mod.RawSetString("char", L.NewFunction(func(L *lua.LState) int {
		var b strings.Builder
		for i := 1; i <= L.GetTop(); i++ {
			b.WriteRune(rune(L.CheckInt(i)))
		}
		L.Push(lua.LString(b.String()))
		return 1
	}))
	mod.RawSetString("codepoint", L.NewFunction(func(L *lua.LState) int {
		runes := []rune(L.CheckString(1))
		i := L.OptInt(2, 1)
		if i < 0 {
			i = len(runes) + i + 1
		}
		if i < 1 || i > len(runes) {
			L.Push(lua.LNil)
			return 1
		}
		L.Push(lua.LNumber(runes[i-1]))
		return 1
	}))
	mod.RawSetString("valid", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LBool(utf8.ValidString(L.CheckString(1))))
		return 1
	}))
	return mod
}
