package db

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"qunguan/wx"
)

const selfUin = 2100000001

// person is a friend, official account or group member of the test world, keyed by a test
// name that never reaches the store.
type person struct {
	key        string
	contact    wx.Contact // UserName filled per login
	friend     bool
	nickByGame map[int]string // nickname changes: login → new nickname
}

// world is the contact book as the server shows it at one login.
type world struct {
	login   int
	self    wx.Contact
	persons []wx.Contact
	groups  []wx.Contact
	names   map[string]string // test key → UserName in this login
}

// buildWorld renders the test world for a login: fresh UserNames, and whatever changed while
// the bot was offline before that login.
func buildWorld(login int) *world {
	w := &world{login: login, names: map[string]string{}}
	un := func(key string, group bool) string {
		n := hexName(login, key, group)
		w.names[key] = n
		return n
	}
	w.self = wx.Contact{UserName: un("self", false), Uin: selfUin, NickName: "群管家", Alias: "qunguan_bot", Sex: 1, ContactFlag: 3}

	friend := func(key string, c wx.Contact) {
		c.UserName = un(key, false)
		c.ContactFlag = 3
		w.persons = append(w.persons, c)
	}
	friend("ajie", wx.Contact{NickName: "阿杰🏃", RemarkName: "杰哥", Alias: "ajie", Sex: 1, Province: "广东", City: "深圳", Signature: "走起"})
	// Two friends called 小明: only their other attributes tell them apart.
	friend("xiaoming1", wx.Contact{NickName: "小明", Sex: 1, Province: "北京", City: "海淀", Signature: "hi"})
	friend("xiaoming2", wx.Contact{NickName: "小明", Sex: 2, Province: "上海", City: "浦东", Signature: "yo"})
	// 老王 renames himself at login 2: his remark keeps him.
	laowang := wx.Contact{NickName: "老王", RemarkName: "王总", Sex: 1, Province: "浙江", City: "杭州"}
	if login >= 2 {
		laowang.NickName = "王大锤"
	}
	friend("laowang", laowang)
	// 莉莉 renames herself and changes her signature at login 3: her alias keeps her.
	lili := wx.Contact{NickName: "莉莉", Alias: "lili_88", Sex: 2, Province: "四川", City: "成都", Signature: "🌶"}
	if login >= 3 {
		lili.NickName, lili.Signature = "Lily🌸", "new me"
	}
	friend("lili", lili)
	// Officials: one by nickname only, one whose gh_ id is known.
	w.persons = append(w.persons,
		wx.Contact{UserName: un("news", false), NickName: "腾讯新闻", VerifyFlag: 24, ContactFlag: 3},
		wx.Contact{UserName: un("weather", false), NickName: "天气通", RawID: "gh_weather01", VerifyFlag: 8, ContactFlag: 3},
		wx.Contact{UserName: "filehelper", NickName: "文件传输助手", ContactFlag: 3},
		w.self,
	)

	member := func(key, nick, display string) wx.Member {
		n, ok := w.names[key]
		if !ok {
			n = un(key, false)
		}
		return wx.Member{UserName: n, NickName: nick, DisplayName: display}
	}
	selfMember := wx.Member{UserName: w.self.UserName, NickName: "群管家", DisplayName: "管家", Uin: selfUin}
	hikeName := "周末徒步群"
	if login >= 3 {
		hikeName = "周末爬山群" // renamed while the bot was offline
	}
	w.groups = append(w.groups,
		wx.Contact{UserName: un("hike", true), NickName: hikeName, MemberCount: 6, Members: []wx.Member{
			selfMember,
			member("ajie", "阿杰🏃", "领队阿杰"),
			member("xiaoming1", "小明", ""),
			member("hike-stranger1", "路人甲", ""),
			member("hike-stranger2", "路人乙", "乙"),
			member("hike-stranger3", "驴友丙", ""),
		}},
		wx.Contact{UserName: un("family", true), NickName: "相亲相爱一家人", MemberCount: 4, Members: []wx.Member{
			selfMember,
			member("laowang", "王大锤", ""),
			// Another 路人甲, a different person from the one in the hiking group.
			member("family-stranger1", "路人甲", "三舅"),
			member("family-stranger2", "大姨", ""),
		}},
	)
	if login == 1 {
		// At the first login 老王 still shows his old name in the family group too.
		w.groups[1].Members[1].NickName = "老王"
	}
	return w
}

// batch is the login batch: a LoginEvent, the whole contact book, a message from every
// person in every chat, and the session.
func (w *world) batch(reverse bool) *wx.Batch {
	at := time.Date(2026, 3, w.login, 9, 0, 0, 0, time.Local)
	contacts := []*wx.Contact{}
	for i := range w.persons {
		contacts = append(contacts, &w.persons[i])
	}
	for i := range w.groups {
		contacts = append(contacts, &w.groups[i])
	}
	if reverse {
		slices.Reverse(contacts)
	}
	selfPeer := w.self.Peer()
	selfPeer.IsSelf = true
	events := []wx.Event{&wx.LoginEvent{Self: selfPeer, Uin: selfUin, Method: wx.LoginQR, Time: at}}
	n := 0
	for i := range w.persons {
		p := w.persons[i].Peer()
		if p.UserName == w.self.UserName {
			continue
		}
		n++
		events = append(events, textMsg(fmt.Sprintf("L%d-p%d", w.login, n), p, p, "你好 "+p.NickName, at))
	}
	for i := range w.groups {
		g := &w.groups[i]
		for _, m := range g.Members {
			if m.Uin == selfUin {
				continue
			}
			n++
			sender := wx.Peer{UserName: m.UserName, NickName: m.NickName, DisplayName: m.DisplayName}
			events = append(events, textMsg(fmt.Sprintf("L%d-g%d", w.login, n), g.Peer(), sender, "群消息", at))
		}
	}
	return &wx.Batch{
		Account: "main", Uin: selfUin, Events: events, Contacts: contacts,
		Session: &wx.Session{Uin: selfUin, SelfUserName: w.self.UserName,
			SyncKey: wx.SyncKey{Count: 1, List: []wx.KeyVal{{Key: 1, Val: int64(w.login)}}}},
	}
}

// idsOf resolves every test key of the world to the stable id the store gave its UserName.
func idsOf(t *testing.T, d *DB, w *world) map[string]string {
	t.Helper()
	out := map[string]string{}
	for key, un := range w.names {
		var id string
		if err := d.readers.QueryRow(`SELECT contact_id FROM user_names WHERE account = 'main' AND user_name = ?`, un).Scan(&id); err != nil {
			t.Fatalf("login %d: %s (%s) not mapped: %v", w.login, key, un, err)
		}
		out[key] = id
	}
	return out
}

func TestStableIDsAcrossLogins(t *testing.T) {
	d, hook, clock := testDB(t)
	var first map[string]string
	for login := 1; login <= 4; login++ {
		clock.Add(24 * time.Hour)
		w := buildWorld(login)
		res := mustCommit(t, d, w.batch(login%2 == 0))
		ids := idsOf(t, d, w)

		// Every Peer of every returned event carries the stable id of its UserName.
		for _, p := range res.Events {
			switch e := p.Event.(type) {
			case *wx.Message:
				for _, peer := range []wx.Peer{e.Chat, e.Sender} {
					var want string
					d.readers.QueryRow(`SELECT contact_id FROM user_names WHERE user_name = ?`, peer.UserName).Scan(&want)
					if peer.ID == "" || peer.ID != want {
						t.Errorf("login %d: message %s peer %s has id %q, want %q", login, e.MsgID, peer.NickName, peer.ID, want)
					}
				}
			case *wx.LoginEvent:
				if e.Self.ID != "u2100000001" {
					t.Errorf("login event self id %q", e.Self.ID)
				}
			}
		}

		if ids["self"] != "u2100000001" {
			t.Errorf("login %d: self id %q, want u2100000001", login, ids["self"])
		}
		// Distinct people, distinct ids.
		seen := map[string]string{}
		for key, id := range ids {
			if other, dup := seen[id]; dup {
				t.Errorf("login %d: %s and %s share id %s", login, key, other, id)
			}
			seen[id] = key
		}
		if first == nil {
			first = ids
			for key, id := range ids {
				wantPrefix := "c"
				switch {
				case key == "self":
					wantPrefix = "u"
				case key == "hike" || key == "family":
					wantPrefix = "g"
				}
				if !strings.HasPrefix(id, wantPrefix) {
					t.Errorf("%s got id %q, want prefix %s", key, id, wantPrefix)
				}
			}
			continue
		}
		for key, id := range first {
			if ids[key] != id {
				t.Errorf("login %d: %s changed id %s → %s", login, key, id, ids[key])
			}
		}
	}

	// The special account is its own id.
	var fh string
	d.readers.QueryRow(`SELECT contact_id FROM user_names WHERE user_name = 'filehelper'`).Scan(&fh)
	if fh != "filehelper" {
		t.Errorf("filehelper id %q", fh)
	}
	// The renamed group was recognised by its members, and says so.
	found := false
	for _, e := range hook.AllEntries() {
		if strings.Contains(e.Message, "renamed while offline") && e.Data["module"] == "db" {
			found = true
		}
		if e.Level <= logrus.WarnLevel {
			t.Errorf("unexpected warning: %s %v", e.Message, e.Data)
		}
	}
	if !found {
		t.Error("no log line for the group renamed while offline")
	}
	// The contact book has the current names.
	ref, err := d.ResolveChat(context.Background(), "main", "周末爬山群")
	if err != nil || ref.ID != first["hike"] || !ref.Current {
		t.Errorf("ResolveChat(周末爬山群) = %+v, %v", ref, err)
	}
	ref, err = d.ResolveChat(context.Background(), "main", "王总")
	if err != nil || ref.ID != first["laowang"] || ref.NickName != "王大锤" || ref.UserName != hexName(4, "laowang", false) {
		t.Errorf("ResolveChat(王总) = %+v, %v", ref, err)
	}
}

func TestHotLoginKeepsGeneration(t *testing.T) {
	d, _, _ := testDB(t)
	w := buildWorld(1)
	mustCommit(t, d, w.batch(false))
	before := idsOf(t, d, w)
	var gen1 int
	d.readers.QueryRow(`SELECT login_gen FROM accounts WHERE name = 'main'`).Scan(&gen1)

	// Hot login: same UserNames, a LoginEvent with method hot, a message.
	b := w.batch(true)
	for i, ev := range b.Events {
		if m, ok := ev.(*wx.Message); ok {
			c := *m
			c.MsgID = "hot-" + m.MsgID
			b.Events[i] = &c
		}
		if l, ok := ev.(*wx.LoginEvent); ok {
			l.Method = wx.LoginHot
		}
	}
	res := mustCommit(t, d, b)
	var gen2 int
	d.readers.QueryRow(`SELECT login_gen FROM accounts WHERE name = 'main'`).Scan(&gen2)
	if gen1 != 1 || gen2 != 1 {
		t.Errorf("login generations %d then %d, want 1 and 1 (hot login keeps UserNames)", gen1, gen2)
	}
	if after := idsOf(t, d, w); !mapsEqual(before, after) {
		t.Errorf("ids changed on hot login:\n%v\n%v", before, after)
	}
	if res.Messages == 0 {
		t.Error("hot-login messages not logged")
	}
}

// Two friends identical in every attribute cannot be told apart, but within one login they
// must still be two contacts.
func TestIndistinguishableFriendsStayTwo(t *testing.T) {
	d, hook, _ := testDB(t)
	for login := 1; login <= 3; login++ {
		w := &world{login: login, names: map[string]string{}}
		self := wx.Contact{UserName: hexName(login, "self", false), Uin: selfUin, NickName: "me"}
		a := wx.Contact{UserName: hexName(login, "twin1", false), NickName: "双胞胎", Sex: 1, ContactFlag: 3}
		b := wx.Contact{UserName: hexName(login, "twin2", false), NickName: "双胞胎", Sex: 1, ContactFlag: 3}
		w.names["twin1"], w.names["twin2"] = a.UserName, b.UserName
		mustCommit(t, d, &wx.Batch{Account: "main", Uin: selfUin, Contacts: []*wx.Contact{&self, &a, &b},
			Session: &wx.Session{SelfUserName: self.UserName}})
		ids := idsOf(t, d, w)
		if ids["twin1"] == ids["twin2"] {
			t.Fatalf("login %d: both twins got %s", login, ids["twin1"])
		}
	}
	var n int
	d.readers.QueryRow(`SELECT COUNT(*) FROM contacts WHERE nickname = '双胞胎'`).Scan(&n)
	if n != 2 {
		t.Errorf("%d contacts for the twins, want 2", n)
	}
	warned := false
	for _, e := range hook.AllEntries() {
		if e.Level == logrus.WarnLevel && strings.Contains(e.Message, "ambiguous") {
			warned = true
		}
	}
	if !warned {
		t.Error("ambiguous match not logged")
	}
}

// Raw ids revealed by the 51/code-4 list win over attributes: a friend whose every attribute
// changed is still recognised.
func TestRawIDFromStatusNotify(t *testing.T) {
	d, _, _ := testDB(t)
	ctx := context.Background()
	for login := 1; login <= 2; login++ {
		self := wx.Contact{UserName: hexName(login, "self", false), Uin: selfUin, NickName: "me"}
		f := wx.Contact{UserName: hexName(login, "f", false), NickName: "old", Sex: 1, ContactFlag: 3}
		if login == 2 {
			f = wx.Contact{UserName: hexName(login, "f", false), NickName: "new", Sex: 1, City: "x", ContactFlag: 3}
		}
		code4 := &wx.Message{MsgID: fmt.Sprintf("n%d", login), Kind: wx.KindOwnerActive, MsgType: 51, IsSelf: true,
			Chat: wx.Peer{UserName: self.UserName, IsSelf: true}, Sender: wx.Peer{UserName: self.UserName, IsSelf: true},
			OwnerActivity: &wx.OwnerActivity{Code: 4, Chats: []string{f.UserName}, RawIDs: []string{"wxid_friend"}}}
		mustCommit(t, d, &wx.Batch{Account: "main", Uin: selfUin, Contacts: []*wx.Contact{&self, &f},
			Events: []wx.Event{code4}, Session: &wx.Session{SelfUserName: self.UserName}})
	}
	ref, err := d.ResolveChat(ctx, "main", "wxid_friend")
	if err != nil || ref.ID != "c1" || ref.NickName != "new" {
		t.Fatalf("ResolveChat(wxid_friend) = %+v, %v; want c1 named new", ref, err)
	}
	cs, _ := d.Contacts(ctx, "main", ContactFilter{})
	if len(cs) != 1 {
		t.Errorf("%d contacts, want 1: %+v", len(cs), cs)
	}
}

// A member event and a contact event get their peers' ids, and update the member table.
func TestMemberAndContactEvents(t *testing.T) {
	d, _, _ := testDB(t)
	ctx := context.Background()
	w := buildWorld(1)
	mustCommit(t, d, w.batch(false))
	ids := idsOf(t, d, w)
	hike := w.groups[0].Peer()
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.Local)
	newcomer := wx.Peer{UserName: hexName(1, "newbie", false), NickName: "新人"}
	leaver := wx.Peer{UserName: w.names["hike-stranger1"], NickName: "路人甲"}
	renamed := hike
	renamed.NickName = "徒步群2"
	res := mustCommit(t, d, &wx.Batch{Account: "main", Uin: selfUin, Events: []wx.Event{
		&wx.MemberEvent{Change: wx.MemberJoined, Group: hike, Member: newcomer, Time: at},
		&wx.MemberEvent{Change: wx.MemberLeft, Group: hike, Member: leaver, Time: at},
		&wx.ContactEvent{Change: wx.GroupRenamed, Contact: renamed, OldName: "周末徒步群", Time: at},
	}})
	if len(res.Events) != 3 {
		t.Fatalf("%d events", len(res.Events))
	}
	j := res.Events[0].Event.(*wx.MemberEvent)
	if j.Group.ID != ids["hike"] || j.Member.ID == "" {
		t.Errorf("join peers %q %q", j.Group.ID, j.Member.ID)
	}
	l := res.Events[1].Event.(*wx.MemberEvent)
	if l.Member.ID != ids["hike-stranger1"] {
		t.Errorf("leaver id %q, want %q", l.Member.ID, ids["hike-stranger1"])
	}
	if c := res.Events[2].Event.(*wx.ContactEvent); c.Contact.ID != ids["hike"] {
		t.Errorf("renamed group id %q", c.Contact.ID)
	}
	ms, err := d.Members(ctx, "main", ids["hike"])
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range ms {
		names = append(names, m.Name())
	}
	if !slices.Contains(names, "新人") || slices.Contains(names, "路人甲") || !slices.Contains(names, "杰哥") {
		t.Errorf("members after join/leave: %v", names)
	}
	var changes int
	d.readers.QueryRow(`SELECT COUNT(*) FROM group_changes WHERE group_id = ?`, ids["hike"]).Scan(&changes)
	if changes != 3 {
		t.Errorf("group_changes has %d rows, want 3", changes)
	}
	ref, err := d.ResolveChat(ctx, "main", "徒步群2")
	if err != nil || ref.ID != ids["hike"] {
		t.Errorf("renamed group not found by new name: %+v %v", ref, err)
	}
	if _, err := d.Members(ctx, "main", "g999"); !errorsIs(err, ErrNotFound) {
		t.Errorf("Members(unknown) = %v", err)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
