package wxsim

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/sirupsen/logrus"
)

// RunTimeline waits for a login, then injects the scenario's timeline, each entry At
// after that login (at once if a session is already live). A failing entry is logged and
// skipped. It returns when the timeline is done, or with ctx's error.
func (s *Server) RunTimeline(ctx context.Context) error {
	if err := s.WaitLogin(ctx); err != nil {
		return fmt.Errorf("timeline: %w", err)
	}
	entries := append([]TimelineEntry(nil), s.opts.Scenario.Timeline...)
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].At < entries[j].At })
	start := time.Now()
	for i, e := range entries {
		t := time.NewTimer(time.Until(start.Add(e.At)))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("timeline: %w", ctx.Err())
		case <-t.C:
		}
		fields := logrus.Fields{"entry": i, "at": e.At, "kind": e.Kind}
		if id, err := s.Inject(e.Injection); err != nil {
			s.log.WithFields(fields).WithError(err).Warn("timeline entry failed")
		} else {
			s.log.WithFields(fields).WithField("msg_id", id).Debug("timeline entry injected")
		}
	}
	return nil
}

// loadKinds are what a LoadSpec mix may name.
var loadKinds = map[string]bool{"text": true, "image": true, "voice": true, "video": true, "emoticon": true,
	"link": true, "file": true, "redpacket": true, "transfer": true, "recall": true, "join": true, "leave": true}

// loadState is the generator's memory: its groups and recent messages to recall.
type loadState struct {
	groups []*contact
	recent []msgRef // ring of the last messages, for recalls
	next   int
	people int // strangers created for joins
}

// ensureLoadGroups creates the generated groups (saved, so getcontact lists them),
// announcing them with ModContactList when a session is live. Callers hold s.mu.
func (s *Server) ensureLoadGroups(spec LoadSpec) {
	if s.load == nil {
		s.load = &loadState{recent: make([]msgRef, 0, 64)}
	}
	for gi := len(s.load.groups); gi < spec.Groups; gi++ {
		g := s.world.newGroup(s.ids, fmt.Sprintf("压测群%03d", gi+1), true)
		g.members = append(g.members, member{c: s.world.self})
		for mi := 0; mi < spec.Members; mi++ {
			p := s.world.add(&contact{kind: kindStranger, raw: s.ids.wxid(), nick: fmt.Sprintf("群%03d成员%03d", gi+1, mi+1),
				uin: s.ids.hiddenUin(), sex: 1 + mi%2})
			g.members = append(g.members, member{c: p})
		}
		g.owner = g.members[1%len(g.members)].c
		s.load.groups = append(s.load.groups, g)
		if sess := s.liveSession(); sess != nil {
			s.deliverContact(sess, g)
		}
	}
}

// RunLoad injects generated traffic into spec.Groups groups at spec.Rate messages per
// second, kinds drawn from spec.Mix, until ctx ends. It paces in 10 ms steps and injects
// each step's messages under one lock: no goroutine per message.
func (s *Server) RunLoad(ctx context.Context, spec LoadSpec) error {
	if spec.Groups <= 0 || spec.Members < 2 || spec.Rate <= 0 {
		return fmt.Errorf("wxsim: load: need groups > 0, members ≥ 2 and rate > 0, got %+v", spec)
	}
	if len(spec.Mix) == 0 {
		spec.Mix = map[string]float64{"text": 1}
	}
	var kinds []string
	var cum []float64
	total := 0.0
	for k := range spec.Mix {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds) // map order is random; the seed must reproduce the run
	for _, k := range kinds {
		if !loadKinds[k] || spec.Mix[k] < 0 {
			return fmt.Errorf("wxsim: load: mix kind %q (weight %v) is not allowed", k, spec.Mix[k])
		}
		total += spec.Mix[k]
		cum = append(cum, total)
	}
	if total <= 0 {
		return fmt.Errorf("wxsim: load: mix weights sum to 0")
	}
	s.mu.Lock()
	s.ensureLoadGroups(spec)
	groups := s.load.groups[:spec.Groups]
	s.mu.Unlock()

	// A step injects at most 50 ms worth, so the lock is never held long; a generator that
	// falls behind (a slow machine) drops what it cannot catch up within a second.
	step := max(1, int(spec.Rate/20))
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	start, done := time.Now(), 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		due := int(spec.Rate * time.Since(start).Seconds())
		done = max(done, due-int(spec.Rate))
		s.mu.Lock()
		for n := 0; done < due && n < step; n++ {
			r := s.ids.r.Float64() * total
			s.loadOne(groups, kinds[sort.SearchFloat64s(cum, r)])
			done++
		}
		s.mu.Unlock()
	}
}

var loadTexts = []string{"收到", "明天几点集合？", "营业时间是几点", "哈哈哈😂", "5 > 3 & 2 < 4", "好的<br>没问题\n谢谢"}

// loadOne injects one generated event; callers hold s.mu.
func (s *Server) loadOne(groups []*contact, kind string) {
	r := s.ids.r
	g := groups[r.IntN(len(groups))]
	// Index 0 is self; others are picked among the rest.
	pick := func() *contact { return g.members[1+r.IntN(len(g.members)-1)].c }
	ld := s.load
	switch kind {
	case "recall":
		if len(ld.recent) > 0 {
			ref := ld.recent[r.IntN(len(ld.recent))]
			if sess := s.liveSession(); sess != nil {
				s.deliverMsg(sess, s.recallMsg(sess, s.newMsg(s.ids.nextMsgID()), ref), selMessage)
			}
			return
		}
		kind = "text"
	case "join":
		ld.people++
		p := s.world.add(&contact{kind: kindStranger, raw: s.ids.wxid(), nick: fmt.Sprintf("新人%05d", ld.people), uin: s.ids.hiddenUin()})
		s.joinGroup(g, pick(), []*contact{p}, r.IntN(2) == 0)
		return
	case "leave":
		if len(g.members) > 3 {
			s.leaveGroup(g, nil, []*contact{pick()})
			return
		}
		kind = "text"
	}
	from := pick()
	text := loadTexts[r.IntN(len(loadTexts))]
	if r.IntN(10) == 0 {
		text = "@" + mentionName(g, r.IntN(len(g.members))) + " " + text
	}
	in := Injection{Kind: kind, Text: text, Title: "压测链接", URL: "https://example.com/a?b=1&c=2", Name: "压测.pdf", Size: 2048, Amount: "1.00", Seconds: 3}
	id := s.emit(in, g, from, nil)
	ref := msgRef{id: id, chat: g, from: from}
	if len(ld.recent) < cap(ld.recent) {
		ld.recent = append(ld.recent, ref)
	} else {
		ld.recent[ld.next] = ref
		ld.next = (ld.next + 1) % len(ld.recent)
	}
}
