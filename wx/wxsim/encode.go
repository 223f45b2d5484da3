package wxsim

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// encodeText renders plain text the way the service puts it into Content and names
// (PROTOCOL.md §6.4): < > & escaped, newlines as the literal <br/>, emoji as raw
// <span class="emoji emojiXXXX"></span>. Quotes stay raw: 10000 notices and escaped XML
// attribute quotes are never touched. XML payloads go through the same function, which is
// why their tags arrive as &lt;msg&gt; while emoji inside them stay raw spans.
func encodeText(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '\r' && strings.HasPrefix(s[i+n:], "\n"):
			// \r\n is one line break.
		case r == '\n':
			b.WriteString("<br/>")
		case r == 0xFE0F || r == 0xFE0E || r == 0x200D:
			// Variation selectors and joiners are not part of any observed span.
		case isKeycapBase(r) && keycapFollows(s[i+n:]):
			// Keycaps are the 2+4 form: emoji3120e3 = U+0031 U+20E3.
			rest := s[i+n:]
			if strings.HasPrefix(rest, "\uFE0F") {
				n += len("\uFE0F")
			}
			n += len("\u20E3")
			fmt.Fprintf(&b, `<span class="emoji emoji%02x20e3"></span>`, r)
		case isRegional(r):
			// Flags are the 5+5 form: emoji1f1e81f1f3 = U+1F1E8 U+1F1F3.
			r2, n2 := utf8.DecodeRuneInString(s[i+n:])
			if isRegional(r2) {
				n += n2
				fmt.Fprintf(&b, `<span class="emoji emoji%x%x"></span>`, r, r2)
			} else {
				fmt.Fprintf(&b, `<span class="emoji emoji%x"></span>`, r)
			}
		case isEmoji(r):
			fmt.Fprintf(&b, `<span class="emoji emoji%04x"></span>`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func isKeycapBase(r rune) bool { return r >= '0' && r <= '9' || r == '#' || r == '*' }

func keycapFollows(rest string) bool {
	rest = strings.TrimPrefix(rest, "\uFE0F")
	return strings.HasPrefix(rest, "\u20E3")
}

func isRegional(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }

// isEmoji is deliberately conservative: CJK punctuation (、，“”) must stay text, and the
// service only spans the pictographic blocks.
func isEmoji(r rune) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF, // pictographs, emoticons, transport, supplemental
		r >= 0x2600 && r <= 0x27BF, // misc symbols, dingbats (❤ = 2764)
		r >= 0x231A && r <= 0x23FF, // ⌚ ⏰ …
		r >= 0x2B05 && r <= 0x2B55, // ⬅ ⭐ ⭕
		r >= 0x2934 && r <= 0x2935,
		r == 0x3030, r == 0x303D, r == 0x3297, r == 0x3299:
		return true
	}
	return false
}

// xmlEscape escapes a value for an XML attribute or element of a payload the simulator
// builds. The payload then goes through encodeText, so a quote inside a value reaches the
// client as &amp;quot; — exactly the double escaping PROTOCOL.md §6.4 describes.
func xmlEscape(s string) string {
	return xmlEscaper.Replace(s)
}

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
