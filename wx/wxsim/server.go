package wxsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
)

const cgi = "/cgi-bin/mmwebwx-bin/"

// Server is the simulated service. It is an http.Handler for every host of the protocol
// and for the control API under /_sim/; its methods are the control API in Go.
type Server struct {
	opts    Options
	log     *logrus.Entry
	routes  map[string]route
	control *http.ServeMux

	mu          sync.Mutex
	ids         *idGen
	faultRand   *rand.Rand
	world       *world
	logins      map[string]*qrLogin
	lastLogin   *qrLogin
	bySid       map[string]*session
	bySkey      map[string]*session
	byTicket    map[string]*session // decoded pass_ticket
	everLogged  bool                // push login needs a previous login of the uin
	active      *session
	loginSignal chan struct{} // closed and replaced whenever a session starts
	labels      map[string]msgRef
	sent        []Sent
	media       map[string]mediaItem
	limiter     bucket
	faults      Faults
	load        *loadState
}

// msgRef is what a label remembers of a message: enough to recall it.
type msgRef struct {
	id   string
	chat *contact
	from *contact
}

// New builds a server from opts (see Options for defaults).
func New(opts Options) (*Server, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	ids := newIDGen(opts.Seed)
	w, err := newWorld(opts.Scenario, ids)
	if err != nil {
		return nil, fmt.Errorf("wxsim: scenario: %w", err)
	}
	s := &Server{
		opts:        opts,
		log:         opts.Logger,
		ids:         ids,
		faultRand:   rand.New(rand.NewPCG(uint64(opts.Seed), 0xfa017)),
		world:       w,
		logins:      make(map[string]*qrLogin),
		bySid:       make(map[string]*session),
		bySkey:      make(map[string]*session),
		byTicket:    make(map[string]*session),
		loginSignal: make(chan struct{}),
		labels:      make(map[string]msgRef),
		media:       make(map[string]mediaItem),
		limiter:     bucket{rate: opts.SendRate, tokens: float64(opts.SendRate.Count), last: opts.Now()},
	}
	if opts.Scenario.Load != nil {
		s.ensureLoadGroups(*opts.Scenario.Load)
	}
	s.routes = s.protocolRoutes()
	s.control = s.controlRoutes()
	return s, nil
}

type hostKind uint8

const (
	hostPlain hostKind = iota // 127.0.0.1:PORT, localhost …: every path answers
	hostLogin
	hostAPI
	hostPush
	hostFile
)

// classify names the role of a Host header and, for API/push/file hosts, the API host of
// its family.
func classify(hostport string) (hostKind, string) {
	h := strings.ToLower(hostport)
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	switch h {
	case "login.wx.qq.com", "login.weixin.qq.com":
		return hostLogin, ""
	case "webpush.weixin.qq.com", "webpush2.weixin.qq.com":
		return hostPush, "" // legacy names from old write-ups: never this login's push host
	}
	for _, fam := range hostFamilies {
		switch h {
		case fam:
			return hostAPI, fam
		case "webpush." + fam:
			return hostPush, fam
		case "file." + fam:
			return hostFile, fam
		}
	}
	return hostPlain, ""
}

type route struct {
	hosts []hostKind // where the path is served besides plain hosts
	h     http.HandlerFunc
}

func (s *Server) protocolRoutes() map[string]route {
	api := []hostKind{hostAPI}
	return map[string]route{
		"/jslogin":                   {[]hostKind{hostLogin}, s.handleJSLogin},
		"/qrcode/":                   {[]hostKind{hostLogin}, s.handleQRCode},
		cgi + "login":                {[]hostKind{hostLogin}, s.handleLoginPoll},
		cgi + "webwxnewloginpage":    {api, s.handleNewLoginPage},
		cgi + "webwxpushloginurl":    {api, s.handlePushLogin},
		cgi + "webwxinit":            {api, s.handleInit},
		cgi + "webwxstatusnotify":    {api, s.handleStatusNotify},
		cgi + "webwxgetcontact":      {api, s.handleGetContact},
		cgi + "webwxbatchgetcontact": {api, s.handleBatchGetContact},
		// synccheck decides itself: a wrong host is a protocol answer, not a 404.
		cgi + "synccheck":             {[]hostKind{hostLogin, hostAPI, hostPush, hostFile}, s.handleSyncCheck},
		cgi + "webwxsync":             {api, s.handleSync},
		cgi + "webwxsendmsg":          {api, s.handleSendMsg},
		cgi + "webwxsendmsgimg":       {api, s.handleSendMsg},
		cgi + "webwxsendvideomsg":     {api, s.handleSendMsg},
		cgi + "webwxsendemoticon":     {api, s.handleSendMsg},
		cgi + "webwxsendappmsg":       {api, s.handleSendMsg},
		cgi + "webwxrevokemsg":        {api, s.handleRevoke},
		cgi + "webwxcheckupload":      {api, s.handleCheckUpload},
		cgi + "webwxuploadmedia":      {[]hostKind{hostFile}, s.handleUpload},
		cgi + "webwxupdatechatroom":   {api, s.handleUpdateChatroom},
		cgi + "webwxcreatechatroom":   {api, s.handleCreateChatroom},
		cgi + "webwxverifyuser":       {api, s.handleVerifyUser},
		cgi + "webwxoplog":            {api, s.handleOplog},
		cgi + "webwxlogout":           {api, s.handleLogout},
		cgi + "webwxgetmsgimg":        {api, s.handleGetMsgImg},
		cgi + "webwxgetvoice":         {api, s.handleGetVoice},
		cgi + "webwxgetvideo":         {api, s.handleGetVideo},
		cgi + "webwxgeticon":          {api, s.handleGetIcon},
		cgi + "webwxgetheadimg":       {api, s.handleGetIcon},
		cgi + "webwxgetpubliclinkimg": {api, s.handleGetIcon},
		cgi + "webwxgetmedia":         {[]hostKind{hostFile}, s.handleGetMedia},
	}
}

// ServeHTTP routes by Host header and path.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sim/") {
		s.control.ServeHTTP(w, r)
		return
	}
	key := r.URL.Path
	if strings.HasPrefix(key, "/qrcode/") {
		key = "/qrcode/"
	}
	rt, ok := s.routes[key]
	kind, _ := classify(r.Host)
	if !ok || (kind != hostPlain && !hasKind(rt.hosts, kind)) {
		http.NotFound(w, r)
		return
	}
	s.log.WithFields(logrus.Fields{"host": r.Host, "path": r.URL.Path}).Debug("request")
	if s.injectFault(w, r) {
		return
	}
	rt.h(w, r)
}

func hasKind(ks []hostKind, k hostKind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

const (
	ctJSON = "text/plain; charset=utf-8" // the service labels JSON as text/plain
	ctJS   = "text/javascript; charset=utf-8"
)

// writeBody always sets Content-Length: openwechat retries downloads whose length is 0.
func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeJSON(w http.ResponseWriter, v any) { writeBody(w, http.StatusOK, ctJSON, marshal(v)) }

func writeRet(w http.ResponseWriter, ret int, msg string) { writeJSON(w, fail(ret, msg)) }

// readJSON decodes a request body if there is one. Unknown fields and nulls are ignored,
// as the service does.
func readJSON(r *http.Request, v any) error {
	if r.Body == nil {
		return nil
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 8<<20))
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("decode %s body: %w", r.URL.Path, err)
	}
	return nil
}

// Protocol return codes (PROTOCOL.md §11).
const (
	retBadArg       = 1
	retSysError     = -1
	retTicket       = -14
	retLoggedOut    = 1100 // logged out on the phone; also a wrong push host
	retInvalid      = 1101 // logged in elsewhere, kicked, logged out on the web
	retCookie       = 1102 // no or bad cookies
	retParse        = 1200
	retTooOften     = 1205
	errMsgTooOften  = "操作太频繁，请稍后再试。"
	errMsgArgument  = "Argument pass error"
	errMsgCreatedOK = "Everything is OK"
)

// authenticate finds the session a request belongs to, from BaseRequest, the query or
// cookies, whichever the client sent. It returns a non-zero Ret when there is none. Every
// credential presented must agree; pass_ticket is accepted raw, double-encoded, as the
// literal "pass_ticket" (openwechat's bug) or absent.
func (s *Server) authenticate(r *http.Request, br baseRequest) (*session, int) {
	q := r.URL.Query()
	sid := firstOf(br.Sid, q.Get("sid"), cookie(r, "wxsid"))
	skey := firstOf(br.Skey, q.Get("skey"))
	ticket := normalizeTicket(q.Get("pass_ticket"))
	var sess *session
	switch {
	case sid != "":
		sess = s.bySid[sid]
	case skey != "":
		sess = s.bySkey[skey]
	case ticket != "":
		sess = s.byTicket[ticket]
	default:
		return nil, retCookie
	}
	if sess == nil {
		return nil, retInvalid
	}
	if sess.ended != 0 {
		return sess, sess.ended
	}
	uin, _ := strconv.ParseInt(firstOf(q.Get("uin"), cookie(r, "wxuin")), 10, 64)
	if br.Uin != 0 {
		uin = int64(br.Uin)
	}
	if (uin != 0 && uin != s.world.self.uin) || (skey != "" && skey != sess.skey) {
		return nil, retInvalid
	}
	if ticket != "" && s.byTicket[ticket] != sess {
		return nil, retTicket
	}
	return sess, 0
}

// normalizeTicket turns what a client sent into the decoded pass_ticket. The query was
// decoded once already; a remaining %XX means the client double-encoded it (openwechat,
// wechat-go). A space is a '+' some client left unencoded.
func normalizeTicket(v string) string {
	if v == "pass_ticket" {
		return ""
	}
	if strings.Contains(v, "%") {
		if d, err := url.PathUnescape(v); err == nil {
			v = d
		}
	}
	return strings.ReplaceAll(v, " ", "+")
}

func decodedTicket(sess *session) string {
	d, _ := url.PathUnescape(sess.passTicket)
	return d
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func cookie(r *http.Request, name string) string {
	if c, err := r.Cookie(name); err == nil {
		return c.Value
	}
	return ""
}

// api runs a JSON endpoint: decode the body into req (whose BaseRequest is br),
// authenticate, run fn under the lock, and write its answer after unlocking, so a slow
// client never holds the lock. A failed authentication answers with its Ret.
func (s *Server) api(w http.ResponseWriter, r *http.Request, req any, br *baseRequest, fn func(*session) any) {
	if err := readJSON(r, req); err != nil {
		writeRet(w, retParse, err.Error())
		return
	}
	s.mu.Lock()
	var answer any
	if sess, ret := s.authenticate(r, *br); ret != 0 {
		answer = fail(ret, "")
	} else {
		answer = fn(sess)
	}
	s.mu.Unlock()
	writeJSON(w, answer)
}

// success is the BaseResponse of an answer that worked: Ret 0, ErrMsg "".
func success() baseResponse { return baseResponse{} }

func fail(ret int, msg string) retOnly { return retOnly{baseResponse{Ret: ret, ErrMsg: msg}} }

func (s *Server) now() time.Time { return s.opts.Now() }
