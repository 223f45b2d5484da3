package logview

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-runewidth"

	"qunguan/db"
	"qunguan/wx"
)

// narrow measures as most terminals do outside CJK locales, whatever this machine's locale.
var narrow = &runewidth.Condition{EastAsianWidth: false}

func TestParseTime(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 3, 10, 15, 30, 0, 0, loc)
	for _, c := range []struct {
		in   string
		want time.Time
	}{
		{"2026-03-01", time.Date(2026, 3, 1, 0, 0, 0, 0, loc)},
		{"2026-03-01 09:05", time.Date(2026, 3, 1, 9, 5, 0, 0, loc)},
		{"2026-03-01 09:05:07", time.Date(2026, 3, 1, 9, 5, 7, 0, loc)},
		{"2026-03-01T09:05", time.Date(2026, 3, 1, 9, 5, 0, 0, loc)},
		{"2026-03-01T01:00:00Z", time.Date(2026, 3, 1, 9, 0, 0, 0, loc)},
		{"2026-03-01T09:00:00+08:00", time.Date(2026, 3, 1, 9, 0, 0, 0, loc)},
		{"2h", now.Add(-2 * time.Hour)},
		{"7d", now.AddDate(0, 0, -7)},
		{"2w", now.AddDate(0, 0, -14)},
		{"1d12h", now.Add(-36 * time.Hour)},
		{"90s", now.Add(-90 * time.Second)},
		{"1.5h", now.Add(-90 * time.Minute)},
		{" 30m ", now.Add(-30 * time.Minute)},
		{"today", time.Date(2026, 3, 10, 0, 0, 0, 0, loc)},
		{"yesterday", time.Date(2026, 3, 9, 0, 0, 0, 0, loc)},
	} {
		got, err := ParseTime(c.in, now, loc)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "yesterday-ish", "7", "d", "2x", "-2h", "2026-13-01", "03/01/2026", "2h-"} {
		if got, err := ParseTime(bad, now, loc); err == nil {
			t.Errorf("ParseTime(%q) = %v, want an error", bad, got)
		} else if bad != "" && !strings.Contains(err.Error(), "2026-03-01") {
			t.Errorf("ParseTime(%q): the error does not show the accepted forms: %v", bad, err)
		}
	}
}

// displayCol is the display column at which sub starts in line.
func displayCol(line, sub string) int {
	i := strings.Index(line, sub)
	if i < 0 {
		return -1
	}
	return narrow.StringWidth(line[:i])
}

func TestTableAlignsChineseAndEmoji(t *testing.T) {
	tb := &Table{Cond: narrow, Columns: []Column{{Header: "CHAT"}, {Header: "SENDER"}, {Header: "N", Right: true}, {Header: "TEXT", Flex: true}}}
	tb.Append("周末徒步群", "Tom", "1", "first")
	tb.Append("abc", "阿杰🏃", "12", "second")
	tb.Append("吃货小分队🍰", "", "123", "third")
	var b bytes.Buffer
	if err := tb.Flush(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines:\n%s", len(lines), b.String())
	}
	words := []string{"TEXT", "first", "second", "third"}
	sender := []string{"SENDER", "Tom", "阿杰🏃"}
	for i, line := range lines {
		if got, want := displayCol(line, words[i]), displayCol(lines[0], "TEXT"); got != want {
			t.Errorf("line %d: text at column %d, header at %d:\n%s", i, got, want, b.String())
		}
		if i < len(sender) && displayCol(line, sender[i]) != displayCol(lines[0], "SENDER") {
			t.Errorf("line %d: sender not aligned:\n%s", i, b.String())
		}
		if strings.HasSuffix(line, " ") {
			t.Errorf("line %d has trailing spaces: %q", i, line)
		}
	}
	// Right-aligned numbers end in the same column.
	if displayCol(lines[1], "1 ")+1 != displayCol(lines[3], "123")+3 {
		t.Errorf("numbers not right-aligned:\n%s", b.String())
	}
}

func TestTableCutsTheFlexColumnToTheWidth(t *testing.T) {
	tb := &Table{Cond: narrow, Width: 30, Columns: []Column{{Header: "WHO", Max: 6}, {Header: "TEXT", Flex: true}}}
	tb.Append("很长很长的名字", strings.Repeat("明早几点出发", 10))
	tb.Append("ok", "short")
	var b bytes.Buffer
	tb.Flush(&b)
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	for _, l := range lines {
		if w := narrow.StringWidth(l); w > 30 {
			t.Errorf("line wider than 30 cells (%d): %q", w, l)
		}
	}
	if !strings.HasSuffix(lines[1], "…") || !strings.HasPrefix(lines[1], "很长…") {
		t.Errorf("cut cells do not end in …: %q", lines[1])
	}
	if lines[2] != "ok      short" {
		t.Errorf("short row: %q", lines[2])
	}
	// Not on a terminal (Width 0): never cut the text.
	tb = &Table{Cond: narrow, Columns: []Column{{Header: "TEXT", Flex: true}}}
	long := strings.Repeat("字", 500)
	tb.Append(long)
	b.Reset()
	tb.Flush(&b)
	if !strings.Contains(b.String(), long) {
		t.Error("text cut without a terminal width")
	}
}

func TestTableNarrowTerminalShrinksNames(t *testing.T) {
	tb := &Table{Cond: narrow, Width: 60, Columns: []Column{{Header: "TIME"}, {Header: "CHAT", Max: 20}, {Header: "SENDER", Max: 16}, {Header: "TEXT", Flex: true}}}
	tb.Append("03-01 09:00:00", strings.Repeat("群", 10), strings.Repeat("人", 8), strings.Repeat("字", 40))
	var b bytes.Buffer
	tb.Flush(&b)
	row := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")[1]
	if w := narrow.StringWidth(row); w > 60 {
		t.Errorf("row wider than 60 cells (%d): %q", w, row)
	}
	text := row[strings.Index(row, "字"):]
	if w := narrow.StringWidth(text); w < 18 { // a third of 60, less a cell a wide character could not fill
		t.Errorf("the text got only %d of 60 cells: %q", w, row)
	}
	if !strings.HasPrefix(row, "03-01 09:00:00  群") {
		t.Errorf("the time column was shrunk: %q", row)
	}
}

func TestTableStreamKeepsItsWidths(t *testing.T) {
	tb := &Table{Cond: narrow, Columns: []Column{{Header: "CHAT", Min: 8}, {Header: "TEXT", Flex: true}}}
	tb.Append("群", "a")
	var b bytes.Buffer
	tb.Flush(&b)
	tb.Append("一个很长的群名字啊", "b")
	tb.Flush(&b)
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 3 || strings.Count(b.String(), "CHAT") != 1 {
		t.Fatalf("stream:\n%s", b.String())
	}
	if displayCol(lines[1], "a") != displayCol(lines[2], "b") || displayCol(lines[2], "b") != 10 {
		t.Errorf("second batch not aligned to the first:\n%s", b.String())
	}
}

func TestColorOnlyWhenAsked(t *testing.T) {
	m := db.LoggedMessage{Time: time.Now(), ChatName: "群", SenderName: "杰哥", Kind: wx.KindText, Text: "hi"}
	var plain, color bytes.Buffer
	p := NewMessagePrinter(&plain, Options{Cond: narrow})
	p.Add(m)
	p.Flush()
	c := NewMessagePrinter(&color, Options{Cond: narrow, Color: true})
	c.Add(m)
	c.Flush()
	if strings.Contains(plain.String(), "\x1b") {
		t.Errorf("escapes without colour: %q", plain.String())
	}
	if !strings.Contains(color.String(), "\x1b[1m杰哥\x1b[0m") || !strings.Contains(color.String(), "\x1b[2m"+ShortTime(m.Time, nil)) {
		t.Errorf("no bold sender or dim time: %q", color.String())
	}
	if strings.Contains(strings.SplitN(color.String(), "\n", 2)[0], "\x1b") {
		t.Errorf("header coloured: %q", color.String())
	}
}

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"a\nb":           "a⏎b",
		"a\r\nb\rc":      "a⏎b⏎c",
		"tab\there":      "tab here",
		"esc\x1b[31mred": "esc[31mred",
		"明早\u2028几点🎉":    "明早⏎几点🎉",
		"plain 文本":       "plain 文本",
	} {
		if got := OneLine(in); got != want {
			t.Errorf("OneLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRecordsJSONAndCSV(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	at := time.Date(2026, 3, 1, 9, 0, 0, 123e6, loc)
	m := db.LoggedMessage{RowID: 7, Account: "main", MsgID: "m1", ChatID: "g1", ChatName: "群, \"引号\"", SenderID: "c2",
		SenderName: "杰哥", Direction: db.In, Origin: db.OriginReceived, Kind: wx.KindText, MsgType: 1,
		Text: "第一行\n第二行, <b>", Time: at, Detail: json.RawMessage(`{"mentioned":true}`), Raw: json.RawMessage(`not json`)}
	var b bytes.Buffer
	p := NewMessagePrinter(&b, Options{Format: FormatJSON, Loc: loc})
	p.Add(m)
	p.Flush()
	var got map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("%s: %v", b.String(), err)
	}
	if got["time"] != "2026-03-01T09:00:00.123+08:00" || got["text"] != "第一行\n第二行, <b>" || got["row_id"] != float64(7) ||
		got["raw"] != "not json" || got["detail"].(map[string]any)["mentioned"] != true {
		t.Errorf("json: %s", b.String())
	}
	if strings.Contains(b.String(), `\u003c`) {
		t.Errorf("HTML-escaped: %s", b.String())
	}

	b.Reset()
	p = NewMessagePrinter(&b, Options{Format: FormatCSV, Loc: loc})
	p.Add(m)
	p.Flush()
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(recs) != 2 || len(recs[1]) != len(MessageCSVHeader) {
		t.Fatalf("csv: %q, %v", recs, err)
	}
	if recs[1][4] != "群, \"引号\"" || recs[1][10] != "第一行\n第二行, <b>" || recs[1][1] != "2026-03-01T09:00:00.123+08:00" {
		t.Errorf("csv row: %q", recs[1])
	}
	// No rows: CSV still has its header; a table writes nothing.
	b.Reset()
	NewRecallPrinter(&b, Options{Format: FormatCSV}).Flush()
	if strings.TrimSpace(b.String()) != strings.Join(RecallCSVHeader, ",") {
		t.Errorf("empty csv: %q", b.String())
	}
	b.Reset()
	NewRecallPrinter(&b, Options{}).Flush()
	if b.Len() != 0 {
		t.Errorf("empty table: %q", b.String())
	}
}

func TestRecallAndRedPacketTables(t *testing.T) {
	at := time.Now()
	orig := db.LoggedMessage{ChatName: "周末徒步群", SenderName: "路人甲", Text: "说错话了", Time: at.Add(-time.Minute)}
	notice := db.LoggedMessage{ChatName: "周末徒步群", Kind: wx.KindRecall, Time: at,
		Detail: json.RawMessage(`{"recall":{"original_msg_id":"x","replace_text":"t","by":"路人乙"}}`)}
	var b bytes.Buffer
	p := NewRecallPrinter(&b, Options{Cond: narrow})
	p.Add(db.Recall{Notice: notice, Original: &orig})
	p.Add(db.Recall{Notice: notice})
	p.Flush()
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "路人甲") || !strings.HasSuffix(lines[1], "说错话了") ||
		!strings.Contains(lines[1], ShortTime(orig.Time, nil)) || !strings.Contains(lines[2], "路人乙") || !strings.HasSuffix(lines[2], NotInLog) {
		t.Errorf("recalls:\n%s", b.String())
	}
	b.Reset()
	rp := NewRedPacketPrinter(&b, Options{Cond: narrow})
	rp.Add(db.LoggedMessage{ChatName: "群", Kind: wx.KindRedPacket, Text: "收到红包", Time: at, Detail: json.RawMessage(`{"description":"received"}`)})
	rp.Flush()
	if !strings.Contains(b.String(), "received  收到红包") {
		t.Errorf("red packets:\n%s", b.String())
	}
}

func TestMatch(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.Local)
	m := db.LoggedMessage{Account: "main", ChatID: "g1", SenderID: "c2", Kind: wx.KindText, Direction: db.In, Time: at}
	for _, c := range []struct {
		f    db.Filter
		want bool
	}{
		{db.Filter{}, true},
		{db.Filter{Account: "main", ChatID: "g1", SenderID: "c2", Kind: wx.KindText, Direction: db.In, Since: at, Until: at.Add(time.Millisecond)}, true},
		{db.Filter{Account: "alt"}, false},
		{db.Filter{ChatID: "g2"}, false},
		{db.Filter{SenderID: "c3"}, false},
		{db.Filter{Kind: wx.KindImage}, false},
		{db.Filter{Direction: db.Out}, false},
		{db.Filter{Since: at.Add(time.Millisecond)}, false},
		{db.Filter{Until: at}, false},
		{db.Filter{Since: at.Add(500 * time.Microsecond)}, true}, // the store compares milliseconds
	} {
		if got := Match(c.f, m); got != c.want {
			t.Errorf("Match(%+v) = %v, want %v", c.f, got, c.want)
		}
	}
}
