package wxsim

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

func (s *Server) newMsg(id uint64) *wireMsg {
	return &wireMsg{MsgId: strconv.FormatUint(id, 10), NewMsgId: id, Status: 3, ImgStatus: 1, CreateTime: s.now().Unix()}
}

func (s *Server) deliverMsg(sess *session, m *wireMsg, selector int) {
	s.appendMsg(sess, m.MsgId, entry{kind: entryMsg, selector: selector, data: marshal(m)})
}

// appendMsg adds a message entry to a session's log and tells OnMessage; callers hold s.mu.
func (s *Server) appendMsg(sess *session, msgID string, e entry) {
	if sess.ended != 0 {
		return // an ended session's log is closed: nobody will fetch it
	}
	e.msgID = msgID
	sess.append(e, s.opts.MaxBacklog)
	if s.opts.OnMessage != nil {
		s.opts.OnMessage(msgID)
	}
}

// deliverContact emits a ModContactList entry; groups carry their whole MemberList, the
// only place leaves are visible.
func (s *Server) deliverContact(sess *session, c *contact) {
	sess.append(entry{kind: entryMod, selector: selProfile, data: marshal(s.wireModContact(sess, c))}, s.opts.MaxBacklog)
}

func (s *Server) deliverDelContact(sess *session, c *contact) {
	sess.append(entry{kind: entryDel, selector: selContact, data: marshal(wireDelContact{UserName: sess.userName(c)})}, s.opts.MaxBacklog)
}

// endSession ends a session with retcode (1100, 1101, 1102), telling OnUnfetched which of its
// messages no webwxsync handed out: no client can fetch them any more. Callers hold s.mu.
func (s *Server) endSession(sess *session, retcode int) {
	if sess.ended != 0 {
		return
	}
	if s.opts.OnUnfetched != nil {
		var ids []string
		for i := max(sess.acked, sess.base); i < sess.end(); i++ {
			if e := sess.at(i); e.kind == entryMsg {
				ids = append(ids, e.msgID)
			}
		}
		if len(ids) > 0 {
			s.opts.OnUnfetched(ids)
		}
	}
	sess.finish(retcode)
	// Every call of an ended session is answered with its retcode: its log is never read
	// again. Keep the cursor where it was (State still counts it), free the entries.
	sess.base += len(sess.entries)
	sess.entries, sess.redeliver = nil, nil
}

// handleSyncCheck is the long poll on webpush.<host>. It answers at once while events wait
// after the client's key — so a non-zero selector repeats until webwxsync advances the
// key — and after LongPoll with selector 0.
func (s *Server) handleSyncCheck(w http.ResponseWriter, r *http.Request) {
	answer := func(retcode, selector int) {
		body := fmt.Sprintf(`window.synccheck={retcode:"%d",selector:"%d"}`, retcode, selector)
		writeBody(w, http.StatusOK, ctJS, []byte(body))
	}
	if cookie(r, "wxsid") == "" && cookie(r, "wxuin") == "" {
		answer(retCookie, 0)
		return
	}
	q := r.URL.Query()
	s.mu.Lock()
	sess, ret := s.authenticate(r, baseRequest{})
	if ret != 0 {
		s.mu.Unlock()
		answer(ret, 0)
		return
	}
	if kind, fam := classify(r.Host); kind != hostPlain && (kind != hostPush || fam != s.opts.Host) {
		s.mu.Unlock()
		answer(retLoggedOut, 0) // the classic hard-coded push host
		return
	}
	cursor := sess.acked
	if k := q.Get("synckey"); k != "" {
		cursor = sess.cursorOf(parseSyncCheckKey(k))
	}
	timer := time.NewTimer(s.opts.LongPoll)
	defer timer.Stop()
	for {
		switch {
		case sess.ended != 0:
			s.mu.Unlock()
			answer(sess.ended, 0)
			return
		case len(sess.redeliver) > 0:
			s.mu.Unlock()
			answer(0, selMessage)
			return
		case sess.clamp(cursor) < sess.end():
			sel := sess.at(sess.clamp(cursor)).selector
			s.mu.Unlock()
			answer(0, sel)
			return
		}
		wake := sess.waitChan()
		s.mu.Unlock()
		select {
		case <-wake:
		case <-timer.C:
			answer(0, 0)
			return
		case <-r.Context().Done():
			return
		}
		s.mu.Lock()
	}
}

// handleSync hands out at most SyncPageSize events after the client's SyncKey, with
// ContinueFlag 1 while more wait. The returned SyncKey and SyncCheckKey encode the same
// new cursor.
func (s *Server) handleSync(w http.ResponseWriter, r *http.Request) {
	var req struct {
		BaseRequest baseRequest
		SyncKey     syncKeyIn
	}
	if err := readJSON(r, &req); err != nil {
		writeRet(w, retParse, err.Error())
		return
	}
	s.mu.Lock()
	sess, ret := s.authenticate(r, req.BaseRequest)
	if ret != 0 {
		s.mu.Unlock()
		writeRet(w, ret, "")
		return
	}
	keys := make(map[int64]int64, len(req.SyncKey.List))
	for _, kv := range req.SyncKey.List {
		keys[int64(kv.Key)] = int64(kv.Val)
	}
	cursor := sess.cursorOf(keys)
	end := min(cursor+s.opts.SyncPageSize, sess.end())
	var msgs, mods, dels [][]byte
	for _, e := range sess.redeliver {
		msgs = append(msgs, e.data)
	}
	sess.redeliver = nil
	var page []entry
	for i := cursor; i < end; i++ {
		e := sess.at(i)
		switch e.kind {
		case entryMsg:
			msgs = append(msgs, e.data)
			page = append(page, e)
		case entryMod:
			mods = append(mods, e.data)
		case entryDel:
			dels = append(dels, e.data)
		}
	}
	msgs = s.duplicateFault(sess, msgs, page)
	continueFlag := 0
	if end < sess.end() {
		continueFlag = 1
	}
	sess.acked = end
	now := s.now()
	key := marshal(sess.syncKey(end, now, true))
	skey := sess.skey
	s.setCookies(w, r, sess, false)
	s.mu.Unlock()

	var b bytes.Buffer
	b.WriteString(`{"BaseResponse":{"Ret":0,"ErrMsg":""},`)
	writeList(&b, "AddMsg", msgs)
	writeList(&b, "ModContact", mods)
	writeList(&b, "DelContact", dels)
	b.WriteString(`"ModChatRoomMemberCount":0,"ModChatRoomMemberList":[],"Profile":`)
	b.WriteString(emptyProfile)
	fmt.Fprintf(&b, `,"ContinueFlag":%d,"SyncKey":%s,"SKey":"%s","SyncCheckKey":%s}`, continueFlag, key, skey, key)
	writeBody(w, http.StatusOK, ctJSON, b.Bytes())
}

func writeList(b *bytes.Buffer, name string, items [][]byte) {
	fmt.Fprintf(b, `"%sCount":%d,"%sList":[`, name, len(items), name)
	for i, it := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(it)
	}
	b.WriteString("],")
}

// emptyProfile is the Profile of an answer without profile changes (BitFlag 0).
const emptyProfile = `{"BitFlag":0,"UserName":{"Buff":""},"NickName":{"Buff":""},"BindUin":0,"BindEmail":{"Buff":""},"BindMobile":{"Buff":""},"Status":0,"Sex":0,"PersonalCard":0,"Alias":"","HeadImgUpdateFlag":0,"HeadImgUrl":"","Signature":""}`
