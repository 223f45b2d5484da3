package wx

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// @-mentions (PROTOCOL.md §7.4). There is no mention field: mentions live in the text. Mobile
// clients write "@<name><U+2005>", PC and Mac clients "@<name> ", and a mention at the very end
// has no separator. <name> is the member's DisplayName in that group, else their NickName.
// All functions here take decoded text and decoded names (DecodeContent, DecodeName): names
// carry emoji spans and & in the raw protocol.

// mentionSeparator is FOUR-PER-EM SPACE, what mobile clients put after a mention.
const mentionSeparator = '\u2005'

// maxMentionRunes bounds a name found without knowing the members: WeChat names are short, and
// a longer "name" is a sentence that happens to follow an '@'.
const maxMentionRunes = 32

// MentionText is how to write a mention of name into a text to send: "@" + name + U+2005.
// name is the member's DisplayName in the group if set, else their NickName.
func MentionText(name string) string { return "@" + name + string(mentionSeparator) }

// Mentions returns the names @-mentioned in a decoded text, in order, without the '@'.
// A name runs to the next U+2005 when one follows before any line break or further mention
// (so names with spaces survive), else to the next space, line break or the end. Addresses
// such as user@example.com and faces such as @_@ are not mentions.
func Mentions(text string) []string {
	var names []string
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], '@')
		if j < 0 {
			break
		}
		at := i + j
		i = at + 1
		name, end := mentionNameAt(text, at+1)
		if name == "" || !mentionMayStart(text, at) && !strings.HasPrefix(text[end:], string(mentionSeparator)) {
			continue
		}
		names = append(names, name)
		i = end
	}
	return names
}

// mentionMayStart reports whether the '@' at text[at] can begin a mention: not in the middle
// of an e-mail address or a word of ASCII letters and digits. A name followed by U+2005 is a
// mention wherever it starts: mobile clients insert it at the cursor ("hi@管家<U+2005>"), and
// no address carries that character.
func mentionMayStart(text string, at int) bool {
	if at == 0 {
		return true
	}
	c := text[at-1]
	return !(c < utf8.RuneSelf && (isASCIIAlnum(c) || c == '.' || c == '_' || c == '-' || c == '+' || c == '@'))
}

func isASCIIAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// maxMentionBytes bounds how far a name is looked for: the longest name and its separator.
// It keeps Mentions linear in the text however many '@' it holds.
const maxMentionBytes = maxMentionRunes*utf8.UTFMax + len(string(mentionSeparator))

// mentionNameAt reads a mentioned name starting at text[start] (just after the '@'). It
// returns "" when what follows is not a plausible name.
func mentionNameAt(text string, start int) (name string, end int) {
	rest := text[start:]
	truncated := len(rest) > maxMentionBytes
	if truncated {
		rest = rest[:maxMentionBytes] // may cut a rune: only whole separators are searched for
	}
	n := -1
	// The mobile form: a U+2005 before any line break or further '@' ends the name exactly.
	if k := strings.IndexRune(rest, mentionSeparator); k >= 0 && strings.IndexAny(rest[:k], "\n@") < 0 {
		n = k
	} else if k := strings.IndexAny(rest, " \n\t\u2005"); k >= 0 {
		n = k
	} else if !truncated {
		n = len(rest)
	}
	if n <= 0 {
		return "", start
	}
	name = rest[:n]
	if utf8.RuneCountInString(name) > maxMentionRunes || !looksLikeName(name) {
		return "", start
	}
	return name, start + n
}

// looksLikeName requires a letter, digit or symbol (emoji): "_" of "@_@" is not a name.
func looksLikeName(name string) bool {
	for _, r := range name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.So, r) {
			return true
		}
	}
	return false
}

// IsMentioned reports whether a decoded text @-mentions name: "@"+name followed by U+2005, a
// space, a line break (or TAB) or the end of the text. name is the account's DisplayName in
// the group if set, else its NickName; "" is never mentioned.
func IsMentioned(text, name string) bool {
	_, _, ok := findMention(text, name, 0)
	return ok
}

// findMention finds the first mention of name in text at or after from. It returns the span
// to cut (the '@', the name, and a U+2005 or space separator).
func findMention(text, name string, from int) (start, end int, ok bool) {
	if name == "" {
		return 0, 0, false
	}
	// Search for the name and look back for the '@': no "@"+name string per call.
	for i := from + 1; i < len(text); {
		j := strings.Index(text[i:], name)
		if j < 0 {
			return 0, 0, false
		}
		at := i + j - 1
		after := i + j + len(name)
		i += j + 1
		if text[at] != '@' {
			continue
		}
		r, size := utf8.DecodeRuneInString(text[after:])
		if r != mentionSeparator && !mentionMayStart(text, at) {
			continue
		}
		if after == len(text) {
			return at, after, true
		}
		switch r {
		case mentionSeparator, ' ':
			return at, after + size, true
		case '\n', '\t':
			return at, after, true
		}
	}
	return 0, 0, false
}

// StripMention returns text without its mentions of name (and their separators), trimmed:
// what the bot was asked once its own name is taken away.
func StripMention(text, name string) string {
	start, end, ok := findMention(text, name, 0)
	if !ok {
		return strings.TrimSpace(text)
	}
	var b strings.Builder
	b.Grow(len(text))
	from := 0
	for ok {
		b.WriteString(text[from:start])
		from = end
		start, end, ok = findMention(text, name, end)
	}
	b.WriteString(text[from:])
	return strings.TrimSpace(b.String())
}
