package db

import (
	"bytes"
	"encoding/json"
)

// compactRaw shrinks an AddMsgList entry for storage: whitespace goes, and so do members whose
// value is empty — "", 0, false, null, {} or [] (objects after their own empty members went).
// The protocol decodes a missing field as its zero value, so nothing a parser reads is lost;
// about two thirds of a typical text message's entry is such padding. Key order and every
// other byte of the values stay as received. Input that is not a JSON object is returned as is.
//
// It is a small hand-written scanner rather than encoding/json: it runs for every message, and
// json.Compact alone cost more than the rest of this function.
func compactRaw(raw []byte) []byte {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return raw
	}
	out, end, ok := compactObject(make([]byte, 0, len(raw)), raw, i)
	if !ok || skipSpace(raw, end) != len(raw) || !json.Valid(out) {
		return compactFallback(raw)
	}
	return out
}

// compactFallback only removes whitespace, for input the scanner does not understand.
func compactFallback(raw []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return raw
	}
	return buf.Bytes()
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// compactObject copies the object starting at b[i] ('{') to out without its empty members and
// without whitespace between tokens.
func compactObject(out, b []byte, i int) ([]byte, int, bool) {
	out = append(out, '{')
	i = skipSpace(b, i+1)
	first := true
	for i < len(b) && b[i] != '}' {
		if !first || b[i] == ',' {
			if b[i] != ',' {
				return out, 0, false
			}
			i = skipSpace(b, i+1)
		}
		if i >= len(b) || b[i] != '"' {
			return out, 0, false
		}
		keyStart := i
		keyEnd, ok := skipValue(b, i)
		if !ok {
			return out, 0, false
		}
		i = skipSpace(b, keyEnd)
		if i >= len(b) || b[i] != ':' {
			return out, 0, false
		}
		i = skipSpace(b, i+1)
		if i >= len(b) {
			return out, 0, false
		}
		var val []byte
		var end int
		if b[i] == '{' {
			var inner []byte
			if inner, end, ok = compactObject(nil, b, i); !ok {
				return out, 0, false
			}
			val = inner
		} else {
			if end, ok = skipValue(b, i); !ok {
				return out, 0, false
			}
			val = b[i:end]
			if b[i] == '[' {
				val = compactFallback(val)
			}
		}
		i = skipSpace(b, end)
		if isEmptyJSON(val) {
			first = false
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		first = false
		out = append(out, b[keyStart:keyEnd]...)
		out = append(out, ':')
		out = append(out, val...)
	}
	if i >= len(b) {
		return out, 0, false
	}
	return append(out, '}'), i + 1, true
}

func isEmptyJSON(v []byte) bool {
	switch string(v) {
	case `""`, `0`, `false`, `null`, `{}`, `[]`:
		return true
	}
	return false
}

// skipValue returns the index just after the JSON value starting at b[i]: a string, an object
// or array (matched brackets, strings skipped), or a scalar.
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		for j := i + 1; j < len(b); j++ {
			switch b[j] {
			case '\\':
				j++
			case '"':
				return j + 1, true
			}
		}
		return 0, false
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, ok := skipValue(b, j)
				if !ok {
					return 0, false
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, true
				}
			}
		}
		return 0, false
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ':' &&
		b[j] != ' ' && b[j] != '\n' && b[j] != '\r' && b[j] != '\t' {
		j++
	}
	return j, j > i
}
