package wxsim

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
)

// ErrNotLoggedIn is returned by operations that need a live session.
var ErrNotLoggedIn = errors.New("wxsim: nobody is logged in")

// State is the GET /_sim/state answer.
type State struct {
	Host          string         `json:"host"`
	Accounts      []AccountState `json:"accounts"`
	PendingLogins []string       `json:"pending_logins"` // uuids waiting for the phone
	Sent          int            `json:"sent"`
}

// AccountState describes the self account and its latest login.
type AccountState struct {
	Nickname string         `json:"nickname"`
	Uin      int64          `json:"uin"`
	LoggedIn bool           `json:"logged_in"`
	Ended    int            `json:"ended,omitempty"`     // retcode that ended the latest login
	UserName string         `json:"user_name,omitempty"` // self's UserName in the latest login
	Contacts []ContactState `json:"contacts,omitempty"`  // every contact and group of the world
	Events   int            `json:"events"`              // everything delivered into the session's log
	Acked    int            `json:"acked"`               // up to where webwxsync handed it out
	Pending  int            `json:"pending"`             // Events − Acked
}

// ContactState maps a contact's plain name and permanent raw id to its UserName in the
// latest login.
type ContactState struct {
	Name     string `json:"name"`
	RawID    string `json:"raw_id"`
	UserName string `json:"user_name"`
}

// State reports the latest login, every contact's current UserName and how much the
// client has not fetched yet.
func (s *Server) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	self := s.world.self
	acc := AccountState{Nickname: self.nick, Uin: self.uin}
	if sess := s.active; sess != nil {
		acc.LoggedIn = sess.ended == 0
		acc.Ended = sess.ended
		acc.UserName = sess.userName(self)
		for _, c := range s.world.contacts {
			acc.Contacts = append(acc.Contacts, ContactState{Name: c.nick, RawID: c.raw, UserName: sess.userName(c)})
		}
		acc.Events, acc.Acked = sess.end(), sess.acked
		acc.Pending = acc.Events - acc.Acked
	}
	st := State{Host: s.opts.Host, Accounts: []AccountState{acc}, PendingLogins: []string{}, Sent: len(s.sent)}
	var pending []*qrLogin
	for _, l := range s.logins {
		if !l.confirmed && !s.expired(l) {
			pending = append(pending, l)
		}
	}
	sort.Slice(pending, func(i, j int) bool { return pending[i].created.Before(pending[j].created) })
	for _, l := range pending {
		st.PendingLogins = append(st.PendingLogins, l.uuid)
	}
	return st
}

// Backlog is State's Pending of the latest login alone: events delivered that no webwxsync
// handed out yet. It is cheap (State lists every contact), for harnesses that poll.
func (s *Server) Backlog() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active == nil {
		return 0
	}
	return s.active.end() - s.active.acked
}

// UserName is the current login's UserName of a chat or person (nickname, remark, group
// name, raw id or "self").
func (s *Server) UserName(name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.liveSession()
	if sess == nil {
		return "", ErrNotLoggedIn
	}
	c := s.world.findChat(name)
	if c == nil {
		return "", fmt.Errorf("wxsim: %w: %q", ErrUnknownName, name)
	}
	return sess.userName(c), nil
}

func (s *Server) controlRoutes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_sim/state", func(w http.ResponseWriter, r *http.Request) {
		controlJSON(w, http.StatusOK, s.State())
	})
	mux.HandleFunc("POST /_sim/confirm", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			UUID string `json:"uuid"`
		}
		if decodeControl(w, r, &req) {
			controlResult(w, nil, s.Confirm(req.UUID))
		}
	})
	mux.HandleFunc("POST /_sim/inject", func(w http.ResponseWriter, r *http.Request) {
		var in Injection
		if decodeControl(w, r, &in) {
			id, err := s.Inject(in)
			controlResult(w, map[string]string{"MsgId": id}, err)
		}
	})
	mux.HandleFunc("POST /_sim/members", func(w http.ResponseWriter, r *http.Request) {
		var ch MembersChange
		if decodeControl(w, r, &ch) {
			id, err := s.Members(ch)
			controlResult(w, map[string]string{"MsgId": id}, err)
		}
	})
	mux.HandleFunc("POST /_sim/logout", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Retcode int `json:"retcode"`
		}
		if decodeControl(w, r, &req) {
			controlResult(w, nil, s.Logout(req.Retcode))
		}
	})
	mux.HandleFunc("GET /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		controlJSON(w, http.StatusOK, s.Faults())
	})
	mux.HandleFunc("POST /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Faults
		if !decodeControl(w, r, &f) {
			return
		}
		if err := s.SetFaults(f); err != nil {
			controlResult(w, nil, err)
			return
		}
		controlJSON(w, http.StatusOK, s.Faults())
	})
	mux.HandleFunc("GET /_sim/sent", func(w http.ResponseWriter, r *http.Request) {
		controlJSON(w, http.StatusOK, s.Sent())
	})
	return mux
}

// decodeControl reads an optional JSON body; an empty body is the zero value.
func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := readJSON(r, v); err != nil {
		controlJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return false
	}
	return true
}

// controlResult answers v (nil: {"ok":true}) or the error: 409 when the simulator is in
// the wrong state for the operation, 400 otherwise.
func controlResult(w http.ResponseWriter, v any, err error) {
	switch {
	case errors.Is(err, ErrNoPendingLogin), errors.Is(err, ErrNotLoggedIn):
		controlJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
	case err != nil:
		controlJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
	case v == nil:
		controlJSON(w, http.StatusOK, map[string]bool{"ok": true})
	default:
		controlJSON(w, http.StatusOK, v)
	}
}

func controlJSON(w http.ResponseWriter, status int, v any) {
	writeBody(w, status, "application/json; charset=utf-8", marshal(v))
}
