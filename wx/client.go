package wx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
)

// Options configure a Client. The zero value of every field is a sane default.
type Options struct {
	// Account is the configured account name: the key of the saved session. Default "main".
	Account string
	// Mode is "normal" or "desktop" (UOS mode, for accounts refused with 1203). Default normal.
	Mode string
	// Extspam is desktop mode's opaque header value (PROTOCOL.md §2.3), sent verbatim.
	Extspam string
	// Endpoint, e.g. "http://127.0.0.1:8080", sends every request to that address while the
	// Host header and cookie jar keep the real host: how the client talks to a simulator.
	Endpoint string
	// HTTPClient is used for every request; its Jar and CheckRedirect are replaced. Default: a
	// client with a 35 s timeout (long polls are held ~25 s).
	HTTPClient *http.Client
	// Store keeps the session for hot login. Optional: without it every start needs the phone.
	Store SessionStore
	// Logger receives lifecycle logs. Default: logrus's standard logger.
	Logger *logrus.Entry

	// QR receives each new QR code to show to the user (drawn in a terminal, saved as PNG…).
	// Optional: without it the URL is only logged.
	QR func(ctx context.Context, qr QRCode)
	// LoginTimeout bounds the whole wait for a scan, across QR refreshes. Default 5 minutes.
	LoginTimeout time.Duration
	// MaxQRCodes bounds how many times an expired QR is replaced. Default 5.
	MaxQRCodes int
	// SkipPushLogin: go straight from hot login to QR.
	SkipPushLogin bool

	// RetryBase and RetryMax bound the sync loop's exponential backoff (with full jitter) after
	// network errors and 5xx. Defaults 1 s and 60 s.
	RetryBase, RetryMax time.Duration
	// MaxUnknownRetcodes ends Run after this many unknown synccheck retcodes in a row. Default 10.
	MaxUnknownRetcodes int
	// DedupWindow is how many recent MsgIds are remembered to drop duplicated deliveries.
	// Default 20000.
	DedupWindow int

	// ContactGate, when set, is called after the server accepted a login and before the
	// contact book is loaded; the loading waits until it returns, and calls release once the
	// book is loaded (or the login failed). An error fails the login. A large book takes tens
	// of megabytes while it is decoded: a process with many accounts uses the gate to load
	// one book at a time.
	ContactGate func(ctx context.Context) (release func(), err error)
}

func (o *Options) fill() {
	if o.Account == "" {
		o.Account = "main"
	}
	if o.Mode == "" {
		o.Mode = "normal"
	}
	if o.Logger == nil {
		o.Logger = logrus.NewEntry(logrus.StandardLogger())
	}
	o.Logger = o.Logger.WithFields(logrus.Fields{"module": "wx", "account": o.Account})
	if o.LoginTimeout <= 0 {
		o.LoginTimeout = 5 * time.Minute
	}
	if o.MaxQRCodes <= 0 {
		o.MaxQRCodes = 5
	}
	if o.RetryBase <= 0 {
		o.RetryBase = time.Second
	}
	if o.RetryMax <= 0 {
		o.RetryMax = time.Minute
	}
	if o.MaxUnknownRetcodes <= 0 {
		o.MaxUnknownRetcodes = 10
	}
	if o.DedupWindow <= 0 {
		o.DedupWindow = 20000
	}
}

// QRCode is a login QR code: the phone scans URL.
type QRCode struct {
	UUID string
	URL  string // https://login.weixin.qq.com/l/<uuid>
	N    int    // 1 for the first code, 2 after the first expired, …
}

// Client is one account's web WeChat session. Login, then Run the sync loop in one goroutine;
// sends and group operations may be called from other goroutines while Run runs.
type Client struct {
	opts Options
	http *http.Client
	jar  *cookieJar
	log  *logrus.Entry
	book *Book

	mu               sync.Mutex // guards sess, hosts, inviteStartCount, lastUin
	sess             *Session
	hosts            hosts
	inviteStartCount int
	// lastUin is the latest session's uin, kept after the session ended: a session ended by
	// the server is deleted from the store, and push login still needs the uin.
	lastUin int64

	echoes *echoTracker // what we sent, to recognise its echo
	seen   *idWindow    // recent MsgIds, to drop duplicated deliveries (sync goroutine only)
}

// New returns a client. It does no I/O: call Login.
func New(opts Options) (*Client, error) {
	opts.fill()
	hc := &http.Client{Timeout: 35 * time.Second}
	if opts.HTTPClient != nil {
		copied := *opts.HTTPClient
		hc = &copied
	}
	jar := newCookieJar()
	hc.Jar = jar
	// Never follow redirects: newloginpage may answer 301 with the credentials in the body.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if opts.Endpoint != "" {
		u, err := url.Parse(opts.Endpoint)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("wx: endpoint %q: expected an address such as http://127.0.0.1:8080", opts.Endpoint)
		}
		next := hc.Transport
		if next == nil {
			next = http.DefaultTransport
		}
		hc.Transport = &endpointTransport{endpoint: u, next: next}
	}
	return &Client{
		opts:             opts,
		http:             hc,
		jar:              jar,
		log:              opts.Logger,
		book:             NewBook(),
		inviteStartCount: 40,
		echoes:           newEchoTracker(),
		seen:             newIDWindow(opts.DedupWindow),
	}, nil
}

// Book returns the contact book. It is safe to read from any goroutine.
func (c *Client) Book() *Book { return c.book }

// Session returns a copy of the current session with the cookie jar's cookies — what a
// SessionStore needs for a hot login — or nil before login.
func (c *Client) Session() *Session { return c.sessionSnapshot() }

// creds returns what a request needs, under the lock.
func (c *Client) creds() (BaseRequest, string, hosts, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return BaseRequest{}, "", hosts{}, ErrNotLoggedIn
	}
	return c.sess.BaseRequest, c.sess.PassTicket, c.hosts, nil
}

// apiURL builds https://<host>/cgi-bin/mmwebwx-bin/<name>?<query>. The query is written by
// hand because pass_ticket arrives URL-encoded and must be sent verbatim (url.Values would
// encode it again).
func apiURL(host, name string, query ...string) string {
	var b strings.Builder
	b.WriteString("https://")
	b.WriteString(host)
	b.WriteString(cgiPath)
	b.WriteByte('/')
	b.WriteString(name)
	for i := 0; i+1 < len(query); i += 2 {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(query[i])
		b.WriteByte('=')
		b.WriteString(query[i+1])
	}
	return b.String()
}

func nowMillis() string { return strconv.FormatInt(time.Now().UnixMilli(), 10) }

// do sends a request and returns the body. Non-2xx answers are errors (except 301 with a body,
// which newloginpage uses); network errors are returned as they are so callers can retry.
func (c *Client) do(ctx context.Context, op, method, rawURL string, body io.Reader, header http.Header) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, rawURL, body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("User-Agent", c.userAgent())
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	data, err := readBody(resp)
	if err != nil {
		return nil, fmt.Errorf("%s: reading answer: %w", op, err)
	}
	if resp.StatusCode >= 300 && !(resp.StatusCode == http.StatusMovedPermanently && len(data) > 0) {
		return nil, &HTTPError{Op: op, Status: resp.StatusCode}
	}
	return data, nil
}

// maxAnswer bounds what one answer may be (the largest are contact lists).
const maxAnswer = 64 << 20

// readBody reads an answer into a buffer of its announced length when there is one: a
// contact list of tens of megabytes read by io.ReadAll is copied through every doubling
// of the buffer on its way.
func readBody(resp *http.Response) ([]byte, error) {
	body := io.LimitReader(resp.Body, maxAnswer)
	n := resp.ContentLength
	if n <= 0 || n > maxAnswer {
		return io.ReadAll(body)
	}
	data := make([]byte, n, n+1)
	if _, err := io.ReadFull(body, data); err != nil {
		return nil, err
	}
	// More than announced: keep reading rather than cut the answer.
	rest, err := io.ReadAll(body)
	return append(data, rest...), err
}

// HTTPError is a non-2xx answer. 5xx answers are retried by the sync loop.
type HTTPError struct {
	Op     string
	Status int
}

func (e *HTTPError) Error() string { return fmt.Sprintf("%s: HTTP %d", e.Op, e.Status) }

// postJSON posts v as JSON and decodes the answer into out, checking BaseResponse.Ret.
func (c *Client) postJSON(ctx context.Context, op, rawURL string, v any, out any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // raw <>& in text, as the browser sends it
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	data, err := c.do(ctx, op, http.MethodPost, rawURL, &buf, http.Header{"Content-Type": {"application/json; charset=UTF-8"}})
	if err != nil {
		return err
	}
	return decodeAnswer(op, data, out)
}

// decodeAnswer decodes a JSON answer and turns a non-zero BaseResponse.Ret into a RetError.
func decodeAnswer(op string, data []byte, out any) error {
	var head struct{ BaseResponse BaseResponse }
	if err := json.Unmarshal(data, &head); err != nil {
		return fmt.Errorf("%s: malformed answer: %w", op, err)
	}
	if head.BaseResponse.Ret != 0 {
		return &RetError{Op: op, Ret: head.BaseResponse.Ret, ErrMsg: head.BaseResponse.ErrMsg}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s: malformed answer: %w", op, err)
		}
	}
	return nil
}

const (
	browserUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
	uosUA     = "Mozilla/5.0 (Linux; U; UOS x86_64; zh-cn) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.124 Safari/537.36 UOSBrowser/6.0.1.1001"
)

func (c *Client) userAgent() string {
	if c.opts.Mode == "desktop" {
		return uosUA
	}
	return browserUA
}

// backoff is capped exponential backoff with full jitter: attempt 0 waits up to base, then
// 2×, 4×… up to max. Never a hot loop.
func backoff(base, max time.Duration, attempt int) time.Duration {
	d := base
	for i := 0; i < attempt && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// isRetryable reports whether err is worth retrying after a pause: network trouble, resets,
// timeouts, truncated answers and 5xx. Protocol refusals (RetError) are not.
func isRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Status >= 500
	}
	var re *RetError
	return !errors.As(err, &re)
}

func errMalformed(what, got string) error {
	if len(got) > 200 {
		got = got[:200] + "…"
	}
	return fmt.Errorf("%w: %s: %q", ErrMalformed, what, got)
}
