package wx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
)

// Protocol errors. Test with errors.Is: every error the client returns for one of these Ret or
// retcode values wraps the matching sentinel, and names the operation.
var (
	// ErrLoggedOut: Ret/retcode 1100, logged out on the phone (or a wrong push host).
	ErrLoggedOut = errors.New("logged out (1100)")
	// ErrSessionInvalid: 1101, the session was opened elsewhere (Windows/Mac WeChat) or kicked.
	ErrSessionInvalid = errors.New("session invalid: logged in elsewhere or kicked (1101)")
	// ErrCookieInvalid: 1102, cookies or ticket not accepted.
	ErrCookieInvalid = errors.New("cookie invalid (1102)")
	// ErrWebLoginForbidden: <ret>1203</ret> at webwxnewloginpage: the account is barred from
	// web WeChat. Retrying does not help; desktop (UOS) mode may.
	ErrWebLoginForbidden = errors.New("account barred from web WeChat (1203)")
	// ErrTooOften: Ret 1205, the frequency limit. Back off for minutes.
	ErrTooOften = errors.New("too often: frequency limit (1205)")
	// ErrNotAllowed: Ret 1, the server refused the operation (not the group owner, over a limit,
	// bad argument).
	ErrNotAllowed = errors.New("not allowed (Ret 1)")
	// ErrNotOwner: a group operation that only the owner may do, refused before sending.
	ErrNotOwner = errors.New("only the group owner can do this")
	// ErrUnknownContact: no contact or group with that name in the contact book.
	ErrUnknownContact = errors.New("unknown contact")
	// ErrNotLoggedIn: the client has no session.
	ErrNotLoggedIn = errors.New("not logged in")
)

// RetError is a non-zero BaseResponse.Ret (or synccheck retcode) from an operation.
type RetError struct {
	Op     string // "webwxsync", "webwxsendmsg", …
	Ret    int
	ErrMsg string
}

func (e *RetError) Error() string {
	if e.ErrMsg != "" {
		return fmt.Sprintf("%s: Ret %d: %s", e.Op, e.Ret, e.ErrMsg)
	}
	return fmt.Sprintf("%s: Ret %d", e.Op, e.Ret)
}

// Is maps well-known codes to the sentinels, so errors.Is(err, ErrTooOften) works.
func (e *RetError) Is(target error) bool { return target == sentinelFor(e.Ret) }

func sentinelFor(ret int) error {
	switch ret {
	case 1100:
		return ErrLoggedOut
	case 1101:
		return ErrSessionInvalid
	case 1102:
		return ErrCookieInvalid
	case 1203:
		return ErrWebLoginForbidden
	case 1205:
		return ErrTooOften
	case 1:
		return ErrNotAllowed
	}
	return nil
}

// IsTransient reports whether err is network trouble or a 5xx answer — the kind of failure
// that says nothing about the session and is worth trying again — rather than a protocol
// answer (a Ret, a retcode, an answer that does not parse) or a cancelled context.
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Status >= 500
	}
	var ue *url.Error
	var ne net.Error
	return errors.As(err, &ue) || errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED)
}

// IsSessionEnded reports whether err means the session is over (1100, 1101, 1102): stop
// syncing and log in again.
func IsSessionEnded(err error) bool {
	return errors.Is(err, ErrLoggedOut) || errors.Is(err, ErrSessionInvalid) || errors.Is(err, ErrCookieInvalid)
}

// LogoutReason says in plain words why a session ended, for logs and alerts.
func LogoutReason(code int) string {
	switch code {
	case 1100:
		return "logged out on the phone"
	case 1101:
		return "logged in elsewhere or kicked"
	case 1102:
		return "cookies no longer accepted"
	case 0:
		return "logged out by request"
	}
	return fmt.Sprintf("session ended with code %d", code)
}
