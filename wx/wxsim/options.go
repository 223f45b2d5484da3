package wxsim

import (
	"fmt"
	"io"
	"time"

	"github.com/sirupsen/logrus"
)

// Options configure a Server. The zero value is usable: it serves the built-in demo
// scenario on wx2.qq.com with real-service timings.
type Options struct {
	// Scenario is the simulated world. Nil means the built-in demo (DemoScenario).
	Scenario *Scenario
	// Seed makes UserNames, ids, tickets and MsgIds reproducible: the same seed and the
	// same sequence of requests give the same values. 0 picks a seed from the clock.
	Seed int64
	// Host is the API host logins are redirected to: wx2.qq.com (default), wx.qq.com,
	// wx8.qq.com, web.wechat.com or web2.wechat.com. Its webpush. and file. subdomains
	// are served too.
	Host string
	// Language of system notices: "zh" (default) or "en".
	Language string
	// AutoConfirm, when > 0, has the "phone" scan and confirm every QR or push login
	// that long after it was issued. 0: only Confirm (or POST /_sim/confirm) does.
	AutoConfirm time.Duration
	// LongPoll is how long the login poll and synccheck are held without news.
	// Default 25s (real clients time out at 30s); keep it short in tests.
	LongPoll time.Duration
	// QRExpiry is how long an unconfirmed login uuid lives before the poll answers 400.
	// Default 5m.
	QRExpiry time.Duration
	// SendRate limits writes (sends and group operations); above it they fail with
	// Ret 1205. Default 600 per minute.
	SendRate Rate
	// SyncPageSize is how many events one webwxsync answer carries at most; more set
	// ContinueFlag. Default 50.
	SyncPageSize int
	// ContactPageSize is how many contacts one webwxgetcontact page carries. Default 500.
	ContactPageSize int
	// MaxBacklog bounds each session's event log (entries). Older entries are dropped,
	// so a very old SyncKey replays from the oldest kept one. Default 200000.
	MaxBacklog int
	// LoginPage301 answers webwxnewloginpage with HTTP 301 and the normal XML body and
	// no Location, as the service sometimes does (PROTOCOL.md §2.3).
	LoginPage301 bool
	// ExtspamSHA256, when set, is the hex SHA-256 the desktop-mode extspam header must
	// have; otherwise its presence is enough.
	ExtspamSHA256 string
	// Logger receives lifecycle (Info) and per-request (Debug) logs. Nil discards them.
	Logger *logrus.Entry
	// Now is the clock for timestamps, QR expiry, the revoke window and the send rate.
	// Default time.Now. Long polls always wait in real time.
	Now func() time.Time

	// OnMessage, when set, is called with the MsgId of every AddMsgList entry delivered
	// into a live session: generated, injected (raw too), notices, echoes of sends. With
	// OnSent it lets a harness check a client end to end (everything logged exactly once,
	// every reply sent once) without polling. Both run with the server's lock held, in
	// order: they must return quickly and must not call the Server.
	OnMessage func(msgID string)
	// OnSent, when set, is called with every write as Sent will list it.
	OnSent func(Sent)
	// OnUnfetched, when set, is called when a session ends (a kick, a logout, a newer login)
	// with the MsgIds delivered into it that no webwxsync handed out: lost for every client,
	// as with the real service.
	OnUnfetched func(msgIDs []string)
}

// Rate is Count events per Per.
type Rate struct {
	Count int
	Per   time.Duration
}

// hostFamilies are the API hosts the service redirects to (PROTOCOL.md §2.1).
var hostFamilies = []string{"wx.qq.com", "wx2.qq.com", "wx8.qq.com", "web.wechat.com", "web2.wechat.com"}

func (o Options) withDefaults() (Options, error) {
	if o.Scenario == nil {
		sc, err := DemoScenario()
		if err != nil {
			return o, err
		}
		o.Scenario = sc
	}
	if o.Seed == 0 {
		o.Seed = time.Now().UnixNano()
	}
	if o.Host == "" {
		o.Host = "wx2.qq.com"
	}
	known := false
	for _, h := range hostFamilies {
		known = known || h == o.Host
	}
	if !known {
		return o, fmt.Errorf("wxsim: host %q is not one of %v", o.Host, hostFamilies)
	}
	switch o.Language {
	case "":
		o.Language = "zh"
	case "zh", "en":
	default:
		return o, fmt.Errorf("wxsim: language %q is not zh or en", o.Language)
	}
	if o.LongPoll <= 0 {
		o.LongPoll = 25 * time.Second
	}
	if o.QRExpiry <= 0 {
		o.QRExpiry = 5 * time.Minute
	}
	if o.SendRate.Count <= 0 || o.SendRate.Per <= 0 {
		o.SendRate = Rate{Count: 600, Per: time.Minute}
	}
	if o.SyncPageSize <= 0 {
		o.SyncPageSize = 50
	}
	if o.ContactPageSize <= 0 {
		o.ContactPageSize = 500
	}
	if o.MaxBacklog <= 0 {
		o.MaxBacklog = 200000
	}
	if o.Logger == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		o.Logger = logrus.NewEntry(l)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}
