package wxsim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"image/jpeg"
	"net/http"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	qrcode "github.com/skip2/go-qrcode"
)

// qrLogin is one uuid: a QR login (jslogin) or a push login (webwxpushloginurl).
type qrLogin struct {
	uuid      string
	created   time.Time
	push      bool // the phone confirms without a scan: no 201 first
	desktop   bool // asked for with mod=desktop
	confirmed bool
	scanShown bool // 201 has been answered
	ticket    string
	scanTime  time.Time
	changed   chan struct{} // closed on confirm
	sess      *session      // after the ticket is redeemed
}

func (s *Server) newLogin(push, desktop bool) *qrLogin {
	l := &qrLogin{uuid: s.ids.uuid(), created: s.now(), push: push, desktop: desktop, changed: make(chan struct{})}
	s.logins[l.uuid] = l
	s.lastLogin = l
	if d := s.opts.AutoConfirm; d > 0 {
		uuid := l.uuid
		time.AfterFunc(d, func() {
			if err := s.Confirm(uuid); err != nil {
				s.log.WithError(err).WithField("uuid", uuid).Debug("auto-confirm skipped")
			}
		})
	}
	s.log.WithFields(logrus.Fields{"uuid": l.uuid, "push": push}).Info("login uuid issued")
	return l
}

func (s *Server) expired(l *qrLogin) bool {
	return !l.confirmed && s.now().Sub(l.created) >= s.opts.QRExpiry
}

// ErrNoPendingLogin is returned by Confirm when no uuid waits for the phone.
var ErrNoPendingLogin = errors.New("wxsim: no pending login to confirm")

// Confirm has the phone scan and confirm a login: the uuid given, or with "" the latest
// one issued. The next poll answers 201 (QR logins only), then 200.
func (s *Server) Confirm(uuid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.lastLogin
	if uuid != "" {
		l = s.logins[uuid]
	}
	if l == nil || l.confirmed || s.expired(l) {
		return ErrNoPendingLogin
	}
	l.confirmed = true
	l.ticket = s.ids.ticket()
	l.scanTime = s.now()
	close(l.changed)
	s.log.WithField("uuid", l.uuid).Info("login confirmed on the phone")
	return nil
}

// handleJSLogin: the body needs its spaces and the trailing ';' — openwechat extracts the
// uuid with `uuid = "(.*?)";`.
func (s *Server) handleJSLogin(w http.ResponseWriter, r *http.Request) {
	desktop := strings.Contains(r.URL.Query().Get("redirect_uri"), "mod=desktop")
	s.mu.Lock()
	l := s.newLogin(false, desktop)
	s.mu.Unlock()
	body := fmt.Sprintf(`window.QRLogin.code = 200; window.QRLogin.uuid = "%s";`, l.uuid)
	writeBody(w, http.StatusOK, ctJS, []byte(body))
}

func (s *Server) handleQRCode(w http.ResponseWriter, r *http.Request) {
	uuid := strings.TrimPrefix(r.URL.Path, "/qrcode/")
	s.mu.Lock()
	_, known := s.logins[uuid]
	s.mu.Unlock()
	if !known {
		http.NotFound(w, r)
		return
	}
	q, err := qrcode.New("https://login.weixin.qq.com/l/"+uuid, qrcode.Medium)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, q.Image(256), &jpeg.Options{Quality: 90}); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeBody(w, http.StatusOK, "image/jpeg", b.Bytes())
}

// handleLoginPoll is the long-polled login: 408 while nothing happens, 201 once scanned,
// 200 with the redirect once confirmed, 400 when the uuid expired. No spaces in
// window.code=NNN; (openwechat: `window.code=(\d+);`).
func (s *Server) handleLoginPoll(w http.ResponseWriter, r *http.Request) {
	uuid := r.URL.Query().Get("uuid")
	timer := time.NewTimer(s.opts.LongPoll)
	defer timer.Stop()
	s.mu.Lock()
	l := s.logins[uuid]
	for {
		var body string
		switch {
		case l == nil || s.expired(l):
			body = "window.code=400;"
		case l.confirmed && !l.push && !l.scanShown:
			l.scanShown = true
			body = "window.code=201;window.userAvatar = 'data:img/jpg;base64," + avatarBase64(uuid) + "';"
		case l.confirmed:
			body = fmt.Sprintf(`window.code=200;window.redirect_uri="https://%s/cgi-bin/mmwebwx-bin/webwxnewloginpage?ticket=%s&uuid=%s&lang=zh_CN&scan=%d";`,
				s.opts.Host, l.ticket, l.uuid, l.scanTime.Unix())
		}
		if body != "" {
			s.mu.Unlock()
			writeBody(w, http.StatusOK, ctJS, []byte(body))
			return
		}
		changed := l.changed
		untilExpiry := time.NewTimer(s.opts.QRExpiry - s.now().Sub(l.created))
		s.mu.Unlock()
		select {
		case <-changed:
		case <-untilExpiry.C:
		case <-timer.C:
			untilExpiry.Stop()
			writeBody(w, http.StatusOK, ctJS, []byte("window.code=408;"))
			return
		case <-r.Context().Done():
			untilExpiry.Stop()
			return
		}
		untilExpiry.Stop()
		s.mu.Lock()
	}
}

func avatarBase64(seed string) string {
	return base64.StdEncoding.EncodeToString(pictureJPEG(seed, 48, 48))
}

// handleNewLoginPage redeems the ticket: credentials in one line of XML plus domain
// cookies. Accounts marked web_forbidden get <ret>1203 unless the request is in desktop
// mode (mod=desktop and the client-version and extspam headers).
func (s *Server) handleNewLoginPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	l := s.logins[q.Get("uuid")]
	if l == nil || !l.confirmed || l.ticket != q.Get("ticket") {
		s.mu.Unlock()
		writeBody(w, http.StatusOK, ctJSON, []byte("<error><ret>1</ret><message>登录失败。</message></error>"))
		return
	}
	if s.opts.Scenario.WebForbidden && !s.desktopMode(r, l) {
		s.mu.Unlock()
		writeBody(w, http.StatusOK, ctJSON, []byte("<error><ret>1203</ret><message>为了你的帐号安全，此微信号不能登录网页微信。你可以使用Windows微信或Mac微信在电脑端登录。</message></error>"))
		return
	}
	if l.sess == nil {
		l.sess = s.startSession()
	}
	sess := l.sess
	body := fmt.Sprintf("<error><ret>0</ret><message></message><skey>%s</skey><wxsid>%s</wxsid><wxuin>%d</wxuin><pass_ticket>%s</pass_ticket><isgrayscale>1</isgrayscale></error>",
		sess.skey, sess.sid, s.world.self.uin, sess.passTicket)
	s.setCookies(w, r, sess, true)
	s.mu.Unlock()
	status := http.StatusOK
	if s.opts.LoginPage301 {
		// The service sometimes answers 301 with the normal body and no Location:
		// clients must parse the body whatever the status.
		status = http.StatusMovedPermanently
	}
	writeBody(w, status, ctJSON, []byte(body))
}

func (s *Server) desktopMode(r *http.Request, l *qrLogin) bool {
	if !l.desktop && r.URL.Query().Get("mod") != "desktop" {
		return false
	}
	spam := r.Header.Get("extspam")
	if r.Header.Get("client-version") == "" || spam == "" {
		return false
	}
	if want := s.opts.ExtspamSHA256; want != "" {
		sum := sha256.Sum256([]byte(spam))
		return strings.EqualFold(hex.EncodeToString(sum[:]), want)
	}
	return true
}

// startSession begins a login with fresh UserNames. A new web login ends the previous
// one with 1101, as logging in elsewhere does.
func (s *Server) startSession() *session {
	sess := newSession(s.ids, s.world, s.now())
	if s.active != nil {
		s.endSession(s.active, retInvalid)
	}
	s.active = sess
	s.everLogged = true
	s.bySid[sess.sid] = sess
	s.bySkey[sess.skey] = sess
	s.byTicket[decodedTicket(sess)] = sess
	s.deliverMsg(sess, s.syncConvNotice(sess), selMessage)
	close(s.loginSignal)
	s.loginSignal = make(chan struct{})
	s.log.WithFields(logrus.Fields{"uin": s.world.self.uin, "self": sess.userName(s.world.self)}).Info("logged in")
	return sess
}

// setCookies sets the login cookies (newloginpage) or the ones webwxsync re-sets. They are
// domain cookies so they reach webpush. and file. too; webwx_data_ticket sits on the
// parent domain. Requests to a plain address get host-only cookies, the only kind a
// cookie jar accepts there.
func (s *Server) setCookies(w http.ResponseWriter, r *http.Request, sess *session, login bool) {
	kind, fam := classify(r.Host)
	apiDomain, parent := "", ""
	if kind != hostPlain {
		if fam == "" {
			fam = s.opts.Host
		}
		apiDomain = fam
		parent = ".qq.com"
		if strings.HasSuffix(fam, "wechat.com") {
			parent = ".wechat.com"
		}
	}
	now := s.now()
	// Expiry is wall time whatever Options.Now says: the client's jar judges it by its own clock.
	exp := time.Now().Add(24 * time.Hour).UTC().Format(http.TimeFormat)
	set := func(name, value, domain string) {
		c := name + "=" + value
		if domain != "" {
			c += "; Domain=" + domain
		}
		w.Header().Add("Set-Cookie", c+"; Path=/; Expires="+exp)
	}
	set("wxuin", fmt.Sprint(s.world.self.uin), apiDomain)
	set("wxsid", sess.sid, apiDomain)
	set("webwx_data_ticket", sess.dataTicket, parent)
	if login {
		set("webwx_auth_ticket", sess.authTicket, apiDomain)
		set("webwxuvid", sess.uvid, apiDomain)
		set("wxloadtime", fmt.Sprint(now.Unix()), apiDomain)
		set("mm_lang", "zh_CN", apiDomain)
		return
	}
	set("wxpluginkey", fmt.Sprint(now.Unix()), apiDomain)
	set("wxloadtime", fmt.Sprintf("%d_expired", now.Unix()), apiDomain)
}

// handlePushLogin starts a login the phone confirms without a QR, for a uin that has
// logged in before. ret is a string.
func (s *Server) handlePushLogin(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	uin := firstOf(q.Get("uin"), cookie(r, "wxuin"))
	if !s.everLogged || uin != fmt.Sprint(s.world.self.uin) {
		s.mu.Unlock()
		writeJSON(w, pushLoginAnswer{Ret: "1"})
		return
	}
	l := s.newLogin(true, q.Get("mod") == "desktop")
	s.mu.Unlock()
	writeJSON(w, pushLoginAnswer{Ret: "0", Msg: "all ok", UUID: l.uuid})
}

type pushLoginAnswer struct {
	Ret  string `json:"ret"`
	Msg  string `json:"msg"`
	UUID string `json:"uuid"`
}

// handleLogout ends the session; afterwards every call of that login fails with 1101.
// Clients send GET with the skey in the query or POST a form with sid and uin.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	br := baseRequest{Sid: r.PostForm.Get("sid"), Skey: r.Form.Get("skey")}
	s.mu.Lock()
	sess, ret := s.authenticate(r, br)
	if ret == 0 {
		s.endSession(sess, retInvalid)
		s.log.Info("logged out from the web client")
	}
	s.mu.Unlock()
	writeRet(w, ret, "")
}

// Logout ends the active session the way the phone (1100), a login elsewhere or a kick
// (1101) or a cookie problem (1102) would; 0 means 1100.
func (s *Server) Logout(retcode int) error {
	if retcode == 0 {
		retcode = retLoggedOut
	}
	if retcode != retLoggedOut && retcode != retInvalid && retcode != retCookie {
		return fmt.Errorf("wxsim: logout: retcode %d is not 1100, 1101 or 1102", retcode)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active == nil || s.active.ended != 0 {
		return fmt.Errorf("logout: %w", ErrNotLoggedIn)
	}
	s.endSession(s.active, retcode)
	s.log.WithField("retcode", retcode).Info("session ended")
	return nil
}

// WaitLogin blocks until a session is active.
func (s *Server) WaitLogin(ctx context.Context) error {
	for {
		s.mu.Lock()
		if s.active != nil && s.active.ended == 0 {
			s.mu.Unlock()
			return nil
		}
		ch := s.loginSignal
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("wait for login: %w", ctx.Err())
		}
	}
}
