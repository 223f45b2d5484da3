package db

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"qunguan/wx"
)

// searchWorld logs a small varied conversation and returns the stable ids involved.
func searchWorld(t *testing.T) (*DB, map[string]string, time.Time) {
	t.Helper()
	d, _, clock := testDB(t)
	w := loggedIn(t, d)
	ids := idsOf(t, d, w)
	hike, family := w.groups[0].Peer(), w.groups[1].Peer()
	member := func(g, i int) wx.Peer {
		m := w.groups[g].Members[i]
		return wx.Peer{UserName: m.UserName, NickName: m.NickName, DisplayName: m.DisplayName}
	}
	ajie, stranger := member(0, 1), member(0, 3)
	laowang := w.persons[3].Peer()
	base := time.Date(2026, 4, 1, 8, 0, 0, 0, time.Local)
	at := func(h int) time.Time { return base.Add(time.Duration(h) * time.Hour) }
	msgs := []*wx.Message{
		textMsg("s1", hike, ajie, "@管家 明早几点出发？", at(0)),
		textMsg("s2", hike, stranger, "明早七点，在地铁站集合", at(1)),
		textMsg("s3", hike, ajie, "Hello World from the TRAIL", at(2)),
		textMsg("s4", family, member(1, 2), "生日快乐🎂🎉", at(3)),
		textMsg("s5", laowang, laowang, "周末徒步去不去", at(4)),
		textMsg("s6", hike, stranger, `他说 "AND" 和 a*b -x NEAR(y) 100% 对_吗`, at(5)),
		textMsg("s7", hike, ajie, "🎉", at(6)),
		textMsg("s8", hike, ajie, "hello again", at(7)),
	}
	img := textMsg("s9", hike, ajie, "山顶.jpg", at(8))
	img.Kind, img.MsgType = wx.KindImage, 3
	msgs = append(msgs, img)
	b := &wx.Batch{Account: "main", Uin: selfUin}
	for _, m := range msgs {
		b.Events = append(b.Events, m)
	}
	mustCommit(t, d, b)
	_ = clock
	return d, ids, base
}

func msgIDs(ms []LoggedMessage) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.MsgID
	}
	return out
}

func TestSearch(t *testing.T) {
	d, ids, base := searchWorld(t)
	ctx := context.Background()
	f := Filter{Account: "main"}
	cases := []struct {
		name string
		q    SearchQuery
		want []string
	}{
		{"two Chinese characters (LIKE)", SearchQuery{Filter: f, Text: "明早"}, []string{"s2", "s1"}},
		{"longer Chinese (trigram)", SearchQuery{Filter: f, Text: "明早几点"}, []string{"s1"}},
		{"Chinese in the middle", SearchQuery{Filter: f, Text: "地铁站"}, []string{"s2"}},
		{"徒步 two chars", SearchQuery{Filter: f, Text: "徒步"}, []string{"s5"}},
		{"English lower finds upper", SearchQuery{Filter: f, Text: "hello"}, []string{"s8", "s3"}},
		{"English upper finds lower", SearchQuery{Filter: f, Text: "HELLO"}, []string{"s8", "s3"}},
		{"English mixed case", SearchQuery{Filter: f, Text: "trail"}, []string{"s3"}},
		{"one emoji (LIKE)", SearchQuery{Filter: f, Text: "🎉"}, []string{"s7", "s4"}},
		{"emoji with text (trigram)", SearchQuery{Filter: f, Text: "快乐🎂"}, []string{"s4"}},
		{"no match", SearchQuery{Filter: f, Text: "不存在的内容"}, nil},
		{"filter by chat", SearchQuery{Filter: Filter{ChatID: ids["family"]}, Text: "🎉"}, []string{"s4"}},
		{"filter by sender", SearchQuery{Filter: Filter{SenderID: ids["hike-stranger1"]}, Text: "明早"}, []string{"s2"}},
		{"filter by sender, trigram", SearchQuery{Filter: Filter{SenderID: ids["ajie"]}, Text: "明早几"}, []string{"s1"}},
		{"filter by kind", SearchQuery{Filter: Filter{Kind: wx.KindImage}}, []string{"s9"}},
		{"filter by kind and text", SearchQuery{Filter: Filter{Kind: wx.KindText}, Text: "山顶"}, nil},
		{"since", SearchQuery{Filter: Filter{Since: base.Add(90 * time.Minute)}, Text: "hello"}, []string{"s8", "s3"}},
		{"until", SearchQuery{Filter: Filter{Until: base.Add(150 * time.Minute)}, Text: "明早"}, []string{"s2", "s1"}},
		{"since and until", SearchQuery{Filter: Filter{Since: base.Add(time.Hour), Until: base.Add(2 * time.Hour)}, Text: "明早"}, []string{"s2"}},
		{"direction in", SearchQuery{Filter: Filter{Direction: In}, Text: "hello"}, []string{"s8", "s3"}},
		{"direction out", SearchQuery{Filter: Filter{Direction: Out}, Text: "hello"}, nil},
		{"limit", SearchQuery{Filter: Filter{Limit: 1}, Text: "hello"}, []string{"s8"}},
		{"other account", SearchQuery{Filter: Filter{Account: "alt"}, Text: "hello"}, nil},
		// FTS syntax is literal text.
		{`quote`, SearchQuery{Text: `"AND"`}, []string{"s6"}},
		{`star`, SearchQuery{Text: `a*b`}, []string{"s6"}},
		{`AND alone`, SearchQuery{Text: `AND`}, []string{"s6"}},
		{`minus`, SearchQuery{Text: `-x`}, []string{"s6"}},
		{`minus, trigram`, SearchQuery{Text: ` -x N`}, []string{"s6"}},
		{`NEAR`, SearchQuery{Text: `NEAR(y)`}, []string{"s6"}},
		{`LIKE wildcards are literal`, SearchQuery{Text: `0%`}, []string{"s6"}},
		{`underscore`, SearchQuery{Text: `_吗`}, []string{"s6"}},
		{`percent alone`, SearchQuery{Text: `%`}, []string{"s6"}},
	}
	for _, c := range cases {
		got, err := d.Search(ctx, c.q)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if ids := msgIDs(got); !slices.Equal(ids, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, ids, c.want)
		}
	}
	// Hostile queries never error.
	for _, q := range []string{`"`, `""`, `"unterminated`, `*`, `***`, `AND`, `OR NOT`, `-`, `--`, `a AND b OR c`,
		`NEAR(a b, 3)`, `col:text`, `^start`, `'`, `\`, `(((`, `{a b}`, "a\x00b", `🎉"🎉`} {
		if _, err := d.Search(ctx, SearchQuery{Text: q}); err != nil {
			t.Errorf("Search(%q): %v", q, err)
		}
	}
	// Results carry names.
	got, _ := d.Search(ctx, SearchQuery{Text: "地铁站"})
	if len(got) != 1 || got[0].ChatName != "周末徒步群" || got[0].SenderName != "路人甲" || got[0].ChatID != ids["hike"] {
		t.Errorf("result names: %+v", got)
	}
	got, _ = d.Search(ctx, SearchQuery{Text: "明早几点"})
	if len(got) != 1 || got[0].SenderName != "杰哥" {
		t.Errorf("sender with remark: %+v", got)
	}
}

// The search plans must never sort all matches: newest-first with LIMIT has to stop early.
func TestSearchPlanAvoidsSort(t *testing.T) {
	d, ids, base := searchWorld(t)
	plan := func(q string, args ...any) []string {
		rows, err := d.readers.Query("EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			rows.Scan(&id, &parent, &notused, &detail)
			out = append(out, detail)
		}
		return out
	}
	for _, c := range []struct {
		name  string
		tmpl  string
		text  any
		f     Filter
		first string
	}{
		{"fts", searchFTS, ftsPhrase("明早几点"), Filter{Account: "main"}, "SCAN f VIRTUAL TABLE"},
		{"fts in chat", searchFTS, ftsPhrase("明早几点"), Filter{Account: "main", ChatID: ids["hike"]}, "SCAN f VIRTUAL TABLE"},
		{"like", searchLike, "%明早%", Filter{Account: "main"}, "SCAN m"},
		{"like in chat", searchLike, "%明早%", Filter{Account: "main", ChatID: ids["hike"]}, "SEARCH m USING INDEX messages_chat"},
		{"like by sender", searchLike, "%明早%", Filter{Account: "main", SenderID: ids["ajie"]}, "SCAN m"},
		{"all", searchAll, nil, Filter{Account: "main", Kind: wx.KindImage}, "SCAN m"},
		{"all in chat", searchAll, nil, Filter{Account: "main", ChatID: ids["hike"]}, "SEARCH m USING INDEX messages_chat"},
	} {
		where, args := c.f.where()
		if c.text != nil {
			args = append([]any{c.text}, args...)
		}
		args = append(args, 50)
		p := plan(fmt.Sprintf(c.tmpl, where), args...)
		if len(p) == 0 || !strings.HasPrefix(p[0], c.first) {
			t.Errorf("%s: plan %q, want it to start with %q", c.name, p, c.first)
		}
		if slices.Contains(p, "USE TEMP B-TREE FOR ORDER BY") {
			t.Errorf("%s: sorts all matches: %q", c.name, p)
		}
	}
	_ = base
}
