package wxsim

import (
	"encoding/base64"
	"math/rand/v2"
	"strconv"
	"strings"
)

// idGen makes every random-looking value of the simulator from one seeded source, so a
// seed reproduces a run. Callers hold the server lock.
type idGen struct {
	r     *rand.Rand
	msgID uint64
}

func newIDGen(seed int64) *idGen {
	r := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	// MsgIds grow from a random start well above 2^53, so a client decoding them as
	// float64 loses digits (PROTOCOL.md §2.6) and the test suite notices.
	return &idGen{r: r, msgID: 5_000_000_000_000_000_000 + r.Uint64N(2_000_000_000_000_000_000)}
}

const (
	hexDigits = "0123456789abcdef"
	digits    = "0123456789"
)
const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func (g *idGen) pick(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.r.IntN(len(alphabet))]
	}
	return string(b)
}

func (g *idGen) hex(n int) string { return g.pick(hexDigits, n) }

func (g *idGen) bytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.r.UintN(256))
	}
	return b
}

// nextMsgID is strictly increasing, so MsgIds are unique and sort like the real ones.
func (g *idGen) nextMsgID() uint64 {
	g.msgID += 1 + g.r.Uint64N(4096)
	return g.msgID
}

// userName is a per-login name: "@" + 32 or 64 hex (the length means nothing), groups
// "@@" + 64 hex.
func (g *idGen) userName(group bool) string {
	if group {
		return "@@" + g.hex(64)
	}
	if g.r.IntN(2) == 0 {
		return "@" + g.hex(32)
	}
	return "@" + g.hex(64)
}

// uuid looks like the real login uuid: 10 URL-safe base64 characters and "==".
func (g *idGen) uuid() string {
	return base64.URLEncoding.EncodeToString(g.bytes(8))[:10] + "=="
}

func (g *idGen) skey() string    { return "@crypt_" + g.hex(8) + "_" + g.hex(32) }
func (g *idGen) mediaID() string { return "@crypt_" + g.hex(8) + "_" + g.hex(128) }
func (g *idGen) sid() string     { return g.pick(alnum, 16) }
func (g *idGen) ticket() string  { return g.pick(alnum, 24) + "@qrticket_0" }
func (g *idGen) wxid() string    { return "wxid_" + g.pick("abcdefghijklmnopqrstuvwxyz0123456789", 14) }
func (g *idGen) ghID() string    { return "gh_" + g.hex(12) }
func (g *idGen) chatroomID() string {
	return strconv.FormatUint(10_000_000_000+g.r.Uint64N(20_000_000_000), 10) + "@chatroom"
}
func (g *idGen) hiddenUin() int64 { return 1_000_000_000 + g.r.Int64N(3_000_000_000) }
func (g *idGen) base64(n int) string {
	return base64.StdEncoding.EncodeToString(g.bytes(n))
}

// passTicket is handed out already URL-encoded (%2F, %2B), as the service does; clients
// must send it verbatim (PROTOCOL.md §2.5).
func (g *idGen) passTicket() string {
	raw := base64.StdEncoding.EncodeToString(g.bytes(48))
	return strings.NewReplacer("+", "%2B", "/", "%2F").Replace(raw)
}
