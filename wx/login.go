package wx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Login gets a session: hot login from the saved session first, then push login (the phone
// confirms a prompt, no QR), then QR login. On success the contact book is loaded, the session
// is saved, and a LoginEvent describes what happened.
func (c *Client) Login(ctx context.Context) (*LoginEvent, error) {
	var pushUin int64
	if c.opts.Store != nil {
		saved, err := c.opts.Store.LoadSession(ctx, c.opts.Account)
		switch {
		case err == nil:
			pushUin = saved.Uin
			ev, herr := c.hotLogin(ctx, saved)
			if herr == nil {
				return ev, nil
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if IsTransient(herr) {
				// The network failed, not the session: keep it for the next try.
				return nil, fmt.Errorf("login: %w (the saved session is kept for the next try)", herr)
			}
			c.log.WithError(herr).Warn("saved session no longer works; forgetting it")
			if derr := c.opts.Store.DeleteSession(ctx, c.opts.Account); derr != nil {
				c.log.WithError(derr).Warn("could not delete the stale session")
			}
		case errors.Is(err, ErrNoSession):
		default:
			return nil, fmt.Errorf("login: loading the saved session: %w", err)
		}
	}
	if pushUin == 0 {
		// A session the server ended (1100/1101/1102) was deleted from the store by Run, but
		// this process still has its uin and cookies: the phone can confirm without a QR.
		c.mu.Lock()
		pushUin = c.lastUin
		c.mu.Unlock()
	}
	if pushUin != 0 && !c.opts.SkipPushLogin {
		ev, err := c.pushLogin(ctx, pushUin)
		if err == nil {
			return ev, nil
		}
		if ctx.Err() != nil || errors.Is(err, ErrWebLoginForbidden) {
			return nil, err
		}
		if IsTransient(err) {
			// A QR code would wait minutes for a scan; the phone can still confirm once the
			// network is back.
			return nil, fmt.Errorf("login: %w (push login will be tried again)", err)
		}
		c.log.WithError(err).Info("push login did not work; falling back to a QR code")
	}
	return c.qrLogin(ctx)
}

// hotLogin resumes a saved session: cookies with their domains, BaseRequest, pass_ticket, host
// and SyncKey, validated with webwxinit. The saved SyncKey wins over webwxinit's, so nothing
// that arrived while we were down is skipped.
func (c *Client) hotLogin(ctx context.Context, s *Session) (*LoginEvent, error) {
	if s.Host == "" || s.BaseRequest.Sid == "" {
		return nil, fmt.Errorf("hot login: saved session is incomplete: %w", ErrNoSession)
	}
	c.jar.restore(s.Cookies)
	c.setSession(s.Clone())
	ev, err := c.afterLogin(ctx, LoginHot, s)
	if err != nil {
		c.setSession(nil)
		return nil, fmt.Errorf("hot login: %w", err)
	}
	return ev, nil
}

// pushLogin asks the phone to confirm (webwxpushloginurl) using the previous login's cookies.
func (c *Client) pushLogin(ctx context.Context, uin int64) (*LoginEvent, error) {
	host := c.lastHost()
	q := []string{"uin", strconv.FormatInt(uin, 10)}
	if c.opts.Mode == "desktop" {
		q = append(q, "mod", "desktop")
	}
	data, err := c.do(ctx, "webwxpushloginurl", http.MethodGet, apiURL(host, "webwxpushloginurl", q...), nil, nil)
	if err != nil {
		return nil, err
	}
	var ans struct {
		Ret  FlexString `json:"ret"`
		Msg  string     `json:"msg"`
		UUID string     `json:"uuid"`
	}
	if err := json.Unmarshal(data, &ans); err != nil {
		return nil, fmt.Errorf("webwxpushloginurl: %w", errMalformed("answer", string(data)))
	}
	if ans.Ret != "0" || ans.UUID == "" {
		return nil, fmt.Errorf("webwxpushloginurl: ret %q %s", ans.Ret, ans.Msg)
	}
	c.log.Info("asked the phone to confirm the login (push login)")
	deadline, cancel := context.WithTimeout(ctx, c.opts.LoginTimeout)
	defer cancel()
	redirect, err := c.waitForConfirm(deadline, ans.UUID)
	if err != nil {
		return nil, fmt.Errorf("push login: %w", err)
	}
	return c.completeLogin(ctx, LoginPush, redirect)
}

// lastHost is the API host of the previous login, for push login.
func (c *Client) lastHost() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hosts.API != "" {
		return c.hosts.API
	}
	return defaultHost
}

// errQRExpired ends one QR code's wait; a new code is fetched.
var errQRExpired = errors.New("QR code expired")

// qrLogin shows QR codes until one is scanned and confirmed, replacing expired codes up to
// MaxQRCodes times within LoginTimeout.
func (c *Client) qrLogin(ctx context.Context) (*LoginEvent, error) {
	deadline, cancel := context.WithTimeout(ctx, c.opts.LoginTimeout)
	defer cancel()
	for n := 1; n <= c.opts.MaxQRCodes; n++ {
		uuid, err := c.jsLogin(deadline)
		if err != nil {
			return nil, err
		}
		qr := QRCode{UUID: uuid, URL: "https://" + qrHost + "/l/" + uuid, N: n}
		if c.opts.QR != nil {
			c.opts.QR(deadline, qr)
		} else {
			c.log.WithField("url", qr.URL).Info("waiting for the QR code to be scanned")
		}
		redirect, err := c.waitForConfirm(deadline, uuid)
		if errors.Is(err, errQRExpired) {
			c.log.Info("the QR code expired; showing a new one")
			continue
		}
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
				return nil, fmt.Errorf("qr login: nobody scanned the QR code within %v", c.opts.LoginTimeout)
			}
			return nil, fmt.Errorf("qr login: %w", err)
		}
		return c.completeLogin(ctx, LoginQR, redirect)
	}
	return nil, fmt.Errorf("qr login: %d QR codes expired without a scan", c.opts.MaxQRCodes)
}

// jsLogin asks for a login uuid.
func (c *Client) jsLogin(ctx context.Context) (string, error) {
	redirect := "https://" + defaultHost + cgiPath + "/webwxnewloginpage"
	if c.opts.Mode == "desktop" {
		redirect += "?mod=desktop"
	}
	u := "https://" + loginHost + "/jslogin?appid=" + appID + "&redirect_uri=" + url.QueryEscape(redirect) +
		"&fun=new&lang=zh_CN&_=" + nowMillis()
	data, err := c.do(ctx, "jslogin", http.MethodGet, u, nil, nil)
	if err != nil {
		return "", err
	}
	return ParseJSLogin(data)
}

// waitForConfirm long-polls the login state until the phone confirms (200), the code expires
// (400) or ctx ends. Network errors are retried with backoff.
func (c *Client) waitForConfirm(ctx context.Context, uuid string) (string, error) {
	tip, failures, scanned := "1", 0, false
	for {
		u := "https://" + loginHost + cgiPath + "/login?loginicon=true&uuid=" + url.QueryEscape(uuid) +
			"&tip=" + tip + "&r=" + strconv.FormatInt(-rand.Int64N(1<<31), 10) + "&_=" + nowMillis()
		tip = "0"
		data, err := c.do(ctx, "login", http.MethodGet, u, nil, nil)
		if err != nil {
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
			if !isRetryable(err) {
				return "", err
			}
			if err := sleep(ctx, backoff(c.opts.RetryBase, c.opts.RetryMax, failures)); err != nil {
				return "", err
			}
			failures++
			continue
		}
		failures = 0
		poll, err := ParseLoginPoll(data)
		if err != nil {
			return "", err
		}
		switch poll.Code {
		case 200:
			return poll.RedirectURI, nil
		case 201:
			if !scanned {
				c.log.Info("QR code scanned; confirm the login on the phone")
				scanned = true
			}
		case 400:
			return "", errQRExpired
		case 408:
		default:
			return "", fmt.Errorf("login poll: unexpected code %d", poll.Code)
		}
	}
}

// completeLogin fetches the credentials from the confirmed login's redirect and loads the
// session.
func (c *Client) completeLogin(ctx context.Context, method LoginMethod, redirect string) (*LoginEvent, error) {
	api, err := hostOf(redirect)
	if err != nil {
		return nil, err
	}
	sep := "&"
	if !strings.Contains(redirect, "?") {
		sep = "?"
	}
	header := http.Header{}
	if c.opts.Mode == "desktop" {
		// Desktop mode changes exactly this request's headers (PROTOCOL.md §2.3).
		header.Set("client-version", "2.0.0")
		header.Set("extspam", c.opts.Extspam)
	}
	data, err := c.do(ctx, "webwxnewloginpage", http.MethodGet, redirect+sep+"fun=new&version=v2", nil, header)
	if err != nil {
		return nil, err
	}
	creds, err := ParseNewLoginPage(data)
	if err != nil {
		if errors.Is(err, ErrWebLoginForbidden) && c.opts.Mode != "desktop" {
			return nil, fmt.Errorf("%w — this account may not use web WeChat; try mode = \"desktop\" for it in the config", err)
		}
		return nil, err
	}
	s := &Session{
		Uin: creds.Uin, Host: api, Mode: c.opts.Mode, PassTicket: creds.PassTicket,
		BaseRequest: BaseRequest{Uin: creds.Uin, Sid: creds.Sid, Skey: creds.Skey, DeviceID: newDeviceID()},
	}
	c.setSession(s)
	ev, err := c.afterLogin(ctx, method, nil)
	if err != nil {
		c.setSession(nil)
		return nil, err
	}
	return ev, nil
}

// newDeviceID makes the per-login device id: 'e' and 15 random digits.
func newDeviceID() string {
	return "e" + fmt.Sprintf("%015d", rand.Int64N(1e15))
}

func (c *Client) setSession(s *Session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sess = s
	if s != nil {
		c.hosts = hostsFor(s.Host)
		if s.Uin != 0 {
			c.lastUin = s.Uin
		}
	}
}

type initAnswer struct {
	ContactList      []RawContact
	SyncKey          SyncKey
	User             RawContact
	ChatSet          string
	SKey             string
	InviteStartCount int
}

// afterLogin runs what every login method shares: webwxinit, status notify, the contact book,
// and saving the session. saved is the restored session for a hot login (its SyncKey wins).
func (c *Client) afterLogin(ctx context.Context, method LoginMethod, saved *Session) (*LoginEvent, error) {
	br, pt, h, err := c.creds()
	if err != nil {
		return nil, err
	}
	var in initAnswer
	u := apiURL(h.API, "webwxinit", "r", strconv.FormatInt(-time.Now().UnixMilli()/1000, 10), "lang", "zh_CN", "pass_ticket", pt)
	if err := c.postJSON(ctx, "webwxinit", u, map[string]any{"BaseRequest": br}, &in); err != nil {
		return nil, err
	}
	self := contactFromRaw(&in.User, nil)
	self.Uin = int64(in.User.Uin)
	c.mu.Lock()
	if in.SKey != "" {
		c.sess.BaseRequest.Skey = in.SKey
	}
	if saved != nil && !saved.SyncKey.IsZero() {
		c.sess.SyncKey, c.sess.SyncCheckKey = saved.SyncKey, saved.SyncCheckKey
	} else {
		c.sess.SyncKey, c.sess.SyncCheckKey = in.SyncKey, in.SyncKey
	}
	c.sess.SelfUserName = self.UserName
	if in.InviteStartCount > 0 {
		c.inviteStartCount = in.InviteStartCount
	}
	c.mu.Unlock()

	if err := c.statusNotify(ctx, 3, self.UserName); err != nil {
		c.log.WithError(err).Warn("status notify failed; carrying on")
	}
	if c.opts.ContactGate != nil {
		release, err := c.opts.ContactGate(ctx)
		if err != nil {
			return nil, fmt.Errorf("login: waiting to load the contact book: %w", err)
		}
		defer release()
	}
	raws, err := c.fetchContacts(ctx)
	if err != nil {
		return nil, err
	}
	contacts := make(map[string]*Contact, len(raws)+len(in.ContactList))
	var groupNames []string
	add := func(r *RawContact) {
		ct := contactFromRaw(r, self)
		if ct.UserName == "" || ct.UserName == self.UserName {
			return
		}
		if ct.IsGroup() {
			groupNames = append(groupNames, ct.UserName)
		}
		contacts[ct.UserName] = ct
	}
	for i := range raws {
		add(&raws[i])
	}
	// Groups not saved to the address book appear only in init's ContactList and ChatSet.
	for i := range in.ContactList {
		add(&in.ContactList[i])
	}
	groupNames = append(groupNames, splitChatSet(in.ChatSet)...)
	if items := groupItems(groupNames); len(items) > 0 {
		full, err := c.batchGet(ctx, items)
		if err != nil {
			return nil, err
		}
		for i := range full {
			add(&full[i])
		}
	}
	list := make([]*Contact, 0, len(contacts))
	for _, ct := range contacts {
		list = append(list, ct)
	}
	c.book.reset(self, list)
	if err := c.saveSession(ctx); err != nil {
		return nil, err
	}
	friends, groups := c.book.Counts()
	c.log.WithFields(map[string]any{"nickname": self.NickName, "method": string(method), "friends": friends, "groups": groups, "host": h.API}).Info("logged in")
	return &LoginEvent{Self: self.Peer(), Uin: self.Uin, Method: method, Host: h.API, Friends: friends, Groups: groups, Time: time.Now()}, nil
}

// statusNotify sends webwxstatusnotify: code 3 after init, code 1 to mark a chat read.
func (c *Client) statusNotify(ctx context.Context, code int, to string) error {
	br, pt, h, err := c.creds()
	if err != nil {
		return err
	}
	body := map[string]any{"BaseRequest": br, "Code": code, "FromUserName": c.selfUserName(), "ToUserName": to, "ClientMsgId": time.Now().UnixMilli()}
	return c.postJSON(ctx, "webwxstatusnotify", apiURL(h.API, "webwxstatusnotify", "lang", "zh_CN", "pass_ticket", pt), body, nil)
}

// MarkRead tells the server (and so the phone) that a chat was read.
func (c *Client) MarkRead(ctx context.Context, chatUserName string) error {
	return c.statusNotify(ctx, 1, chatUserName)
}

func (c *Client) selfUserName() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return ""
	}
	return c.sess.SelfUserName
}

// saveSession stores the current session with the jar's cookies.
func (c *Client) saveSession(ctx context.Context) error {
	if c.opts.Store == nil {
		return nil
	}
	s := c.sessionSnapshot()
	if err := c.opts.Store.SaveSession(ctx, c.opts.Account, s); err != nil {
		return fmt.Errorf("saving the session: %w", err)
	}
	return nil
}

// sessionSnapshot is the session with the jar's current cookies.
func (c *Client) sessionSnapshot() *Session {
	c.mu.Lock()
	s := c.sess.Clone()
	c.mu.Unlock()
	if s != nil {
		s.Cookies = c.jar.export()
		s.SavedAt = time.Now()
	}
	return s
}

// Logout ends the session on the server. The saved session is deleted.
func (c *Client) Logout(ctx context.Context) error {
	br, _, h, err := c.creds()
	if err != nil {
		return err
	}
	u := apiURL(h.API, "webwxlogout", "redirect", "1", "type", "0", "skey", url.QueryEscape(br.Skey))
	_, err = c.do(ctx, "webwxlogout", http.MethodGet, u, nil, nil)
	c.setSession(nil)
	if c.opts.Store != nil {
		if derr := c.opts.Store.DeleteSession(ctx, c.opts.Account); derr != nil && err == nil {
			err = derr
		}
	}
	return err
}
