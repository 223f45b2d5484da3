package wx

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeRawMessage decodes one AddMsgList entry into m exactly as encoding/json would, in one
// pass over its bytes without reflection: the sync loop decodes every message, and
// encoding/json spent most of its time validating and matching field names.
//
// b must be valid JSON (the answer it came from was validated). ok is false for anything
// this decoder leaves to encoding/json rather than risk a difference: a key that only
// matches a field ignoring case, a non-integer number where an integer goes, a value of the
// wrong type, a lone UTF-16 surrogate, invalid UTF-8. m is then partly filled: decode again
// into a zero value.
func decodeRawMessage(b []byte, m *RawMessage) (ok bool) {
	s := scanner{b: b}
	if !s.object((*rawMessageDst)(m)) {
		return false
	}
	s.ws()
	return s.i == len(s.b)
}

// rawMessageFields are the keys RawMessage decodes, for the case-insensitive check.
var rawMessageFields = []string{"MsgId", "FromUserName", "ToUserName", "MsgType", "Content", "Status", "ImgStatus",
	"CreateTime", "VoiceLength", "PlayLength", "FileName", "FileSize", "MediaId", "Url", "AppMsgType",
	"StatusNotifyCode", "StatusNotifyUserName", "RecommendInfo", "ForwardFlag", "AppInfo", "HasProductId",
	"Ticket", "ImgHeight", "ImgWidth", "SubMsgType", "NewMsgId", "OriContent", "EncryFileName"}

var recommendInfoFields = []string{"UserName", "NickName", "QQNum", "Province", "City", "Content", "Signature",
	"Alias", "Scene", "VerifyFlag", "AttrStatus", "Sex", "Ticket", "OpCode"}

var appInfoFields = []string{"AppID", "Type"}

// fields decodes the value of one key of an object into its destination.
type fields interface {
	field(s *scanner, key []byte) bool
}

type (
	rawMessageDst    RawMessage
	recommendInfoDst RecommendInfo
	appInfoDst       struct {
		AppID string `json:"AppID"`
		Type  int    `json:"Type"`
	}
	skipDst struct{}
)

func (skipDst) field(s *scanner, _ []byte) bool { return s.skip() }

func (a *appInfoDst) field(s *scanner, key []byte) bool {
	switch string(key) {
	case "AppID":
		return s.str(&a.AppID)
	case "Type":
		return s.int(&a.Type)
	}
	return s.unknown(key, appInfoFields)
}

func (d *rawMessageDst) field(s *scanner, key []byte) bool {
	m := (*RawMessage)(d)
	switch string(key) {
	case "MsgId":
		return s.str(&m.MsgID)
	case "FromUserName":
		return s.str(&m.FromUserName)
	case "ToUserName":
		return s.str(&m.ToUserName)
	case "MsgType":
		return s.int(&m.MsgType)
	case "Content":
		return s.str(&m.Content)
	case "Status":
		return s.int(&m.Status)
	case "ImgStatus":
		return s.int(&m.ImgStatus)
	case "CreateTime":
		return s.int64(&m.CreateTime)
	case "VoiceLength":
		return s.int(&m.VoiceLength)
	case "PlayLength":
		return s.int(&m.PlayLength)
	case "FileName":
		return s.str(&m.FileName)
	case "FileSize":
		return s.flex(&m.FileSize)
	case "MediaId":
		return s.str(&m.MediaID)
	case "Url":
		return s.str(&m.URL)
	case "AppMsgType":
		return s.int(&m.AppMsgType)
	case "StatusNotifyCode":
		return s.int(&m.StatusNotifyCode)
	case "StatusNotifyUserName":
		return s.str(&m.StatusNotifyUserName)
	case "RecommendInfo":
		return s.nested((*recommendInfoDst)(&m.RecommendInfo))
	case "ForwardFlag":
		return s.int(&m.ForwardFlag)
	case "AppInfo":
		return s.nested((*appInfoDst)(&m.AppInfo))
	case "HasProductId":
		return s.int(&m.HasProductID)
	case "Ticket":
		return s.str(&m.Ticket)
	case "ImgHeight":
		return s.int(&m.ImgHeight)
	case "ImgWidth":
		return s.int(&m.ImgWidth)
	case "SubMsgType":
		return s.int(&m.SubMsgType)
	case "NewMsgId":
		return s.flex(&m.NewMsgID)
	case "OriContent":
		return s.str(&m.OriContent)
	case "EncryFileName":
		return s.str(&m.EncryFileName)
	}
	return s.unknown(key, rawMessageFields)
}

func (d *recommendInfoDst) field(s *scanner, key []byte) bool {
	r := (*RecommendInfo)(d)
	switch string(key) {
	case "UserName":
		return s.str(&r.UserName)
	case "NickName":
		return s.str(&r.NickName)
	case "QQNum":
		return s.int64(&r.QQNum)
	case "Province":
		return s.str(&r.Province)
	case "City":
		return s.str(&r.City)
	case "Content":
		return s.str(&r.Content)
	case "Signature":
		return s.str(&r.Signature)
	case "Alias":
		return s.str(&r.Alias)
	case "Scene":
		return s.int(&r.Scene)
	case "VerifyFlag":
		return s.int(&r.VerifyFlag)
	case "AttrStatus":
		return s.int64(&r.AttrStatus)
	case "Sex":
		return s.int(&r.Sex)
	case "Ticket":
		return s.str(&r.Ticket)
	case "OpCode":
		return s.int(&r.OpCode)
	}
	return s.unknown(key, recommendInfoFields)
}

// scanner reads valid JSON; every method reports false on what it leaves to encoding/json.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// object reads {"key": value, …}, handing each key to dst, which reads the value.
func (s *scanner) object(dst fields) bool {
	if s.peek() != '{' {
		return false
	}
	s.i++
	if s.peek() == '}' {
		s.i++
		return true
	}
	for {
		if s.peek() != '"' {
			return false
		}
		key, ok := s.key()
		if !ok || s.peek() != ':' {
			return false
		}
		s.i++
		s.ws()
		if !dst.field(s, key) {
			return false
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// nested reads an object value, or null (which leaves the struct as it is).
func (s *scanner) nested(dst fields) bool {
	if s.null() {
		return true
	}
	return s.object(dst)
}

// unknown skips the value of a key no field has, unless it names one ignoring case (then
// encoding/json would decode it into that field).
func (s *scanner) unknown(key []byte, names []string) bool {
	for _, f := range names {
		if strings.EqualFold(string(key), f) {
			return false
		}
	}
	return s.skip()
}

// key reads an object key: plain ASCII without escapes, or false. The bytes alias the input.
func (s *scanner) key() ([]byte, bool) {
	start := s.i + 1
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return s.b[start:j], true
		case c == '\\' || c >= utf8.RuneSelf:
			return nil, false
		}
	}
	return nil, false
}

func (s *scanner) null() bool {
	if s.i+4 <= len(s.b) && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

// str reads a string into dst; null leaves dst as it is.
func (s *scanner) str(dst *string) bool {
	if s.null() {
		return true
	}
	v, ok := s.stringValue()
	if ok {
		*dst = v
	}
	return ok
}

func (s *scanner) stringValue() (string, bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return "", false
	}
	start := s.i + 1
	j := start
	for ; j < len(s.b); j++ {
		c := s.b[j]
		if c == '"' {
			break
		}
		if c == '\\' || c < 0x20 {
			return s.escapedString(start)
		}
	}
	if j >= len(s.b) || !utf8.Valid(s.b[start:j]) {
		return "", false
	}
	s.i = j + 1
	return string(s.b[start:j]), true
}

// escapedString reads a string with escapes from its first byte after the quote.
func (s *scanner) escapedString(start int) (string, bool) {
	out := make([]byte, 0, 64)
	j := start
	for j < len(s.b) {
		c := s.b[j]
		switch {
		case c == '"':
			if !utf8.Valid(out) {
				return "", false
			}
			s.i = j + 1
			return string(out), true
		case c < 0x20:
			return "", false
		case c != '\\':
			out = append(out, c)
			j++
			continue
		}
		if j+1 >= len(s.b) {
			return "", false
		}
		switch s.b[j+1] {
		case '"', '\\', '/':
			out = append(out, s.b[j+1])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(s.b, j+2)
			if !ok {
				return "", false
			}
			j += 6
			if utf16.IsSurrogate(r) {
				// Only a well-formed pair; encoding/json turns a lone half into U+FFFD.
				if j+6 > len(s.b) || s.b[j] != '\\' || s.b[j+1] != 'u' {
					return "", false
				}
				r2, ok := hex4(s.b, j+2)
				if !ok {
					return "", false
				}
				if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
					return "", false
				}
				j += 6
			}
			out = utf8.AppendRune(out, r)
			continue
		default:
			return "", false
		}
		j += 2
	}
	return "", false
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[at : at+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number returns the text of a number token.
func (s *scanner) number() (string, bool) {
	start := s.i
	for s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case '0' <= c && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
			s.i++
			continue
		}
		break
	}
	return string(s.b[start:s.i]), s.i > start
}

// integer reads a plain integer; null is (0, true, true): leave the field as it is.
func (s *scanner) integer() (n int64, null, ok bool) {
	if s.null() {
		return 0, true, true
	}
	text, ok := s.number()
	if !ok {
		return 0, false, false
	}
	n, err := strconv.ParseInt(text, 10, 64)
	return n, false, err == nil // 1.5, 1e3, an overflow: encoding/json's error
}

func (s *scanner) int64(dst *int64) bool {
	n, null, ok := s.integer()
	if ok && !null {
		*dst = n
	}
	return ok
}

func (s *scanner) int(dst *int) bool {
	n, null, ok := s.integer()
	if ok && !null {
		*dst = int(n)
	}
	return ok
}

// flex reads a FlexString: a string, the text of a number, or null ("").
func (s *scanner) flex(dst *FlexString) bool {
	switch s.peek() {
	case 'n':
		if !s.null() {
			return false
		}
		*dst = ""
		return true
	case '"':
		v, ok := s.stringValue()
		if ok {
			*dst = FlexString(v)
		}
		return ok
	}
	text, ok := s.number()
	if ok {
		*dst = FlexString(text)
	}
	return ok
}

// skip passes over any value.
func (s *scanner) skip() bool {
	switch s.peek() {
	case '"':
		_, ok := s.stringValue()
		return ok
	case '{':
		return s.object(skipDst{})
	case '[':
		s.i++
		if s.peek() == ']' {
			s.i++
			return true
		}
		for {
			if !s.skip() {
				return false
			}
			switch s.peek() {
			case ',':
				s.i++
			case ']':
				s.i++
				return true
			default:
				return false
			}
		}
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.null()
	}
	_, ok := s.number()
	return ok
}

func (s *scanner) literal(word string) bool {
	if s.i+len(word) <= len(s.b) && string(s.b[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	return false
}
