package wx

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Handler receives one Batch per webwxsync answer. It must not keep the batch's slices after
// returning. Returning an error makes Run keep the old SyncKey and retry after a pause: the
// server delivers the same messages again, so nothing is lost.
type Handler func(ctx context.Context, b *Batch) error

// ErrSessionEnded wraps the protocol error with which Run ends when the server ends the
// session; the last batch handed to the handler carries a LogoutEvent saying why.
var ErrSessionEnded = errors.New("session ended")

// Run long-polls synccheck and hands every webwxsync answer to handler as a Batch, until ctx
// ends or the session ends (1100, 1101, 1102: the handler first gets a batch with a
// LogoutEvent; Run then returns an error wrapping ErrSessionEnded and the protocol error).
// Network errors and 5xx are retried with capped exponential backoff and jitter.
//
// Run must be called from one goroutine at a time; the handler runs on it.
func (c *Client) Run(ctx context.Context, handler Handler) error {
	failures, unknown := 0, 0
	pause := func() error {
		d := backoff(c.opts.RetryBase, c.opts.RetryMax, failures)
		failures++
		return sleep(ctx, d)
	}
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		retcode, selector, err := c.syncCheck(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			c.log.WithError(err).Warn("synccheck failed; retrying")
			if err := pause(); err != nil {
				return err
			}
			continue
		}
		switch retcode {
		case 0:
			unknown = 0
		case 1100, 1101, 1102:
			return c.ended(ctx, handler, &RetError{Op: "synccheck", Ret: retcode})
		default:
			unknown++
			if unknown >= c.opts.MaxUnknownRetcodes {
				return fmt.Errorf("synccheck: %d unknown retcodes in a row (last %d)", unknown, retcode)
			}
			c.log.WithField("retcode", retcode).Warn("synccheck: unknown retcode; retrying")
			if err := pause(); err != nil {
				return err
			}
			continue
		}
		if selector == 0 {
			failures = 0
			continue
		}
		// A non-zero selector means the server has something: sync (and again at once while
		// ContinueFlag says more pages wait).
		for more := true; more; {
			more, err = c.syncOnce(ctx, handler)
			if err != nil {
				break
			}
		}
		switch {
		case err == nil:
			failures = 0
		case ctx.Err() != nil:
			return ctx.Err()
		case IsSessionEnded(err):
			return c.ended(ctx, handler, err)
		default:
			c.log.WithError(err).Warn("sync failed; retrying with the same SyncKey")
			if err := pause(); err != nil {
				return err
			}
		}
	}
}

// ended reports the end of the session to the handler and returns the error Run ends with.
func (c *Client) ended(ctx context.Context, handler Handler, cause error) error {
	code := 0
	var re *RetError
	if errors.As(cause, &re) {
		code = re.Ret
	}
	ev := &LogoutEvent{Code: code, Reason: LogoutReason(code), Err: cause, Time: time.Now()}
	c.log.WithField("code", code).WithField("reason", ev.Reason).Error("session ended")
	b := &Batch{Account: c.opts.Account, Uin: c.uin(), Events: []Event{ev}}
	if err := handler(ctx, b); err != nil {
		c.log.WithError(err).Warn("handler failed on the logout event")
	}
	c.setSession(nil)
	if c.opts.Store != nil {
		if err := c.opts.Store.DeleteSession(ctx, c.opts.Account); err != nil {
			c.log.WithError(err).Warn("could not delete the ended session")
		}
	}
	return fmt.Errorf("%w: %w", ErrSessionEnded, cause)
}

func (c *Client) uin() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return 0
	}
	return c.sess.Uin
}

// syncCheck long-polls webpush.<host>/synccheck with the SyncCheckKey (the SyncKey when the
// server gave none).
func (c *Client) syncCheck(ctx context.Context) (retcode, selector int, err error) {
	c.mu.Lock()
	if c.sess == nil {
		c.mu.Unlock()
		return 0, 0, ErrNotLoggedIn
	}
	br, key, push := c.sess.BaseRequest, c.sess.SyncCheckKey, c.hosts.Push
	if key.IsZero() {
		key = c.sess.SyncKey
	}
	c.mu.Unlock()
	ms := nowMillis()
	u := "https://" + push + cgiPath + "/synccheck?r=" + ms + "&skey=" + escape(br.Skey) + "&sid=" + escape(br.Sid) +
		"&uin=" + strconv.FormatInt(br.Uin, 10) + "&deviceid=" + br.DeviceID + "&synckey=" + escape(key.String()) + "&_=" + ms
	data, err := c.do(ctx, "synccheck", http.MethodGet, u, nil, nil)
	if err != nil {
		return 0, 0, err
	}
	return ParseSyncCheck(data)
}

// syncOnce calls webwxsync once, builds the batch, hands it over and, only when the handler
// succeeded, moves the cursor. It reports whether ContinueFlag asks for another page.
func (c *Client) syncOnce(ctx context.Context, handler Handler) (more bool, err error) {
	c.mu.Lock()
	if c.sess == nil {
		c.mu.Unlock()
		return false, ErrNotLoggedIn
	}
	br, pt, api, key := c.sess.BaseRequest, c.sess.PassTicket, c.hosts.API, c.sess.SyncKey
	c.mu.Unlock()
	u := apiURL(api, "webwxsync", "sid", escape(br.Sid), "skey", escape(br.Skey), "lang", "zh_CN", "pass_ticket", pt)
	body := map[string]any{"BaseRequest": br, "SyncKey": key, "rr": -time.Now().Unix()}
	data, err := c.doJSON(ctx, "webwxsync", u, body)
	if err != nil {
		return false, err
	}
	resp, err := DecodeSyncResponse(data)
	if err != nil {
		return false, fmt.Errorf("webwxsync: %w", err)
	}
	if resp.BaseResponse.Ret != 0 {
		return false, &RetError{Op: "webwxsync", Ret: resp.BaseResponse.Ret, ErrMsg: resp.BaseResponse.ErrMsg}
	}

	tx := c.book.begin()
	batch, accepted := c.buildBatch(ctx, tx, resp)

	next := c.sessionSnapshot()
	if resp.SyncKey.Count > 0 && len(resp.SyncKey.List) > 0 {
		next.SyncKey = resp.SyncKey
	}
	if len(resp.SyncCheckKey.List) > 0 {
		next.SyncCheckKey = resp.SyncCheckKey
	} else {
		next.SyncCheckKey = next.SyncKey
	}
	if resp.SKey != "" {
		next.BaseRequest.Skey = resp.SKey
	}
	batch.Session = next

	if err := handler(ctx, batch); err != nil {
		return false, fmt.Errorf("handler: %w", err)
	}
	// The handler committed the batch: now, and only now, the cursor moves.
	tx.commit()
	for _, id := range accepted {
		c.seen.add(id)
	}
	c.mu.Lock()
	if c.sess != nil {
		c.sess.SyncKey, c.sess.SyncCheckKey, c.sess.BaseRequest.Skey = next.SyncKey, next.SyncCheckKey, next.BaseRequest.Skey
	}
	c.mu.Unlock()
	return resp.ContinueFlag != 0, nil
}

// doJSON posts and returns the raw answer (the caller decodes it).
func (c *Client) doJSON(ctx context.Context, op, u string, body any) ([]byte, error) {
	buf, err := marshalNoEscape(body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return c.do(ctx, op, http.MethodPost, u, strings.NewReader(string(buf)), http.Header{"Content-Type": {"application/json; charset=UTF-8"}})
}

// buildBatch turns one webwxsync answer into a Batch. Unknown groups and senders are looked up
// (batched) before classification, so every message names its chat and sender. It returns the
// MsgIds to remember as seen once the handler accepted the batch.
func (c *Client) buildBatch(ctx context.Context, tx *bookTx, resp *SyncResponse) (*Batch, []string) {
	now := time.Now()
	b := &Batch{Account: c.opts.Account, Uin: c.uin()}
	touched := map[string]*Contact{}

	// Contact changes first, so messages in the same answer see new groups and names; their
	// events go after the messages (arrival order: the messages happened first).
	var contactEvents []Event
	var refetch []string
	for i := range resp.ModContactList {
		fresh := contactFromRaw(&resp.ModContactList[i], tx.Self())
		evs, partial := tx.upsert(fresh, now)
		contactEvents = append(contactEvents, evs...)
		touched[fresh.UserName] = fresh
		if partial {
			refetch = append(refetch, fresh.UserName)
		}
	}
	for _, del := range resp.DelContactList {
		if old := tx.Contact(del.UserName); old != nil {
			contactEvents = append(contactEvents, &ContactEvent{Change: ContactRemoved, Contact: old.Peer(), Time: now})
		}
		tx.remove(del.UserName)
	}

	// Groups and members we don't know yet: one batched lookup, never one per message.
	var missing []string
	for _, e := range resp.Messages {
		for _, name := range []string{e.Raw.FromUserName, e.Raw.ToUserName} {
			if IsGroupUserName(name) {
				g := tx.Contact(name)
				if g == nil || len(g.Members) == 0 || (senderOf(&e.Raw) != "" && g.Member(senderOf(&e.Raw)) == nil) {
					missing = append(missing, name)
				}
			}
		}
	}
	missing = append(missing, refetch...)
	if items := groupItems(missing); len(items) > 0 {
		raws, err := c.batchGet(ctx, items)
		if err != nil {
			c.log.WithError(err).Warn("could not look up unknown groups; their senders stay unnamed")
		}
		for i := range raws {
			fresh := contactFromRaw(&raws[i], tx.Self())
			evs, _ := tx.upsert(fresh, now)
			contactEvents = append(contactEvents, evs...)
			touched[fresh.UserName] = fresh
		}
	}

	var accepted []string
	inBatch := map[string]bool{}
	for _, e := range resp.Messages {
		id := e.Raw.MsgID
		if id != "" && (c.seen.has(id) || inBatch[id]) {
			continue // a duplicated delivery
		}
		inBatch[id] = true
		m := Classify(&e.Raw, e.JSON, tx)
		if m.IsSelf {
			m.Echo = c.echoes.match(m.MsgID, &e.Raw)
		}
		if m.Kind == KindOwnerActive && m.OwnerActivity != nil && len(m.OwnerActivity.RawIDs) > 0 {
			learnRawIDs(tx, m.OwnerActivity.Chats, m.OwnerActivity.RawIDs, touched)
		}
		b.Events = append(b.Events, m)
		accepted = append(accepted, id)
	}
	b.Events = append(b.Events, contactEvents...)
	for _, ct := range touched {
		b.Contacts = append(b.Contacts, ct)
	}
	return b, accepted
}

// learnRawIDs records the raw ids the status-notify code 4 list reveals: the only bulk
// UserName → permanent id map the protocol gives. The book keeps the whole contact; the batch
// gets the group without its member list unless the list itself arrived in this batch: the
// list did not change, and a store re-resolves every member it is given (a code 4 list names
// every group after every login: tens of thousands of members for nothing).
func learnRawIDs(tx *bookTx, names, raws []string, touched map[string]*Contact) {
	for i := 0; i < len(names) && i < len(raws); i++ {
		ct := tx.Contact(names[i])
		if ct == nil || raws[i] == "" || ct.RawID == raws[i] {
			continue
		}
		cp := *ct
		cp.RawID = raws[i]
		tx.put(&cp)
		if t, ok := touched[cp.UserName]; ok {
			withID := *t
			withID.RawID = raws[i]
			touched[cp.UserName] = &withID
			continue
		}
		light := cp
		light.Members = nil
		touched[cp.UserName] = &light
	}
}

// senderOf returns the group sender UserName from a group message's content prefix.
func senderOf(r *RawMessage) string {
	if !IsGroupUserName(r.FromUserName) {
		return ""
	}
	i := strings.Index(r.Content, ":<br/>")
	if i <= 0 || !strings.HasPrefix(r.Content, "@") {
		return ""
	}
	return r.Content[:i]
}
