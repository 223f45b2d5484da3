package wx

import (
	"html"
	"strings"
	"unicode/utf8"
)

// Content decoding (PROTOCOL.md §6.4). The server HTML-escapes < > & in text, writes newlines
// as the literal <br/>, and replaces emoji with raw <span class="emoji emojiXXXX"></span>.
// The order matters: emoji spans and <br/> are recognised first, on the raw text, and entities
// are unescaped last. openwechat unescapes first, which turns text a user typed as
// "<span class=…>" (it arrives as &lt;span…) into an emoji; we don't.

const (
	emojiSpanOpen = `<span class="emoji emoji`
	// emojiSpanClose lacks the final '>' on purpose: the 1f450 span sometimes arrives as
	// `<span class="emoji emoji1f450"></span` and the '>' is taken when present.
	emojiSpanClose = `"></span`
	lineBreak      = "<br/>"
)

// emojiQuirks maps the code points the server sends to the ones it meant; every serious
// client patches the same list.
var emojiQuirks = map[rune]rune{
	0x1f63c: 0x1f601,
	0x1f639: 0x1f602,
	0x1f63a: 0x1f603,
	0x1f4ab: 0x1f616,
	0x1f64d: 0x1f614,
	0x1f63b: 0x1f60d,
	0x1f63d: 0x1f618,
	0x1f64e: 0x1f621,
	0x1f63f: 0x1f622,
}

// DecodeContent turns a message Content (with the group sender prefix already removed) into
// plain text: emoji spans become runes, <br/> becomes '\n', and HTML entities are unescaped.
// Only raw spans are emoji: text a user typed as "<span …>" arrives escaped and stays text.
func DecodeContent(s string) string { return decodeText(s, true) }

// DecodeName decodes a NickName, DisplayName or RemarkName: emoji spans become runes and HTML
// entities are unescaped. Names never carry <br/>, so it is left as it is.
func DecodeName(s string) string { return decodeText(s, false) }

func decodeText(s string, breaks bool) string {
	if strings.IndexByte(s, '<') < 0 && strings.IndexByte(s, '&') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	plain := 0 // start of the text not yet written
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			break
		}
		i += j
		if r1, r2, n := matchEmojiSpan(s[i:]); n > 0 {
			writeUnescaped(&b, s[plain:i])
			b.WriteRune(r1)
			if r2 >= 0 {
				b.WriteRune(r2)
			}
			i += n
			plain = i
			continue
		}
		if breaks && strings.HasPrefix(s[i:], lineBreak) {
			writeUnescaped(&b, s[plain:i])
			b.WriteByte('\n')
			i += len(lineBreak)
			plain = i
			continue
		}
		i++
	}
	writeUnescaped(&b, s[plain:])
	return b.String()
}

// writeUnescaped writes a stretch of text that holds no span or <br/>. Unescaping stretch by
// stretch is "entities last" without letting a decoded emoji rune join the text after it into
// an entity.
func writeUnescaped(b *strings.Builder, s string) {
	for {
		i := strings.IndexByte(s, '&')
		if i < 0 {
			b.WriteString(s)
			return
		}
		b.WriteString(s[:i])
		s = s[i:]
		// The entities the server writes are decoded here without allocating; anything else
		// (numeric, named, missing ';') goes to html.UnescapeString, which decodes entity by
		// entity, so handing it the rest of the stretch gives the same result.
		if r, n := commonEntity(s); n > 0 {
			b.WriteByte(r)
			s = s[n:]
			continue
		}
		b.WriteString(html.UnescapeString(s))
		return
	}
}

func commonEntity(s string) (byte, int) {
	switch {
	case strings.HasPrefix(s, "&lt;"):
		return '<', 4
	case strings.HasPrefix(s, "&gt;"):
		return '>', 4
	case strings.HasPrefix(s, "&amp;"):
		return '&', 5
	case strings.HasPrefix(s, "&quot;"):
		return '"', 6
	case strings.HasPrefix(s, "&#39;"):
		return '\'', 5
	}
	return 0, 0
}

// matchEmojiSpan recognises an emoji span at the start of s. It returns the code points (r2 is
// -1 for single ones) and the span's length, or n == 0 when s does not start with a span that
// decodes to valid code points.
func matchEmojiSpan(s string) (r1, r2 rune, n int) {
	if !strings.HasPrefix(s, emojiSpanOpen) {
		return 0, -1, 0
	}
	hex := s[len(emojiSpanOpen):]
	digits := 0
	for digits < len(hex) && digits <= 10 && isHexDigit(hex[digits]) {
		digits++
	}
	if digits == 0 || digits > 10 || !strings.HasPrefix(hex[digits:], emojiSpanClose) {
		return 0, -1, 0
	}
	n = len(emojiSpanOpen) + digits + len(emojiSpanClose)
	if n < len(s) && s[n] == '>' {
		n++
	}
	h := hex[:digits]
	// Observed lengths: 4 (BMP) and 5 hex digits are one code point; 6 is 2+4 (keycaps,
	// emoji3120e3 = U+0031 U+20E3); 10 is 5+5 (flags, emoji1f1e81f1f3). 8 and 9 were never
	// seen; splitting them 4+4 and 4+5 is the only reading that gives two valid emoji.
	switch digits {
	case 1, 2, 3, 4, 5:
		r1, r2 = parseHexRune(h), -1
		if meant, ok := emojiQuirks[r1]; ok {
			r1 = meant
		}
	case 6:
		r1, r2 = parseHexRune(h[:2]), parseHexRune(h[2:])
	case 8:
		r1, r2 = parseHexRune(h[:4]), parseHexRune(h[4:])
	case 9:
		r1, r2 = parseHexRune(h[:4]), parseHexRune(h[4:])
	case 10:
		r1, r2 = parseHexRune(h[:5]), parseHexRune(h[5:])
	default:
		return 0, -1, 0
	}
	if r1 <= 0 || !utf8.ValidRune(r1) || r2 == 0 || r2 > 0 && !utf8.ValidRune(r2) {
		return 0, -1, 0
	}
	return r1, r2, n
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// parseHexRune parses at most 5 hex digits (checked by the caller), so it cannot overflow.
func parseHexRune(h string) rune {
	var r rune
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a':
			r = r<<4 | rune(c-'a'+10)
		default:
			r = r<<4 | rune(c-'A'+10)
		}
	}
	return r
}

// xmlPayload turns an XML payload from Content or OriContent into a document encoding/xml can
// read. Content payloads arrive HTML-escaped (&lt;msg&gt;…), pretty-printed with raw <br/> and
// TABs, with emoji as raw spans (inside attribute values too, where they would break the XML),
// a quote inside a value as &amp;quot; and & in a URL as &amp;amp;. One level of < > &
// unescaping leaves exactly the XML the sender wrote: &amp;quot; becomes &quot;, which the XML
// decoder then reads as ". OriContent (locations) is already raw XML; only spans and <br/> are
// converted there.
func xmlPayload(s string) string {
	s = trimPayloadSpace(s)
	escaped := strings.HasPrefix(s, "&lt;")
	if !escaped && strings.IndexByte(s, '&') < 0 && !strings.Contains(s, emojiSpanOpen) &&
		!strings.Contains(s, lineBreak) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '<':
			if r1, r2, n := matchEmojiSpan(s[i:]); n > 0 {
				writeXMLRune(&b, r1)
				if r2 >= 0 {
					writeXMLRune(&b, r2)
				}
				i += n
				continue
			}
			if strings.HasPrefix(s[i:], lineBreak) {
				b.WriteByte('\n')
				i += len(lineBreak)
				continue
			}
		case '&':
			if escaped {
				switch {
				case strings.HasPrefix(s[i:], "&lt;"):
					b.WriteByte('<')
					i += 4
					continue
				case strings.HasPrefix(s[i:], "&gt;"):
					b.WriteByte('>')
					i += 4
					continue
				case strings.HasPrefix(s[i:], "&amp;"):
					b.WriteByte('&')
					i += 5
					continue
				}
			}
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}

// writeXMLRune writes a decoded emoji into an XML document. An emoji span can in theory name
// an XML metacharacter (emoji003c); it must not become markup.
func writeXMLRune(b *strings.Builder, r rune) {
	switch r {
	case '<':
		b.WriteString("&lt;")
	case '>':
		b.WriteString("&gt;")
	case '&':
		b.WriteString("&amp;")
	case '"':
		b.WriteString("&quot;")
	case '\'':
		b.WriteString("&apos;")
	default:
		b.WriteRune(r)
	}
}

// trimPayloadSpace removes the whitespace and <br/> that pretty-printed payloads carry around
// the document.
func trimPayloadSpace(s string) string {
	for {
		t := strings.TrimSpace(s)
		t = strings.TrimPrefix(t, lineBreak)
		t = strings.TrimSuffix(t, lineBreak)
		if len(t) == len(s) {
			return t
		}
		s = t
	}
}
